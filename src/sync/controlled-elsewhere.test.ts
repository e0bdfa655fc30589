import { isControlledElsewhere } from './controlled-elsewhere.ts';

describe('isControlledElsewhere', () => {
  const KEY = 'vcluster.loft.sh/controlled-by';
  it.each([
    ['no object', undefined, false],
    ['no metadata', {}, false],
    ['other labels', { metadata: { labels: { app: 'web' } } }, false],
    ['the label', { metadata: { labels: { [KEY]: 'argo' } } }, true],
    ['the label, empty', { metadata: { labels: { [KEY]: '' } } }, false],
    ['the annotation, another tool', { metadata: { annotations: { [KEY]: 'argo' } } }, true],
    ['the annotation naming this kind', { metadata: { annotations: { [KEY]: 'pods' } } }, false],
    ['the annotation, empty', { metadata: { annotations: { [KEY]: '' } } }, false],
  ])('%s', (_name, obj, expected) => {
    expect(isControlledElsewhere(obj, 'pods')).toBe(expected);
  });
});
