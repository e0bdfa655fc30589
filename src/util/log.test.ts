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
