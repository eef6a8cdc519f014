/**
 * `npm run bench`: every benchmark of issue 7 in one process tree, against its own Dovecot (test/servers/imap.ts)
 * and Salesforce emulator (src/emulator/). Prints one `name: value` line per figure on stdout
 * (progress goes to stderr) and writes the same figures, with samples, references, targets and the machine,
 * to bench/results.json.
 *
 *   npm run bench                      everything (about 3–4 minutes; + `npm run package` when there is no .vsix)
 *   npm run bench -- --only latency    some of: sizes, activation, login, latency, scan, oauth, envfresh, sfimport
 *                                      (comma-separated; oauth = oauth_refresh_ratio, envfresh = env_fresh_misses,
 *                                      sfimport = sf_import_ratio and the cold starts of sf and token-relay)
 *   npm run bench -- --quick           fewer runs (harness check; figures are noisier)
 *   npm run bench -- --rebuild         run `npm run package` first even when the .vsix looks fresh
 *   npm run bench -- --out FILE        write the JSON elsewhere (default bench/results.json)
 *   npm run bench -- --scan-formats maildir,mdbox,sdbox,maildir-vds
 *                                      mailbox formats the scan benchmark compares (default maildir,mdbox; the
 *                                      figure is always maildir's, the others go to results.json details.scan.<format>)
 *
 * Comparisons alternate A/B run by run and report medians; each ratio's reference is measured in the same run.
 * Benchmarks measure; nothing here is a test (tests never assert on time).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchActivation } from './activation';
import { benchLatency } from './latency';
import { benchLogin } from './login';
import { benchOAuthRefresh } from './oauth';
import { benchEnvFresh } from './envFresh';
import { benchSfImport } from './sfImport';
import { benchScan, DEFAULT_SCAN_FORMATS, parseScanFormats, SCAN_FORMATS } from './scan';
import { ensureArtifacts, measureSizes } from './sizes';
import type { BenchContext, FigureSet, RunCounts } from './lib/types';
import { startImapServer, type ImapServer } from '../src/imapServer';
import { startEmulator, type Emulator } from '../src/emulator';

const ALL = ['sizes', 'activation', 'login', 'latency', 'scan', 'oauth', 'envfresh', 'sfimport'] as const;
type Bench = (typeof ALL)[number];

/** Targets from the issues (7, raised by 12; docs/benchmarks.md repeats them). */
export const TARGETS: Record<string, { op: '<=' | '<' | '>='; value: number; text: string }> = {
  activation_ms: { op: '<=', value: 5, text: '≤ 5 ms' },
  activation_ratio: { op: '<=', value: 0.02, text: '≤ 0.02' },
  latency_ratio_idle: { op: '<=', value: 1.05, text: '≤ 1.05' },
  scan_ratio_50k_1k: { op: '<=', value: 1.5, text: '≤ 1.5' },
  scan_vs_bare_50k: { op: '<=', value: 1.0, text: '≤ 1.0' },
  login_ratio_raw: { op: '<=', value: 1.3, text: '≤ 1.3' },
  oauth_refresh_ratio: { op: '<=', value: 1.5, text: '≤ 1.5 (process start in both)' },
  env_fresh_misses: { op: '<=', value: 0, text: '0 (of 50 expiries)' },
  sf_import_ratio: { op: '<=', value: 1.2, text: '≤ 1.2' },
  vsix_bytes: { op: '<=', value: 1.5e6, text: '≤ 1.5 MB (1,500,000 bytes)' },
};
/**
 * Figures measured and reported without a target (never counted as met or missed), with the reason. Issue 12 turned
 * latency_ratio_poll5s (was ≥ 10) into one: Dovecot holds IDLE notices 500 ms, so no IDLE watcher can reach 10.
 */
export const INFORMATIONAL: Record<string, string> = {
  latency_ratio_poll5s: 'informational (no target: Dovecot holds IDLE notices 500 ms)',
};
const ORDER = [
  'activation_ms',
  'activation_ratio',
  'latency_ms',
  'latency_ratio_idle',
  'latency_ratio_poll5s',
  'scan_ratio_50k_1k',
  'scan_vs_bare_50k',
  'login_ratio_raw',
  'oauth_refresh_ratio',
  'env_fresh_misses',
  'vsix_bytes',
  'bundle_bytes',
  'sf_import_ratio',
  'sf_cold_start_ms',
  'token_relay_cold_start_ms',
];

function meets(name: string, v: number): boolean | undefined {
  const t = TARGETS[name];
  if (!t || !Number.isFinite(v)) return undefined;
  return t.op === '<=' ? v <= t.value : t.op === '<' ? v < t.value : v >= t.value;
}

function parseArgs(argv: string[]) {
  const opts = {
    only: [...ALL] as Bench[],
    quick: false,
    rebuild: false,
    out: path.join(__dirname, 'results.json'),
    scanFormats: DEFAULT_SCAN_FORMATS,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') opts.quick = true;
    else if (a === '--rebuild') opts.rebuild = true;
    else if (a === '--scan-formats') {
      const v = argv[++i];
      if (!v) throw new Error(`${a} needs a value (some of: ${SCAN_FORMATS.join(', ')})`);
      opts.scanFormats = parseScanFormats(v);
    } else if (a === '--only' || a === '--out') {
      const v = argv[++i];
      if (!v) throw new Error(`${a} needs a value`);
      if (a === '--out') opts.out = path.resolve(v);
      else {
        const want = v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        const bad = want.filter((w) => !(ALL as readonly string[]).includes(w));
        if (bad.length) throw new Error(`unknown benchmark(s): ${bad.join(', ')} (known: ${ALL.join(', ')})`);
        opts.only = want as Bench[];
      }
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(
        `usage: npm run bench [-- --only sizes,activation,login,latency,scan,oauth,envfresh,sfimport] [--quick] [--rebuild] [--out FILE] [--scan-formats ${SCAN_FORMATS.join(',')}]\n`,
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a} (try --help)`);
  }
  return opts;
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    load_average_at_start: os.loadavg().map((x) => Math.round(x * 100) / 100),
    date: new Date().toISOString(),
  };
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const root = path.resolve(__dirname, '..');
  const started = Date.now();
  const progress = (m: string) =>
    process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(0)}s] ${m}\n`);
  const runs: RunCounts = opts.quick
    ? { activation: 5, latency: 5, poll: 3, scan: 2, login: 50 }
    : { activation: 15, latency: 20, poll: 8, scan: 5, login: 300 };
  const ctx: BenchContext = { root, runs, progress };
  const figures: Record<string, number> = {};
  const details: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  const info = machine();

  const want = new Set(opts.only);
  let imap: ImapServer | undefined;
  let emulator: Emulator | undefined;

  const step = async (name: Bench, fn: () => Promise<FigureSet> | FigureSet) => {
    if (!want.has(name)) return;
    const t0 = Date.now();
    progress(`${name} …`);
    try {
      const r = await fn();
      Object.assign(figures, r.figures);
      Object.assign(details, r.details);
      progress(
        `${name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${Object.entries(r.figures)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`,
      );
    } catch (e) {
      errors[name] = e instanceof Error ? e.message : String(e);
      progress(`${name} FAILED: ${errors[name]}`);
    }
  };

  try {
    // Artifacts first: the activation benchmark loads the production dist/extension.js that packaging leaves.
    if (want.has('sizes') || want.has('activation')) {
      try {
        const a = ensureArtifacts(root, { force: opts.rebuild, progress });
        if (a.rebuilt) details.rebuilt = a.rebuilt;
        if (a.stale) details.stale_build = a.stale;
      } catch (e) {
        errors.package = e instanceof Error ? e.message : String(e);
        progress(`package FAILED: ${errors.package}`);
      }
    }
    await step('sizes', () => measureSizes(root));
    await step('activation', () => benchActivation(ctx));
    await step('login', async () => {
      emulator = await startEmulator({ users: [] });
      return benchLogin(ctx, emulator);
    });
    await step('oauth', () => benchOAuthRefresh(ctx));
    await step('envfresh', () => benchEnvFresh(ctx));
    await step('sfimport', () => benchSfImport(ctx));
    if (want.has('latency') || want.has('scan')) {
      try {
        // The real server only: the embedded fallback has neither Dovecot's IDLE timing nor a maildir.
        imap = await startImapServer({ prefer: 'dovecot' });
        progress(`Dovecot on 127.0.0.1:${imap.port} (STARTTLS)`);
      } catch (e) {
        const msg = `cannot start Dovecot: ${e instanceof Error ? e.message : String(e)}`;
        for (const b of ['latency', 'scan'] as const) if (want.has(b)) errors[b] = msg;
        progress(msg);
      }
    }
    if (imap) {
      await step('latency', () => benchLatency(ctx, imap!));
      await step('scan', () => benchScan(ctx, imap!, { formats: opts.scanFormats }));
    }
  } finally {
    await imap?.stop().catch(() => {});
    await emulator?.close().catch(() => {});
  }

  const names = [...ORDER.filter((n) => n in figures), ...Object.keys(figures).filter((n) => !ORDER.includes(n))];
  const ordered = Object.fromEntries(names.map((n) => [n, figures[n]!]));
  for (const [n, v] of Object.entries(ordered)) process.stdout.write(`${n}: ${v}\n`);
  for (const [n, msg] of Object.entries(errors)) process.stderr.write(`bench: ${n} failed: ${msg}\n`);

  const result = {
    generated: new Date().toISOString(),
    duration_s: Math.round((Date.now() - started) / 1000),
    machine: { ...info, load_average_at_end: os.loadavg().map((x) => Math.round(x * 100) / 100) },
    runs,
    figures: ordered,
    targets: Object.fromEntries(
      Object.entries(TARGETS)
        .filter(([n]) => n in ordered)
        .map(([n, t]) => [n, { target: t.text, met: meets(n, ordered[n]!) }]),
    ),
    // Figures without a target: in neither `targets` nor a count of missed ones.
    informational: Object.fromEntries(Object.entries(INFORMATIONAL).filter(([n]) => n in ordered)),
    ...(Object.keys(errors).length ? { errors } : {}),
    details,
  };
  writeFileSync(opts.out, JSON.stringify(result, null, 2) + '\n');
  progress(`wrote ${path.relative(process.cwd(), opts.out) || opts.out} in ${result.duration_s} s`);
  return Object.keys(errors).length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  },
);
