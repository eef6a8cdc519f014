/**
 * One mailbox per org (issue 16 item 2), the pure rules of src/extension/mailboxesModel.ts: the migration of the old
 * single mailbox (`tokenRelay.mailbox.*`) to the mailbox `default` losing nothing, which orgs use a mailbox, the
 * watch options mapped exactly as the CLI's `watch` flags map them, and the manifest's schema of the new settings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  cleanMailbox,
  DEFAULT_MAILBOX_ID,
  legacyMailbox,
  mailboxConfigOf,
  mailboxIdOf,
  newMailboxId,
  orgsUsing,
  parseAddressInput,
  parseFolderInput,
  planMigration,
  readMailboxList,
  toRawMailbox,
  watchTrustOf,
  withMailbox,
  withoutMailbox,
} from '../../src/extension/mailboxesModel';
import { IMAP_BOOLEAN_FLAGS, IMAP_VALUE_FLAGS, mailboxFromFlags, mailTrustFromFlags } from '../../src/cli/mailboxArgs';
import { parseArgs } from '../../src/cli/io';

test('the old single mailbox becomes `default` with every value it had', () => {
  const legacy = legacyMailbox({
    preset: 'custom',
    host: 'imap.example.org',
    port: 1143,
    security: 'starttls',
    user: 'me@example.org',
    allowInsecureTls: true,
    folders: ['Salesforce', 'Archive/2026'],
    afterSuccess: 'seen',
  });
  assert.deepEqual(legacy, {
    id: 'default',
    user: 'me@example.org',
    preset: 'custom',
    host: 'imap.example.org',
    port: 1143,
    security: 'starttls',
    allowInsecureTls: true,
    folders: ['Salesforce', 'Archive/2026'],
    afterSuccess: 'seen',
  });
  const plan = planMigration(undefined, legacy);
  assert.deepEqual(plan, [legacy]);
  const [m] = readMailboxList(plan);
  assert.equal(m!.id, DEFAULT_MAILBOX_ID);
  assert.equal(m!.host, 'imap.example.org');
  assert.equal(m!.port, 1143);
  assert.equal(m!.security, 'starttls');
  assert.equal(m!.insecureTls, true);
  assert.deepEqual(m!.folders, ['Salesforce', 'Archive/2026']);
  assert.equal(m!.afterSuccess, 'seen');
  assert.equal(m!.label, 'me@example.org');
});

test('a preset mailbox keeps its preset (its host is not copied); nothing set: no legacy mailbox', () => {
  const legacy = legacyMailbox({ preset: 'gmail', user: 'me@gmail.com' });
  assert.deepEqual(legacy, { id: 'default', user: 'me@gmail.com', preset: 'gmail' });
  const m = readMailboxList([], legacy)[0]!;
  assert.equal(m.host, 'imap.gmail.com');
  assert.equal(m.port, 993);
  assert.equal(m.security, 'implicit');
  assert.equal(legacyMailbox({}), undefined);
  // Only one key set (e.g. allowInsecureTls): kept, so nothing the user set is lost.
  assert.deepEqual(legacyMailbox({ allowInsecureTls: true }), {
    id: 'default',
    preset: 'custom',
    allowInsecureTls: true,
  });
});

test('the old keys are read while the new setting has no `default`; the migration keeps every entry there', () => {
  const legacy = legacyMailbox({ host: 'old.example.org', user: 'old@example.org' })!;
  const b = { id: 'work', host: 'imap.work.example', user: 'me@work.example' };
  // Read side: `default` from the old keys, first.
  assert.deepEqual(
    readMailboxList([b], legacy).map((m) => [m.id, m.host]),
    [
      ['default', 'old.example.org'],
      ['work', 'imap.work.example'],
    ],
  );
  // Write side: the old mailbox is added as `default`, `work` stays as it was.
  assert.deepEqual(planMigration([b], legacy), [legacy, b]);
  // Already migrated (or a `default` written since): the new setting wins, nothing to do.
  const newer = { id: 'default', host: 'new.example.org', user: 'new@example.org' };
  assert.equal(planMigration([newer], legacy), undefined);
  assert.equal(readMailboxList([newer], legacy)[0]!.host, 'new.example.org');
  assert.equal(planMigration(undefined, undefined), undefined);
});

test('entries are cleaned: bad ids dropped, first of an id wins, INBOX and bad forwarding addresses left out', () => {
  const list = readMailboxList([
    { id: 'Work', host: 'a.example', user: 'u' },
    { id: 'work', host: 'b.example', user: 'u' },
    { id: 'bad.id', host: 'c.example' },
    { id: 'x@y' },
    null,
    'nope',
    {
      id: 'opts',
      host: 'imap.example',
      user: 'me',
      folders: ['INBOX', 'Salesforce', 'Salesforce', ' '],
      watchJunk: true,
      forwardedFrom: ['me@example.org', 'not an address', 'Me@Example.org'],
      afterSuccess: 'delete',
      auth: 'microsoft',
    },
  ]);
  assert.deepEqual(
    list.map((m) => m.id),
    ['work', 'opts'],
  );
  assert.equal(list[0]!.host, 'a.example');
  const o = list[1]!;
  assert.deepEqual(o.folders, ['Salesforce']);
  assert.equal(o.watchJunk, true);
  assert.deepEqual(o.forwardedFrom, ['me@example.org', 'Me@Example.org']);
  assert.equal(o.afterSuccess, 'delete');
  assert.equal(o.auth, 'microsoft');
  assert.equal(cleanMailbox({ id: 'x', host: 'evil host;rm' })!.host, '', 'a host with spaces is not used');
});

test('an org uses `default` unless it names a mailbox; removing needs no org on it', () => {
  const orgs = [
    { id: 'a', name: 'A' },
    { id: 'b', name: 'B', mailbox: 'work' },
    { id: 'c', name: 'C', mailbox: 'Work' },
    { id: 'd', name: 'D', mailbox: 'default' },
  ];
  assert.equal(mailboxIdOf(orgs[0]), 'default');
  assert.equal(mailboxIdOf(undefined), 'default');
  assert.deepEqual(
    orgsUsing(orgs, 'work').map((o) => o.name),
    ['B', 'C'],
  );
  assert.deepEqual(
    orgsUsing(orgs, 'default').map((o) => o.name),
    ['A', 'D'],
  );
  assert.deepEqual(orgsUsing(orgs, 'other'), []);
});

test('new ids are safe SecretStorage key parts and unique', () => {
  assert.equal(newMailboxId('Me.Work@Example.com', []), 'me-work');
  assert.equal(newMailboxId('me@example.com', ['me']), 'me-2');
  assert.equal(newMailboxId('me@example.com', ['me', 'me-2']), 'me-3');
  assert.equal(newMailboxId('@@@', []), 'mailbox');
  assert.equal(newMailboxId('_x', []), 'x');
  for (const id of ['me-work', 'me-2', 'mailbox']) assert.match(id, /^[a-z0-9][a-z0-9_-]{0,39}$/);
});

test('saving replaces by id and keeps the other entries; removing drops only that id', () => {
  const stored = [
    { id: 'default', host: 'a.example', user: 'a' },
    { id: 'work', host: 'b.example', user: 'b', someFutureField: 1 },
  ];
  const m = { ...cleanMailbox(stored[0])!, watchJunk: true };
  const next = withMailbox(stored, m);
  assert.equal(next.length, 2);
  assert.deepEqual(next[1], stored[1], 'other entries untouched');
  assert.equal((next[0] as { watchJunk?: boolean }).watchJunk, true);
  const added = withMailbox(stored, cleanMailbox({ id: 'third', host: 'c.example', user: 'c' })!);
  assert.equal(added.length, 3);
  assert.deepEqual(
    withoutMailbox(stored, 'work').map((r) => (r as { id: string }).id),
    ['default'],
  );
  // Round trip: stored form → entry → stored form.
  const raw = toRawMailbox(readMailboxList(next)[0]!);
  assert.deepEqual(cleanMailbox(raw), readMailboxList(next)[0]);
});

test('the watch options reach the watcher exactly as the CLI watch flags put them', async () => {
  const m = cleanMailbox({
    id: 'opts',
    preset: 'custom',
    host: 'imap.example.org',
    port: 993,
    security: 'implicit',
    user: 'me@example.org',
    folders: ['Salesforce'],
    watchJunk: true,
    forwardedFrom: ['me@example.org'],
    afterSuccess: 'seen',
  })!;
  const canary = 'mailbox-canary-Secret-1';
  const cfg = mailboxConfigOf(m, { password: canary });
  const args = parseArgs(
    [
      '--imap-host',
      'imap.example.org',
      '--imap-user',
      'me@example.org',
      '--imap-folder',
      'Salesforce',
      '--watch-junk',
      '--after-success',
      'seen',
      '--forwarded-from',
      'me@example.org',
    ],
    { values: IMAP_VALUE_FLAGS, booleans: IMAP_BOOLEAN_FLAGS },
  );
  const io = { env: {}, cwd: process.cwd() } as unknown as Parameters<typeof mailboxFromFlags>[2];
  const cli = await mailboxFromFlags(args, { TOKEN_RELAY_IMAP_PASSWORD: canary }, io);
  assert.deepEqual(cfg, cli);
  const trust = mailTrustFromFlags(args);
  assert.deepEqual(watchTrustOf(m), { trustForwarded: trust.trustForwarded, forwardedFrom: trust.forwardedFrom });
  // Without forwarding addresses nothing forwarded is trusted; the user-level setting adds its addresses.
  assert.deepEqual(watchTrustOf({ forwardedFrom: [] }), { trustForwarded: false });
  assert.deepEqual(watchTrustOf({ forwardedFrom: [] }, ['Fw@Example.org']), {
    trustForwarded: true,
    forwardedFrom: ['fw@example.org'],
  });
  // Defaults: INBOX only, no junk, leave the mail.
  const plain = mailboxConfigOf(cleanMailbox({ id: 'p', host: 'h.example', user: 'u' })!, { password: canary });
  assert.equal(plain.folders, undefined);
  assert.equal(plain.watchJunk, undefined);
  assert.equal(plain.afterSuccess, 'leave');
});

test('typed folder and address lists', () => {
  assert.deepEqual(parseFolderInput('Salesforce, Bulk Mail ,inbox,,Archive/2026'), [
    'Salesforce',
    'Bulk Mail',
    'Archive/2026',
  ]);
  assert.deepEqual(parseFolderInput(''), []);
  assert.deepEqual(parseAddressInput('a@example.org, b@example.org;a@example.org'), {
    list: ['a@example.org', 'b@example.org'],
  });
  assert.deepEqual(parseAddressInput(''), { list: [] });
  assert.deepEqual(parseAddressInput('a@example.org, nope'), { bad: 'nope' });
});

test('manifest: tokenRelay.mailboxes is user-only, closed, holds no secret; orgs name a mailbox and a UI', () => {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, Record<string, unknown>> } };
  };
  const props = pkg.contributes.configuration.properties;
  const mb = props['tokenRelay.mailboxes'] as {
    scope: string;
    items: { additionalProperties: boolean; properties: Record<string, unknown>; required: string[] };
  };
  assert.equal(mb.scope, 'application');
  assert.equal(mb.items.additionalProperties, false);
  assert.deepEqual(mb.items.required, ['id']);
  const fields = Object.keys(mb.items.properties);
  for (const f of ['id', 'label', 'host', 'port', 'security', 'user', 'folders', 'watchJunk', 'forwardedFrom'])
    assert.ok(fields.includes(f), `mailboxes has no ${f}`);
  assert.deepEqual(
    fields.filter((k) => /password|secret|token/i.test(k)),
    [],
  );
  const orgs = (props['tokenRelay.orgs'] as { items: { properties: Record<string, { enum?: string[] }> } }).items
    .properties;
  assert.ok(orgs.mailbox);
  assert.deepEqual(orgs.ui?.enum, ['lightning', 'classic']);
  // The old keys stay declared (read until migrated) and say where they went.
  assert.ok(props['tokenRelay.mailbox.host']?.markdownDeprecationMessage);
});
