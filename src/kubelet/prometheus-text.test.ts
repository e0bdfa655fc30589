import { formatSeriesLine, parseSeriesLine } from './prometheus-text.ts';

describe('parseSeriesLine', () => {
  it('reads name, labels (escapes, and } and , inside values) and the rest', () => {
    expect(
      parseSeriesLine('container_cpu{image="a}b,c",name="x\\"y\\\\z\\n",pod="web"} 12.5 1700000000000'),
    ).toEqual({
      name: 'container_cpu',
      labels: [
        ['image', 'a}b,c'],
        ['name', 'x"y\\z\n'],
        ['pod', 'web'],
      ],
      rest: ' 12.5 1700000000000',
    });
    expect(parseSeriesLine('machine_cpu_cores 4')).toEqual({
      name: 'machine_cpu_cores',
      labels: [],
      rest: ' 4',
    });
    expect(parseSeriesLine('up{} 1')).toEqual({ name: 'up', labels: [], rest: ' 1' });
    for (const value of ['1.7e+09', '-0.5', '.5', '+Inf', '-Inf', 'NaN', '3 1700000000000'])
      expect(parseSeriesLine(`x{a="b"} ${value}`)?.rest).toBe(` ${value}`);
  });

  it('formats what it read back to the same line', () => {
    const line = 'container_cpu{image="a}b",name="x\\"y\\\\z\\n",pod="web"} 1';
    expect(formatSeriesLine(parseSeriesLine(line)!)).toBe(line);
  });

  it.each([
    '',
    '# HELP x y',
    '{pod="a"} 1',
    'x{pod="a} 1',
    'x{pod=a} 1',
    'x{pod="a"',
    'x{="a"} 1',
    'x{pod="a\\',
    'x {namespace="other",pod="secret"} 1',
    'x{pod="a"}',
    'x{pod="a"} 1 2 3',
  ])('does not read %j', (line) => {
    expect(parseSeriesLine(line)).toBeUndefined();
  });
});
