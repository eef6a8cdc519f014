/** What every benchmark receives and returns. */

export interface RunCounts {
  activation: number;
  latency: number;
  poll: number;
  scan: number;
  login: number;
}

export interface BenchContext {
  root: string;
  runs: RunCounts;
  /** Progress lines (stderr), so stdout keeps only the `name: value` figures. */
  progress(message: string): void;
}

export interface FigureSet {
  /** `name: value` figures, in print order. */
  figures: Record<string, number>;
  /** Samples, reference figures and notes for bench/results.json. */
  details: Record<string, unknown>;
}
