/**
 * Renders bench/results.json as the Markdown table for docs/benchmarks.md and the README:
 *   node --import tsx bench/report.ts [results.json]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface Results {
  generated: string;
  duration_s: number;
  machine: {
    cpu: string;
    cores: number;
    memory_gb: number;
    os: string;
    node: string;
    load_average_at_start: number[];
    load_average_at_end: number[];
  };
  figures: Record<string, number>;
  targets: Record<string, { target: string; met?: boolean }>;
  /** Figures reported without a target (name → why); older results.json files have none. */
  informational?: Record<string, string>;
  details: Record<string, Record<string, unknown>>;
}

const file = path.resolve(process.argv[2] ?? path.join(__dirname, 'results.json'));
const r = JSON.parse(readFileSync(file, 'utf8')) as Results;
const med = (x: unknown) =>
  x && typeof x === 'object' && 'median' in x ? (x as { median: number }).median : undefined;
const d = r.details;

/** The reference each figure was compared with, in words, from the same run. */
const reference: Record<string, string> = {
  activation_ms: `require ${med(d.activation?.ours_require_ms) ?? '?'} ms + activate() ${med(d.activation?.ours_activate_ms) ?? '?'} ms; first command +${med(d.activation?.first_command_ms) ?? '?'} ms`,
  activation_ratio: `eager libraries: ${med(d.activation?.eager_ms) ?? '?'} ms`,
  latency_ms: 'APPEND → token in .env',
  latency_ratio_idle: `raw imapflow IDLE: ${med(d.latency?.raw_idle_exists_ms) ?? '?'} ms`,
  latency_ratio_poll5s: `5 s poller: ${med(d.latency?.poll5s_ms) ?? '?'} ms`,
  scan_vs_bare_50k: `bare imapflow client, same 50k INBOX, paired runs: ${med((d.scan?.catch_up_found_ms as Record<string, unknown>)?.large) ?? '?'} vs ${med((d.scan?.raw_imap_catch_up_ms as Record<string, unknown>)?.large) ?? '?'} ms${(d.scan?.mdbox as { vs_bare?: { large?: number } } | undefined)?.vs_bare?.large !== undefined ? `; mdbox ${(d.scan?.mdbox as { vs_bare: { large: number } }).vs_bare.large}` : ''}`,
  scan_ratio_50k_1k: `${med((d.scan?.catch_up_found_ms as Record<string, unknown>)?.large) ?? '?'} vs ${med((d.scan?.catch_up_found_ms as Record<string, unknown>)?.small) ?? '?'} ms; bare IMAP client: ${(d.scan?.raw_imap_catch_up_ratio as number | undefined) ?? '?'}${(d.scan?.mdbox as { ratio?: number; raw_ratio?: number } | undefined)?.ratio !== undefined ? `; mdbox: ours ${(d.scan?.mdbox as { ratio: number }).ratio}, bare ${(d.scan?.mdbox as { raw_ratio?: number }).raw_ratio ?? '?'}` : ''}`,
  login_ratio_raw: `${med(d.login?.ours_ms) ?? '?'} vs raw POST ${med(d.login?.raw_default_agent_ms) ?? '?'} ms; 20 ms server: ${(d.login?.with_20ms_server_latency as { ratio?: number })?.ratio ?? '?'}`,
  vsix_bytes: `${((r.figures.vsix_bytes ?? 0) / 1e6).toFixed(2)} MB`,
  bundle_bytes: `${((r.figures.bundle_bytes ?? 0) / 1e6).toFixed(2)} MB, source maps excluded`,
};

const lines = ['| figure | value | target | met | measured against (same run) |', '|---|---:|---|:-:|---|'];
for (const [name, value] of Object.entries(r.figures)) {
  const t = r.targets[name];
  const info = r.informational?.[name];
  const met = t && t.met !== undefined ? (t.met ? 'yes' : 'no') : '–';
  lines.push(
    `| \`${name}\` | ${value} | ${t?.target ?? (info ? 'informational' : '–')} | ${met} | ${reference[name] ?? ''} |`,
  );
}
const m = r.machine;
lines.push(
  '',
  `Machine: ${m.cpu}, ${m.cores} cores, ${m.memory_gb} GB, ${m.os}, Node ${m.node}; load average ${m.load_average_at_start[0]} at start, ` +
    `${m.load_average_at_end[0]} at the end; ${r.generated.slice(0, 16).replace('T', ' ')} UTC, ${r.duration_s} s.`,
);
process.stdout.write(lines.join('\n') + '\n');
