/**
 * The pure decisions of the extension's Switch to OAuth / Sign Out (src/extension/oauthPlan.ts): the .env values of
 * an OAuth org (exactly CONTRACTS' keys, never a password or token), the password keys a switch offers to remove,
 * loopback vs paste, the client id check, the switched profile; and removing a key from .env text the way the
 * extension's writer does (every other byte kept).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  clientIdProblem,
  oauthEnvValues,
  passwordKeysPresent,
  signInPath,
  switchedProfile,
} from '../../src/extension/oauthPlan';
import { removeEnvKeys, parseEnv, setEnvText } from '../../src/core/dotenv';
import { profileFromEnv, validateProfile, type OrgProfile } from '../../src/core/profile';
import { SIGN_IN_INFO } from '../../src/core/signin';

const names = {
  username: 'SF_USERNAME',
  loginUrl: 'SF_LOGIN_URL',
  password: 'SF_PASSWORD',
  token: 'SF_SECURITY_TOKEN',
};
const oauthOrg: OrgProfile = {
  id: 'o1',
  name: 'acme',
  loginUrl: 'https://login.salesforce.com',
  username: 'u@acme.example',
  auth: 'oauth',
  instanceUrl: 'https://acme.my.salesforce.com',
  clientId: '3MVG9.client.id.for.tests',
};

test('oauthEnvValues: the oauth env keys of CONTRACTS, the access token when kept, never a password or token', () => {
  const v = oauthEnvValues(
    oauthOrg,
    { accessToken: '00Dxx!AQ.token', refreshToken: '5Aep.refresh', password: 'pw', token: 'tok' },
    names,
  );
  assert.deepEqual(v, {
    SF_AUTH: 'oauth',
    SF_INSTANCE_URL: 'https://acme.my.salesforce.com',
    SF_ACCESS_TOKEN: '00Dxx!AQ.token',
    SF_USERNAME: 'u@acme.example',
    SF_LOGIN_URL: 'https://login.salesforce.com',
    SF_CLIENT_ID: '3MVG9.client.id.for.tests',
  });
  assert.deepEqual(Object.keys(v).sort(), [...SIGN_IN_INFO.oauth.envKeys].sort(), "exactly the method's env keys");
  assert.ok(!Object.values(v).includes('5Aep.refresh'), 'the refresh token never goes to .env');
  const noToken = oauthEnvValues(oauthOrg, {}, names);
  assert.equal('SF_ACCESS_TOKEN' in noToken, false);
  // Custom variable names are honoured for username / login URL.
  const custom = oauthEnvValues(oauthOrg, {}, { username: 'MY_USER', loginUrl: 'MY_URL' });
  assert.equal(custom.MY_USER, 'u@acme.example');
  assert.equal(custom.MY_URL, 'https://login.salesforce.com');
});

test('oauthEnvValues round-trips: a .env written from them reads back as the same oauth profile', () => {
  const text = setEnvText('KEEP=1\n', oauthEnvValues(oauthOrg, { accessToken: '00Dxx!AQ.token' }, names));
  const { profile, secrets } = profileFromEnv(parseEnv(text));
  assert.equal(profile.auth, 'oauth');
  assert.equal(profile.instanceUrl, oauthOrg.instanceUrl);
  assert.equal(profile.clientId, oauthOrg.clientId);
  assert.equal(secrets.accessToken, '00Dxx!AQ.token');
});

test('passwordKeysPresent: only the keys that are there, in the configured names', () => {
  assert.deepEqual(passwordKeysPresent(undefined, names), []);
  assert.deepEqual(passwordKeysPresent({ A: '1' }, names), []);
  assert.deepEqual(passwordKeysPresent({ SF_SECURITY_TOKEN: 'x', SF_PASSWORD: '' }, names), [
    'SF_PASSWORD',
    'SF_SECURITY_TOKEN',
  ]);
  assert.deepEqual(passwordKeysPresent({ PW: 'x' }, { password: 'PW', token: 'TK' }), ['PW']);
});

test('removing the password keys keeps every other byte (comments, order, CRLF, other keys)', () => {
  const before = '# creds\r\nSF_USERNAME=u\r\nSF_PASSWORD="p w" # old\r\nKEEP=1\r\nSF_SECURITY_TOKEN=abc\r\n# end';
  const after = removeEnvKeys(before, ['SF_PASSWORD', 'SF_SECURITY_TOKEN']);
  assert.equal(after, '# creds\r\nSF_USERNAME=u\r\nKEEP=1\r\n# end');
  assert.equal(removeEnvKeys(after, ['SF_ACCESS_TOKEN']), after, 'absent key: identical text');
});

test('signInPath: loopback locally, paste on a remote host or when asked', () => {
  assert.equal(signInPath({}), 'loopback');
  assert.equal(signInPath({ remoteName: '' }), 'loopback');
  assert.equal(signInPath({ remoteName: 'ssh-remote' }), 'paste');
  assert.equal(signInPath({ remoteName: 'codespaces' }), 'paste');
  assert.equal(signInPath({ paste: true }), 'paste');
  // tokenRelay.oauth.redirect
  assert.equal(signInPath({ remoteName: 'code-server', mode: 'loopback' }), 'loopback', 'forced loopback');
  assert.equal(signInPath({ remoteName: 'code-server', mode: 'auto' }), 'paste');
  assert.equal(signInPath({ mode: 'paste' }), 'paste', 'forced paste');
  assert.equal(signInPath({ mode: 'loopback', paste: true }), 'paste', '"Paste URL instead" wins');
});

test('clientIdProblem', () => {
  assert.equal(clientIdProblem('3MVG9TokenRelay.Demo_External_Client_App'), undefined);
  assert.equal(clientIdProblem('  3MVG9TokenRelay.Demo_External_Client_App  '), undefined);
  assert.match(clientIdProblem('')!, /Consumer Key/);
  assert.match(clientIdProblem('3MVG9 with space inside it')!, /no spaces/);
  assert.match(clientIdProblem('short')!, /20 to 256/);
  assert.match(clientIdProblem('3MVG9TokenRelay.Démo_External_Client_App')!, /letters, digits/);
});

test('switchedProfile: auth oauth, instance URL, client id, the signed-in user; a new org gets the id; it validates', () => {
  const pw: OrgProfile = {
    id: 'p1',
    name: 'acme',
    loginUrl: 'https://login.salesforce.com',
    username: 'old@acme.example',
    clientId: 'connected.app',
    mfaForApi: true,
    envPath: 'x/.env',
  };
  const s = switchedProfile(pw, {
    id: 'ignored',
    loginUrl: pw.loginUrl,
    username: 'u@acme.example',
    instanceUrl: 'https://acme.my.salesforce.com',
    clientId: '3MVG9.eca',
  });
  assert.deepEqual(s, {
    id: 'p1',
    name: 'acme',
    loginUrl: pw.loginUrl,
    username: 'u@acme.example',
    clientId: '3MVG9.eca',
    envPath: 'x/.env',
    auth: 'oauth',
    instanceUrl: 'https://acme.my.salesforce.com',
  });
  assert.equal(pw.auth, undefined, 'the old profile object is not changed');
  const fresh = switchedProfile(undefined, {
    id: 'n1',
    loginUrl: 'https://test.salesforce.com',
    username: 'n@x.example',
    instanceUrl: 'https://x.sandbox.my.salesforce.com',
    clientId: '3MVG9.eca',
  });
  assert.equal(fresh.id, 'n1');
  assert.equal(fresh.name, 'n@x.example');
  assert.equal(validateProfile(fresh).auth, 'oauth');
});
