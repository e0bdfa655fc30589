import { createLogger } from './log.ts';

describe('text logs', () => {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'info',
    format: 'text',
    write: (line) => lines.push(line),
    now: () => new Date('2026-12-04T00:00:00Z'),
  });

  it("quotes a value with a control character (a newline in a capability's name would forge a line), and only such a value", () => {
    logger.warn('reconcile failed permanently', {
      object: 'team/web',
      error: 'capabilities "X\n2026-12-04T00:00:00.000Z INFO  all good" are not allowed',
      count: 2,
    });
    logger.info('a message\nwith a newline');
    expect(lines).toEqual([
      '2026-12-04T00:00:00.000Z WARN  reconcile failed permanently object=team/web error="capabilities \\"X\\n2026-12-04T00:00:00.000Z INFO  all good\\" are not allowed" count=2',
      '2026-12-04T00:00:00.000Z INFO  "a message\\nwith a newline"',
    ]);
  });
});

describe('fields JSON cannot spell', () => {
  it('write the line without them, never throwing (a caller logging a failure must not fail itself)', () => {
    const lines: string[] = [];
    const cyclic: Record<string, unknown> = { message: 'boom' };
    cyclic.self = cyclic;
    for (const format of ['json', 'text'] as const) {
      const logger = createLogger({
        level: 'info',
        format,
        write: (line) => lines.push(line),
        now: () => new Date('2026-12-04T00:00:00Z'),
      });
      logger.error('reconcile failed', { err: cyclic });
      logger.error('reconcile failed', { err: 1n });
    }
    expect(lines).toHaveLength(4);
    expect(lines[0]).toContain('"msg":"reconcile failed"');
    expect(lines[0]).toContain('"logFieldsLost":"Converting circular structure to JSON');
    expect(lines[1]).toContain('"logFieldsLost":"Do not know how to serialize a BigInt"');
    expect(lines[2]).toMatch(
      /^2026-12-04T00:00:00.000Z ERROR reconcile failed logFieldsLost="Converting circular/,
    );
    expect(lines[3]).toContain('logFieldsLost=Do not know how to serialize a BigInt');
  });
});
