/** Small statistics and scheduling helpers shared by the benchmarks. */

export interface Summary {
  n: number;
  min: number;
  p25: number;
  median: number;
  p75: number;
  max: number;
}

/** Median (mean of the two middle values for an even count). */
export function median(values: number[]): number {
  return quantile(values, 0.5);
}

/** Linear-interpolated quantile, q in [0, 1]. */
export function quantile(values: number[], q: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export function summarize(values: number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  return {
    n: s.length,
    min: round(s[0] ?? NaN),
    p25: round(quantile(s, 0.25)),
    median: round(quantile(s, 0.5)),
    p75: round(quantile(s, 0.75)),
    max: round(s[s.length - 1] ?? NaN),
  };
}

/** Rounds to a sensible number of significant digits for reports. */
export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const mag = Math.floor(Math.log10(Math.abs(x)));
  const decimals = Math.max(0, digits - 1 - mag);
  return Number(x.toFixed(Math.min(decimals, 6)));
}

/**
 * Runs `a` and `b` alternately `runs` times each (A B, B A, A B, …, so neither always goes first)
 * and returns both sample lists. `warmup` extra pairs run first and are discarded.
 */
export async function alternate(
  runs: number,
  a: (i: number) => Promise<number>,
  b: (i: number) => Promise<number>,
  opts: { warmup?: number; onPair?: (i: number, a: number, b: number) => void | Promise<void> } = {},
): Promise<{ a: number[]; b: number[] }> {
  const outA: number[] = [];
  const outB: number[] = [];
  const warmup = opts.warmup ?? 0;
  for (let i = -warmup; i < runs; i++) {
    let va: number;
    let vb: number;
    if (((i % 2) + 2) % 2 === 0) {
      va = await a(i);
      vb = await b(i);
    } else {
      vb = await b(i);
      va = await a(i);
    }
    if (i >= 0) {
      outA.push(va);
      outB.push(vb);
      await opts.onPair?.(i, va, vb);
    }
  }
  return { a: outA, b: outB };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Milliseconds from a monotonic clock. */
export const now = () => performance.now();

/** Deterministic shuffle (mulberry32) so a run is reproducible. */
export function shuffled<T>(items: T[], seed = 1): T[] {
  let t = seed >>> 0;
  const rand = () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
