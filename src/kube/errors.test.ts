import {
  isAdmissionDenial,
  ApiError,
  isApiError,
  isConflict,
  isGone,
  isInvalid,
  isNotFound,
  isResourceVersionTooLarge,
  type ApiErrorKind,
} from './errors.ts';

describe('ApiError classification', () => {
  it.each([
    [0, '', 'network'],
    [400, 'BadRequest', 'invalid'],
    [401, 'Unauthorized', 'unauthorized'],
    [403, 'Forbidden', 'forbidden'],
    [404, 'NotFound', 'notFound'],
    [409, 'Conflict', 'conflict'],
    [409, 'AlreadyExists', 'alreadyExists'],
    [410, 'Expired', 'gone'],
    [410, 'Gone', 'gone'],
    [422, 'Invalid', 'invalid'],
    [429, 'TooManyRequests', 'tooManyRequests'],
    [500, 'InternalError', 'unavailable'],
    [502, '', 'unavailable'],
    [503, 'ServiceUnavailable', 'unavailable'],
    [504, 'Timeout', 'timeout'],
    [418, '', 'other'],
    [301, '', 'other'],
  ] as [number, string, ApiErrorKind][])('%d %s → %s', (code, reason, kind) => {
    const err = new ApiError('host', code, reason ? { code, reason } : undefined, 'failed');
    expect(err.kind).toBe(kind);
    expect(err.statusCode).toBe(code);
    expect(err.reason).toBe(reason);
    expect(isApiError(err, kind)).toBe(true);
  });

  it.each([
    ['notFound', [404, 'NotFound'], [true, false, false, false]],
    ['conflict', [409, 'Conflict'], [false, true, false, false]],
    ['alreadyExists counts as a conflict', [409, 'AlreadyExists'], [false, true, false, false]],
    ['gone', [410, 'Expired'], [false, false, true, false]],
    ['invalid (422)', [422, 'Invalid'], [false, false, false, true]],
    ['invalid (400)', [400, 'BadRequest'], [false, false, false, true]],
    ['network', [0, ''], [false, false, false, false]],
    ['unavailable', [503, ''], [false, false, false, false]],
  ] as [string, [number, string], boolean[]][])('predicates for %s', (_name, [code, reason], expected) => {
    const err = new ApiError('virtual', code, { code, reason }, 'failed');
    expect([isNotFound(err), isConflict(err), isGone(err), isInvalid(err)]).toEqual(expected);
  });

  it('is false for anything that is not an ApiError, and for another kind', () => {
    const plain = Object.assign(new Error('conflict'), { kind: 'conflict', statusCode: 409 });
    for (const value of [plain, 'conflict', undefined, null, { kind: 'notFound' }]) {
      expect(isApiError(value)).toBe(false);
      expect(isConflict(value)).toBe(false);
      expect(isNotFound(value)).toBe(false);
    }
    expect(isApiError(new ApiError('host', 404, undefined, 'x'), 'conflict')).toBe(false);
    expect(isApiError(new ApiError('host', 404, undefined, 'x'))).toBe(true);
  });

  it('prefixes the cluster to the server message, and falls back when there is none', () => {
    const err = new ApiError(
      'host',
      422,
      { message: 'spec.containers: Required value', reason: 'Invalid' },
      'x',
    );
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('ApiError');
    expect(err.cluster).toBe('host');
    expect(err.message).toBe('host API: spec.containers: Required value');
    expect(err.serverMessage).toBe('spec.containers: Required value');
    const bare = new ApiError('virtual', 0, undefined, 'connect ECONNREFUSED 127.0.0.1:6443');
    expect(bare.message).toBe('virtual API: connect ECONNREFUSED 127.0.0.1:6443');
    expect(bare.serverMessage).toBe('connect ECONNREFUSED 127.0.0.1:6443');
    expect(new ApiError('host', 500, { message: '' }, 'fallback').message).toBe('host API: fallback');
  });

  it("reads only the fields of a Status that have the right type (a proxy's body may be anything), so judging it cannot fail", () => {
    const odd = (status: unknown) => new ApiError('host', 500, status as never, 'HTTP 500');
    expect(odd({ details: { causes: 'x' } }).causes).toEqual([]);
    expect(odd({ details: { causes: { reason: 'x' } } }).causes).toEqual([]);
    expect(odd({ details: { causes: [null, 3, { reason: 7, message: 'm' }] } }).causes).toEqual([
      { reason: undefined, message: 'm' },
    ]);
    const wrongTypes = odd({ reason: { a: 1 }, message: ['no'] });
    expect([wrongTypes.reason, wrongTypes.message, wrongTypes.kind]).toEqual([
      '',
      'host API: HTTP 500',
      'unavailable',
    ]);
    expect(isResourceVersionTooLarge(odd({ details: { causes: 'ResourceVersionTooLarge' } }))).toBe(false);
  });
});

describe('isResourceVersionTooLarge', () => {
  const status = (code: number, reason: string, message: string, causes: object[] = []) =>
    new ApiError('host', code, { code, reason, message, details: { causes } }, 'failed');

  it.each([
    [
      'the cause (current servers)',
      status(504, 'Timeout', 'Too large resource version: 90, current: 12', [
        { reason: 'ResourceVersionTooLarge', message: 'Too large resource version' },
      ]),
      true,
    ],
    [
      'the cause message on a 504 (1.17 to 1.18.5)',
      status(504, 'Timeout', 'x', [{ message: 'Too large resource version' }]),
      true,
    ],
    ['the message on a 504 (before 1.17)', status(504, 'Timeout', 'Too large resource version: 90'), true],
    ['the message on another code', status(500, 'InternalError', 'Too large resource version: 90'), false],
    ['another timeout', status(504, 'Timeout', 'request timed out'), false],
    ['a 410', status(410, 'Expired', 'too old resource version'), false],
    ['not an ApiError', new Error('Too large resource version'), false],
  ] as [string, unknown, boolean][])('%s', (_name, err, expected) => {
    expect(isResourceVersionTooLarge(err)).toBe(expected);
  });
});

describe('isAdmissionDenial', () => {
  const invalid = (message: string) => new ApiError('host', 422, { reason: 'Invalid', message }, 'invalid');
  it.each([
    `pods "bad" is forbidden: ValidatingAdmissionPolicy 'no-bad' with binding 'no-bad' denied request: failed expression: x`,
    'admission webhook "validate.example.com" denied the request: no privileged pods',
  ])("is a host policy's or webhook's refusal: %s", (message) => {
    expect(isAdmissionDenial(invalid(message))).toBe(true);
  });

  it("is not a schema error, even one quoting a tenant's value that reads like a refusal", () => {
    const quoted = `Pod "x" is invalid: spec.containers[0].image: Invalid value: "ValidatingAdmissionPolicy 'p' with binding 'b' denied request": must not have leading or trailing whitespace`;
    expect(isAdmissionDenial(invalid(quoted))).toBe(false);
    expect(isAdmissionDenial(invalid('Pod "x" is invalid: spec.containers: Required value'))).toBe(false);
    // Forbidden is retried as ever, not as this.
    const forbidden = new ApiError(
      'host',
      403,
      { reason: 'Forbidden', message: 'admission webhook "w" denied the request: no' },
      'forbidden',
    );
    expect(isAdmissionDenial(forbidden)).toBe(false);
  });
});
