/**
 * Hostile workspace settings (issue 8, SECURITY.md): a repository's .vscode/settings.json must not be able
 * to send the user's credentials somewhere else. Checked on the manifest: every setting that decides
 * where a password goes (org login URLs, the mailbox host, port, TLS mode, user) is application- or
 * machine-scoped, so only user settings can set it; the extension declares limited support for
 * untrusted workspaces; the package never contributes a URL that resets the token.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
const conf = pkg.contributes?.configuration;
const props: Record<string, { scope?: string }> = Array.isArray(conf)
  ? Object.assign({}, ...conf.map((c: { properties?: object }) => c.properties ?? {}))
  : (conf?.properties ?? {});

test('settings that direct credentials are user-only (application or machine scope)', () => {
  const credentialRouting = Object.keys(props).filter(
    (k) => k === 'tokenRelay.orgs' || k.startsWith('tokenRelay.mailbox.'),
  );
  assert.ok(credentialRouting.includes('tokenRelay.orgs'), 'tokenRelay.orgs is not contributed');
  assert.ok(
    credentialRouting.some((k) => k === 'tokenRelay.mailbox.host'),
    'tokenRelay.mailbox.host is not contributed',
  );
  const workspaceSettable = credentialRouting.filter(
    (k) => !['application', 'machine'].includes(props[k]!.scope ?? 'window'),
  );
  assert.deepEqual(workspaceSettable, [], 'a workspace could redirect the password to another host');
});

test('Restricted Mode is declared: limited support for untrusted workspaces, no virtual workspaces', () => {
  assert.equal(pkg.capabilities?.untrustedWorkspaces?.supported, 'limited');
  assert.match(pkg.capabilities?.untrustedWorkspaces?.description ?? '', /\.env/);
  assert.equal(pkg.capabilities?.virtualWorkspaces, false);
});

test('the manifest never contains the ResetApiTokenConfirm URL, and no telemetry dependency', () => {
  const text = readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8');
  assert.doesNotMatch(text, /ResetApiTokenConfirm/);
  const deps = Object.keys({ ...pkg.dependencies });
  assert.deepEqual(
    deps.filter((d) => /telemetry|analytics|sentry|applicationinsights/i.test(d)),
    [],
  );
});

test('no setting can hold a secret: the org schema is closed and has no password/token/secret fields', () => {
  const orgs = (
    props['tokenRelay.orgs'] as { items?: { properties?: Record<string, unknown>; additionalProperties?: boolean } }
  ).items;
  assert.ok(orgs?.properties, 'tokenRelay.orgs has no item schema');
  assert.equal(orgs.additionalProperties, false, 'org entries accept arbitrary fields');
  const secretish = Object.keys(props)
    .concat(Object.keys(orgs.properties))
    .filter((k) => /password|secret|token(?!Relay)|accessToken|session/i.test(k.replace(/^tokenRelay\./, '')));
  assert.deepEqual(secretish, []);
});

test('a user setting can require DKIM for the token mail, and a workspace cannot turn it off', () => {
  const key = Object.keys(props).find((k) => /requireDkim/i.test(k));
  assert.ok(
    key,
    'no requireDkim setting is contributed (issue 8: "a setting can require it"); src/extension/settings.ts names tokenRelay.reset.requireDkim',
  );
  assert.ok(
    ['application', 'machine'].includes(props[key]!.scope ?? 'window'),
    `${key} is workspace-settable (scope ${props[key]!.scope ?? 'window'})`,
  );
});
