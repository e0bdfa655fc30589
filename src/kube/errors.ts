/** Kinds of API failure the syncer reacts to differently. */
export type ApiErrorKind =
  | 'conflict'
  | 'notFound'
  | 'alreadyExists'
  | 'invalid'
  | 'gone'
  | 'forbidden'
  | 'unauthorized'
  | 'tooManyRequests'
  | 'timeout'
  | 'unavailable'
  | 'network'
  | 'other';

/** The parts of a Kubernetes `Status` object we read. */
export interface ApiStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; causes?: { field?: string; message?: string; reason?: string }[] };
}

/** An API server answered with an error (or could not be reached); `kind` says which. */
export class ApiError extends Error {
  readonly kind: ApiErrorKind;
  readonly statusCode: number;
  readonly reason: string;
  readonly cluster: string;
  /**
   * The object a Status names (`details.name`): a NotFound for a missing object names it; one for a
   * resource the server does not serve (a CRD's version turned off) names none.
   */
  readonly detailsName: string | undefined;
  /** The Status's causes (`details.causes`), which say more than its reason (ResourceVersionTooLarge). */
  readonly causes: readonly { reason?: string; message?: string }[];

  constructor(cluster: string, statusCode: number, status: ApiStatus | undefined, fallback: string) {
    // A Status comes from the wire (a proxy or an aggregated API may send anything): only fields of
    // the right type are read, so that judging the error can never fail.
    const reason = stringOr(status?.reason, '');
    super(`${cluster} API: ${stringOr(status?.message, '') || fallback}`);
    this.name = 'ApiError';
    this.cluster = cluster;
    this.statusCode = statusCode;
    this.reason = reason;
    this.kind = classify(statusCode, reason);
    this.detailsName = stringOr(status?.details?.name, undefined);
    const causes: unknown = status?.details?.causes;
    this.causes = Array.isArray(causes)
      ? causes
          .filter((c): c is Record<string, unknown> => typeof c === 'object' && c !== null)
          .map((c) => ({ reason: stringOr(c.reason, undefined), message: stringOr(c.message, undefined) }))
      : [];
  }

  /** The server's own message, without our cluster prefix. */
  get serverMessage(): string {
    return this.message.replace(/^[a-z]+ API: /, '');
  }
}

function stringOr<T extends string | undefined>(value: unknown, otherwise: T): string | T {
  return typeof value === 'string' ? value : otherwise;
}

function classify(code: number, reason: string): ApiErrorKind {
  if (code === 0) return 'network';
  if (reason === 'AlreadyExists') return 'alreadyExists';
  switch (code) {
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'notFound';
    case 409:
      return 'conflict';
    case 410:
      return 'gone';
    case 400:
    case 422:
      return 'invalid';
    case 429:
      return 'tooManyRequests';
    case 504:
      return 'timeout';
    case 500:
    case 502:
    case 503:
      return 'unavailable';
    default:
      return 'other';
  }
}

/** True when err is an ApiError of the given kind. */
export function isApiError(err: unknown, kind?: ApiErrorKind): err is ApiError {
  return err instanceof ApiError && (kind === undefined || err.kind === kind);
}

export const isNotFound = (err: unknown): boolean => isApiError(err, 'notFound');
/**
 * A create refused because its namespace is being deleted (NamespaceLifecycle admission): retrying
 * cannot succeed, and the namespace's objects are going anyway.
 */
export const isNamespaceTerminating = (err: unknown): boolean =>
  isApiError(err, 'forbidden') && err.causes.some((c) => c.reason === 'NamespaceTerminating');
/**
 * A NotFound that names this object: the only proof it is absent. One naming nothing may be a
 * proxy's, or the answer for a resource not served at this moment.
 */
export const isNotFoundNaming = (err: unknown, name: string): boolean =>
  isApiError(err, 'notFound') && err.detailsName === name;
export const isConflict = (err: unknown): boolean =>
  isApiError(err, 'conflict') || isApiError(err, 'alreadyExists');
export const isGone = (err: unknown): boolean => isApiError(err, 'gone');
export const isInvalid = (err: unknown): boolean => isApiError(err, 'invalid');

/**
 * How a ValidatingAdmissionPolicy's or an admission webhook's refusal reads (its default code is 422
 * or 400), from its start: a schema error quoting a tenant's value that reads so is not one.
 */
const ADMISSION_DENIAL =
  /^(?:\S+ "[^"]*" is forbidden: )?(?:ValidatingAdmissionPolicy '[^']*' with binding '[^']*' denied request|admission webhook "[^"]*" denied the request)/;
/**
 * An invalid answer that an admission check gave, not the object's own schema: a policy or webhook
 * an admin may change or remove, after which the same object is accepted.
 */
export const isAdmissionDenial = (err: unknown): err is ApiError =>
  isApiError(err, 'invalid') && ADMISSION_DENIAL.test(err.serverMessage);

const TOO_LARGE_MESSAGE = 'Too large resource version';

/**
 * True when a watch asked for a resourceVersion newer than the server has: its store went back in
 * time (restored from a backup). Watching from there fails until the server's version passes it,
 * and would then miss what changed meanwhile; only a list gets past it. Told as client-go tells it: the
 * ResourceVersionTooLarge cause, or from older servers a 504 with the message alone.
 */
export function isResourceVersionTooLarge(err: unknown): boolean {
  if (!(err instanceof ApiError)) return false;
  if (err.causes.some((c) => c.reason === 'ResourceVersionTooLarge')) return true;
  return (
    err.kind === 'timeout' &&
    (err.causes.some((c) => c.message === TOO_LARGE_MESSAGE) || err.message.includes(TOO_LARGE_MESSAGE))
  );
}
