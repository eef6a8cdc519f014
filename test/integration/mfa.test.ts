/**
 * Issue 16 item 3: Multi-Factor Authentication for API logins in the CLI. `token-relay login|reset --mfa-code` as a
 * real process (tsx on src/cli.ts) against the emulator, whose user has a TOTP secret (RFC 6238): the code piped on
 * stdin replaces the security token for that login only; a value on the command line is refused (exit 2); a wrong
 * code is MFA_CODE_REJECTED and not retried; a login without token or code says to rerun with --mfa-code; five wrong
 * codes lock the user out. Canary: neither the password nor a code reaches stdout, stderr or the env file.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../src/emulator';
import { totp } from '../../src/core/mfa';
import { testLogin } from '../../src/salesforce/login';

const root = path.resolve(__dirname, '../..');
const SECRET = 'JBSWY3DPEHPK3PXPCANARYMFA2'; // base32; the emulator user's authenticator secret
const USER = 'mfa-user@login.test';
const PW = 'MfaCanaryPassw0rd-16';
let emu: Emulator;
let dir: string;
let envPath: string;
let envBytes: string;

before(async () => {
  emu = await startEmulator({
    users: [{ username: USER, password: PW, mfaSecret: SECRET }],
    orgs: [{ name: 'MFA Org' }],
  });
  dir = mkdtempSync(path.join(tmpdir(), 'tr-mfa-'));
  envPath = path.join(dir, '.env');
  envBytes = `SF_USERNAME=${USER}\nSF_PASSWORD=${PW}\nSF_LOGIN_URL=${emu.url}\nSF_API_VERSION=64.0\n`;
  writeFileSync(envPath, envBytes, { mode: 0o600 });
});
after(async () => {
  await emu?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function cli(argv: string[], stdin: string): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli.ts'), ...argv], {
      cwd: root, // tsx resolves from here; every run names its env file
      env: { PATH: process.env.PATH ?? '', HOME: dir },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => resolve({ code, out, err }));
    p.stdin.end(stdin);
  });
}

/** Nothing secret in the run's output, and the env file byte-for-byte as it was. */
function assertClean(r: Run, code?: string): void {
  for (const text of [r.out, r.err]) {
    assert.ok(!text.includes(PW), 'the password was printed');
    if (code) assert.ok(!text.includes(code), 'the authenticator code was printed');
  }
  assert.equal(readFileSync(envPath, 'utf8'), envBytes, 'the env file changed');
}

/** A code that the emulator takes now (not one step before a step boundary, so it still works when it arrives). */
async function freshCode(): Promise<string> {
  const inStep = Date.now() % 30_000;
  if (inStep > 27_000) await new Promise((r) => setTimeout(r, 30_500 - inStep));
  return totp(SECRET);
}

/** A 6-digit code that is none of the codes the emulator accepts now (the current one and one step either side). */
function wrongCode(): string {
  const valid = new Set([-1, 0, 1].map((d) => totp(SECRET, Date.now() + d * 30_000)));
  for (let i = 0; ; i++) {
    const c = String((123456 + i * 7919) % 1_000_000).padStart(6, '0');
    if (!valid.has(c)) return c;
  }
}

test('login --mfa-code: the code piped on stdin replaces the token; ok, exit 0, nothing written or printed', async () => {
  const code = await freshCode();
  // --verbose: the log lines of the login (requests, answers) must not carry the code or the password either.
  const r = await cli(['login', '--dotenv', envPath, '--mfa-code', '--no-limits', '--verbose'], `${code}\n`);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /SOAP login\(\)/, 'the verbose log ran');
  const j = JSON.parse(r.out) as { status: string; username: string };
  assert.equal(j.status, 'ok');
  assert.equal(j.username, USER);
  assertClean(r, code);
});

test('login --mfa-code accepts the code as apps show it ("123 456")', async () => {
  const code = await freshCode();
  const r = await cli(
    ['login', '--dotenv', envPath, '--mfa-code', '--no-limits'],
    `${code.slice(0, 3)} ${code.slice(3)}\n`,
  );
  assert.equal(r.code, 0, r.err);
  assertClean(r, code);
});

test('a value for --mfa-code is refused with exit 2 and the reason (ps), before any login', async () => {
  const before = emu.stats.soapLogins;
  for (const argv of [
    ['login', '--dotenv', envPath, '--mfa-code=123456'],
    ['login', '--dotenv', envPath, '--mfa-code', '123456'],
    ['reset', '--dotenv', envPath, '--mfa-code=123456'],
  ]) {
    const r = await cli(argv, '');
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, /takes no value/);
    assert.match(r.err, /\bps\b/);
    assert.equal(r.out, '');
    assertClean(r);
  }
  assert.equal(emu.stats.soapLogins, before, 'no login was attempted');
});

test('login --mfa-code with no code, or not 6 digits, on stdin: exit 2, no login', async () => {
  const before = emu.stats.soapLogins;
  for (const input of ['', '12345\n', 'abcdef\n', '1234567\n']) {
    const r = await cli(['login', '--dotenv', envPath, '--mfa-code'], input);
    assert.equal(r.code, 2, `${JSON.stringify(input)}: ${r.err}`);
    assert.match(r.err, /authenticator code/);
    assert.ok(!input.trim() || !r.err.includes(input.trim()), 'the input was echoed');
    assertClean(r);
  }
  assert.equal(emu.stats.soapLogins, before);
});

test('login without token or code: the fault is kept and the message says to rerun with --mfa-code', async () => {
  const r = await cli(['login', '--dotenv', envPath, '--no-limits'], '');
  assert.equal(r.code, 1, r.err);
  const j = JSON.parse(r.out) as { status: string; code: string; message: string };
  assert.equal(j.status, 'token-required');
  assert.equal(j.code, 'LOGIN_MUST_USE_SECURITY_TOKEN');
  assert.match(j.message, /Multi-Factor Authentication for API logins/);
  assert.match(j.message, /--mfa-code/);
  assertClean(r);
});

test('reset --mfa-code: nothing to reset for an MFA user; the login is tested with the code (no IMAP needed)', async () => {
  const code = await freshCode();
  const r = await cli(['reset', '--dotenv', envPath, '--mfa-code', '--no-open'], `${code}\n`);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /nothing to reset/);
  assert.equal((JSON.parse(r.out) as { status: string }).status, 'ok');
  assertClean(r, code);
});

test('a wrong code: invalid-login with code MFA_CODE_REJECTED, exit 1, one attempt only (no retry)', async () => {
  const code = wrongCode();
  const before = emu.stats.soapLogins;
  const r = await cli(['login', '--dotenv', envPath, '--mfa-code', '--no-limits'], `${code}\n`);
  assert.equal(r.code, 1, r.err);
  const j = JSON.parse(r.out) as { status: string; code: string; message: string };
  assert.equal(j.status, 'invalid-login');
  assert.equal(j.code, 'MFA_CODE_REJECTED');
  assert.match(j.message, /--mfa-code/);
  assert.equal(emu.stats.soapLogins, before + 1);
  assertClean(r, code);
  // Even when the caller asks for INVALID_LOGIN retries (the reset flow does), a rejected code is not retried.
  const again = emu.stats.soapLogins;
  const h = await testLogin(
    { id: USER, name: USER, loginUrl: emu.url, username: USER, apiVersion: '64.0', mfaForApi: true },
    { password: PW, mfaCode: wrongCode() },
    { retryInvalidLogin: { attempts: 4, delayMs: 1 }, fetchLimits: false },
  );
  assert.equal(h.code, 'MFA_CODE_REJECTED');
  assert.equal(emu.stats.soapLogins, again + 1);
});

test('five wrong codes in a row lock the user out; the message says why (last: it locks the user)', async () => {
  const profile = { id: USER, name: USER, loginUrl: emu.url, username: USER, apiVersion: '64.0', mfaForApi: true };
  let last = await testLogin(profile, { password: PW, mfaCode: wrongCode() }, { fetchLimits: false });
  for (let i = 1; i < 6; i++)
    last = await testLogin(profile, { password: PW, mfaCode: wrongCode() }, { fetchLimits: false });
  assert.equal(last.status, 'locked-out');
  assert.equal(last.code, 'PASSWORD_LOCKOUT');
  assert.match(last.message, /five wrong authenticator codes/);
  // Even the right code is refused during the lockout.
  const r = await cli(['login', '--dotenv', envPath, '--mfa-code', '--no-limits'], `${await freshCode()}\n`);
  assert.equal(r.code, 1);
  assert.equal((JSON.parse(r.out) as { status: string }).status, 'locked-out');
});
