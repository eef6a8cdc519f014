/**
 * Issue 15 item 13: concurrent `token-relay env set` writers lose no update. 160 real processes (the CLI bundled
 * once with esbuild, so each starts in milliseconds) wait at a barrier (their stdin), then all write a different key
 * of one .env at once. Every process must report "wrote K<i>", and every key must be in the file afterwards: a
 * success line is never a lie.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import dotenv from 'dotenv';
import { buildSync } from 'esbuild';

const root = path.resolve(__dirname, '..', '..');
const WRITERS = 160;

function bundleCli(dir: string): string {
  const entry = path.join(dir, 'writer-entry.ts');
  // Waits for one byte on stdin (the barrier), then runs the real CLI entry with real stdio.
  writeFileSync(
    entry,
    `import { main } from ${JSON.stringify(path.join(root, 'src', 'cli', 'main.ts'))};
import { nodeIO } from ${JSON.stringify(path.join(root, 'src', 'cli', 'nodeIO.ts'))};
process.stdout.write('ready\\n');
process.stdin.once('data', () => {
  process.stdin.pause();
  main(process.argv.slice(2), nodeIO()).then((c) => { process.exitCode = c; }, () => { process.exitCode = 99; });
});
`,
  );
  const out = path.join(dir, 'writer.js');
  buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile: out,
    packages: 'external',
    logLevel: 'silent',
    define: { __TOKEN_RELAY_VERSION__: '"test"' },
  });
  return out;
}

test(`${WRITERS} concurrent \`env set\` processes, each a different key: every "wrote" is true, every key lands`, {
  timeout: 600_000,
}, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tr-envconc-'));
  const lockDir = mkdtempSync(path.join(os.tmpdir(), 'tr-envconc-locks-'));
  try {
    const writer = bundleCli(dir);
    const envFile = path.join(dir, '.env');
    writeFileSync(envFile, '# shared\nKEEP=1\n', { mode: 0o600 });
    const kids: Array<{
      p: ChildProcess;
      ready: Promise<void>;
      done: Promise<{ code: number | null; stderr: string }>;
    }> = [];
    for (let i = 0; i < WRITERS; i++) {
      const p = spawn(process.execPath, [writer, 'env', 'set', '--dotenv', envFile, `K${i}=value-${i}`], {
        cwd: dir,
        env: { ...process.env, TOKEN_RELAY_LOCK_DIR: lockDir },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      const ready = new Promise<void>((resolve) => {
        p.stdout.on('data', (c: Buffer) => {
          stdout += c.toString();
          if (stdout.includes('ready\n')) resolve();
        });
      });
      p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const done = new Promise<{ code: number | null; stderr: string }>((resolve) =>
        p.on('close', (code) => resolve({ code, stderr })),
      );
      kids.push({ p, ready, done });
    }
    const t0 = Date.now();
    await Promise.all(kids.map((k) => k.ready));
    const t1 = Date.now();
    for (const k of kids) k.p.stdin!.end('go');
    const results = await Promise.all(kids.map((k) => k.done));
    t.diagnostic(
      `${WRITERS} processes ready in ${t1 - t0} ms; all writes done ${Date.now() - t1} ms after the barrier`,
    );
    const vars = dotenv.parse(readFileSync(envFile, 'utf8'));
    const said: number[] = [];
    results.forEach((r, i) => {
      assert.equal(r.code, 0, `writer ${i}: ${r.stderr}`);
      if (new RegExp(`wrote K${i} to `).test(r.stderr)) said.push(i);
    });
    assert.equal(said.length, WRITERS, 'every writer reports its key written');
    const missing = said.filter((i) => vars[`K${i}`] !== `value-${i}`);
    assert.deepEqual(missing, [], `reported written but missing: ${missing.join(', ')}`);
    assert.equal(vars.KEEP, '1');
    assert.equal(Object.keys(vars).length, WRITERS + 1);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
      'no temp file left',
    );
    assert.deepEqual(readdirSync(lockDir), [], 'no lock file left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(lockDir, { recursive: true, force: true });
  }
});
