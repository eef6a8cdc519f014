/** The sign-in seam: the method table, SF_AUTH parsing, profile validation at entry, and testLogin's precondition codes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AUTH_METHODS,
  SECRET_ENV_KEYS,
  SECRET_ENV_VARS,
  SIGN_IN_INFO,
  authMethodOf,
  parseAuthMethod,
  type AuthMethod,
} from '../../src/core/signin';
import {
  ProfileError,
  isValidProfile,
  loginFlow,
  profileFromEnv,
  profileLoginUrl,
  profileProblems,
  validateProfile,
  type OrgProfile,
  type OrgSecrets,
} from '../../src/core/profile';
import { LoginUrlError, resetPageUrl, resetPageUrlOf, validateLoginUrl } from '../../src/core/resetUrl';
import { SIGN_IN_METHODS } from '../../src/salesforce/signin/index';
import { testLogin } from '../../src/salesforce/login';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';

const base: OrgProfile = {
  id: 'u@x',
  name: 'u',
  loginUrl: 'https://acme.my.salesforce.com',
  username: 'u@acme.example',
};

test('the table: one entry per SF_AUTH value, keyed by its id', () => {
  assert.deepEqual([...AUTH_METHODS], ['password', 'password-oauth', 'oauth', 'sf-cli']);
  assert.deepEqual(Object.keys(SIGN_IN_INFO).sort(), [...AUTH_METHODS].sort());
  assert.deepEqual(Object.keys(SIGN_IN_METHODS).sort(), [...AUTH_METHODS].sort());
  for (const m of AUTH_METHODS) {
    const info = SIGN_IN_INFO[m];
    assert.equal(info.id, m);
    assert.ok(info.label.length > 5, m);
    assert.ok(info.envKeys.includes('SF_AUTH'), `${m} owns SF_AUTH`);
    assert.equal(new Set(info.envKeys).size, info.envKeys.length, `${m}: no key twice`);
    for (const k of info.secretKeys) assert.ok(k in SECRET_ENV_KEYS, `${m}: ${k}`);
    // A secret's env variable is owned by the methods that keep that secret.
    // (Not the optional ones: a public app has no client secret; the refresh token goes into .env only on opt-in.)
    for (const k of info.secretKeys)
      if (SECRET_ENV_KEYS[k] && k !== 'clientSecret' && k !== 'refreshToken')
        assert.ok(info.envKeys.includes(SECRET_ENV_KEYS[k]), `${m} owns ${SECRET_ENV_KEYS[k]}`);
    // An implementation carries its method's facts unchanged.
    const impl = SIGN_IN_METHODS[m];
    if (impl) {
      assert.equal(impl.id, m);
      assert.deepEqual(impl.envKeys, info.envKeys);
      assert.deepEqual(impl.secretKeys, info.secretKeys);
      assert.equal(impl.flow, info.flow);
      assert.equal(impl.canRefresh, !!impl.refresh, `${m}: canRefresh iff it has refresh()`);
    }
  }
});

test("the table: each method's keys, secrets, refresh and retirement", () => {
  const pw = SIGN_IN_INFO.password;
  assert.deepEqual(
    [...pw.envKeys],
    ['SF_AUTH', 'SF_USERNAME', 'SF_PASSWORD', 'SF_SECURITY_TOKEN', 'SF_LOGIN_URL', 'SF_API_VERSION'],
  );
  assert.deepEqual([...pw.secretKeys], ['password', 'token', 'mfaCode']);
  assert.equal(pw.flow, 'soap');
  assert.equal(pw.canRefresh, false);
  assert.equal(pw.retirement?.date, "Summer '27");
  assert.match(pw.retirement.notice, /Summer '27.*Switch to OAuth/);

  const po = SIGN_IN_INFO['password-oauth'];
  assert.deepEqual([...po.envKeys], [...pw.envKeys, 'SF_CLIENT_ID', 'SF_CLIENT_SECRET']);
  assert.deepEqual([...po.secretKeys], ['password', 'token', 'clientSecret', 'mfaCode']);
  assert.equal(po.flow, 'oauth');
  assert.equal(po.retirement?.date, '2027-02-20');
  assert.match(po.retirement.notice, /2027-02-20.*Switch to OAuth/);

  // CONTRACTS: oauth and sf-cli orgs get SF_INSTANCE_URL, SF_ACCESS_TOKEN, SF_USERNAME, SF_AUTH; oauth also SF_LOGIN_URL, SF_CLIENT_ID.
  assert.deepEqual([...SIGN_IN_INFO.oauth.envKeys].sort(), [
    'SF_ACCESS_TOKEN',
    'SF_AUTH',
    'SF_CLIENT_ID',
    'SF_INSTANCE_URL',
    'SF_LOGIN_URL',
    'SF_USERNAME',
  ]);
  assert.deepEqual([...SIGN_IN_INFO['sf-cli'].envKeys].sort(), [
    'SF_ACCESS_TOKEN',
    'SF_AUTH',
    'SF_INSTANCE_URL',
    'SF_TARGET_ORG',
    'SF_USERNAME',
  ]);
  assert.deepEqual([...SIGN_IN_INFO['sf-cli'].secretKeys], [], 'the sf CLI keeps its own secrets');
  assert.deepEqual([...SIGN_IN_INFO.oauth.secretKeys], ['clientSecret', 'refreshToken', 'accessToken']);
  for (const m of ['oauth', 'sf-cli'] as const) {
    assert.equal(SIGN_IN_INFO[m].canRefresh, true);
    assert.equal(SIGN_IN_INFO[m].retirement, undefined);
    assert.ok(!SIGN_IN_INFO[m].envKeys.includes('SF_PASSWORD'));
  }
  assert.ok(SIGN_IN_METHODS.oauth, 'issue 13: oauth is implemented');
  assert.ok(SIGN_IN_METHODS['sf-cli'], 'issue 14: sf-cli is implemented');
  // Secrets read from an env file are registered with the redactor: those of every method.
  assert.deepEqual(
    [...SECRET_ENV_VARS],
    ['SF_PASSWORD', 'SF_SECURITY_TOKEN', 'SF_CLIENT_SECRET', 'SF_REFRESH_TOKEN', 'SF_ACCESS_TOKEN'],
  );
});

test("parseAuthMethod and authMethodOf (absent SF_AUTH: today's rule)", () => {
  for (const m of AUTH_METHODS) assert.equal(parseAuthMethod(m), m);
  assert.equal(parseAuthMethod(' Password-OAuth '), 'password-oauth');
  assert.equal(parseAuthMethod('soap'), undefined);
  assert.equal(parseAuthMethod(''), undefined);
  assert.equal(parseAuthMethod(undefined), undefined);
  assert.equal(authMethodOf({}, {}), 'password');
  assert.equal(authMethodOf({ clientId: 'c' }, {}), 'password');
  assert.equal(authMethodOf({}, { clientSecret: 's' }), 'password');
  assert.equal(authMethodOf({ clientId: 'c' }, { clientSecret: 's' }), 'password-oauth');
  assert.equal(authMethodOf({ auth: 'password', clientId: 'c' }, { clientSecret: 's' }), 'password', 'SF_AUTH wins');
  assert.equal(authMethodOf({ auth: 'sf-cli' }, {}), 'sf-cli');
  assert.equal(loginFlow({ ...base, auth: 'password', clientId: 'c' }, { clientSecret: 's' }), 'soap');
  assert.equal(loginFlow({ ...base, auth: 'oauth' }, {}), 'oauth');
});

test('profileFromEnv: SF_AUTH', () => {
  const env = { SF_USERNAME: 'u@acme.example', SF_PASSWORD: 'p' };
  assert.equal(profileFromEnv(env).profile.auth, undefined, 'absent: no auth (the rule decides)');
  assert.equal(profileFromEnv({ ...env, SF_AUTH: '' }).profile.auth, undefined);
  for (const m of AUTH_METHODS) assert.equal(profileFromEnv({ ...env, SF_AUTH: m }).profile.auth, m);
  assert.equal(profileFromEnv({ ...env, SF_AUTH: 'SF-CLI' }).profile.auth, 'sf-cli');
  assert.throws(
    () => profileFromEnv({ ...env, SF_AUTH: 'kerberos' }),
    (e: unknown) =>
      e instanceof ProfileError &&
      e.field === 'SF_AUTH' &&
      /SF_AUTH "kerberos" is not a sign-in method/.test(e.message),
  );
  // The order of usage errors stays: username, login URL, API version, then SF_AUTH.
  assert.throws(
    () => profileFromEnv({ SF_AUTH: 'x' }),
    (e: unknown) => e instanceof ProfileError && e.field === 'SF_USERNAME',
  );
  assert.throws(
    () => profileFromEnv({ ...env, SF_AUTH: 'x', SF_LOGIN_URL: 'http://acme.example' }),
    (e: unknown) => e instanceof ProfileError && e.field === 'SF_LOGIN_URL',
  );
  assert.throws(
    () => profileFromEnv({ ...env, SF_AUTH: 'x', SF_API_VERSION: 'new' }),
    (e: unknown) => e instanceof ProfileError && e.field === 'SF_API_VERSION',
  );
});

test('validateProfile: made once where a profile enters, trusted after', () => {
  const v = validateProfile({
    ...base,
    loginUrl: 'https://ACME.lightning.force.com/lightning/page/home',
    apiVersion: 'v62',
  });
  assert.equal(v.loginUrl, 'https://acme.my.salesforce.com');
  assert.equal(v.apiVersion, '62.0');
  assert.ok(isValidProfile(v));
  assert.equal(validateProfile(v), v, 'a ValidProfile is returned as is');
  assert.equal(profileLoginUrl(v), v.loginUrl);
  assert.ok(!isValidProfile({ ...v }), 'a copy is a plain profile again');
  assert.ok(!isValidProfile(base));
  assert.equal(validateProfile(base).apiVersion, undefined, 'no version: stays unset (settings are not rewritten)');
  assert.ok(isValidProfile(profileFromEnv({ SF_USERNAME: 'u' }).profile));

  const bad = (p: Partial<OrgProfile>, field: string, reason: RegExp) =>
    assert.throws(
      () => validateProfile({ ...base, ...p }),
      (e: unknown) =>
        e instanceof ProfileError && e.field === field && reason.test(e.reason) && e.message.includes(e.reason),
    );
  bad({ loginUrl: 'http://acme.example' }, 'SF_LOGIN_URL', /^Plain http:\/\/ is only allowed for loopback hosts/);
  bad({ loginUrl: '' }, 'SF_LOGIN_URL', /empty/);
  bad({ apiVersion: 'latest' }, 'SF_API_VERSION', /SF_API_VERSION "latest"/);
  bad({ auth: 'kerberos' as AuthMethod }, 'SF_AUTH', /^"kerberos" is not a sign-in method/);
  assert.throws(() => profileLoginUrl({ ...base, loginUrl: 'http://acme.example' }), LoginUrlError);
});

test('resetPageUrlOf trusts a validated URL; resetPageUrl validates raw text; both check their output', () => {
  const url = validateLoginUrl('https://acme.lightning.force.com');
  assert.equal(resetPageUrlOf(url), resetPageUrl('https://acme.lightning.force.com'));
  assert.throws(
    () => resetPageUrlOf('https://x.example/_ui/system/security/ResetApiTokenConfirm?' as typeof url),
    LoginUrlError,
  );
  assert.throws(() => resetPageUrl('http://acme.example'), LoginUrlError);
});

test('profileProblems follows the method: no password needed for oauth / sf-cli', () => {
  assert.deepEqual(
    profileProblems(base, {}).map((p) => p.field),
    ['SF_PASSWORD'],
  );
  assert.deepEqual(
    profileProblems({ ...base, auth: 'oauth', clientId: 'c' }, {}).map((p) => p.field),
    [],
  );
  assert.deepEqual(
    profileProblems({ ...base, auth: 'sf-cli' }, {}).map((p) => p.field),
    [],
  );
  assert.deepEqual(
    profileProblems({ ...base, auth: 'password-oauth', clientId: 'c' }, { password: 'p' }).map((p) => p.field),
    ['SF_CLIENT_SECRET'],
  );
});

test('preconditions per method (pure)', () => {
  const code = (m: AuthMethod, p: Partial<OrgProfile>, s: OrgSecrets) =>
    SIGN_IN_METHODS[m]!.precheck(validateProfile({ ...base, ...p }), s)?.code;
  assert.equal(code('password', {}, { password: 'p' }), undefined);
  assert.equal(code('password', { username: '' }, { password: 'p' }), 'MISSING_USERNAME');
  assert.equal(code('password', {}, {}), 'MISSING_PASSWORD');
  assert.equal(code('password', { mfaForApi: true }, { password: 'p' }), 'MFA_CODE_REQUIRED');
  assert.equal(code('password', { mfaForApi: true }, { password: 'p', mfaCode: '123456' }), undefined);
  assert.equal(code('password-oauth', {}, { password: 'p' }), 'MISSING_CLIENT_ID');
  assert.equal(code('password-oauth', { clientId: 'c' }, { password: 'p' }), 'MISSING_CLIENT_SECRET');
  assert.equal(code('password-oauth', { clientId: 'c' }, { password: 'p', clientSecret: 's' }), undefined);
});

test('testLogin: precondition failures come back as login-failed with their codes (nothing sent)', async () => {
  const cases: Array<[Partial<OrgProfile>, OrgSecrets, string, 'soap' | 'oauth']> = [
    [{ loginUrl: 'http://example.com' }, { password: 'p' }, 'INVALID_LOGIN_URL', 'soap'],
    [{ apiVersion: 'latest' }, { password: 'p' }, 'INVALID_API_VERSION', 'soap'],
    [{ auth: 'kerberos' as AuthMethod }, { password: 'p' }, 'INVALID_AUTH_METHOD', 'soap'],
    [{ username: '' }, { password: 'p' }, 'MISSING_USERNAME', 'soap'],
    [{}, {}, 'MISSING_PASSWORD', 'soap'],
    [{ clientId: 'c' }, { clientSecret: 's' }, 'MISSING_PASSWORD', 'oauth'],
    [{ mfaForApi: true }, { password: 'p' }, 'MFA_CODE_REQUIRED', 'soap'],
    [{ auth: 'password-oauth' }, { password: 'p' }, 'MISSING_CLIENT_ID', 'oauth'],
    [{ auth: 'password-oauth', clientId: 'c' }, { password: 'p' }, 'MISSING_CLIENT_SECRET', 'oauth'],
    [{ auth: 'sf-cli', username: '' }, {}, 'MISSING_TARGET_ORG', 'oauth'],
  ];
  for (const [p, s, code, flow] of cases) {
    const r = await testLogin({ ...base, ...p }, s, { timeoutMs: 1000 });
    assert.equal(r.status, 'login-failed', `${code}: ${r.status} ${r.code} ${r.message}`);
    assert.equal(r.code, code);
    assert.equal(r.flow, flow, code);
    assert.equal(r.label, 'Login failed');
    assert.ok(r.message.length > 10);
    assert.ok(r.latencyMs == null, `${code}: no login was attempted`);
  }
  const o = await testLogin({ ...base, auth: 'oauth', clientId: 'c' }, {});
  assert.equal(o.status, 'signin-required', 'oauth without a refresh token: sign in (nothing sent)');
  assert.equal(o.code, 'NO_REFRESH_TOKEN');
  assert.equal(o.flow, 'oauth');
  const r = await testLogin({ ...base, auth: 'sf-cli' }, {});
  assert.equal(r.status, 'signin-required', 'sf-cli without a token and no listener: import it (sf not asked)');
  assert.equal(r.code, 'NO_ACCESS_TOKEN');
  assert.match(r.message, /token-relay sf-import --target-org/);
  // The login URL's message is the validator's own, without the variable's name (as before).
  const u = await testLogin({ ...base, loginUrl: 'http://example.com' }, { password: 'p' });
  assert.match(u.message, /^Plain http:\/\//);
});

async function cli(argv: string[], env: Record<string, string>, prompt?: () => Promise<string>) {
  let stdout = '';
  let stderr = '';
  let asked = 0;
  const io: CliIO = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env,
    cwd: '/nonexistent-tr-signin',
    readStdin: async () => Buffer.alloc(0),
    ...(prompt ? { promptSecret: async () => (asked++, prompt()) } : {}),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr, asked };
}

test('CLI login: SF_AUTH=sf-cli without an sf CLI answers SF_NOT_FOUND, SF_AUTH=oauth without a sign-in "signin-required" (exit 1, no password asked); an unknown SF_AUTH is a usage error', async () => {
  for (const [m, status, code] of [
    ['oauth', 'signin-required', 'NO_REFRESH_TOKEN'],
    ['sf-cli', 'login-failed', 'SF_NOT_FOUND'],
  ]) {
    const r = await cli(['login'], { SF_USERNAME: 'u@acme.example', SF_AUTH: m!, SF_CLIENT_ID: 'c' }, async () => 'pw');
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.asked, 0, 'no password prompt for a method without one');
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(json.status, status);
    assert.equal(json.code, code);
  }
  const bad = await cli(['login'], { SF_USERNAME: 'u@acme.example', SF_PASSWORD: 'p', SF_AUTH: 'kerberos' });
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /SF_AUTH "kerberos"/);
});

test('CLI reset: a method without a security token is a usage error before any mailbox work', async () => {
  const r = await cli(['reset', '--imap-host', '127.0.0.1', '--imap-port', '9', '--imap-user', 'u'], {
    SF_USERNAME: 'u@acme.example',
    SF_AUTH: 'sf-cli',
  });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /SF_AUTH is sf-cli.*no security token/);
});
