/**
 * Microsoft 365 / Outlook.com mailboxes from the CLI (issue 16 item 1), end to end with real parts: the real CLI
 * (src/cli.ts through tsx, a child process), the Microsoft identity emulator (src/emulator/microsoft.ts: device code
 * + refresh grants with rotation, Microsoft's error shapes) and a real Dovecot whose `oauth2` passdb checks each
 * XOAUTH2 token at the emulator's introspection endpoint. The "browser" is an HTTP POST of the code to the
 * emulator's /devicelogin page, as a user would submit it.
 * Canary: no access or refresh token (nor the device code) ever appears in the CLI's stdout or stderr.
 * Dovecot is required (it is under CI=true); without it outside CI the file is skipped (the embedded server has no
 * XOAUTH2 against an identity server).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startMicrosoftIdentity, type MicrosoftIdentity } from '../../src/emulator/microsoft';
import { startImapServer, sampleTokenMail, type ImapServer } from '../servers/imap';
import { dovecotPath } from '../../src/imapServer/dovecot';
import { pollDeviceCode, startDeviceCode, MICROSOFT_CLI_SCOPES } from '../../src/mail/xoauthMicrosoft';
import { startEmulator, type Emulator } from '../../src/emulator';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { parseEnv } from '../../src/core/dotenv';
import { writeFileSync } from 'node:fs';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'src', 'cli.ts');
const TSX = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const CID = '6f1d2c3b-aaaa-4bbb-8ccc-0123456789ab';
const ALICE = 'alice@contoso.test';
const BOB = 'bob@contoso.test';
const CAROL = 'carol@contoso.test';
const SF_USER = 'alice.sf@acme.example';
const POSIX = process.platform !== 'win32';
const haveDovecot = !!dovecotPath() && (typeof process.getuid !== 'function' || process.getuid() === 0);
const skip = !haveDovecot && process.env.CI !== 'true' ? 'Dovecot is not available (needed for XOAUTH2)' : false;

let ms: MicrosoftIdentity;
let sf: Emulator;
const SF_PASSWORD = 'Alice-Sf-Passw0rd-1';
let imap: ImapServer;
let dir: string;
const outputs: string[] = [];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json?: Record<string, unknown>;
}

before(async () => {
  if (skip) return;
  ms = await startMicrosoftIdentity({ clients: [CID], users: [ALICE, BOB, CAROL], interval: 1 });
  imap = await startImapServer({ prefer: 'dovecot', oauth2: { introspectionUrl: ms.introspectionUrl } });
  for (const u of [ALICE, BOB, CAROL]) await imap.addUser(u, `unused-${u.length}-pw`);
  // The Salesforce org whose token mail goes to Alice's Microsoft 365 mailbox (reset --imap-auth microsoft).
  sf = await startEmulator({
    users: [{ username: SF_USER, password: SF_PASSWORD, email: ALICE }],
    deliver: async (_to, raw) => {
      await imap.append(ALICE, raw);
    },
  });
  dir = mkdtempSync(path.join(tmpdir(), 'tr-ms-cli-'));
});
after(async () => {
  await imap?.stop();
  await ms?.close();
  await sf?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const home = () => path.join(dir, 'store');

/** Runs the CLI; `onCode` gets the user code as soon as the CLI prints it (the user reads it off the terminal). */
function runCli(args: string[], o: { onCode?: (code: string, url: string) => Promise<void> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        TOKEN_RELAY_HOME: home(),
        TOKEN_RELAY_MICROSOFT_AUTHORITY: ms.authority,
        NODE_EXTRA_CA_CERTS: imap.caCertPath,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let seen = false;
    let browser: Promise<void> = Promise.resolve();
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = /enter the code ([A-Z0-9]+):\n(\S+)\n/.exec(stderr);
      if (!seen && m && o.onCode) {
        seen = true;
        browser = o.onCode(m[1]!, m[2]!).catch((e) => {
          stderr += `\n[test browser failed: ${(e as Error).message}]\n`;
        });
      }
    });
    const killer = setTimeout(() => {
      stderr += '\n[test: killed after 60 s]\n';
      child.kill('SIGKILL');
    }, 60_000);
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

/** The user's browser: open the page, type the code, pick the account, Continue (or Cancel). */
function browser(account: string, action: 'continue' | 'cancel' = 'continue') {
  return async (code: string, url: string): Promise<void> => {
    // the user is slower than the CLI: it polls (authorization_pending) before the code is entered
    const pending = ms.stats.pending;
    await until(() => ms.stats.pending > pending);
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Enter the code/);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ otc: code, account, action }).toString(),
    });
    assert.equal(res.status, 200, await res.text());
  };
}

async function until(pred: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

function storeEntries(): Array<{ file: string; json: Record<string, string> }> {
  let names: string[];
  try {
    names = readdirSync(home()).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return names.map((f) => ({
    file: path.join(home(), f),
    json: JSON.parse(readFileSync(path.join(home(), f), 'utf8')) as Record<string, string>,
  }));
}
const entryOf = (user: string) => storeEntries().find((e) => e.json.username === user);

const login = (user: string, extra: string[] = [], o: Parameters<typeof runCli>[1] = {}) =>
  runCli(['mailbox', 'login', '--provider', 'microsoft', '--client-id', CID, '--imap-user', user, ...extra], o);

const watchArgs = (user: string, extra: string[] = []) => [
  'watch',
  '--imap-auth',
  'microsoft',
  '--imap-client-id',
  CID,
  '--imap-user',
  user,
  '--imap-host',
  '127.0.0.1',
  '--imap-port',
  String(imap.port),
  '--imap-tls',
  'starttls',
  '--username',
  SF_USER,
  '--since',
  new Date(Date.now() - 60_000).toISOString(),
  '--timeout',
  '30',
  ...extra,
];

let tokenNo = 0;
async function deliverToken(user: string): Promise<string> {
  const token = `Ms${++tokenNo}TokenAbcdefghijklmnopqr`.slice(0, 24);
  await imap.append(user, sampleTokenMail({ username: SF_USER, token }));
  return token;
}

test('login: device code on stderr, approved in the browser, refresh token stored 0600, JSON without tokens', {
  skip,
}, async () => {
  const r = await login(ALICE, [], { onCode: browser(ALICE) });
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /open this page in a browser and enter the code [A-Z0-9]{9}:\nhttp:\/\/127\.0\.0\.1:\d+\/devicelogin\n/,
  );
  assert.deepEqual(
    { ...r.json, store: undefined },
    {
      provider: 'microsoft',
      user: ALICE,
      clientId: CID,
      tenant: 'organizations',
      imapHost: 'outlook.office365.com',
      scope: MICROSOFT_CLI_SCOPES.join(' '),
      stored: true,
      store: undefined,
    },
  );
  const e = entryOf(ALICE);
  assert.ok(e, 'an entry for alice');
  assert.equal(e.json.provider, 'microsoft');
  assert.equal(e.json.loginUrl, `${ms.authority}/organizations`);
  assert.ok(ms.issued.has(e.json.refreshToken!));
  if (POSIX) {
    assert.equal(statSync(e.file).mode & 0o777, 0o600);
    assert.equal(statSync(home()).mode & 0o777, 0o700);
  }
  assert.ok(ms.stats.pending >= 1, 'the CLI polled while the code was pending');
  assert.equal(ms.stats.slowDowns, 0, 'the CLI polls at the interval Microsoft gave');
});

test('watch --imap-auth microsoft finds the token mail on Dovecot over XOAUTH2; the refresh token rotates', {
  skip,
}, async () => {
  const before = entryOf(ALICE)!.json.refreshToken!;
  const token = await deliverToken(ALICE);
  const r = await runCli(watchArgs(ALICE));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json?.kind, 'token');
  assert.equal(r.json?.token, token);
  const after = entryOf(ALICE)!.json.refreshToken!;
  assert.notEqual(after, before, 'the rotated refresh token replaced the old one');
  assert.equal(ms.liveRefreshTokens(ALICE), 1, 'the old refresh token is dead, the stored one is live');
  assert.match(imap.logTail(), /method=XOAUTH2/);
  // a second run uses the rotated token
  const r2 = await runCli(watchArgs(ALICE));
  assert.equal(r2.code, 0, r2.stderr);
  assert.notEqual(entryOf(ALICE)!.json.refreshToken, after);
});

test('reset --imap-auth microsoft (in-process): watches over XOAUTH2, writes the new token, logs in', {
  skip,
}, async () => {
  const envFile = path.join(dir, 'reset.env');
  writeFileSync(
    envFile,
    `SF_USERNAME=${SF_USER}\nSF_PASSWORD=${SF_PASSWORD}\nSF_SECURITY_TOKEN=${sf.currentToken(SF_USER)}\nSF_LOGIN_URL=${sf.url}\n`,
    { mode: 0o600 },
  );
  const out: string[] = [];
  const errs: string[] = [];
  let clicked: Promise<string> | undefined;
  const cli: CliIO = {
    stdout: (t) => void out.push(t),
    stderr: (t) => void errs.push(t),
    env: { HOME: dir, TOKEN_RELAY_HOME: home(), TOKEN_RELAY_MICROSOFT_AUTHORITY: ms.authority },
    cwd: dir,
    readStdin: async () => Buffer.alloc(0),
    openUrl: async () => {
      clicked = sf.resetToken(SF_USER); // the user clicks "Reset Security Token"; the mail goes to Alice
    },
  };
  const rc = await main(
    [
      'reset',
      '--dotenv',
      envFile,
      '--imap-auth',
      'microsoft',
      '--imap-client-id',
      CID,
      '--imap-user',
      ALICE,
      '--imap-host',
      '127.0.0.1',
      '--imap-port',
      String(imap.port),
      '--imap-tls',
      'starttls',
      '--insecure-tls',
      '--timeout',
      '60',
    ],
    cli,
  );
  outputs.push(out.join(''), errs.join(''));
  assert.equal(rc, 0, errs.join(''));
  const token = await clicked!;
  assert.equal(parseEnv(readFileSync(envFile, 'utf8')).SF_SECURITY_TOKEN, token);
  assert.equal((JSON.parse(out.join('')) as { status: string }).status, 'ok');
});

test('login as another account than --imap-user is refused and stores nothing', { skip }, async () => {
  const r = await login(BOB, [], { onCode: browser(CAROL) });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /you signed in as carol@contoso\.test, not bob@contoso\.test/);
  assert.equal(entryOf(BOB), undefined);
  assert.equal(entryOf(CAROL), undefined);
});

test('login: declined, and an expired code, end with exit 1 and nothing stored', { skip }, async () => {
  const declined = await login(BOB, [], { onCode: browser(BOB, 'cancel') });
  assert.equal(declined.code, 1);
  assert.match(declined.stderr, /the sign-in was declined \(authorization_declined: AADSTS70015/);
  const expired = await login(BOB, [], {
    onCode: async () => {
      ms.expireDeviceCodes();
    },
  });
  assert.equal(expired.code, 1);
  assert.match(
    expired.stderr,
    /the code expired before the sign-in finished; run login again \(expired_token: AADSTS70019/,
  );
  assert.equal(entryOf(BOB), undefined);
});

test('device code polling: slow_down adds 5 s to the interval (RFC 8628)', { skip }, async () => {
  const ep = { authority: ms.authority, tenant: 'organizations', clientId: CID };
  const start = await startDeviceCode(ep);
  assert.equal(start.interval, 1);
  ms.slowDownNext(1);
  const polls = ms.stats.polls;
  const intervals: number[] = [];
  const p = pollDeviceCode(ep, start, { onSlowDown: (s) => intervals.push(s) });
  await until(() => intervals.length > 0);
  ms.approve(start.userCode, BOB);
  const t = await p;
  assert.deepEqual(intervals, [6]);
  assert.equal(ms.stats.polls - polls, 2, 'one slow_down, then the next poll 6 s later got the tokens');
  assert.equal(t.username, BOB);
  assert.ok(t.refreshToken && ms.issued.has(t.refreshToken));
});

test('watch without a stored sign-in: exit 3 and the login command to run', { skip }, async () => {
  const r = await runCli(watchArgs(BOB));
  assert.equal(r.code, 3, r.stderr);
  assert.match(
    r.stderr,
    /No Microsoft sign-in is stored for bob@contoso\.test.*token-relay mailbox login --provider microsoft --client-id 6f1d2c3b-aaaa-4bbb-8ccc-0123456789ab --imap-user bob@contoso\.test/,
  );
});

test('a token IMAP refuses once is renewed once, and the watch succeeds', { skip }, async () => {
  const refreshes = ms.stats.refreshes;
  const token = await deliverToken(ALICE);
  ms.refuseAtImap(ALICE, 1);
  const r = await runCli(watchArgs(ALICE));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json?.token, token);
  assert.equal(ms.stats.refreshes - refreshes, 2, 'one refresh at start, one renewal');
  assert.match(r.stderr, /refused the access token for alice@contoso\.test; asking for a new one \(once\)/);
});

test('a token IMAP keeps refusing: one renewal, then a clear error (exit 3)', { skip }, async () => {
  const refreshes = ms.stats.refreshes;
  ms.refuseAtImap(ALICE);
  try {
    const r = await runCli(watchArgs(ALICE));
    assert.equal(r.code, 3, r.stderr);
    assert.equal(ms.stats.refreshes - refreshes, 2, 'exactly one renewal');
    assert.match(
      r.stderr,
      /mailbox login failed: 127\.0\.0\.1 refused the access token for alice@contoso\.test again, after a new sign-in\. Check that you signed in as alice@contoso\.test .*IMAP\.AccessAsUser\.All/,
    );
  } finally {
    ms.refuseAtImap(ALICE, 0);
  }
});

test('a revoked refresh token: exit 3, sign in again', { skip }, async () => {
  ms.revokeRefreshTokens(ALICE);
  const r = await runCli(watchArgs(ALICE));
  assert.equal(r.code, 3, r.stderr);
  assert.match(
    r.stderr,
    /Microsoft refused the stored sign-in for alice@contoso\.test \(invalid_grant: AADSTS70000.*Sign in again: token-relay mailbox login/,
  );
});

test('logout forgets the sign-in', { skip }, async () => {
  const r = await runCli(['mailbox', 'logout', '--provider', 'microsoft', '--client-id', CID, '--imap-user', ALICE]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(entryOf(ALICE), undefined);
  const again = await runCli([
    'mailbox',
    'logout',
    '--provider',
    'microsoft',
    '--client-id',
    CID,
    '--imap-user',
    ALICE,
  ]);
  assert.equal(again.code, 1);
});

test('usage errors: exit 2', { skip }, async () => {
  const a = await runCli(['mailbox', 'login', '--client-id', CID]);
  assert.equal(a.code, 2);
  assert.match(a.stderr, /--provider microsoft is required/);
  const b = await runCli(['mailbox', 'login', '--provider', 'google', '--client-id', CID]);
  assert.equal(b.code, 2);
  const c = await runCli(['watch', '--imap-auth', 'microsoft', '--imap-user', ALICE]);
  assert.equal(c.code, 2);
  assert.match(c.stderr, /needs --imap-client-id/);
  const d = await runCli(['watch', '--imap-auth', 'kerberos', '--imap-user', ALICE, '--imap-host', 'h']);
  assert.equal(d.code, 2);
});

test('canary: no access token, refresh token or device code in any CLI output', { skip }, () => {
  assert.ok(ms.issued.size >= 6);
  const all = outputs.join('\n');
  for (const t of ms.issued) assert.ok(!all.includes(t), 'a token reached the CLI output');
});
