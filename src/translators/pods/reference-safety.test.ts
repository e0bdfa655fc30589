import { TerminalError, WaitingError } from '../../controller/errors.ts';
import {
  absentReferenceName,
  JudgedNames,
  type JudgedOne,
  type JudgedReference,
  type ReferenceVerdict,
} from './reference-safety.ts';

const REFERRER = 'pod/a/web/uid-1';
const ref = (name: string, optional = false, kind = 'Secret'): JudgedReference => ({
  kind,
  apiGroup: '',
  name,
  optional,
  where: { field: 'spec.volumes[0].secret.secretName', volume: 'v' },
});
const judged = (reference: JudgedReference, verdict: ReferenceVerdict): JudgedOne => ({
  ref: reference,
  verdict,
});
/** What hostNameOf answers: the name, or the class and message of what it throws. */
function answer(names: JudgedNames, reference: JudgedReference): string {
  try {
    return names.hostNameOf(reference);
  } catch (err) {
    const kind = err instanceof WaitingError ? 'waiting' : err instanceof TerminalError ? 'refused' : 'other';
    return `${kind}: ${(err as Error).message}`;
  }
}

describe('JudgedNames: a reference takes the name it was judged to, or none', () => {
  const names = new JudgedNames(REFERRER, [
    judged(ref('own'), { state: 'ready', hostName: 'own-x-a-x-vc' }),
    judged(ref('gone', true), { state: 'absent-optional' }),
    judged(ref('later'), { state: 'waiting', message: 'Secret "later" not found', missing: true }),
    judged(ref('s-x-b'), {
      state: 'refused',
      message: 'Secret "s-x-b": its host name is held by another object',
    }),
  ]);

  it.each([
    ['ready: the host name of the copy proven its own', ref('own'), 'own-x-a-x-vc'],
    [
      "absent-optional: the pod's own placeholder",
      ref('gone', true),
      absentReferenceName(REFERRER, ref('gone', true)),
    ],
    ['waiting: no name, the pod waits', ref('later'), 'waiting: Secret "later" not found'],
    [
      'refused: no name, the pod is refused',
      ref('s-x-b'),
      'refused: Secret "s-x-b": its host name is held by another object',
    ],
    [
      'never judged: no name (judged at the next try)',
      ref('new'),
      'waiting: Secret "new" (volume "v"): not judged yet',
    ],
    [
      'judged only as optional: the required reference is not that one',
      ref('gone'),
      'waiting: Secret "gone" (volume "v"): not judged yet',
    ],
    [
      'another kind of that name is another reference',
      ref('own', false, 'ConfigMap'),
      'waiting: ConfigMap "own" (volume "v"): not judged yet',
    ],
  ])('%s', (_what, reference, expected) => {
    expect(answer(names, reference)).toBe(expected);
  });

  it('a reference named twice alike (another field) keeps its worse verdict', () => {
    const twice = new JudgedNames(REFERRER, [
      judged(ref('s'), { state: 'ready', hostName: 's-x-a-x-vc' }),
      judged(
        { ...ref('s'), where: { field: 'spec.containers[0].env[0].valueFrom.secretKeyRef.name' } },
        {
          state: 'waiting',
          message: 'Secret "s": its host copy is being replaced',
          missing: false,
        },
      ),
    ]);
    expect(answer(twice, ref('s'))).toBe('waiting: Secret "s": its host copy is being replaced');
  });

  it('says which copy judged ready no longer is, when judged again before the write', () => {
    const own = ref('own');
    const gone = ref('gone', true);
    const ready = (hostName: string): ReferenceVerdict => ({ state: 'ready', hostName });
    const names = new JudgedNames(REFERRER, [
      judged(own, ready('own-x-a-x-vc')),
      judged(gone, { state: 'absent-optional' }),
    ]);
    const now = (verdicts: Record<string, ReferenceVerdict>) => (r: JudgedReference) => verdicts[r.name]!;
    const unchanged = { own: ready('own-x-a-x-vc'), gone: { state: 'absent-optional' } as const };
    expect(names.noLongerReady(now(unchanged))).toBeUndefined();
    // Its placeholder is the pod's own whatever appears meanwhile: an absent reference is not judged again.
    expect(names.noLongerReady(now({ ...unchanged, gone: ready('gone-x-a-x-vc') }))).toBeUndefined();
    const changed = 'Secret "own" (volume "v"): its host copy changed since it was judged';
    expect(
      names.noLongerReady(
        now({ ...unchanged, own: { state: 'refused', message: 'its host name is held by another object' } }),
      ),
    ).toBe(changed);
    expect(
      names.noLongerReady(
        now({ ...unchanged, own: { state: 'waiting', message: 'not found', missing: true } }),
      ),
    ).toBe(changed);
    expect(names.noLongerReady(now({ ...unchanged, own: ready('elsewhere') }))).toBe(changed);
  });
});
