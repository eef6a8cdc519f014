/**
 * One fuzz case = (seed, index) -> a generated mail, mutated, run through the recognizer, checked
 * against the ground truth. Shared by `npm run fuzz` (test/fuzz/run.ts) and the fixed-seed unit test
 * (test/unit/fuzzMail.test.ts).
 */
import { inspect } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Prng } from './prng';
import type { FuzzMail, FuzzOptions, Truth } from './mails';
import { buildFamily } from './mails';
import type { MutateOptions } from './mutators';
import { mutate } from './mutators';
import type { MailVerdict } from '../../src/core/tokenMail';

/** What the oracle reads: the recognizer's own verdict type. */
export type VerdictLike = MailVerdict;

export type ParseFn = (raw: Buffer, opts: FuzzOptions) => Promise<VerdictLike>;

export type ProblemClass = 'throw' | 'false-token' | 'miss' | 'bad-output' | 'leak';
export interface Problem {
  cls: ProblemClass;
  detail: string;
}

export interface FuzzCase {
  index: number;
  mail: FuzzMail;
  raw: Buffer;
  mutations: string[];
  truth: Truth;
  big: boolean;
}

export interface CaseResult {
  index: number;
  family: string;
  variant: string;
  mutations: string[];
  expect: Truth['expect'];
  bytes: number;
  big: boolean;
  ms: number;
  kind?: string;
  verdict?: VerdictLike;
  problems: Problem[];
}

export const KINDS = new Set(['token', 'verification-code', 'other-user', 'untrusted-sender', 'none']);
const TOKEN_RE = /^[A-Za-z0-9]{24,25}$/;

export interface CaseOptions {
  /** Every `bigEvery`-th case gets a 10 MB body or 100k header lines (0 = never). */
  bigEvery?: number;
  family?: string;
  force?: string[];
  pristine?: number;
}

export function makeCase(seed: number, index: number, o: CaseOptions = {}): FuzzCase {
  const rng = Prng.forCase(seed, index);
  const mail = buildFamily(rng, o.family);
  const allowBig = !!o.bigEvery && index % o.bigEvery === o.bigEvery - 1;
  const mo: MutateOptions = { allowBig, force: o.force, pristine: o.pristine };
  const m = mutate(rng, mail, mo);
  return { index, mail, raw: m.raw, mutations: m.mutations, truth: m.truth, big: m.big };
}

/** Checks one verdict against the ground truth. Pure; no timing. */
export function checkVerdict(c: FuzzCase, v: VerdictLike): Problem[] {
  const problems: Problem[] = [];
  const bad = (cls: ProblemClass, detail: string) => problems.push({ cls, detail });
  if (!v || typeof v !== 'object') {
    bad('bad-output', `verdict is ${typeof v}`);
    return problems;
  }
  if (!KINDS.has(v.kind)) bad('bad-output', `unknown kind ${JSON.stringify(v.kind)}`);
  if (!Array.isArray(v.warnings)) bad('bad-output', 'warnings is not an array');
  if (typeof v.reason !== 'string') bad('bad-output', 'reason is not a string');
  if (v.kind !== 'token' && v.token !== undefined) bad('leak', `kind ${v.kind} carries a token field`);
  if (v.kind === 'token') {
    if (typeof v.token !== 'string' || !TOKEN_RE.test(v.token))
      bad(
        'bad-output',
        `token has a wrong shape (${typeof v.token === 'string' ? v.token.length + ' chars' : typeof v.token})`,
      );
    const want = c.mail.opts.username;
    if (want && (v.username ?? '').toLowerCase() !== want.toLowerCase())
      bad(
        'false-token',
        `token accepted for username ${JSON.stringify(v.username)} while ${JSON.stringify(want)} was expected`,
      );
  }
  if (c.truth.expect === 'no-token' && v.kind === 'token')
    bad('false-token', `reported a token for a mail that is not a trusted token mail (${c.truth.why})`);
  if (c.truth.expect === 'token') {
    if (v.kind !== 'token') bad('miss', `missed a trusted token mail (kind ${v.kind}: ${v.reason})`);
    else if (v.token !== c.truth.token) bad('miss', 'reported a different token than the one in the mail');
  }
  const text = [v.reason, ...(Array.isArray(v.warnings) ? v.warnings : [])].join('\n');
  for (const p of c.mail.planted) {
    if (p.length >= 8 && text.includes(p)) bad('leak', 'a token-shaped value from the mail appears in reason/warnings');
  }
  return problems;
}

/** The fields of a CaseResult that describe the case itself (what ran, not how it went). */
export function caseSummary(
  c: FuzzCase,
): Pick<CaseResult, 'index' | 'family' | 'variant' | 'mutations' | 'expect' | 'bytes' | 'big'> {
  return {
    index: c.index,
    family: c.mail.family,
    variant: c.mail.variant,
    mutations: c.mutations,
    expect: c.truth.expect,
    bytes: c.raw.length,
    big: c.big,
  };
}

export async function runCase(c: FuzzCase, parse: ParseFn): Promise<CaseResult> {
  const t0 = performance.now();
  let v: VerdictLike | undefined;
  let thrown: unknown;
  try {
    v = await parse(c.raw, c.mail.opts);
  } catch (e) {
    thrown = e;
  }
  const ms = performance.now() - t0;
  const problems: Problem[] =
    thrown !== undefined
      ? [
          {
            cls: 'throw',
            detail: `threw ${thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : inspect(thrown)}`.slice(
              0,
              300,
            ),
          },
        ]
      : checkVerdict(c, v!);
  return {
    ...caseSummary(c),
    ms,
    kind: v?.kind,
    verdict: v,
    problems,
  };
}

export function describeResult(r: CaseResult): string {
  return `#${r.index} ${r.family} [${r.variant}] expect=${r.expect} kind=${r.kind ?? '-'} ${r.bytes}B ${r.mutations.length ? 'mutations=' + r.mutations.join(',') : 'pristine'}`;
}

/** Statistics over per-case milliseconds. */
export function timeStats(ms: number[]): { median: number; p99: number; max: number } {
  if (!ms.length) return { median: 0, p99: 0, max: 0 };
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { median: at(0.5), p99: at(0.99), max: s[s.length - 1]! };
}
