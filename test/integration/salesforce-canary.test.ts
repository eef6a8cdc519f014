/**
 * Canary: every login scenario runs with fake canary secrets (password, token, client secret, proxy
 * password); no log line (all levels), no HealthResult and no CLI output may contain any of them,
 * nor a Salesforce session id.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, type Emulator, type EmulatorFault } from '../../src/emulator';
import { startProxy } from '../servers/proxy';
import { testLogin, type LoginOptions } from '../../src/salesforce/login';
import { createLogger } from '../../src/core/log';
import { main } from '../../src/cli/main';
import type { OrgProfile, OrgSecrets } from '../../src/core/profile';

const CANARY_PW = 'CanaryPw-7f3e9a1b';
const CANARY_TOKEN = 'CanaryTok7f3e9a1bQwErTyU';
const CANARY_CLIENT_SECRET = 'CanaryClientSecret-5c2d';
const CANARY_PROXY_PW = 'CanaryProxyPw-81ab';
const CANARIES = [CANARY_PW, CANARY_TOKEN, CANARY_CLIENT_SECRET, CANARY_PROXY_PW, CANARY_PW + CANARY_TOKEN];
const SESSION_RE = /00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]{20,}/;

let emu: Emulator;
const lines: string[] = [];
const outputs: string[] = [];
const log = createLogger((level, line) => lines.push(`${level} ${line}`));

before(async () => {
  emu = await startEmulator({
    users: [{ username: 'canary@login.test', password: CANARY_PW, token: CANARY_TOKEN }],
    orgs: [{ name: 'Canary Org', clients: [{ clientId: 'canary-cid', clientSecret: CANARY_CLIENT_SECRET }] }],
    slowMs: 30_000,
  });
});
after(async () => {
  await emu.close();
});

const profile = (): OrgProfile => ({
  id: 'c',
  name: 'c',
  loginUrl: emu.url,
  username: 'canary@login.test',
  apiVersion: '64.0',
});
const secrets = (): OrgSecrets => ({ password: CANARY_PW, token: CANARY_TOKEN });

async function login(p: OrgProfile, s: OrgSecrets, opts: LoginOptions = {}) {
  const r = await testLogin(p, s, { log, timeoutMs: 5_000, ...opts });
  outputs.push(JSON.stringify(r));
  return r;
}

test('all login scenarios with canary secrets: no secret in any log line or result', async () => {
  const u = 'canary@login.test';
  assert.equal((await login(profile(), secrets())).status, 'ok');
  assert.equal(
    (await login({ ...profile(), clientId: 'canary-cid' }, { ...secrets(), clientSecret: CANARY_CLIENT_SECRET }))
      .status,
    'ok',
  );
  assert.equal(
    (
      await login(
        { ...profile(), clientId: 'canary-cid' },
        { password: CANARY_PW, token: 'x', clientSecret: CANARY_CLIENT_SECRET },
      )
    ).status,
    'invalid-login',
  );
  assert.equal(
    (await login(profile(), { password: CANARY_PW, token: CANARY_TOKEN.slice(0, -1) + 'Z' })).status,
    'invalid-login',
  );
  assert.equal((await login(profile(), { password: CANARY_PW })).status, 'token-required');
  assert.equal((await login({ ...profile(), apiVersion: '65.0' }, secrets())).status, 'soap-login-disabled');
  const faults: EmulatorFault[] = [
    'INVALID_LOGIN',
    'LOGIN_MUST_USE_SECURITY_TOKEN',
    'PASSWORD_LOCKOUT',
    'passwordExpired',
    'INVALID_OPERATION_WITH_EXPIRED_PASSWORD',
    'API_DISABLED_FOR_ORG',
    'API_CURRENTLY_DISABLED',
    'SERVER_UNAVAILABLE',
    'ORG_LOCKED',
    'ORG_IN_MAINTENANCE',
    'TRIAL_EXPIRED',
    'REQUEST_LIMIT_EXCEEDED',
    'INSUFFICIENT_ACCESS',
    'UNSUPPORTED_API_VERSION',
    'SOAP_LOGIN_DISABLED',
    'UNKNOWN_EXCEPTION',
    'html',
    'html-500',
    'garbage',
    'empty',
    'reset',
  ];
  for (const f of faults) {
    emu.setFault(u, f);
    const r = await login(profile(), secrets());
    assert.notEqual(r.status, 'ok', f);
    const o = await login(
      { ...profile(), clientId: 'canary-cid' },
      { ...secrets(), clientSecret: CANARY_CLIENT_SECRET },
    );
    assert.notEqual(o.status, 'ok', `oauth ${f}`);
  }
  emu.setFault(u, 'slow');
  assert.equal((await login(profile(), secrets(), { timeoutMs: 200 })).code, 'ETIMEDOUT');
  emu.setFault(u, null);
  assert.equal((await login({ ...profile(), loginUrl: 'http://127.0.0.1:9' }, secrets())).code, 'ECONNREFUSED');
  assert.equal(
    (
      await login(
        profile(),
        { password: CANARY_PW, token: 'WrongWrongWrongWrongWrong' },
        { retryInvalidLogin: { attempts: 2, delayMs: 1 } },
      )
    ).status,
    'invalid-login',
  );
  const proxy = await startProxy({ credentials: `proxyuser:${CANARY_PROXY_PW}` });
  try {
    assert.equal((await login(profile(), secrets(), { proxy: { url: proxy.url } })).status, 'ok');
    assert.ok(
      proxy.auth.some((a) => a.startsWith('Basic ')),
      'proxy credentials were sent',
    );
    assert.equal(
      (await login({ ...profile(), loginUrl: 'https://127.0.0.1:9' }, secrets(), { proxy: { url: proxy.url } })).status,
      'network-error',
    );
  } finally {
    await proxy.close();
  }

  assert.ok(lines.length > 50, `captured ${lines.length} log lines`);
  assert.ok(
    lines.some((l) => l.startsWith('trace ')),
    'trace lines captured too',
  );
  for (const text of [...lines, ...outputs]) {
    for (const c of CANARIES) assert.ok(!text.includes(c), `secret leaked: ${text.slice(0, 200)}`);
    assert.doesNotMatch(text, SESSION_RE);
    assert.ok(!text.includes(Buffer.from(`proxyuser:${CANARY_PROXY_PW}`).toString('base64')));
  }
});

test('the CLI with canary secrets: stdout and stderr stay clean (ok, failures, verbose)', async () => {
  const run = async (env: Record<string, string>, argv: string[] = ['--verbose']) => {
    let out = '';
    const code = await main(['login', ...argv], {
      stdout: (t) => (out += t),
      stderr: (t) => (out += t),
      env,
      cwd: '/nonexistent-dir-for-test',
      readStdin: async () => Buffer.alloc(0),
    });
    return { code, out };
  };
  const base = {
    SF_LOGIN_URL: emu.url,
    SF_USERNAME: 'canary@login.test',
    SF_PASSWORD: CANARY_PW,
    SF_SECURITY_TOKEN: CANARY_TOKEN,
  };
  const results = [
    await run(base),
    await run({ ...base, SF_SECURITY_TOKEN: 'WrongWrongWrongWrongWrong' }),
    await run({ ...base, SF_CLIENT_ID: 'canary-cid', SF_CLIENT_SECRET: CANARY_CLIENT_SECRET }),
    await run({ ...base, SF_CLIENT_ID: 'canary-cid', SF_CLIENT_SECRET: 'Wrong' + CANARY_CLIENT_SECRET }),
    await run({ ...base, SF_LOGIN_URL: 'http://127.0.0.1:9' }),
    await run({ ...base, SF_USERNAME: '' }),
    await run({ ...base, SF_LOGIN_URL: `http://evil.example/?pw=${CANARY_PW}` }),
  ];
  assert.deepEqual(
    results.map((r) => r.code),
    [0, 1, 0, 1, 1, 2, 2],
  );
  for (const r of results) {
    for (const c of CANARIES) assert.ok(!r.out.includes(c), `secret leaked: ${r.out.slice(0, 300)}`);
    assert.doesNotMatch(r.out, SESSION_RE);
  }
});
