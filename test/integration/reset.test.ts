/**
 * The Reset Token path end to end: Dovecot (or embedded IMAP) + the Salesforce emulator. "Clicking Reset" =
 * calling the emulator's reset API from the browser opener; the emulator delivers the token mail by APPEND.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
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
const USER = 'jane.doe@acme.example';
const SF_PASSWORD = 'Demo-Passw0rd!';
const IMAP_PASS = 'imap-secret-pass-1';

before(async () => {
  imap = await startImapServer();
  await imap.addUser(USER, IMAP_PASS);
  emu = await startEmulator({
    users: [{ username: USER, password: SF_PASSWORD, email: USER, language: 'en', sendVerificationCode: true }],
    deliver: async (to, raw) => {
      await imap.append(to.toLowerCase(), raw);
    },
  });
  dir = mkdtempSync(path.join(tmpdir(), 'token-relay-reset-test-'));
});
after(async () => {
  await emu?.close();
  await imap?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function fakeIO(env: Record<string, string>, openUrl?: (url: string) => Promise<void>) {
  const out: string[] = [];
  const errs: string[] = [];
  const io: CliIO = {
    stdout: (t) => out.push(t),
    stderr: (t) => errs.push(t),
    env,
    cwd: dir,
    readStdin: async () => Buffer.alloc(0),
    promptSecret: async () => undefined,
    openUrl,
  };
  return { io, out, errs };
}

test('runResetFlow: watcher first, page opened, token stored + written, login ok', { timeout: 30_000 }, async () => {
  const order: string[] = [];
  let stored = '';
  let written = '';
  const codes: string[] = [];
  const before = emu.stats.resets;
  const result = await runResetFlow({
    profile: { id: 'p', name: USER, loginUrl: emu.url, username: USER },
    secrets: { password: SF_PASSWORD },
    mailbox: imap.mailboxConfig(USER, IMAP_PASS),
    open: async (url) => {
      order.push('open');
      assert.match(url, /ResetApiToken/);
      assert.doesNotMatch(url, /ResetApiTokenConfirm/);
      await emu.resetToken(USER); // the user's click
    },
    storeToken: async (t) => {
      order.push('store');
      stored = t;
    },
    writeEnv: async (t) => {
      order.push('env');
      written = t;
      return undefined;
    },
    onVerificationCode: (c) => codes.push(c),
    onStatus: (s) => {
      if (/Waiting for the token mail/.test(s) && !order.includes('idle')) order.push('idle');
    },
    timeoutMs: 30_000,
    retryInvalidLogin: { attempts: 5, delayMs: 200 },
  });
  assert.deepEqual(order, ['idle', 'open', 'store', 'env']);
  assert.equal(result.token.token, emu.currentToken(USER));
  assert.equal(stored, result.token.token);
  assert.equal(written, result.token.token);
  assert.equal(result.health.status, 'ok');
  assert.equal(emu.stats.resets, before + 1);
  assert.equal(emu.stats.confirmHits, 0);
  assert.ok(codes.length <= 1);
});

test('runResetFlow: an earlier token mail already in the mailbox is not taken for the new one', {
  timeout: 30_000,
}, async () => {
  // a reset "a minute ago": its mail is in INBOX before the flow starts
  await emu.resetToken(USER);
  const stale = emu.currentToken(USER);
  const result = await runResetFlow({
    profile: { id: 'p', name: USER, loginUrl: emu.url, username: USER },
    secrets: { password: SF_PASSWORD },
    mailbox: imap.mailboxConfig(USER, IMAP_PASS),
    open: async () => {
      setTimeout(() => void emu.resetToken(USER), 50);
    },
    storeToken: async () => {},
    writeEnv: async () => undefined,
    timeoutMs: 30_000,
    retryInvalidLogin: { attempts: 5, delayMs: 200 },
  });
  assert.notEqual(result.token.token, stale);
  assert.equal(result.token.token, emu.currentToken(USER));
  assert.equal(result.health.status, 'ok');
});

test('runResetFlow: a mailbox that cannot connect fails before the browser opens', { timeout: 30_000 }, async () => {
  let opened = false;
  await assert.rejects(
    runResetFlow({
      profile: { id: 'p', name: USER, loginUrl: emu.url, username: USER },
      secrets: { password: SF_PASSWORD },
      mailbox: imap.mailboxConfig(USER, IMAP_PASS, { insecureTls: false }),
      open: async () => {
        opened = true;
      },
      storeToken: async () => {},
      writeEnv: async () => undefined,
    }),
    (e: Error) => e.name === 'MailboxError' && /insecureTls/.test(e.message),
  );
  assert.equal(opened, false);
});

test('CLI reset end to end: URL on stderr, .env written, login JSON, exit 0', { timeout: 30_000 }, async () => {
  const envPath = path.join(dir, 'reset.env');
  writeFileSync(
    envPath,
    `# org\nSF_USERNAME=${USER}\nSF_PASSWORD=${SF_PASSWORD}\nSF_LOGIN_URL=${emu.url}\nSF_SECURITY_TOKEN=old-token-value\nTOKEN_RELAY_IMAP_PASSWORD=${IMAP_PASS}\n`,
  );
  let openedUrl = '';
  const { io, out, errs } = fakeIO({}, async (url) => {
    openedUrl = url;
    await emu.resetToken(USER);
  });
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
      USER,
      '--insecure-tls',
      '--timeout',
      '30',
    ],
    io,
  );
  const stderr = errs.join('');
  assert.equal(code, 0, stderr);
  const json = JSON.parse(out.join(''));
  assert.deepEqual(Object.keys(json), [
    'status',
    'label',
    'code',
    'message',
    'organizationId',
    'username',
    'instanceUrl',
    'notice', // the final login is a working SOAP login(): the retirement notice (issue 14)
  ]);
  assert.equal(json.status, 'ok');
  assert.match(json.notice, /Summer '27/);
  const token = emu.currentToken(USER);
  assert.equal(parseEnv(readFileSync(envPath, 'utf8')).SF_SECURITY_TOKEN, token);
  assert.ok(readFileSync(envPath, 'utf8').startsWith('# org\n'), 'other bytes kept');
  assert.ok(stderr.includes(openedUrl) && /ResetApiToken/.test(openedUrl));
  for (const secret of [SF_PASSWORD, IMAP_PASS, token])
    assert.ok(!stderr.includes(secret) && !out.join('').includes(secret), 'no secret printed');
});

test('CLI reset --no-open prints the URL and does not open a browser; a timeout exits 1', {
  timeout: 30_000,
}, async () => {
  const envPath = path.join(dir, 'noopen.env');
  writeFileSync(envPath, `SF_USERNAME=${USER}\nSF_PASSWORD=${SF_PASSWORD}\nSF_LOGIN_URL=${emu.url}\n`);
  let opened = false;
  const { io, out, errs } = fakeIO({ TOKEN_RELAY_IMAP_PASSWORD: IMAP_PASS }, async () => {
    opened = true;
  });
  const code = await main(
    [
      'reset',
      '--dotenv',
      envPath,
      '--no-open',
      '--imap-host',
      '127.0.0.1',
      '--imap-port',
      String(imap.port),
      '--imap-user',
      USER,
      '--insecure-tls',
      '--timeout',
      '0.5',
    ],
    io,
  );
  assert.equal(code, 1);
  assert.equal(opened, false);
  assert.equal(out.join(''), '');
  assert.match(errs.join(''), /ResetApiToken/);
  assert.match(errs.join(''), /Timed out/);
});
