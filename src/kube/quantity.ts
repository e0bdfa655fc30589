/**
 * Kubernetes resource quantities (`100m`, `1.5`, `128Mi`, `1e3`, `2G`) as numbers of base units
 * (cores, bytes, pods). Doubles hold every quantity a node or pod has exactly enough: bytes up to 8
 * PiB, millicores up to 2^53.
 */
const SUFFIXES: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|([a-zA-Z]*))$/;

/** The quantity's value in base units, or undefined when it is not a quantity. */
export function parseQuantity(text: unknown): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) ? text : undefined;
  if (typeof text !== 'string') return undefined;
  const match = QUANTITY.exec(text.trim());
  if (!match) return undefined;
  const [, number, exponent, suffix] = match;
  const value = Number(number);
  const factor = exponent !== undefined ? 10 ** Number(exponent.slice(1)) : SUFFIXES[suffix ?? ''];
  if (factor === undefined) return undefined;
  // `1e400` overflows and `0e400` is 0 × ∞: no amount of anything.
  const result = value * factor;
  return Number.isFinite(result) ? result : undefined;
}
