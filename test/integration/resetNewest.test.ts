/**
 * Issue 15 item 1: the newest token wins for the whole reset window. Dovecot (or embedded IMAP) + the emulator,
 * whose mail delivery this test can hold back (a mail "delayed in transit"). Every test has its own Salesforce
 * user (the reset lock is per org and user).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ImapServer } from '../servers/imap';
import { startImapServer } from '../servers/imap';
import type { Emulator } from '../../src/emulator';
import { startEmulator } from '../../src/emulator';
import { runResetFlow } from '../../src/flow/resetFlow';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { parseEnv } from '../../src/core/dotenv';

let imap: ImapServer;
let emu: Emulator;
let dir: string;
const PASSWORD = 'Newest-Passw0rd!';
const IMAP_PASS = 'imap-newest-pass';
const USERS = [
  'double.click@acme.example',
  'delayed.mail@acme.example',
  'cli.double@acme.example',
  'wrong.password@acme.example',
];

/** Mails to a held address wait in `held` until released (in any order). */
const holding = new Set<string>();
const held: Array<{ to: string; raw: Buffer }> = [];

before(async () => {
  imap = await startImapServer();
  for (const u of USERS) await imap.addUser(u, IMAP_PASS);
  emu = await startEmulator({
    users: USERS.map((u) => ({ username: u, password: PASSWORD, email: u, language: 'en' as const })),
    deliver: async (to, raw) => {
      if (holding.has(to.toLowerCase())) held.push({ to: to.toLowerCase(), raw });
      else await imap.append(to.toLowerCase(), raw);
    },
  });
  dir = mkdtempSync(path.join(tmpdir(), 'token-relay-newest-'));
});
after(async () => {
  await emu?.close();
  await imap?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Delivers the `index`-th mail still held for `to` (0 = the oldest). */
async function release(to: string, index = 0): Promise<void> {
  const pick = held.filter((h) => h.to === to)[index];
  if (!pick) throw new Error(`no held mail for ${to}`);
  held.splice(held.indexOf(pick), 1);
  await imap.append(to, pick.raw);
}

function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const t = setInterval(() => {
      if (cond()) {
        clearInterval(t);
        resolve();
      } else if (Date.now() - started > ms) {
        clearInterval(t);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 10);
  });
}

function flowDeps(user: string) {
  const stored: string[] = [];
  const written: string[] = [];
  return {
    stored,
    written,
    deps: {
      profile: { id: user, name: user, loginUrl: emu.url, username: user },
      secrets: { password: PASSWORD },
      mailbox: imap.mailboxConfig(user, IMAP_PASS),
      storeToken: async (t: string) => void stored.push(t),
      writeEnv: async (t: string) => {
        written.push(t);
        return undefined;
      },
      timeoutMs: 45_000,
    },
  };
}

test('clicked twice, the second mail late: the login switches to the newer token at once; the stored token is the one that logged in', {
  timeout: 60_000,
}, async () => {
  const user = USERS[0]!;
  const f = flowDeps(user);
  let tokenA = '';
  let tokenB = '';
  const result = await runResetFlow({
    ...f.deps,
    retryInvalidLogin: { attempts: 40, delayMs: 150 },
    open: async () => {
      tokenA = await emu.resetToken(user); // click 1: its mail arrives at once
      void (async () => {
        await until('token A stored', () => f.stored.length === 1);
        holding.add(user);
        tokenB = await emu.resetToken(user); // click 2 voids A; its mail is held up
        await new Promise((r) => setTimeout(r, 800)); // the flow keeps retrying A meanwhile (INVALID_LOGIN)
        holding.delete(user);
        await release(user);
      })();
    },
  });
  assert.notEqual(tokenA, tokenB);
  assert.equal(tokenB, emu.currentToken(user));
  assert.equal(result.health.status, 'ok');
  assert.equal(result.token.token, tokenB);
  assert.deepEqual(f.stored, [tokenA, tokenB]);
  assert.deepEqual(f.written, [tokenA, tokenB], '.env ends with the token that logged in');
  assert.equal(result.superseded, 1);
});

test('the first mail delayed behind the second: the late, older token never replaces the newer one', {
  timeout: 60_000,
}, async () => {
  const user = USERS[1]!;
  const f = flowDeps(user);
  let tokenA = '';
  let tokenB = '';
  const result = await runResetFlow({
    ...f.deps,
    retryInvalidLogin: { attempts: 40, delayMs: 150 },
    open: async () => {
      holding.add(user);
      tokenA = await emu.resetToken(user); // click 1: mail held up in transit
      await new Promise((r) => setTimeout(r, 1100)); // Date headers have one-second resolution
      emu.setTokenActivationDelay(1500); // B works only after 1.5 s: the flow retries meanwhile
      tokenB = await emu.resetToken(user); // click 2: voids A; this mail is held too
      void (async () => {
        await release(user, 1); // B arrives first
        await until('token B stored', () => f.stored.length === 1);
        holding.delete(user);
        await release(user, 0); // then the older A, while B's login is still being retried
      })();
    },
  });
  emu.setTokenActivationDelay(0);
  assert.equal(result.health.status, 'ok');
  assert.equal(result.token.token, tokenB);
  assert.notEqual(tokenA, tokenB);
  assert.deepEqual(f.stored, [tokenB], 'the older token was never stored');
  assert.deepEqual(f.written, [tokenB]);
});

test('CLI reset, Reset clicked twice: .env ends with the second token, login ok, exit 0', {
  timeout: 60_000,
}, async () => {
  const user = USERS[2]!;
  const envPath = path.join(dir, 'double.env');
  writeFileSync(
    envPath,
    `SF_USERNAME=${user}\nSF_PASSWORD=${PASSWORD}\nSF_LOGIN_URL=${emu.url}\nTOKEN_RELAY_IMAP_PASSWORD=${IMAP_PASS}\n`,
  );
  const out: string[] = [];
  const errs: string[] = [];
  let second: Promise<string> | undefined;
  const io: CliIO = {
    stdout: (t) => out.push(t),
    stderr: (t) => errs.push(t),
    env: {},
    cwd: dir,
    readStdin: async () => Buffer.alloc(0),
    promptSecret: async () => undefined,
    openUrl: async () => {
      emu.setTokenActivationDelay(1500); // the first token's login is still being retried when the second click lands
      await emu.resetToken(user);
      second = new Promise((r) => setTimeout(() => r(emu.resetToken(user)), 300));
    },
  };
  const code = await main(
    [
      'reset',
      '--dotenv',
      envPath,
      '--imap-host',
      '127.0.0.1',
      '--imap-port',
      String(imap.port),
      '--imap-user',
      user,
      '--insecure-tls',
      '--timeout',
      '40',
    ],
    io,
  );
  emu.setTokenActivationDelay(0);
  const tokenB = await second!;
  assert.equal(code, 0, errs.join(''));
  assert.equal(JSON.parse(out.join('')).status, 'ok');
  assert.equal(parseEnv(readFileSync(envPath, 'utf8')).SF_SECURITY_TOKEN, tokenB);
  assert.equal(tokenB, emu.currentToken(user));
  assert.ok(!errs.join('').includes(tokenB), 'no token on stderr');
});

test('a login rejected with the new token keeps the watch going until the window ends, then reports that login', {
  timeout: 60_000,
}, async () => {
  const user = USERS[3]!;
  const f = flowDeps(user);
  let statuses: string[] = [];
  const result = await runResetFlow({
    ...f.deps,
    secrets: { password: 'Not-The-Passw0rd' },
    timeoutMs: 4000,
    retryInvalidLogin: { attempts: 2, delayMs: 100 },
    onStatus: (s) => (statuses = [...statuses, s]),
    open: async () => void (await emu.resetToken(user)),
  });
  assert.equal(result.health.status, 'invalid-login');
  assert.equal(result.token.token, emu.currentToken(user));
  assert.ok(
    statuses.some((s) => /still watching for a newer token mail/.test(s)),
    statuses.join(' | '),
  );
});
