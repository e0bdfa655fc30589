import type { PodSpec } from '../../kube/types.ts';
import { downwardMapText, goQuoted, readsWholeMap } from './downward-maps.ts';

describe('downwardMapText (the kubelet rendering of a downward-API map)', () => {
  // Expected strings are what Go 1.26's fmt.Sprintf("%v=%q\n", ...) over sort.Strings keys printed.
  it.each([
    ['plain', 'web', '"web"'],
    ['quote and backslash', 'a"b\\c', '"a\\"b\\\\c"'],
    ['named control escapes', '\x07\b\f\n\r\t\v', '"\\a\\b\\f\\n\\r\\t\\v"'],
    ['other control characters and DEL', '\x00\x1b\x7f', '"\\x00\\x1b\\x7f"'],
    ['printable non-ASCII kept', 'é☺日本😀', '"é☺日本😀"'],
    ['non-ASCII spaces and format characters escaped', '\u00a0\u00ad\u2028', '"\\u00a0\\u00ad\\u2028"'],
    ['unassigned and private-use code points', '\u0378\ue000', '"\\u0378\\ue000"'],
    ['format characters outside the BMP', '\u{e0001}', '"\\U000e0001"'],
  ])('quotes %s as Go does', (_what, value, quoted) => {
    expect(goQuoted(value)).toBe(quoted);
  });

  it('a lone surrogate becomes U+FFFD, as Go decodes it from JSON', () => {
    expect(goQuoted('a\ud800b')).toBe('"a\ufffdb"');
  });

  it('renders key="value" lines sorted by the keys bytes, without a final newline', () => {
    expect(downwardMapText({ b: '2', a: '1', 'example.com/x': 'y z' })).toBe(
      'a="1"\nb="2"\nexample.com/x="y z"',
    );
    // Go compares UTF-8 bytes: U+FF5E sorts before U+1F600, though its UTF-16 unit is larger.
    expect(downwardMapText({ '\u{1f600}': '', '\uff5e': '' })).toBe('\uff5e=""\n\u{1f600}=""');
    expect(downwardMapText({})).toBe('');
  });
});

describe('readsWholeMap', () => {
  const item = (fieldPath: string) => ({ path: 'f', fieldRef: { fieldPath } });
  it.each([
    [
      'a downwardAPI volume',
      { volumes: [{ name: 'v', downwardAPI: { items: [item('metadata.annotations')] } }] },
      true,
    ],
    [
      'a projected downwardAPI source',
      {
        volumes: [
          { name: 'v', projected: { sources: [{ downwardAPI: { items: [item('metadata.annotations')] } }] } },
        ],
      },
      true,
    ],
    [
      'one annotation only',
      { volumes: [{ name: 'v', downwardAPI: { items: [item("metadata.annotations['a']")] } }] },
      false,
    ],
    ['the labels', { volumes: [{ name: 'v', downwardAPI: { items: [item('metadata.labels')] } }] }, false],
    ['no volumes', {}, false],
  ] as [string, Partial<PodSpec>, boolean][])('%s: %s', (_what, spec, reads) => {
    expect(readsWholeMap({ containers: [], ...spec }, 'metadata.annotations')).toBe(reads);
  });
});
