/** src/core/mfa.ts: RFC 6238 test vectors, base32, code parsing, the --mfa-code flag, the MFA classification. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MFA_CODE_REJECTED,
  base32Decode,
  base32Encode,
  classifyMfa,
  parseMfaCode,
  totp,
  verifyTotp,
} from '../../src/core/mfa';
import { readMfaCode, takeMfaFlag } from '../../src/cli/login';
import type { CliIO } from '../../src/cli/io';
import { classifyLoginError } from '../../src/core/health';

test('TOTP: the SHA-1 test vectors of RFC 6238 appendix B (8 digits)', () => {
  const key = Buffer.from('12345678901234567890');
  const vectors: Array<[number, string]> = [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ];
  for (const [t, want] of vectors) assert.equal(totp(key, t * 1000, { digits: 8 }), want, `T=${t}`);
  // The 6-digit code is the last six digits of the same value.
  assert.equal(totp(key, 59_000), '287082');
  assert.equal(totp(base32Encode(key), 59_000), '287082', 'base32 secret');
});

test('verifyTotp takes one step of drift either way, not two', () => {
  const s = 'JBSWY3DPEHPK3PXP';
  const now = 1_700_000_000_000;
  assert.ok(verifyTotp(s, totp(s, now), now));
  assert.ok(verifyTotp(s, totp(s, now - 30_000), now));
  assert.ok(verifyTotp(s, totp(s, now + 30_000), now));
  const far = totp(s, now - 90_000);
  if (![-1, 0, 1].some((d) => totp(s, now + d * 30_000) === far)) assert.ok(!verifyTotp(s, far, now));
});

test('base32 round trip; padding, spaces and lower case accepted; other characters refused', () => {
  const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 253, 254, 255, 7]);
  assert.deepEqual(base32Decode(base32Encode(bytes)), bytes);
  assert.deepEqual(base32Decode('jbsw y3dp ===='), base32Decode('JBSWY3DP'));
  assert.throws(() => base32Decode('JBSW1'));
});

test('parseMfaCode: six digits, spaces allowed; the reason never quotes the input', () => {
  assert.deepEqual(parseMfaCode('123456'), { code: '123456' });
  assert.deepEqual(parseMfaCode(' 123 456 \r'), { code: '123456' });
  for (const bad of [undefined, '', '12345', '1234567', 'abcdef', 'hunter2secret']) {
    const r = parseMfaCode(bad);
    assert.ok('error' in r, String(bad));
    if (bad) assert.ok(!r.error.includes(bad));
  }
});

test('takeMfaFlag: a flag without value; a value in either form is refused', () => {
  assert.deepEqual(takeMfaFlag(['--dotenv', 'x', '--mfa-code']), { argv: ['--dotenv', 'x'], mfa: true });
  assert.deepEqual(takeMfaFlag(['--mfa-code', '--dotenv', 'x']), { argv: ['--dotenv', 'x'], mfa: true });
  assert.deepEqual(takeMfaFlag(['--dotenv', 'x']), { argv: ['--dotenv', 'x'], mfa: false });
  assert.throws(() => takeMfaFlag(['--mfa-code=123456']), /takes no value.*ps/s);
  assert.throws(() => takeMfaFlag(['--mfa-code', '123456']), /takes no value/);
  assert.throws(() => takeMfaFlag(['--mfa-code', '123 456']), /takes no value/);
});

test('classifyMfa: INVALID_LOGIN after a code is MFA_CODE_REJECTED (state kept); no token, no code: a hint', () => {
  const invalid = classifyLoginError(
    new Error('INVALID_LOGIN: Invalid username, password, security token; or user locked out.'),
    'soap',
  );
  const rejected = classifyMfa(invalid, { usedCode: true, hadToken: false });
  assert.equal(rejected.status, 'invalid-login');
  assert.equal(rejected.code, MFA_CODE_REJECTED);
  assert.match(rejected.message, /authenticator code/);
  assert.equal(rejected.explain?.english, rejected.message);

  const hinted = classifyMfa(invalid, { usedCode: false, hadToken: false });
  assert.equal(hinted.code, 'INVALID_LOGIN');
  assert.match(hinted.message, /^Salesforce rejected the username.*--mfa-code/s);

  assert.deepEqual(classifyMfa(invalid, { usedCode: false, hadToken: true }), invalid, 'a token was sent: unchanged');
  const expired = classifyLoginError(new Error('INVALID_OPERATION_WITH_EXPIRED_PASSWORD: expired'), 'soap');
  assert.deepEqual(classifyMfa(expired, { usedCode: true, hadToken: false }), expired);
  const locked = classifyMfa(classifyLoginError(new Error('PASSWORD_LOCKOUT: locked'), 'soap'), {
    usedCode: true,
    hadToken: false,
  });
  assert.equal(locked.status, 'locked-out');
  assert.match(locked.message, /PASSWORD_LOCKOUT.*five wrong authenticator codes/s);
});

function fakeIO(over: Partial<CliIO>): { io: CliIO; asked: string[] } {
  const asked: string[] = [];
  const io: CliIO = {
    stdout: () => undefined,
    stderr: () => undefined,
    env: {},
    cwd: '/',
    readStdin: () => Promise.resolve(Buffer.from('999999\n')),
    ...over,
  };
  return { io, asked };
}

test('readMfaCode: a terminal asks hidden and never reads the code visibly; a pipe gives one line', async () => {
  let lineRead = false;
  const tty = fakeIO({
    stdinIsTTY: true,
    promptSecret: (q) => {
      assert.match(q, /Authenticator code for u@x\.test/);
      return Promise.resolve(' 123 456 ');
    },
    readLine: () => {
      lineRead = true;
      return Promise.resolve('111111');
    },
  });
  assert.equal(await readMfaCode(tty.io, 'u@x.test'), '123456');
  // Ctrl-C at the hidden prompt (undefined): no code, and no visible read of the terminal instead.
  const cancelled = fakeIO({
    stdinIsTTY: true,
    promptSecret: () => Promise.resolve(undefined),
    readLine: tty.io.readLine,
  });
  await assert.rejects(readMfaCode(cancelled.io, 'u@x.test'), /no authenticator code/);
  assert.equal(lineRead, false);
  // Piped: promptSecret has no terminal (undefined); the first line of stdin.
  const piped = fakeIO({ stdinIsTTY: false, promptSecret: () => Promise.resolve(undefined) });
  assert.equal(await readMfaCode(piped.io, 'u@x.test'), '999999');
  const bad = fakeIO({ readStdin: () => Promise.resolve(Buffer.from('12ab56\n')) });
  await assert.rejects(
    readMfaCode(bad.io, 'u@x.test'),
    (e: Error) => e.name === 'UsageError' && !e.message.includes('12ab56'),
  );
});
