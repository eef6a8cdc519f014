/**
 * `token-relay oauth login|refresh|logout` and `login` on SF_AUTH=oauth, end to end: the real CLI (src/cli.ts through
 * tsx, a child process) against the emulator. The browser is the emulator's authorizeByHttp (log in + Allow/Deny over
 * HTTP), fed the authorization URL the CLI prints on stderr; the "browser landing" is a fetch of the redirect URL
 * (loopback listener) or, when the port is busy, writing it to the CLI's stdin (paste fallback).
 * Canary: no access or refresh token ever appears in the CLI's stdout or stderr.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startEmulator, authorizeByHttp, type Emulator } from '../../src/emulator';
import { parseEnv } from '../../src/core/dotenv';
import { startProxy } from '../servers/proxy';
import { scanForSecrets } from '../fuzz/secretScan';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'src', 'cli.ts');
/** tsx's loader by absolute URL: the CLI runs with its cwd in a temp folder. */
const TSX = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const ROT = '3MVG9CliRotatingApp_for_oauth_cli_tests';
const NOROT = '3MVG9CliNoRotationApp_for_oauth_cli';
const JANE = { username: 'jane@oauthcli.test', password: 'JaneCli-Pw-1' };
const KEYS = ['status', 'label', 'code', 'message', 'organizationId', 'username', 'instanceUrl'];
const POSIX = process.platform !== 'win32';

let emu: Emulator;
let dir: string;
let port: number;
/** Every token the tests saw issued; no CLI output may contain any of them. */
const issued = new Set<string>();
const outputs: string[] = [];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

before(async () => {
  port = await freePort();
  const cb = `http://localhost:${port}/OauthRedirect`;
  emu = await startEmulator({
    orgs: [{ id: '00D5g000004CliO', name: 'CLI OAuth Org' }],
    users: [{ ...JANE, firstName: 'Jane', lastName: 'Cli' }],
    apps: [
      { clientId: ROT, callbackUrls: [cb], rotateRefreshTokens: true },
      { clientId: NOROT, callbackUrls: [cb] },
    ],
  });
  dir = mkdtempSync(path.join(tmpdir(), 'tr-oauth-cli-'));
});
after(async () => {
  await emu?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json?: Record<string, unknown>;
}

let caseNo = 0;
function caseDir(): { cwd: string; home: string; envFile: string } {
  const cwd = path.join(dir, `case${++caseNo}`);
  mkdirSync(cwd, { recursive: true });
  return { cwd, home: path.join(cwd, 'store'), envFile: path.join(cwd, '.env') };
}

/**
 * Runs the CLI; `onUrl` gets the authorization URL as soon as the CLI prints it on stderr (and the child, for stdin).
 * The child's environment is built from scratch (no proxy or Salesforce variables of the machine leak in).
 */
function runCli(
  args: string[],
  o: {
    cwd: string;
    home: string;
    env?: Record<string, string>;
    onUrl?: (url: string, child: ChildProcess) => Promise<void>;
  },
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], {
      cwd: o.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: o.cwd, TOKEN_RELAY_HOME: o.home, ...o.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let seen = false;
    let browser: Promise<void> = Promise.resolve();
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!seen && o.onUrl) {
        const m = /^(https?:\/\/\S+\/services\/oauth2\/authorize\?\S+)$/m.exec(stderr);
        if (m) {
          seen = true;
          browser = o.onUrl(m[1]!, child).catch((e) => {
            stderr += `\n[test browser failed: ${(e as Error).message}]\n`;
          });
        }
      }
    });
    const killer = setTimeout(() => {
      stderr += '\n[test: killed after 40 s]\n';
      child.kill('SIGKILL');
    }, 40_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      void browser.then(() => {
        outputs.push(stdout, stderr);
        let json: Record<string, unknown> | undefined;
        try {
          json = stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ code: code ?? -1, stdout, stderr, json });
      });
    });
  });
}

/** The browser: log in, Allow (or Deny), land on the loopback redirect. Returns what the landing page said. */
function browse(opts: { deny?: boolean; mangleState?: boolean; paste?: boolean } = {}) {
  const page = { status: 0, body: '' };
  const onUrl = async (url: string, child: ChildProcess): Promise<void> => {
    let landed = await authorizeByHttp(url, { ...JANE, deny: opts.deny });
    if (opts.mangleState) {
      const u = new URL(landed);
      u.searchParams.set('state', 'not-the-state-we-sent');
      landed = u.toString();
    }
    if (opts.paste) {
      child.stdin!.write(landed + '\n');
      return;
    }
    const res = await fetch(landed);
    page.status = res.status;
    page.body = await res.text();
  };
  return { onUrl, page };
}

function loginArgs(envFile: string, clientId = ROT, extra: string[] = []): string[] {
  return [
    'oauth',
    'login',
    '--dotenv',
    envFile,
    '--login-url',
    emu.url,
    '--client-id',
    clientId,
    '--callback-port',
    String(port),
    '--no-open',
    '--timeout',
    '30',
    ...extra,
  ];
}

function storeEntries(home: string): Array<{ file: string; json: Record<string, string> }> {
  let names: string[];
  try {
    names = readdirSync(home).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return names.map((f) => {
    const json = JSON.parse(readFileSync(path.join(home, f), 'utf8')) as Record<string, string>;
    issued.add(json.refreshToken!);
    return { file: path.join(home, f), json };
  });
}

function envOf(file: string): Record<string, string> {
  const vars = parseEnv(readFileSync(file, 'utf8'));
  if (vars.SF_ACCESS_TOKEN) issued.add(vars.SF_ACCESS_TOKEN);
  if (vars.SF_REFRESH_TOKEN) issued.add(vars.SF_REFRESH_TOKEN);
  return vars;
}

function assertNoToken(r: Run, tokens: Iterable<string>): void {
  for (const t of tokens) {
    assert.ok(!r.stdout.includes(t), 'a token on stdout');
    assert.ok(!r.stderr.includes(t), 'a token on stderr');
  }
}

async function apiAccepts(instanceUrl: string, accessToken: string): Promise<boolean> {
  const res = await fetch(`${instanceUrl}/services/data/v64.0/limits`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  await res.arrayBuffer();
  return res.status === 200;
}

const PASSWORD_FILE =
  '# my org\nSF_USERNAME=jane@oauthcli.test\nSF_PASSWORD=OldPassw0rd\nSF_SECURITY_TOKEN=OldTok3n\nOTHER_APP_SETTING="keep me"\n';

async function signedIn(extra: string[] = [], clientId = ROT) {
  const c = caseDir();
  writeFileSync(c.envFile, PASSWORD_FILE, { mode: 0o600 });
  const b = browse();
  const r = await runCli(loginArgs(c.envFile, clientId, extra), { ...c, onUrl: b.onUrl });
  assert.equal(r.code, 0, r.stderr);
  return { ...c, r, page: b.page };
}

test('oauth login: the whole flow writes the env keys atomically, keeps the refresh token 0600 in a 0700 store, prints the login JSON', {
  timeout: 60_000,
}, async () => {
  const { envFile, home, r, page } = await signedIn();
  assert.deepEqual(Object.keys(r.json!), KEYS);
  assert.equal(r.json!.status, 'ok');
  assert.equal(r.json!.username, JANE.username);
  assert.match(String(r.json!.organizationId), /^00D5g000004CliO/);
  assert.equal(page.status, 200);
  assert.match(page.body, /Signed in/);
  assert.doesNotMatch(page.body, /code=/);
  // The URL line: on its own line, with PKCE S256 and a state.
  const urlLine = r.stderr.split('\n').find((l) => l.includes('/services/oauth2/authorize?'))!;
  const u = new URL(urlLine);
  assert.equal(u.searchParams.get('code_challenge_method'), 'S256');
  assert.equal(u.searchParams.get('redirect_uri'), `http://localhost:${port}/OauthRedirect`);
  assert.ok((u.searchParams.get('state') ?? '').length >= 16);

  const env = envOf(envFile);
  assert.equal(env.SF_AUTH, 'oauth');
  assert.equal(env.SF_INSTANCE_URL, emu.url);
  assert.equal(env.SF_USERNAME, JANE.username);
  assert.equal(env.SF_LOGIN_URL, emu.url);
  assert.equal(env.SF_CLIENT_ID, ROT);
  assert.match(env.SF_ACCESS_TOKEN!, /^00D\w+!/);
  assert.equal(env.SF_REFRESH_TOKEN, undefined, 'no refresh token in the env file without --save-refresh-token');
  // Without --remove-password the password keys stay, and every other byte too.
  assert.equal(env.SF_PASSWORD, 'OldPassw0rd');
  assert.ok(readFileSync(envFile, 'utf8').startsWith(PASSWORD_FILE), 'the old content is kept byte for byte');
  assert.match(r.stderr, /SF_PASSWORD and SF_SECURITY_TOKEN stay/);
  assert.ok(
    await apiAccepts(env.SF_INSTANCE_URL, env.SF_ACCESS_TOKEN!),
    'the emulator accepts the written access token',
  );

  const entries = storeEntries(home);
  assert.equal(entries.length, 1);
  assert.equal(entries[0]!.json.username, JANE.username);
  assert.ok(entries[0]!.json.refreshToken);
  if (POSIX) {
    assert.equal(statSync(home).mode & 0o777, 0o700);
    assert.equal(statSync(entries[0]!.file).mode & 0o777, 0o600);
  }
  assertNoToken(r, [env.SF_ACCESS_TOKEN!, entries[0]!.json.refreshToken]);
});

test('oauth login --remove-password --save-refresh-token: password keys go, SF_REFRESH_TOKEN is written', {
  timeout: 60_000,
}, async () => {
  const { envFile, home, r } = await signedIn(['--remove-password', '--save-refresh-token']);
  const env = envOf(envFile);
  assert.equal(env.SF_PASSWORD, undefined);
  assert.equal(env.SF_SECURITY_TOKEN, undefined);
  assert.equal(env.OTHER_APP_SETTING, 'keep me');
  assert.ok(
    readFileSync(envFile, 'utf8').startsWith('# my org\nSF_USERNAME=jane@oauthcli.test\nOTHER_APP_SETTING="keep me"\n'),
  );
  assert.equal(env.SF_REFRESH_TOKEN, storeEntries(home)[0]!.json.refreshToken);
  assertNoToken(r, [env.SF_ACCESS_TOKEN!, env.SF_REFRESH_TOKEN!]);
});

test('oauth refresh with rotation: new access token in .env, the rotated refresh token replaces the old (which is dead)', {
  timeout: 60_000,
}, async () => {
  const c = await signedIn();
  const before = envOf(c.envFile);
  const rt0 = storeEntries(c.home)[0]!.json.refreshToken!;
  const r = await runCli(['oauth', 'refresh', '--dotenv', c.envFile], c);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(Object.keys(r.json!), KEYS);
  assert.equal(r.json!.status, 'ok');
  const after = envOf(c.envFile);
  const rt1 = storeEntries(c.home)[0]!.json.refreshToken!;
  assert.notEqual(after.SF_ACCESS_TOKEN, before.SF_ACCESS_TOKEN);
  assert.notEqual(rt1, rt0, 'rotated');
  assert.ok(await apiAccepts(after.SF_INSTANCE_URL!, after.SF_ACCESS_TOKEN!));
  // The old refresh token is dead at the emulator.
  const res = await fetch(`${emu.url}/services/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt0, client_id: ROT }),
  });
  assert.equal(res.status, 400);
  assertNoToken(r, [before.SF_ACCESS_TOKEN!, after.SF_ACCESS_TOKEN!, rt0, rt1]);

  // Two refreshers at once (two processes): the second waits for the lock, re-reads and uses the rotated token.
  const [a, b] = await Promise.all([
    runCli(['oauth', 'refresh', '--dotenv', c.envFile], c),
    runCli(['oauth', 'refresh', '--dotenv', c.envFile], c),
  ]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const rt3 = storeEntries(c.home)[0]!.json.refreshToken!;
  assert.notEqual(rt3, rt1);
  assert.ok(await apiAccepts(emu.url, envOf(c.envFile).SF_ACCESS_TOKEN!));
  assert.equal(emu.refreshTokenCount(JANE.username) >= 1, true);
});

test('oauth refresh without rotation keeps the refresh token; a .env with SF_AUTH=password is a usage error', {
  timeout: 60_000,
}, async () => {
  const c = await signedIn([], NOROT);
  const rt0 = storeEntries(c.home)[0]!.json.refreshToken!;
  const r = await runCli(['oauth', 'refresh', '--dotenv', c.envFile], c);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(storeEntries(c.home)[0]!.json.refreshToken, rt0);
  const other = caseDir();
  writeFileSync(other.envFile, PASSWORD_FILE);
  const u = await runCli(['oauth', 'refresh', '--dotenv', other.envFile], other);
  assert.equal(u.code, 2);
  assert.match(u.stderr, /not oauth/);
});

test('login on an SF_AUTH=oauth env file: an expired access token is refreshed, written back, then tested', {
  timeout: 60_000,
}, async () => {
  const c = await signedIn();
  const before = envOf(c.envFile);
  const rt0 = storeEntries(c.home)[0]!.json.refreshToken!;
  assert.ok(emu.expireAccessTokens(JANE.username) >= 1);
  assert.equal(await apiAccepts(emu.url, before.SF_ACCESS_TOKEN!), false);
  const r = await runCli(['login', '--dotenv', c.envFile], c);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json!.status, 'ok');
  assert.deepEqual(Object.keys(r.json!), KEYS);
  const after = envOf(c.envFile);
  assert.notEqual(after.SF_ACCESS_TOKEN, before.SF_ACCESS_TOKEN);
  assert.ok(await apiAccepts(emu.url, after.SF_ACCESS_TOKEN!));
  assert.notEqual(storeEntries(c.home)[0]!.json.refreshToken, rt0, 'the rotated refresh token was stored');
  // A live token: no refresh.
  const again = await runCli(['login', '--dotenv', c.envFile], c);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(envOf(c.envFile).SF_ACCESS_TOKEN, after.SF_ACCESS_TOKEN);
  assertNoToken(r, [before.SF_ACCESS_TOKEN!, after.SF_ACCESS_TOKEN!, rt0]);
});

test('oauth logout revokes and forgets; refresh afterwards is signin-required (exit 1)', {
  timeout: 60_000,
}, async () => {
  const c = await signedIn();
  const env = envOf(c.envFile);
  const rt = storeEntries(c.home)[0]!.json.refreshToken!;
  const r = await runCli(['oauth', 'logout', '--dotenv', c.envFile], c);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /revoked the refresh token/);
  assert.equal(storeEntries(c.home).length, 0);
  const after = envOf(c.envFile);
  assert.equal(after.SF_ACCESS_TOKEN, undefined);
  assert.equal(after.SF_AUTH, 'oauth');
  assert.equal(await apiAccepts(emu.url, env.SF_ACCESS_TOKEN!), false, 'its access token is revoked too');
  const res = await fetch(`${emu.url}/services/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt, client_id: ROT }),
  });
  assert.equal(res.status, 400);
  const rf = await runCli(['oauth', 'refresh', '--dotenv', c.envFile], c);
  assert.equal(rf.code, 1);
  assert.equal(rf.json!.status, 'signin-required');
  const lg = await runCli(['login', '--dotenv', c.envFile], c);
  assert.equal(lg.code, 1);
  assert.equal(lg.json!.status, 'signin-required');
  assertNoToken(r, [env.SF_ACCESS_TOKEN!, rt]);
});

test('a refresh token revoked at Salesforce: oauth refresh and login answer signin-required', {
  timeout: 60_000,
}, async () => {
  const c = await signedIn();
  emu.revokeRefreshTokens(JANE.username);
  const r = await runCli(['oauth', 'refresh', '--dotenv', c.envFile], c);
  assert.equal(r.code, 1);
  assert.equal(r.json!.status, 'signin-required');
  assert.equal(r.json!.code, 'invalid_grant');
  assert.match(String(r.json!.message), /Sign in again/);
});

test('denied consent: exit 1, signin-required, the env file untouched, nothing stored', {
  timeout: 60_000,
}, async () => {
  const c = caseDir();
  writeFileSync(c.envFile, PASSWORD_FILE);
  const b = browse({ deny: true });
  const r = await runCli(loginArgs(c.envFile), { ...c, onUrl: b.onUrl });
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(Object.keys(r.json!), KEYS);
  assert.equal(r.json!.status, 'signin-required');
  assert.equal(r.json!.code, 'access_denied');
  assert.match(String(r.json!.message), /left untouched/);
  assert.equal(readFileSync(c.envFile, 'utf8'), PASSWORD_FILE);
  assert.equal(storeEntries(c.home).length, 0);
  assert.match(b.page.body, /denied/i);
});

test('state mismatch: exit 1, the env file untouched', { timeout: 60_000 }, async () => {
  const c = caseDir();
  writeFileSync(c.envFile, PASSWORD_FILE);
  const b = browse({ mangleState: true });
  const r = await runCli(loginArgs(c.envFile), { ...c, onUrl: b.onUrl });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.json!.code, 'STATE_MISMATCH');
  assert.equal(readFileSync(c.envFile, 'utf8'), PASSWORD_FILE);
  assert.equal(storeEntries(c.home).length, 0);
  assert.equal(b.page.status, 400);
});

test('port busy: falls back to pasting the landed URL on stdin', { timeout: 60_000 }, async () => {
  const busy = net.createServer();
  await new Promise<void>((r) => busy.listen(port, '127.0.0.1', r));
  try {
    const c = caseDir();
    const b = browse({ paste: true });
    const r = await runCli(loginArgs(c.envFile), { ...c, onUrl: b.onUrl });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /taken by another program/);
    assert.match(r.stderr, /Paste the address the browser landed on/);
    assert.equal(r.json!.status, 'ok');
    const env = envOf(c.envFile);
    assert.equal(env.SF_AUTH, 'oauth');
    assert.ok(await apiAccepts(emu.url, env.SF_ACCESS_TOKEN!));
    if (POSIX) assert.equal(statSync(c.envFile).mode & 0o777, 0o600, 'a new env file is 0600');
    assertNoToken(r, [env.SF_ACCESS_TOKEN!]);
  } finally {
    await new Promise((r) => busy.close(r));
  }
});

test('through an HTTP proxy: the token exchange and the REST test go through it', { timeout: 60_000 }, async () => {
  const proxy = await startProxy();
  try {
    const c = caseDir();
    const b = browse();
    const r = await runCli(loginArgs(c.envFile, ROT, ['--verbose']), {
      ...c,
      env: { HTTP_PROXY: proxy.url },
      onUrl: b.onUrl,
    });
    assert.equal(r.code, 0, r.stderr);
    const seen = proxy.seen.join('\n');
    assert.match(seen, /POST http:\/\/127\.0\.0\.1:\d+\/services\/oauth2\/token/);
    assert.match(seen, /GET http:\/\/127\.0\.0\.1:\d+\/services\/oauth2\/userinfo/);
    const n = proxy.seen.length;
    const rf = await runCli(['oauth', 'refresh', '--verbose', '--dotenv', c.envFile], {
      ...c,
      env: { HTTP_PROXY: proxy.url },
    });
    assert.equal(rf.code, 0, rf.stderr);
    assert.ok(proxy.seen.slice(n).some((l) => /\/services\/oauth2\/token/.test(l)));
    envOf(c.envFile);
  } finally {
    await proxy.close();
  }
});

test('usage errors (exit 2) and a timeout (exit 1, env untouched)', { timeout: 60_000 }, async () => {
  const c = caseDir();
  const noClient = await runCli(['oauth', 'login', '--dotenv', c.envFile, '--login-url', emu.url, '--no-open'], c);
  assert.equal(noClient.code, 2);
  assert.match(noClient.stderr, /client id/);
  const badPort = await runCli(loginArgs(c.envFile, ROT, ['--callback-port', '99999']), c);
  assert.equal(badPort.code, 2);
  const badUrl = await runCli(
    ['oauth', 'login', '--client-id', ROT, '--login-url', 'http://example.com', '--no-open'],
    c,
  );
  assert.equal(badUrl.code, 2);
  const unknown = await runCli(['oauth', 'dance'], c);
  assert.equal(unknown.code, 2);
  const helpRun = await runCli(['oauth', '--help'], c);
  assert.equal(helpRun.code, 0);
  assert.match(helpRun.stdout, /oauth login/);
  writeFileSync(c.envFile, PASSWORD_FILE);
  const t = await runCli(loginArgs(c.envFile, ROT, ['--timeout', '1']), c); // the last --timeout wins
  assert.equal(t.code, 1, t.stderr);
  assert.equal(t.json!.status, 'signin-required');
  assert.equal(readFileSync(c.envFile, 'utf8'), PASSWORD_FILE);
});

test('canary: no access or refresh token issued in these tests appears in any CLI output (raw, URL/JSON/HTML-escaped, base64, any session id)', () => {
  assert.ok(issued.size >= 5, `saw ${issued.size} tokens`);
  const hits = scanForSecrets(
    outputs.map((text, i) => ({ source: `run ${Math.floor(i / 2)} ${i % 2 ? 'stderr' : 'stdout'}`, text })),
    [...issued].map((t, i): [string, string] => [`token${i}`, t]),
  );
  assert.deepEqual(hits, []);
});
