/**
 * The credential store's `microsoft` entry kind (issue 16: the CLI's mailbox sign-in): keyed by authority + tenant +
 * client id + user, never the same file as a Salesforce entry, a damaged kind refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CredentialStore, canonicalKey, entryName, type CredentialKey } from '../../src/credstore';

const MS: CredentialKey = {
  provider: 'microsoft',
  loginUrl: 'https://login.microsoftonline.com/organizations',
  clientId: '6F1D2C3B-AAAA-4BBB-8CCC-0123456789AB',
  username: 'Alice@Contoso.test',
};

test('microsoft keys: tenant and kind are part of the key; case of client id, user and host is not', () => {
  const a = entryName(MS);
  assert.equal(
    entryName({
      ...MS,
      loginUrl: 'https://LOGIN.microsoftonline.com/Organizations/',
      clientId: MS.clientId.toLowerCase(),
    }),
    a,
  );
  assert.equal(entryName({ ...MS, username: 'alice@contoso.test' }), a);
  assert.notEqual(entryName({ ...MS, loginUrl: 'https://login.microsoftonline.com/consumers' }), a);
  assert.notEqual(entryName({ ...MS, clientId: '00000000-0000-0000-0000-000000000000' }), a);
  const { provider: _p, ...salesforceShaped } = MS;
  assert.notEqual(entryName(salesforceShaped), a, 'a Salesforce entry with the same fields is another file');
  assert.deepEqual(canonicalKey(MS), {
    provider: 'microsoft',
    loginUrl: 'https://login.microsoftonline.com/organizations',
    clientId: '6f1d2c3b-aaaa-4bbb-8ccc-0123456789ab',
    username: 'alice@contoso.test',
  });
});

test('microsoft entries round-trip (0600), and an entry without the kind is refused for a microsoft key', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tr-credms-'));
  try {
    const store = new CredentialStore(path.join(dir, 'store'));
    await store.put({ ...MS, refreshToken: 'rt-canary-ms-1', scope: 'openid offline_access' });
    const got = await store.get(MS);
    assert.equal(got?.refreshToken, 'rt-canary-ms-1');
    assert.equal(got?.provider, 'microsoft');
    const file = store.fileOf(MS);
    if (process.platform !== 'win32') assert.equal(statSync(file).mode & 0o777, 0o600);
    const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    delete json.provider;
    writeFileSync(file, JSON.stringify(json), { mode: 0o600 });
    await assert.rejects(store.get(MS), /does not hold this sign-in/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
