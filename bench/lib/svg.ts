/** One latency distribution to draw: a label and its samples in seconds. */
export interface Series {
  label: string;
  samples: readonly number[];
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Empirical CDFs of several latency series on one chart (x: seconds, y: fraction done), as a
 * self-contained SVG with axes, grid and legend. No dependencies: it is committed with the results.
 */
export function cdfSvg(title: string, series: readonly Series[]): string {
  const [w, h, left, right, top, bottom] = [760, 420, 60, 220, 40, 50];
  const plotW = w - left - right;
  const plotH = h - top - bottom;
  const maxX = Math.max(0.1, ...series.flatMap((s) => s.samples));
  const step = niceStep(maxX / 8);
  const xMax = Math.ceil(maxX / step) * step;
  const x = (v: number) => left + (v / xMax) * plotW;
  const y = (f: number) => top + (1 - f) * plotH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="${w}" height="${h}" fill="white"/>`,
    `<text x="${left}" y="22" font-size="14">${escape(title)}</text>`,
  ];
  for (let v = 0; v <= xMax + 1e-9; v += step) {
    out.push(`<line x1="${x(v)}" y1="${top}" x2="${x(v)}" y2="${top + plotH}" stroke="#eee"/>`);
    out.push(`<text x="${x(v)}" y="${top + plotH + 16}" text-anchor="middle">${+v.toFixed(3)}</text>`);
  }
  for (let f = 0; f <= 1.0001; f += 0.25) {
    out.push(`<line x1="${left}" y1="${y(f)}" x2="${left + plotW}" y2="${y(f)}" stroke="#eee"/>`);
    out.push(`<text x="${left - 6}" y="${y(f) + 4}" text-anchor="end">${f.toFixed(2)}</text>`);
  }
  out.push(
    `<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`,
    `<text x="${left + plotW / 2}" y="${h - 10}" text-anchor="middle">latency (s)</text>`,
    `<text x="16" y="${top + plotH / 2}" transform="rotate(-90 16 ${top + plotH / 2})" text-anchor="middle">fraction of pods</text>`,
  );
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const sorted = [...s.samples].sort((a, b) => a - b);
    const points = [`${x(0)},${y(0)}`];
    sorted.forEach((v, j) =>
      points.push(`${x(v)},${y(j / sorted.length)}`, `${x(v)},${y((j + 1) / sorted.length)}`),
    );
    out.push(`<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${points.join(' ')}"/>`);
    const ly = top + 10 + i * 18;
    out.push(
      `<line x1="${left + plotW + 12}" y1="${ly}" x2="${left + plotW + 32}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`,
      `<text x="${left + plotW + 38}" y="${ly + 4}">${escape(s.label)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** A round axis step (1, 2 or 5 times a power of ten) near the raw one. */
function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}
