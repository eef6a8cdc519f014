import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  profileFromEnv,
  ProfileError,
  normalizeApiVersion,
  loginFlow,
  loginPassword,
  profileProblems,
  DEFAULT_API_VERSION,
} from '../../src/core/profile';
import { redact } from '../../src/core/redact';

test('profileFromEnv: defaults (login.salesforce.com, API 64.0, SOAP)', () => {
  const { profile, secrets } = profileFromEnv({
    SF_USERNAME: 'jane@acme.example',
    SF_PASSWORD: 'canary-pw-2291',
    SF_SECURITY_TOKEN: 'CanaryTok3nAbcdefghijklmn',
  });
  assert.equal(profile.loginUrl, 'https://login.salesforce.com');
  assert.equal(profile.apiVersion, '64.0');
  assert.equal(DEFAULT_API_VERSION, '64.0');
  assert.equal(profile.username, 'jane@acme.example');
  assert.equal(profile.clientId, undefined);
  assert.equal(secrets.password, 'canary-pw-2291');
  assert.equal(loginFlow(profile, secrets), 'soap');
  assert.equal(loginPassword(profile, secrets), 'canary-pw-2291CanaryTok3nAbcdefghijklmn');
  // registered for redaction, also the concatenation
  assert.equal(redact('x canary-pw-2291CanaryTok3nAbcdefghijklmn y'), 'x ‹redacted› y');
  assert.doesNotMatch(redact('pw canary-pw-2291 tok CanaryTok3nAbcdefghijklmn'), /canary-pw|CanaryTok3n/);
});

test('profileFromEnv: My Domain, version, OAuth client', () => {
  const { profile, secrets } = profileFromEnv({
    SF_USERNAME: ' jane@acme.example.uat ',
    SF_PASSWORD: 'p',
    SF_LOGIN_URL: 'https://acme--uat.sandbox.my.salesforce.com/',
    SF_API_VERSION: '62',
    SF_CLIENT_ID: '3MVG9abc',
    SF_CLIENT_SECRET: 'canary-client-secret-77',
  });
  assert.equal(profile.loginUrl, 'https://acme--uat.sandbox.my.salesforce.com');
  assert.equal(profile.username, 'jane@acme.example.uat');
  assert.equal(profile.apiVersion, '62.0');
  assert.equal(profile.clientId, '3MVG9abc');
  assert.equal(loginFlow(profile, secrets), 'oauth');
  assert.doesNotMatch(redact('secret canary-client-secret-77'), /canary-client/);
});

test('profileFromEnv: usage errors name the variable', () => {
  assert.throws(
    () => profileFromEnv({}),
    (e: unknown) => e instanceof ProfileError && e.field === 'SF_USERNAME',
  );
  assert.throws(
    () => profileFromEnv({ SF_USERNAME: '' }),
    (e: unknown) => e instanceof ProfileError && e.field === 'SF_USERNAME',
  );
  assert.throws(
    () => profileFromEnv({ SF_USERNAME: 'u', SF_LOGIN_URL: 'http://acme.my.salesforce.com' }),
    (e: unknown) => e instanceof ProfileError && e.field === 'SF_LOGIN_URL',
  );
  assert.throws(
    () => profileFromEnv({ SF_USERNAME: 'u', SF_API_VERSION: 'latest' }),
    (e: unknown) => e instanceof ProfileError && e.field === 'SF_API_VERSION',
  );
  // loopback http is fine (the emulator)
  assert.equal(
    profileFromEnv({ SF_USERNAME: 'u', SF_LOGIN_URL: 'http://127.0.0.1:4567/' }).profile.loginUrl,
    'http://127.0.0.1:4567',
  );
});

test('normalizeApiVersion', () => {
  assert.equal(normalizeApiVersion(undefined), '64.0');
  assert.equal(normalizeApiVersion(''), '64.0');
  assert.equal(normalizeApiVersion('64'), '64.0');
  assert.equal(normalizeApiVersion('v63.0'), '63.0');
  assert.equal(normalizeApiVersion('65.0'), '65.0'); // allowed: the server answers why it refuses
  assert.throws(() => normalizeApiVersion('64.0.1'));
  assert.throws(() => normalizeApiVersion('abc'));
});

test('MFA for API logins: the code replaces the token', () => {
  const profile = { id: 'x', name: 'x', loginUrl: 'https://login.salesforce.com', username: 'u', mfaForApi: true };
  assert.equal(loginPassword(profile, { password: 'pw', token: 'tok', mfaCode: '123456' }), 'pw123456');
  assert.deepEqual(
    profileProblems(profile, {}).map((p) => p.field),
    ['SF_PASSWORD'],
  );
  assert.deepEqual(
    profileProblems({ ...profile, clientId: 'c' }, { password: 'x' }).map((p) => p.field),
    ['SF_CLIENT_SECRET'],
  );
});
