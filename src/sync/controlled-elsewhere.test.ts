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
    ['vCluster’s replica mark alone', { metadata: { labels: { [KEY]: 'vcluster' } } }, true],
    [
      'vCluster’s replica mark, annotated with this kind',
      { metadata: { labels: { [KEY]: 'vcluster' }, annotations: { [KEY]: 'pods' } } },
      false,
    ],
    [
      'vCluster’s replica mark, annotated with a kind this one takes sources of',
      { metadata: { labels: { [KEY]: 'vcluster' }, annotations: { [KEY]: 'replicas' } } },
      false,
    ],
    [
      'vCluster’s replica mark, annotated with another kind',
      { metadata: { labels: { [KEY]: 'vcluster' }, annotations: { [KEY]: 'services' } } },
      true,
    ],
    [
      'another tool’s label, annotated with this kind',
      { metadata: { labels: { [KEY]: 'argo' }, annotations: { [KEY]: 'pods' } } },
      true,
    ],
  ])('%s', (_name, obj, expected) => {
    expect(isControlledElsewhere(obj, 'pods', ['replicas'])).toBe(expected);
  });
});
