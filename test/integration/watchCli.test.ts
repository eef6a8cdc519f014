/**
 * `token-relay watch` (CONTRACTS.md): in-process through main() with a fake CliIO, plus one real process
 * (src/cli.ts through tsx) trusting the test server's certificate with NODE_EXTRA_CA_CERTS.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import type { ImapServer } from '../servers/imap';
import { startImapServer, sampleTokenMail, sampleVerificationMail } from '../servers/imap';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { parseEnv } from '../../src/core/dotenv';

let imap: ImapServer;
let dir: string;
let n = 0;
const SF_USER = 'jane.doe@acme.example';
const ROOT = path.resolve(__dirname, '../..');

function tokenFor(i: number): string {
  return `CliTok${i}`.padEnd(25, 'Q');
}

async function user() {
  const name = `cli${++n}`;
  const pass = `cli-pass-${n}-xyz`;
  await imap.addUser(name, pass);
  return { name, pass };
}

function fakeIO(env: Record<string, string>, signal?: AbortSignal) {
  const out: string[] = [];
  const errs: string[] = [];
  let onErr: ((line: string) => void) | undefined;
  const io: CliIO = {
    stdout: (t) => out.push(t),
    stderr: (t) => {
      errs.push(t);
      onErr?.(t);
    },
    env,
    cwd: dir,
    readStdin: async () => Buffer.alloc(0),
    signal,
  };
  return { io, out, errs, watchErr: (f: (line: string) => void) => (onErr = f) };
}

function imapArgs(u: { name: string }, extra: string[] = []) {
  return [
    'watch',
    '--imap-host',
    '127.0.0.1',
    '--imap-port',
    String(imap.port),
    '--imap-user',
    u.name,
    '--insecure-tls',
    ...extra,
  ];
}

before(async () => {
  imap = await startImapServer();
  dir = mkdtempSync(path.join(tmpdir(), 'token-relay-watch-cli-'));
});
after(async () => {
  await imap?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('watch prints the extract-shaped JSON, relays codes on stderr, writes --dotenv', { timeout: 30_000 }, async () => {
  const u = await user();
  const envPath = path.join(dir, 'w1.env');
  writeFileSync(envPath, `SF_USERNAME=${SF_USER}\nSF_SECURITY_TOKEN=old\nTOKEN_RELAY_IMAP_PASSWORD=${u.pass}\n`);
  const since = new Date(Date.now() - 60_000).toISOString();
  await imap.append(u.name, sampleVerificationMail({ username: SF_USER, code: '553311' }));
  await imap.append(u.name, sampleTokenMail({ username: 'other@acme.example', token: tokenFor(0) }));
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: tokenFor(1) }));
  const { io, out, errs } = fakeIO({});
  const code = await main([...imapArgs(u, ['--dotenv', envPath, '--since', since, '--timeout', '20'])], io);
  assert.equal(code, 0, errs.join(''));
  const json = JSON.parse(out.join(''));
  assert.equal(json.kind, 'token');
  assert.equal(json.token, tokenFor(1)); // SF_USERNAME from the env file picks the right user's mail
  assert.equal(json.username.toLowerCase(), SF_USER);
  assert.deepEqual(Object.keys(json).slice(0, 6), ['kind', 'token', 'username', 'warnings', 'authenticated', 'reason']);
  assert.equal(json.folder, 'INBOX');
  assert.equal(parseEnv(readFileSync(envPath, 'utf8')).SF_SECURITY_TOKEN, tokenFor(1));
  const stderr = errs.join('');
  assert.match(stderr, /verification code for jane\.doe@acme\.example: 553311/);
  assert.equal(stderr.split('\n').filter((l) => /553311/.test(l)).length, 1, 'one line per code');
  assert.ok(!stderr.includes(u.pass) && !stderr.includes(tokenFor(1)));
});

test('watch waits (IDLE) for a new mail; --username overrides; any user without one', { timeout: 30_000 }, async () => {
  const u = await user();
  const { io, out, errs } = fakeIO({ TOKEN_RELAY_IMAP_PASSWORD: u.pass });
  const p = main(imapArgs(u, ['--username', 'Taro@Acme.Example', '--timeout', '20', '--verbose']), io);
  // wait for the watcher to idle (verbose log line), then deliver
  await new Promise<void>((resolve) => {
    const t = setInterval(() => {
      if (errs.join('').includes('status idle')) {
        clearInterval(t);
        resolve();
      }
    }, 10);
  });
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: tokenFor(2) }));
  await imap.append(u.name, sampleTokenMail({ username: 'taro@acme.example', token: tokenFor(3) }));
  assert.equal(await p, 0, errs.join(''));
  assert.equal(JSON.parse(out.join('')).token, tokenFor(3));

  const any = fakeIO({ TOKEN_RELAY_IMAP_PASSWORD: u.pass });
  assert.equal(
    await main(imapArgs(u, ['--since', new Date(Date.now() - 60_000).toISOString(), '--timeout', '20']), any.io),
    0,
  );
  assert.ok([tokenFor(2), tokenFor(3)].includes(JSON.parse(any.out.join('')).token));
});

test('real process (src/cli.ts): IMAPS verified through NODE_EXTRA_CA_CERTS, host name checked against the certificate', {
  timeout: 30_000,
}, async () => {
  const u = await user();
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: tokenFor(4) }));
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(ROOT, 'src/cli.ts'),
      'watch',
      '--imap-host',
      'localhost',
      '--imap-port',
      String(imap.imapsPort),
      '--imap-tls',
      'implicit',
      '--imap-user',
      u.name,
      '--since',
      new Date(Date.now() - 60_000).toISOString(),
      '--timeout',
      '20',
    ],
    {
      cwd: ROOT,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: imap.caCertPath, TOKEN_RELAY_IMAP_PASSWORD: u.pass },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, stderr);
  assert.equal(JSON.parse(stdout).token, tokenFor(4));
  assert.ok(!stderr.includes(u.pass));
});

test('exit codes: 1 timeout, 1 cancel, 2 usage, 3 TLS/auth failures', { timeout: 30_000 }, async () => {
  const u = await user();
  const env = { TOKEN_RELAY_IMAP_PASSWORD: u.pass };
  let r = fakeIO(env);
  assert.equal(await main(imapArgs(u, ['--timeout', '0.3']), r.io), 1);
  assert.match(r.errs.join(''), /Timed out/);

  const ac = new AbortController();
  r = fakeIO(env, ac.signal);
  const p = main(imapArgs(u, ['--verbose']), r.io);
  setTimeout(() => ac.abort(new Error('cancelled by Ctrl-C')), 200);
  assert.equal(await p, 1);
  assert.match(r.errs.join(''), /Cancelled/);

  for (const bad of [
    ['--imap-tls', 'ssl'],
    ['--imap-port', '99999'],
    ['--since', 'yesterday'],
    ['--timeout', '-1'],
    ['--bogus'],
    ['extra-arg'],
  ]) {
    r = fakeIO(env);
    assert.equal(await main(imapArgs(u, bad), r.io), 2, bad.join(' '));
  }
  r = fakeIO(env);
  assert.equal(await main(['watch', '--imap-user', 'x'], r.io), 2);
  r = fakeIO({});
  assert.equal(await main(imapArgs(u), r.io), 2, 'no secret and no TTY');
  assert.match(r.errs.join(''), /TOKEN_RELAY_IMAP_PASSWORD/);

  // TLS verification on (no --insecure-tls, no CA): exit 3 with advice
  r = fakeIO(env);
  assert.equal(
    await main(
      [
        'watch',
        '--imap-host',
        '127.0.0.1',
        '--imap-port',
        String(imap.imapsPort),
        '--imap-tls',
        'implicit',
        '--imap-user',
        u.name,
      ],
      r.io,
    ),
    3,
  );
  assert.match(r.errs.join(''), /--insecure-tls|NODE_EXTRA_CA_CERTS/);
  // wrong password: exit 3, password not echoed
  r = fakeIO({ TOKEN_RELAY_IMAP_PASSWORD: 'wrong-password-777' });
  assert.equal(await main(imapArgs(u), r.io), 3);
  assert.match(r.errs.join(''), /login failed/);
  assert.ok(!r.errs.join('').includes('wrong-password-777'));
});
