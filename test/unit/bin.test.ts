/** The committed bin wrappers (package.json bin): without dist/ they say what to run and exit 2. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

test('package.json bin points at the wrappers in bin/', () => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  assert.deepEqual(pkg.bin, {
    'token-relay': 'bin/token-relay.js',
    'token-relay-emulator': 'bin/token-relay-emulator.js',
  });
});

for (const [name, built] of [
  ['token-relay', 'cli.js'],
  ['token-relay-emulator', 'emulator.js'],
] as const) {
  test(`${name} before \`npm run build\`: names the command to run, exit 2`, () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tr-bin-'));
    try {
      mkdirSync(path.join(dir, 'bin'));
      copyFileSync(path.join(root, 'bin', `${name}.js`), path.join(dir, 'bin', `${name}.js`));
      const r = spawnSync(process.execPath, [path.join(dir, 'bin', `${name}.js`), '--help'], {
        cwd: dir,
        encoding: 'utf8',
      });
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`dist/${built.replace('.', '\\.')} is not built yet\\. Run \`npm run build\``));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
