/** The pure facts of an sf-cli org in the extension (src/extension/sfCliPlan.ts): its sf name and .env values. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sfCliEnvValues, targetOrgOf } from '../../src/extension/sfCliPlan';

const base = { id: 'x', name: 'Acme', loginUrl: 'https://login.salesforce.com', username: 'dev@acme.test' };

test('targetOrgOf: the alias kept, else the username', () => {
  assert.equal(targetOrgOf({ ...base, targetOrg: 'acme' }), 'acme');
  assert.equal(targetOrgOf({ ...base, targetOrg: '  ' }), 'dev@acme.test');
  assert.equal(targetOrgOf(base), 'dev@acme.test');
});

test('sfCliEnvValues: the CONTRACTS keys of SF_AUTH=sf-cli, never a password or a security token', () => {
  const v = sfCliEnvValues(
    { ...base, auth: 'sf-cli', targetOrg: 'acme', instanceUrl: 'https://acme.my.salesforce.com' },
    { accessToken: '00Dxx0000000001!AQ4AQCanaryAccessToken', password: 'Canary-Password-1', token: 'CanaryToken123' },
    { username: 'SF_USERNAME' },
  );
  assert.deepEqual(v, {
    SF_AUTH: 'sf-cli',
    SF_INSTANCE_URL: 'https://acme.my.salesforce.com',
    SF_ACCESS_TOKEN: '00Dxx0000000001!AQ4AQCanaryAccessToken',
    SF_USERNAME: 'dev@acme.test',
    SF_TARGET_ORG: 'acme',
  });
  // A renamed username variable (tokenRelay.env.variableNames) is honoured; no token yet: no SF_ACCESS_TOKEN.
  const w = sfCliEnvValues({ ...base, auth: 'sf-cli' }, {}, { username: 'SALESFORCE_USER' });
  assert.deepEqual(w, { SF_AUTH: 'sf-cli', SALESFORCE_USER: 'dev@acme.test', SF_TARGET_ORG: 'dev@acme.test' });
});

test('tokenRelay.sfCli.path (the program Token Relay runs) is user-only: a workspace cannot name it', () => {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, { scope?: string }> } };
  };
  const prop = pkg.contributes.configuration.properties['tokenRelay.sfCli.path'];
  assert.ok(prop, 'tokenRelay.sfCli.path is contributed');
  assert.ok(['application', 'machine'].includes(prop.scope ?? 'window'), `scope ${prop.scope}`);
  // and the reader takes the user (global) value only
  const settings = readFileSync(path.join(__dirname, '..', '..', 'src', 'extension', 'settings.ts'), 'utf8');
  assert.match(settings, /inspect<string>\(SettingKeys\.sfCliPath\)\?\.globalValue/);
});
