/**
 * testLogin over real HTTP against the emulator: every health state, both login flows, the
 * token-activation retry, closed port, HTML 200, garbage, slow (timeout), connection reset, abort,
 * the v65 refusal, proxies (CONNECT tunnel to an https emulator, absolute-URI for http, NO_PROXY,
 * refused tunnel) and CA handling. Loopback only.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startEmulator, type Emulator, type EmulatorFault } from '../../src/emulator';
import { closedPort } from '../servers/fakeTcp';
import { startProxy } from '../servers/proxy';
import { trySelfSignedCert } from '../servers/tls';
import { testLogin, type LoginOptions } from '../../src/salesforce/login';
import type { OrgProfile, OrgSecrets } from '../../src/core/profile';
import type { HealthStatus } from '../../src/core/health';

let emu: Emulator;
let n = 0;

before(async () => {
  emu = await startEmulator({
    users: [],
    orgs: [{ name: 'Login Test Org', clients: [{ clientId: 'cid-1', clientSecret: 'csecret-1' }] }],
    slowMs: 60_000,
  });
});
after(async () => {
  await emu.close();
});

function newUser(extra: Partial<Parameters<Emulator['addUser']>[0]> = {}) {
  n++;
  const u = emu.addUser({
    username: `user${n}@login.test`,
    password: `Pw-${n}-secret`,
    firstName: 'Ada',
    lastName: `Tester${n}`,
    ...extra,
  });
  const profile: OrgProfile = {
    id: u.username,
    name: u.username,
    loginUrl: emu.url,
    username: u.username,
    apiVersion: '64.0',
  };
  const secrets: OrgSecrets = { password: u.password, token: u.token };
  return { u, profile, secrets };
}

async function expectStatus(
  status: HealthStatus,
  code: string | null,
  profile: OrgProfile,
  secrets: OrgSecrets,
  opts: LoginOptions = {},
) {
  const r = await testLogin(profile, secrets, { timeoutMs: 10_000, ...opts });
  assert.equal(r.status, status, `${r.status} ${r.code} ${r.message}`);
  if (code !== undefined) assert.equal(r.code, code);
  assert.ok(r.message.length > 10);
  return r;
}

test('jsforce 3.10.16 is the pinned version, loads on this Node and logs in (SOAP)', async () => {
  const pkg = JSON.parse(readFileSync(require.resolve('jsforce/package.json'), 'utf8')) as { version: string };
  assert.equal(pkg.version, '3.10.16');
  const { u, profile, secrets } = newUser();
  const r = await expectStatus('ok', null, profile, secrets);
  assert.equal(r.label, 'Connected');
  assert.equal(r.flow, 'soap');
  assert.equal(r.organizationId, u.orgId);
  assert.equal(r.username, u.username);
  assert.equal(r.instanceUrl, emu.url);
  assert.equal(r.orgName, 'Login Test Org');
  assert.equal(r.userFullName, `Ada Tester${n}`);
  assert.equal(typeof r.apiRequestsRemaining, 'number');
  assert.equal(r.apiRequestsMax, 15000);
  assert.match(r.message, /Login Test Org/);
});

test('OAuth username-password flow: identity + org name + limits', async () => {
  const { u, profile, secrets } = newUser();
  const r = await expectStatus(
    'ok',
    null,
    { ...profile, clientId: 'cid-1' },
    { ...secrets, clientSecret: 'csecret-1' },
  );
  assert.equal(r.flow, 'oauth');
  assert.equal(r.organizationId, u.orgId);
  assert.equal(r.orgName, 'Login Test Org');
  assert.equal(r.userFullName, `Ada Tester${n}`);
  assert.ok((r.apiRequestsRemaining ?? 0) > 0);
});

test('fetchLimits: false skips limits()', async () => {
  const { profile, secrets } = newUser();
  const before = emu.stats.apiCalls;
  const r = await expectStatus('ok', null, profile, secrets, { fetchLimits: false });
  assert.equal(r.apiRequestsRemaining, null);
  assert.equal(emu.stats.apiCalls, before);
});

test('wrong, missing and superseded tokens', async () => {
  const { u, profile, secrets } = newUser();
  await expectStatus('invalid-login', 'INVALID_LOGIN', profile, { ...secrets, token: 'WrongTokenWrongTokenWrong' });
  await expectStatus('invalid-login', 'INVALID_LOGIN', profile, { ...secrets, password: 'nope' });
  await expectStatus('token-required', 'LOGIN_MUST_USE_SECURITY_TOKEN', profile, { password: secrets.password });
  const old = u.token;
  const fresh = await emu.resetToken(u.username, { deliver: false });
  await expectStatus('invalid-login', 'INVALID_LOGIN', profile, { ...secrets, token: old });
  await expectStatus('ok', null, profile, { ...secrets, token: fresh });
  const unknown = { ...profile, username: 'nobody@login.test' };
  await expectStatus('invalid-login', 'INVALID_LOGIN', unknown, secrets);
});

test('passwords with XML, URL and non-ASCII characters work in both flows', async () => {
  const { profile, secrets } = newUser({ password: `p&<>"'%+= ;é中${n}` });
  await expectStatus('ok', null, profile, secrets);
  await expectStatus('ok', null, { ...profile, clientId: 'cid-1' }, { ...secrets, clientSecret: 'csecret-1' });
});

test('every forced SOAP fault maps to its health state', async () => {
  const table: Array<[EmulatorFault, HealthStatus, string]> = [
    ['INVALID_LOGIN', 'invalid-login', 'INVALID_LOGIN'],
    ['LOGIN_MUST_USE_SECURITY_TOKEN', 'token-required', 'LOGIN_MUST_USE_SECURITY_TOKEN'],
    ['passwordExpired', 'password-expired', 'passwordExpired'],
    ['INVALID_OPERATION_WITH_EXPIRED_PASSWORD', 'password-expired', 'INVALID_OPERATION_WITH_EXPIRED_PASSWORD'],
    ['PASSWORD_LOCKOUT', 'locked-out', 'PASSWORD_LOCKOUT'],
    ['SOAP_LOGIN_DISABLED', 'soap-login-disabled', 'INVALID_OPERATION'],
    ['INSUFFICIENT_ACCESS', 'soap-login-disabled', 'INSUFFICIENT_ACCESS'],
    ['API_DISABLED_FOR_ORG', 'api-disabled', 'API_DISABLED_FOR_ORG'],
    ['API_CURRENTLY_DISABLED', 'api-disabled', 'API_CURRENTLY_DISABLED'],
    ['SERVER_UNAVAILABLE', 'org-unavailable', 'SERVER_UNAVAILABLE'],
    ['ORG_LOCKED', 'org-unavailable', 'ORG_LOCKED'],
    ['ORG_IN_MAINTENANCE', 'org-unavailable', 'ORG_IN_MAINTENANCE'],
    ['TRIAL_EXPIRED', 'org-unavailable', 'TRIAL_EXPIRED'],
    ['REQUEST_LIMIT_EXCEEDED', 'rate-limited', 'REQUEST_LIMIT_EXCEEDED'],
    ['UNSUPPORTED_API_VERSION', 'login-failed', 'UNSUPPORTED_API_VERSION'],
    ['UNKNOWN_EXCEPTION', 'login-failed', 'UNKNOWN_EXCEPTION'],
  ];
  const { u, profile, secrets } = newUser();
  for (const style of ['plain', 'sf', 'ns1'] as const) {
    for (const [fault, status, code] of table) {
      emu.setFault(u.username, fault, { faultcodeStyle: style });
      await expectStatus(status, code, profile, secrets);
    }
  }
  emu.setFault(u.username, null);
  await expectStatus('ok', null, profile, secrets);
});

test('SOAP login disabled in the org, INSUFFICIENT_ACCESS, API disabled: org settings', async () => {
  const orgId = emu.addOrg({
    name: 'Winter 26 Org',
    soapLoginDisabled: true,
    clients: [{ clientId: 'cid-w26', clientSecret: 'cs-w26' }],
  }).id;
  const { profile, secrets } = newUser({ org: orgId });
  const r = await expectStatus('soap-login-disabled', 'INVALID_OPERATION', profile, secrets);
  assert.match(r.message, /Summer '27/);
  assert.match(r.message, /OAuth/);
  // OAuth still works in that org
  await expectStatus('ok', null, { ...profile, clientId: 'cid-w26' }, { ...secrets, clientSecret: 'cs-w26' });
  emu.setOrg(orgId, { soapLoginDisabled: false, requireUseAnyApiAuth: true });
  const { profile: p2, secrets: s2 } = newUser({ org: orgId, useAnyApiAuth: false });
  await expectStatus('soap-login-disabled', 'INSUFFICIENT_ACCESS', p2, s2);
  emu.setOrg(orgId, { requireUseAnyApiAuth: false, apiDisabled: true });
  await expectStatus('api-disabled', 'API_DISABLED_FOR_ORG', p2, s2);
});

test('API version 65.0: the SOAP login() refusal', async () => {
  const { profile, secrets } = newUser();
  const r = await expectStatus('soap-login-disabled', 'INVALID_OPERATION', { ...profile, apiVersion: '65.0' }, secrets);
  assert.match(r.message, /65\.0/);
  await expectStatus('login-failed', 'UNSUPPORTED_API_VERSION', { ...profile, apiVersion: '30.0' }, secrets);
});

test('OAuth failures: invalid_grant (bad password or blocked flow: said honestly), bad client', async () => {
  const orgId = emu.addOrg({
    name: 'Summer 23 Org',
    oauthUsernamePasswordBlocked: true,
    clients: [{ clientId: 'cid-s23', clientSecret: 'cs-s23' }],
  }).id;
  const { profile, secrets } = newUser({ org: orgId });
  const blocked = await expectStatus(
    'invalid-login',
    'invalid_grant',
    { ...profile, clientId: 'cid-s23' },
    { ...secrets, clientSecret: 'cs-s23' },
  );
  assert.match(blocked.message, /blocks the username-password OAuth flow/);
  const { profile: p2, secrets: s2 } = newUser();
  await expectStatus(
    'invalid-login',
    'invalid_grant',
    { ...p2, clientId: 'cid-1' },
    { ...s2, token: 'bad', clientSecret: 'csecret-1' },
  );
  await expectStatus(
    'app-not-approved',
    'invalid_client_id',
    { ...p2, clientId: 'no-such-client' },
    { ...s2, clientSecret: 'x' },
  );
  await expectStatus(
    'app-not-approved',
    'invalid_client',
    { ...p2, clientId: 'cid-1' },
    { ...s2, clientSecret: 'wrong-secret' },
  );
  emu.setFault(p2.username, 'REQUEST_LIMIT_EXCEEDED');
  await expectStatus(
    'rate-limited',
    'rate_limit_exceeded',
    { ...p2, clientId: 'cid-1' },
    { ...s2, clientSecret: 'csecret-1' },
  );
  emu.setFault(p2.username, 'html');
  await expectStatus(
    'unexpected-response',
    'HTML_RESPONSE',
    { ...p2, clientId: 'cid-1' },
    { ...s2, clientSecret: 'csecret-1' },
  );
  emu.setFault(p2.username, 'garbage');
  await expectStatus(
    'unexpected-response',
    'UNPARSEABLE_RESPONSE',
    { ...p2, clientId: 'cid-1' },
    { ...s2, clientSecret: 'csecret-1' },
  );
  emu.setFault(p2.username, null);
});

test('transport faults: HTML 200, HTML 500, garbage, empty, connection reset', async () => {
  const { u, profile, secrets } = newUser();
  const cases: Array<[EmulatorFault, HealthStatus, string]> = [
    ['html', 'unexpected-response', 'HTML_RESPONSE'],
    ['html-500', 'unexpected-response', 'HTML_RESPONSE'],
    ['garbage', 'unexpected-response', 'UNPARSEABLE_RESPONSE'],
    ['empty', 'unexpected-response', 'EMPTY_RESPONSE'],
    ['reset', 'network-error', 'ECONNRESET'],
  ];
  for (const [fault, status, code] of cases) {
    emu.setFault(u.username, fault);
    await expectStatus(status, code, profile, secrets);
  }
  // A captive portal answers every request: the global fault.
  emu.setFault(u.username, null);
  emu.setFault('*', 'html');
  await expectStatus('unexpected-response', 'HTML_RESPONSE', profile, secrets);
  emu.setFault('*', null);
  await expectStatus('ok', null, profile, secrets);
});

test('slow server: the timeout ends the test with network-error ETIMEDOUT (never hangs)', async () => {
  const { u, profile, secrets } = newUser();
  emu.setFault(u.username, 'slow');
  const r = await expectStatus('network-error', 'ETIMEDOUT', profile, secrets, { timeoutMs: 300 });
  assert.match(r.message, /did not answer in time/);
  emu.setFault(u.username, 'hang');
  await expectStatus('network-error', 'ETIMEDOUT', profile, secrets, { timeoutMs: 300 });
  emu.setFault(u.username, null);
});

test('AbortSignal ends a hanging login', async () => {
  const { u, profile, secrets } = newUser();
  emu.setFault(u.username, 'hang');
  const ac = new AbortController();
  const p = testLogin(profile, secrets, { signal: ac.signal, timeoutMs: 60_000 });
  setTimeout(() => ac.abort(), 100);
  const r = await p;
  assert.equal(r.status, 'network-error');
  assert.equal(r.code, 'ABORT_ERR');
  emu.setFault(u.username, null);
  const pre = new AbortController();
  pre.abort();
  assert.equal((await testLogin(profile, secrets, { signal: pre.signal })).code, 'ABORT_ERR');
});

test('closed port: network-error ECONNREFUSED', async () => {
  const port = await closedPort();
  const { profile, secrets } = newUser();
  const r = await expectStatus(
    'network-error',
    'ECONNREFUSED',
    { ...profile, loginUrl: `http://127.0.0.1:${port}` },
    secrets,
  );
  assert.match(r.message, /refused/);
});

test('token activation delay: INVALID_LOGIN right after a reset is retried with backoff', async () => {
  const { u, profile } = newUser();
  emu.setTokenActivationDelay(400);
  const fresh = await emu.resetToken(u.username, { deliver: false });
  emu.setTokenActivationDelay(0);
  const secrets = { password: u.password, token: fresh };
  // Without retry: rejected (the new token does not work yet).
  await expectStatus('invalid-login', 'INVALID_LOGIN', profile, secrets);
  const retries: number[] = [];
  const r = await expectStatus('ok', null, profile, secrets, {
    retryInvalidLogin: { attempts: 8, delayMs: 100 },
    onRetry: (attempt) => retries.push(attempt),
  });
  assert.ok(retries.length >= 1, 'retried at least once');
  assert.equal(retries[0], 2);
  // A wrong token is still reported after the attempts run out.
  const tries: number[] = [];
  await expectStatus(
    'invalid-login',
    'INVALID_LOGIN',
    profile,
    { ...secrets, token: 'stillWrongstillWrongstill' },
    {
      retryInvalidLogin: { attempts: 3, delayMs: 1 },
      onRetry: (a) => tries.push(a),
    },
  );
  assert.deepEqual(tries, [2, 3]);
  // The wait is abortable.
  const ac = new AbortController();
  const p = testLogin(
    profile,
    { ...secrets, token: 'stillWrongstillWrongstill' },
    { signal: ac.signal, retryInvalidLogin: { attempts: 5, delayMs: 30_000 }, onRetry: () => ac.abort() },
  );
  assert.equal((await p).code, 'ABORT_ERR');
  void r;
});

test('MFA for API logins: a TOTP code instead of the token', async () => {
  const { profile, secrets } = newUser({ mfaCode: '123456' });
  await expectStatus('ok', null, { ...profile, mfaForApi: true }, { password: secrets.password, mfaCode: '123456' });
  await expectStatus(
    'invalid-login',
    'INVALID_LOGIN',
    { ...profile, mfaForApi: true },
    { password: secrets.password, mfaCode: '654321' },
  );
  await expectStatus(
    'login-failed',
    'MFA_CODE_REQUIRED',
    { ...profile, mfaForApi: true },
    { password: secrets.password },
  );
});

test('precondition failures are reported, not thrown', async () => {
  const { profile, secrets } = newUser();
  await expectStatus('login-failed', 'MISSING_PASSWORD', profile, { token: secrets.token });
  await expectStatus('login-failed', 'INVALID_LOGIN_URL', { ...profile, loginUrl: 'http://example.com' }, secrets);
  await expectStatus('login-failed', 'INVALID_API_VERSION', { ...profile, apiVersion: 'latest' }, secrets);
});

// ---- proxies and CAs ----

test('proxy: CONNECT tunnel to an https org, strictSSL and extra CAs', async (t) => {
  const tls = trySelfSignedCert();
  if (!tls) {
    t.skip('openssl not available');
    return;
  }
  tls.cleanup(); // key and cert are in memory
  const secure = await startEmulator({
    users: [{ username: 'tls@login.test', password: 'TlsPw-1', token: 'TlsTokenTlsTokenTlsToken1' }],
    tls,
  });
  const proxy = await startProxy();
  try {
    assert.match(secure.url, /^https:/);
    const profile: OrgProfile = { id: 'tls', name: 'tls', loginUrl: secure.url, username: 'tls@login.test' };
    const secrets: OrgSecrets = { password: 'TlsPw-1', token: 'TlsTokenTlsTokenTlsToken1' };
    // Self-signed certificate, verification on: a network error with the TLS code, no hang.
    const strict = await expectStatus('network-error', undefined as never, profile, secrets, {
      proxy: { url: proxy.url },
    });
    assert.match(strict.code ?? '', /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
    assert.ok(proxy.seen.some((s) => s.startsWith('CONNECT 127.0.0.1:')));
    // strictSSL false (VS Code http.proxyStrictSSL): accepted.
    const before = proxy.seen.length;
    const ok = await expectStatus('ok', null, profile, secrets, { proxy: { url: proxy.url, strictSSL: false } });
    assert.equal(ok.instanceUrl, secure.url);
    assert.ok(proxy.seen.length - before >= 2, 'login and limits both tunnelled');
    // Verification on, with the CA given: accepted.
    await expectStatus('ok', null, profile, secrets, { proxy: { url: proxy.url }, ca: tls.cert });
    // Direct (no proxy) with the CA.
    const seen = proxy.seen.length;
    await expectStatus('ok', null, profile, secrets, { ca: tls.cert });
    assert.equal(proxy.seen.length, seen);
  } finally {
    await proxy.close();
    await secure.close();
  }
});

test('proxy: http targets go as absolute-URI requests; NO_PROXY bypasses; a refused tunnel is reported', async () => {
  const proxy = await startProxy();
  const refusing = await startProxy({ refuse: 407 });
  try {
    const { profile, secrets } = newUser();
    await expectStatus('ok', null, profile, secrets, { proxy: { url: proxy.url } });
    assert.ok(
      proxy.seen.some((s) => s.startsWith(`POST ${emu.url}/services/Soap/u/64.0`)),
      proxy.seen.join('\n'),
    );
    const count = proxy.seen.length;
    await expectStatus('ok', null, profile, secrets, { proxy: { url: proxy.url, noProxy: 'localhost,127.0.0.1' } });
    assert.equal(proxy.seen.length, count, 'NO_PROXY bypassed the proxy');
    // An https target through a proxy that refuses CONNECT.
    const r = await expectStatus(
      'network-error',
      'PROXY_CONNECT_FAILED',
      { ...profile, loginUrl: 'https://127.0.0.1:9' },
      secrets,
      { proxy: { url: refusing.url } },
    );
    assert.match(r.message, /proxy/i);
    // A proxy that is not there.
    const dead = await expectStatus('network-error', 'ECONNREFUSED', profile, secrets, {
      proxy: { url: 'http://127.0.0.1:9' },
    });
    assert.ok(dead);
  } finally {
    await proxy.close();
    await refusing.close();
  }
});
