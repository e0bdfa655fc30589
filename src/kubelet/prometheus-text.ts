/**
 * One sample line of the Prometheus text format: `name{label="value",...} value [timestamp]`, with
 * label values that may hold escaped quotes, backslashes and newlines, and any other character
 * (`}`, `,`) as they are. Tenants choose some of them (image names, container names), so a value is
 * read by the format's rules, never by a pattern that stops at the first `}`.
 */
export interface SeriesLine {
  name: string;
  labels: [string, string][];
  /** What follows the labels: ` <value> [timestamp]`. */
  rest: string;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** The line's series, or undefined when it is not a sample line this parser can read whole. */
export function parseSeriesLine(line: string): SeriesLine | undefined {
  const name = NAME.exec(line)?.[0];
  if (!name) return undefined;
  let i = name.length;
  const labels: [string, string][] = [];
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ') i++;
      if (line[i] === '}') {
        i++;
        break;
      }
      const label = LABEL_NAME.exec(line.slice(i))?.[0];
      if (!label) return undefined;
      i += label.length;
      if (line[i] !== '=' || line[i + 1] !== '"') return undefined;
      i += 2;
      let value = '';
      for (;;) {
        const c = line[i];
        if (c === undefined) return undefined;
        if (c === '"') break;
        if (c === '\\') {
          const next = line[i + 1];
          if (next === undefined) return undefined;
          value += next === 'n' ? '\n' : next;
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      i++;
      labels.push([label, value]);
      while (line[i] === ' ') i++;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') return undefined;
    }
  }
  const rest = line.slice(i);
  // A value and maybe a timestamp, nothing more: `a {pod="x"} 1` (a space before the labels) is not
  // read as a series without labels followed by text.
  if (!SAMPLE_REST.test(rest)) return undefined;
  return { name, labels, rest };
}

/** ` <value> [<timestamp>]`: a float (or NaN, ±Inf), then maybe milliseconds since the epoch. */
const SAMPLE_REST = /^ +(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)(?: +-?\d+)? *\r?$/;

const escape = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** The line of a series, in the text format. */
/** A sample line's value and timestamp, as written after its labels. */
export function sampleOf(series: SeriesLine): { value: string; timestamp?: string } {
  const [value = '', timestamp] = series.rest.trim().split(/\s+/);
  return { value, timestamp };
}

export function formatSeriesLine(series: SeriesLine): string {
  const labels = series.labels.length
    ? `{${series.labels.map(([k, v]) => `${k}="${escape(v)}"`).join(',')}}`
    : '';
  return `${series.name}${labels}${series.rest}`;
}
