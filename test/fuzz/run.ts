/**
 * `npm run fuzz` — the long mail fuzz run: 100,000 seeded cases (generated token mails, lookalikes,
 * spoofs and garbage, mutated) through parseAndClassify. Prints a progress line and a summary with
 * the seed, counts, per-case time (median / p99 / max) and the slowest case; exits 1 on any problem.
 *
 *   npm run fuzz                               100,000 cases, seed 20261129
 *   npm run fuzz -- --cases 5000 --seed 42     fewer cases, another seed
 *   npm run fuzz -- --seed random              a fresh seed (printed, to replay)
 *   npm run fuzz -- --seed 42 --only 1234 --dump /tmp/case.eml   replay one case and save its mail
 *   --big-every K   every K-th case carries a 10 MB body or 100k header lines (default 1000; 0 = none)
 *   --family F      only one family (trusted-token, other-user, untrusted-sender, forwarded, …)
 */
import { readFileSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseAndClassify } from '../../src/mail/parse';
import type { CaseResult, ParseFn, ProblemClass } from './harness';
import { caseSummary, describeResult, makeCase, runCase, timeStats } from './harness';

const HANG_MS = 60_000;

function parseArgv(argv: string[]) {
  const o = {
    cases: 100_000,
    seed: 20261129,
    bigEvery: 1000,
    only: undefined as number | undefined,
    dump: undefined as string | undefined,
    family: undefined as string | undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    if (a === '--cases') o.cases = Number(v());
    else if (a === '--seed') {
      const s = v();
      o.seed = s === 'random' ? randomInt(0, 2 ** 31) : Number(s);
    } else if (a === '--big-every') o.bigEvery = Number(v());
    else if (a === '--only') o.only = Number(v());
    else if (a === '--dump') o.dump = v();
    else if (a === '--family') o.family = v();
    else if (a === '--help' || a === '-h') {
      process.stdout.write(readFileSync(__filename, 'utf8').split('*/')[0] + '*/\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (!Number.isInteger(o.cases) || o.cases < 1) throw new Error('--cases must be a positive integer');
  if (!Number.isInteger(o.seed)) throw new Error('--seed must be an integer or "random"');
  return o;
}

const parse: ParseFn = (raw, opts) => parseAndClassify(raw, opts);

/** Runs one case, but reports (instead of waiting forever) a parse that does not settle. */
async function guarded(c: ReturnType<typeof makeCase>): Promise<CaseResult> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<CaseResult>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          ...caseSummary(c),
          ms: HANG_MS,
          problems: [{ cls: 'throw', detail: `did not settle within ${HANG_MS / 1000} s` }],
        }),
      HANG_MS,
    );
  });
  try {
    return await Promise.race([runCase(c, parse), hang]);
  } finally {
    clearTimeout(timer);
  }
}

async function main() {
  // `npm run fuzz … | head` closes stdout early: stop quietly instead of crashing on EPIPE.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  const o = parseArgv(process.argv.slice(2));
  const caseOpts = { bigEvery: o.bigEvery, family: o.family };

  if (o.only !== undefined) {
    const c = makeCase(o.seed, o.only, caseOpts);
    if (o.dump) writeFileSync(o.dump, c.raw);
    const r = await runCase(c, parse);
    console.log(describeResult(r));
    console.log(
      'truth:',
      JSON.stringify(c.truth.expect === 'no-token' ? c.truth : { expect: c.truth.expect }),
      'opts:',
      JSON.stringify(c.mail.opts),
    );
    if (r.verdict)
      console.log('verdict:', JSON.stringify({ ...r.verdict, token: r.verdict.token ? '(present)' : undefined }));
    for (const p of r.problems) console.log(`  ${p.cls}: ${p.detail}`);
    process.exitCode = r.problems.length ? 1 : 0;
    return;
  }

  console.log(
    `fuzz: ${o.cases} cases, seed ${o.seed}, big case every ${o.bigEvery || 'never'}${o.family ? `, family ${o.family}` : ''}`,
  );
  const tty = process.stderr.isTTY;
  const step = Math.max(1, Math.floor(o.cases / 50));
  const ms: number[] = [];
  const bigMs: number[] = [];
  const byFamily = new Map<string, number>();
  const byKind = new Map<string, number>();
  const byExpect = new Map<string, number>();
  const problems = new Map<ProblemClass, CaseResult[]>();
  let slowest: CaseResult | undefined;
  const t0 = Date.now();

  for (let i = 0; i < o.cases; i++) {
    const c = makeCase(o.seed, i, caseOpts);
    const r = await guarded(c);
    ms.push(r.ms);
    if (r.big) bigMs.push(r.ms);
    byFamily.set(r.family, (byFamily.get(r.family) ?? 0) + 1);
    byKind.set(r.kind ?? '(none)', (byKind.get(r.kind ?? '(none)') ?? 0) + 1);
    byExpect.set(r.expect, (byExpect.get(r.expect) ?? 0) + 1);
    if (!slowest || r.ms > slowest.ms) slowest = r;
    for (const p of r.problems) {
      const list = problems.get(p.cls) ?? [];
      if (!list.includes(r)) list.push(r);
      problems.set(p.cls, list);
    }
    if ((i + 1) % step === 0 || i + 1 === o.cases) {
      const nProblems = [...problems.values()].reduce((s, l) => s + l.length, 0);
      const line = `fuzz: ${i + 1}/${o.cases} (${Math.round(((i + 1) / o.cases) * 100)}%) ${Math.round((Date.now() - t0) / 1000)} s, problems ${nProblems}`;
      if (tty) process.stderr.write(`\r${line}   `);
      else process.stderr.write(line + '\n');
    }
  }
  if (tty) process.stderr.write('\n');

  const st = timeStats(ms);
  const sb = timeStats(bigMs);
  const fmt = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  console.log(`\nseed:        ${o.seed}`);
  console.log(`cases:       ${o.cases} in ${Math.round((Date.now() - t0) / 1000)} s`);
  console.log(`families:    ${fmt(byFamily)}`);
  console.log(`truth:       ${fmt(byExpect)}`);
  console.log(`verdicts:    ${fmt(byKind)}`);
  console.log(
    `per case:    median ${st.median.toFixed(2)} ms, p99 ${st.p99.toFixed(1)} ms, max ${st.max.toFixed(1)} ms`,
  );
  if (bigMs.length)
    console.log(`big cases:   ${bigMs.length}, median ${sb.median.toFixed(0)} ms, max ${sb.max.toFixed(0)} ms`);
  if (slowest)
    console.log(
      `slowest:     ${describeResult(slowest)} — ${slowest.ms.toFixed(1)} ms (replay: npm run fuzz -- --seed ${o.seed} --only ${slowest.index})`,
    );
  let total = 0;
  for (const [cls, list] of problems) {
    total += list.length;
    console.log(`\n${cls}: ${list.length} case(s)`);
    for (const r of list.slice(0, 10)) {
      console.log(`  ${describeResult(r)}`);
      for (const p of r.problems.filter((p) => p.cls === cls)) console.log(`    ${p.detail}`);
      console.log(`    replay: npm run fuzz -- --seed ${o.seed} --only ${r.index}`);
    }
  }
  console.log(total ? `\nFAILED: ${total} problem case(s)` : '\nOK: no throws, no false tokens, no leaks, no misses');
  process.exitCode = total ? 1 : 0;
}

main().catch((e: unknown) => {
  console.error(`fuzz: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 2;
});
