/**
 * The esbuild bundles log in too: `node esbuild.mjs`, then dist/cli.js login (with jsforce from
 * dist/vendor/jsforce.js) against the emulator, run from a copy of dist/ outside the repository (no
 * node_modules in reach). dist/emulator.js (bin token-relay-emulator) is started the same way.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../src/emulator';

const root = path.resolve(__dirname, '../..');
let emu: Emulator;
let dist: string;
const PW = 'BundlePassw0rd-551';
const TOKEN = 'BundleTokenAbCdEfGhIjK12';

before(async () => {
  const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: root, encoding: 'utf8' });
  assert.equal(build.status, 0, `node esbuild.mjs failed:\n${build.stderr}`);
  const tmp = mkdtempSync(path.join(tmpdir(), 'tr-bundle-'));
  dist = path.join(tmp, 'dist');
  cpSync(path.join(root, 'dist'), dist, { recursive: true, filter: (src) => !src.endsWith('.map') });
  emu = await startEmulator({
    users: [{ username: 'bundle@login.test', password: PW, token: TOKEN }],
    orgs: [{ name: 'Bundle Org' }],
  });
});
after(async () => {
  await emu?.close();
  if (dist) rmSync(path.dirname(dist), { recursive: true, force: true });
});

function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(dist, 'cli.js'), ...args], {
      cwd: path.dirname(dist),
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('dist/cli.js login (bundled jsforce 3.10.16) logs in against the emulator', async () => {
  const ok = await cli(['login'], {
    SF_LOGIN_URL: emu.url,
    SF_USERNAME: 'bundle@login.test',
    SF_PASSWORD: PW,
    SF_SECURITY_TOKEN: TOKEN,
  });
  assert.equal(ok.code, 0, ok.stderr);
  const j = JSON.parse(ok.stdout) as Record<string, unknown>;
  // A working SOAP login also carries the retirement `notice` (issue 14).
  assert.deepEqual(Object.keys(j), [
    'status',
    'label',
    'code',
    'message',
    'organizationId',
    'username',
    'instanceUrl',
    'notice',
  ]);
  assert.equal(j.status, 'ok');
  assert.match(String(j.notice), /Summer '27/);
  assert.match(String(j.message), /Bundle Org/);
  const bad = await cli(['login'], {
    SF_LOGIN_URL: emu.url,
    SF_USERNAME: 'bundle@login.test',
    SF_PASSWORD: PW,
    SF_SECURITY_TOKEN: 'NotTheTokenNotTheTokenNot',
  });
  assert.equal(bad.code, 1);
  assert.equal((JSON.parse(bad.stdout) as Record<string, unknown>).code, 'INVALID_LOGIN');
  const oauth = await cli(['login'], {
    SF_LOGIN_URL: emu.url,
    SF_USERNAME: 'bundle@login.test',
    SF_PASSWORD: PW,
    SF_SECURITY_TOKEN: TOKEN,
    SF_CLIENT_ID: 'no-such-client',
    SF_CLIENT_SECRET: 'BundleClientSecret-77',
  });
  assert.equal(oauth.code, 1);
  assert.equal((JSON.parse(oauth.stdout) as Record<string, unknown>).code, 'invalid_client_id');
  assert.equal((JSON.parse(oauth.stdout) as Record<string, unknown>).status, 'app-not-approved', 'exit 1 all the same');
  for (const r of [ok, bad, oauth]) {
    for (const secret of [PW, TOKEN, 'BundleClientSecret-77'])
      assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret));
  }
});

test('dist/emulator.js starts, prints its URL, serves a login, stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [path.join(dist, 'emulator.js')], {
    cwd: path.dirname(dist),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    while (!/\n\}\n/.test(out)) {
      if (child.exitCode !== null) throw new Error('dist/emulator.js exited early');
      await new Promise((r) => setTimeout(r, 50));
    }
    const [url, ...rest] = out.split('\n');
    const info = JSON.parse(rest.join('\n')) as { users: Array<{ username: string; password: string; token: string }> };
    const u = info.users[0]!;
    const r = await cli(['login'], {
      SF_LOGIN_URL: url!,
      SF_USERNAME: u.username,
      SF_PASSWORD: u.password,
      SF_SECURITY_TOKEN: u.token,
    });
    assert.equal(r.code, 0, r.stderr);
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
});
