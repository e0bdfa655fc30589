import { enforceLabelWanted } from './namespace-pod-security.ts';

const ENFORCE = 'pod-security.kubernetes.io/enforce';

describe('enforceLabelWanted', () => {
  it('sets the configured level where there is none, a laxer one, or one the admission plugin does not read', () => {
    expect(enforceLabelWanted(undefined, 'baseline')).toBe('baseline');
    expect(enforceLabelWanted({ team: 'a' }, 'baseline')).toBe('baseline');
    expect(enforceLabelWanted({ [ENFORCE]: 'privileged' }, 'baseline')).toBe('baseline');
    expect(enforceLabelWanted({ [ENFORCE]: 'Baseline' }, 'baseline')).toBe('baseline');
    expect(enforceLabelWanted({ [ENFORCE]: '' }, 'restricted')).toBe('restricted');
  });

  it('keeps the configured level or a stricter one a namespace has: nothing to write', () => {
    expect(enforceLabelWanted({ [ENFORCE]: 'baseline' }, 'baseline')).toBeUndefined();
    expect(enforceLabelWanted({ [ENFORCE]: 'restricted' }, 'baseline')).toBeUndefined();
    expect(enforceLabelWanted({ [ENFORCE]: 'privileged' }, 'privileged')).toBeUndefined();
  });
});
