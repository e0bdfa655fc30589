/**
 * The downward API's whole-map fields (`metadata.labels`, `metadata.annotations`) read on the host
 * would show the host pod's maps: translated label keys, the syncer's records and whatever host
 * webhooks add. The host pod therefore keeps the virtual pod's maps, rendered as the kubelet renders
 * them, in annotations of its own, and the pod's field references are pointed there
 * (translate.ts, rewriteFieldRef).
 */
import type { PodSpec } from '../../kube/types.ts';

/**
 * A map as the kubelet writes it into a downward-API file: `key="value"` lines sorted by key, each
 * value quoted as Go's `%q` quotes it (the kubelet's fieldpath.FormatMap).
 */
export function downwardMapText(map: Record<string, string>): string {
  return Object.keys(map)
    .sort(byUtf8Bytes)
    .map((k) => `${k}=${goQuoted(map[k]!)}`)
    .join('\n');
}

/** Go sorts strings by their UTF-8 bytes; for keys outside the BMP that differs from UTF-16 order. */
function byUtf8Bytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

const GO_NAMED_ESCAPES: Record<string, string> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

/**
 * Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. Node's
 * tables may be of a later Unicode version than the kubelet's Go: a character assigned since then is
 * kept here where the kubelet would escape it.
 */
const GO_PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** `s` in double quotes with Go's strconv.Quote escapes (printable characters stay as they are). */
export function goQuoted(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (GO_PRINTABLE.test(ch)) out += ch;
    else if (GO_NAMED_ESCAPES[ch]) out += GO_NAMED_ESCAPES[ch];
    else if (code < 0x20 || code === 0x7f) out += `\\x${hex(code, 2)}`;
    // A lone surrogate never reaches Go: its JSON decoder makes it U+FFFD, which is printable.
    else if (code >= 0xd800 && code <= 0xdfff) out += '\ufffd';
    else if (code < 0x10000) out += `\\u${hex(code, 4)}`;
    else out += `\\U${hex(code, 8)}`;
  }
  return `${out}"`;
}

const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');

/** Whether any downward-API reference of the pod (volume, projected volume, env) reads a whole map. */
export function readsWholeMap(spec: PodSpec | undefined, fieldPath: 'metadata.annotations'): boolean {
  const items = [
    ...(spec?.volumes ?? []).flatMap((v) => [
      ...(v.downwardAPI?.items ?? []),
      ...(v.projected?.sources ?? []).flatMap((s) => s.downwardAPI?.items ?? []),
    ]),
  ];
  return items.some((item) => item.fieldRef?.fieldPath === fieldPath);
}
