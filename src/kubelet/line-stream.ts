import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';

/** What becomes of one line of a text: the line to write instead, or undefined to leave it out. */
export type LineView = (line: string) => string | undefined;

/** A whole text through a line view. */
export function throughLines(text: string, view: LineView): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const kept = view(line);
    if (kept !== undefined) out.push(kept);
  }
  return out.join('\n');
}

/** Longer lines are left out: none of the kubelet's is near it, and holding one is what streaming avoids. */
const MAX_LINE_CHARS = 1 << 20;

/**
 * A streamed text through a line view, as it arrives: only the line being read is held, so an answer
 * of any size passes in bounded memory. Lines are cut at `\n` (a UTF-8 character split across chunks
 * is joined first); a line longer than `maxLineChars` is left out whole, without being held.
 */
export function linesThrough(view: LineView, maxLineChars = MAX_LINE_CHARS): Transform {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  // Inside a line already found too long: dropped up to its end.
  let skipping = false;
  const take = (text: string): string => {
    let out = '';
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
      const line = skipping ? '' : pending + text.slice(start, end);
      if (!skipping && line.length <= maxLineChars) {
        const kept = view(line);
        if (kept !== undefined) out += kept + '\n';
      }
      skipping = false;
      pending = '';
      start = end + 1;
    }
    if (!skipping) {
      pending += text.slice(start);
      if (pending.length > maxLineChars) {
        pending = '';
        skipping = true;
      }
    }
    return out;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const out = take(decoder.write(chunk));
      done(null, out || undefined);
    },
    flush(done) {
      let out = take(decoder.end());
      // The last line, when the text does not end with a newline.
      if (!skipping && pending && pending.length <= maxLineChars) out += view(pending) ?? '';
      done(null, out || undefined);
    },
  });
}

/**
 * A streamed text through a line view, what it keeps held whole: the source is read as it arrives
 * (never held whole itself), and the result may be kept and shared. Rejects, and stops reading, once
 * what is kept passes `limitBytes`.
 */
export async function keptThroughLines(
  source: Readable,
  view: LineView,
  limitBytes: number,
): Promise<string> {
  const kept: Buffer[] = [];
  let size = 0;
  let tooLarge: Error | undefined;
  try {
    await pipeline(source, linesThrough(view), async (lines: AsyncIterable<Buffer>) => {
      for await (const chunk of lines) {
        size += chunk.length;
        if (size > limitBytes)
          throw (tooLarge = new Error(`what a line view keeps: more than ${limitBytes} bytes`));
        kept.push(chunk);
      }
    });
  } catch (err) {
    // The pipeline may report the source's abort rather than why it was stopped.
    throw tooLarge ?? err;
  }
  return Buffer.concat(kept).toString('utf8');
}
