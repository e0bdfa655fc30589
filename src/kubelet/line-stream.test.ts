import { Readable } from 'node:stream';
import { text as collect } from 'node:stream/consumers';
import { keptThroughLines, linesThrough, throughLines, type LineView } from './line-stream.ts';

/** Streams `chunks` through the view and returns what comes out. */
async function streamed(chunks: (string | Buffer)[], view: LineView, maxLineChars?: number) {
  const source = Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
  return collect(source.pipe(linesThrough(view, maxLineChars)));
}

const dropMarked: LineView = (line) => (line.startsWith('drop') ? undefined : line.toUpperCase());

describe('lines through a view', () => {
  const text = 'a 1\ndrop 2\nb 3\n\n# c\ndrop\nlast';

  it('streamed, gives what the whole text gives, however the chunks fall', async () => {
    const whole = throughLines(text, dropMarked);
    expect(whole).toBe('A 1\nB 3\n\n# C\nLAST');
    for (let size = 1; size <= text.length; size++) {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
      expect(await streamed(chunks, dropMarked)).toBe(whole);
    }
  });

  it('keeps the final newline of a text that has one', async () => {
    expect(await streamed(['x\ny\n'], (l) => l)).toBe('x\ny\n');
    expect(throughLines('x\ny\n', (l) => l)).toBe('x\ny\n');
  });

  it('joins a UTF-8 character split between chunks', async () => {
    const bytes = Buffer.from('image="café"\n');
    const at = bytes.indexOf(0xc3) + 1; // inside the two bytes of é
    expect(await streamed([bytes.subarray(0, at), bytes.subarray(at)], (l) => l)).toBe('image="café"\n');
  });

  it('leaves out a line longer than the bound, whole, and goes on with the next', async () => {
    const long = 'y'.repeat(50);
    const chunks = ['ok 1\n', long.slice(0, 20), long.slice(20), '\nok 2\n', 'z'.repeat(30)];
    expect(await streamed(chunks, (l) => l, 16)).toBe('ok 1\nok 2\n');
    // The same, arriving with its newline in one chunk, and as the last line.
    expect(await streamed([`ok 1\n${long}\nok 2\n${long}`], (l) => l, 16)).toBe('ok 1\nok 2\n');
  });
});

describe('what a line view keeps, whole', () => {
  it('is what the whole text gives; past the limit it rejects and the source is not read on', async () => {
    const chunks = ['a 1\ndr', 'op 2\nb 3\n'];
    expect(await keptThroughLines(Readable.from(chunks.map((c) => Buffer.from(c))), dropMarked, 100)).toBe(
      'A 1\nB 3\n',
    );
    const endless = Readable.from(
      (function* () {
        for (;;) yield Buffer.from('line\n');
      })(),
    );
    await expect(keptThroughLines(endless, dropMarked, 1000)).rejects.toThrow('more than 1000 bytes');
    expect(endless.destroyed).toBe(true);
  });
});
