#!/usr/bin/env node
// `npm test`: unit + integration tests with node's test runner (TypeScript through tsx).
// Usage: node scripts/test.mjs [unit|integration|FILE...]   (default: both suites)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

function findTests(dir) {
  const out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries.sort()) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (/\.test\.ts$/.test(e)) out.push(p);
  }
  return out;
}

let files = [];
const suites = args.filter((a) => a === 'unit' || a === 'integration');
const explicit = args.filter((a) => !suites.includes(a));
if (explicit.length) files = explicit.map((f) => path.resolve(f));
else
  for (const s of suites.length ? suites : ['unit', 'integration'])
    files.push(...findTests(path.join(root, 'test', s)));

if (!files.length) {
  console.error('test: no test files found');
  process.exit(1);
}

const res = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files],
  { stdio: 'inherit', cwd: root, env: { ...process.env, TOKEN_RELAY_TEST: '1' } },
);
process.exit(res.status ?? 1);
