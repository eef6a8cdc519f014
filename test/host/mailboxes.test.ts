/**
 * One mailbox per org, the watch options per mailbox, Classic orgs (issue 16 items 2 and 3), in the real extension
 * host against the emulator and the test IMAP server (Dovecot under CI). The stack (scripts/lib/hostStack.ts) has
 * two IMAP users: inbox@mail.test gets the mail of boxa@acme.test, inbox-b@mail.test that of boxb@acme.test; the
 * control op `deliverToJunk` makes the emulator's mail land in the junk folder ("Bulk Mail", flagged \Junk).
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import {
  addEmulatorOrg,
  clickResetButton,
  control,
  env,
  getApi,
  resetState,
  setUpTestMailbox,
  waitFor,
  waitForMessage,
} from './helpers';
import type { TokenRelayTestApi } from '../../src/extension/testApi';

const BOX_A = { username: 'boxa@acme.test', password: 'BoxA-Passw0rd-8' };
const BOX_B = { username: 'boxb@acme.test', password: 'BoxB-Passw0rd-9' };
const MAILBOX_A = { user: 'inbox@mail.test', password: 'mailbox-Secret-7731' };
const MAILBOX_B = { user: 'inbox-b@mail.test', password: 'mailbox-B-Secret-4417' };
const G = vscode.ConfigurationTarget.Global;

interface Sent {
  to: string;
  kind: string;
  username: string;
  delivered: boolean;
}

/** Runs Reset Token for an org and "clicks" the button on the page it opened; resolves when the command ends. */
async function resetAndClick(a: TokenRelayTestApi, orgId: string, username: string): Promise<string> {
  const before = a.openedUrls.length;
  const done = vscode.commands.executeCommand('tokenRelay.resetToken', orgId);
  const url = await waitFor(
    'the reset page to be opened',
    () => a.openedUrls.length > before && a.openedUrls.at(-1),
    45_000,
  );
  await clickResetButton(url, username);
  await done;
  return url;
}

function assertNoSecrets(a: TokenRelayTestApi, ...secrets: string[]): void {
  for (const m of a.scripted.messages)
    for (const x of secrets) assert.ok(!m.text.includes(x), `a message leaks a secret: ${m.text}`);
  for (const l of a.logLines()) for (const x of secrets) assert.ok(!l.includes(x), `the log leaks a secret: ${l}`);
}

describe('mailboxes: one per org, watch options, Classic', function () {
  this.timeout(120_000);
  beforeEach(async () => resetState(await getApi()));
  afterEach(async () => {
    await control('deliverToJunk', false);
    await vscode.workspace.getConfiguration('tokenRelay').update('reset.timeoutSeconds', undefined, G);
  });

  it('two orgs with two mailboxes: each reset watches its own (org B’s mail arrives in mailbox B only)', async () => {
    const a = await getApi();
    const idA = await addEmulatorOrg(a, BOX_A);
    const idB = await addEmulatorOrg(a, BOX_B);
    await setUpTestMailbox(); // `default`: inbox@mail.test, used by every org that names none
    // Set Up Mailbox → New mailbox…: server, user, password, name, then which orgs use it (org B ticked).
    a.scripted.reset();
    a.scripted.picks.push('New mailbox', 'Other IMAP server', 'STARTTLS', 'boxb', 'Done');
    a.scripted.inputs.push(
      env('TOKEN_RELAY_TEST_IMAP_HOST'),
      env('TOKEN_RELAY_TEST_IMAP_PORT'),
      MAILBOX_B.user,
      MAILBOX_B.password,
      'Second inbox',
    );
    assert.equal(await vscode.commands.executeCommand('tokenRelay.setUpMailbox'), true);
    const boxes = vscode.workspace.getConfiguration('tokenRelay').get<Array<Record<string, unknown>>>('mailboxes');
    assert.deepEqual(
      boxes?.map((m) => [m.id, m.label, m.user]),
      [
        ['default', MAILBOX_A.user, MAILBOX_A.user],
        ['inbox-b', 'Second inbox', MAILBOX_B.user],
      ],
    );
    assert.equal(a.services.profiles.get(idB)?.mailbox, 'inbox-b');
    // The test server's certificate is self-signed: the automation form allows that (the label and orgs stay).
    await setUpTestMailbox({ id: 'inbox-b', ...MAILBOX_B });
    assert.equal(a.services.profiles.get(idB)?.mailbox, 'inbox-b');
    assert.equal(a.services.profiles.get(idA)?.mailbox, undefined, 'org A stays on default');
    const secrets = a.services.context.secrets;
    assert.equal(await secrets.get('tokenRelay.mailbox.inbox-b.password'), MAILBOX_B.password);
    assert.equal(await secrets.get('tokenRelay.mailbox.default.password'), MAILBOX_A.password);

    // Test Mailbox for org B tests mailbox B.
    a.scripted.reset();
    assert.equal(await vscode.commands.executeCommand('tokenRelay.testMailbox', idB), true);
    assert.ok(a.logLines().some((l) => /mailbox inbox-b \(inbox-b@mail\.test@/.test(l)));

    // Org B: the mail goes to inbox-b only, and the watcher of mailbox B finds it.
    const sentBefore = (await control<Sent[]>('outbox')).length;
    a.scripted.reset();
    await resetAndClick(a, idB, BOX_B.username);
    const tokenB = await control<string>('currentToken', BOX_B.username);
    assert.equal(await secrets.get(`tokenRelay.${idB}.token`), tokenB, 'org B got its token from mailbox B');
    const sentB = (await control<Sent[]>('outbox')).slice(sentBefore).filter((m) => m.kind !== 'verification-code');
    assert.deepEqual(
      sentB.map((m) => [m.to, m.username, m.delivered]),
      [[MAILBOX_B.user, BOX_B.username, true]],
    );
    assert.ok(a.logLines().some((l) => /reset started for boxb; mailbox inbox-b/.test(l)));

    // Org A: its own mailbox (default), not B's.
    const sentBeforeA = (await control<Sent[]>('outbox')).length;
    a.scripted.reset();
    await resetAndClick(a, idA, BOX_A.username);
    const tokenA = await control<string>('currentToken', BOX_A.username);
    assert.equal(await secrets.get(`tokenRelay.${idA}.token`), tokenA);
    const sentA = (await control<Sent[]>('outbox')).slice(sentBeforeA);
    assert.deepEqual(
      sentA.map((m) => m.to),
      [MAILBOX_A.user],
    );
    assert.ok(a.logLines().some((l) => /reset started for boxa; mailbox default/.test(l)));
    assertNoSecrets(a, tokenA, tokenB, MAILBOX_A.password, MAILBOX_B.password, BOX_B.password);

    // Removing a mailbox in use is refused, naming the org; after Edit Org moves the org, it goes.
    a.scripted.reset();
    assert.equal(await vscode.commands.executeCommand('tokenRelay.setUpMailbox', { remove: 'inbox-b' }), false);
    const refused = await waitForMessage(a, /is used by boxb/);
    assert.equal(refused.severity, 'error');
    a.scripted.picks.push((item) => item.label === MAILBOX_A.user);
    await vscode.commands.executeCommand('tokenRelay.editOrg', idB, 'mailbox');
    assert.equal(a.services.profiles.get(idB)?.mailbox, undefined, 'org B now uses default');
    assert.equal(await vscode.commands.executeCommand('tokenRelay.setUpMailbox', { remove: 'inbox-b' }), true);
    assert.deepEqual(
      (vscode.workspace.getConfiguration('tokenRelay').get<Array<{ id: string }>>('mailboxes') ?? []).map((m) => m.id),
      ['default'],
    );
    assert.equal(await secrets.get('tokenRelay.mailbox.inbox-b.password'), undefined, 'its password is forgotten');
  });

  it('migrates an old single-mailbox setup to the mailbox "default", losing nothing, and resets with it', async () => {
    const a = await getApi();
    const c = vscode.workspace.getConfiguration('tokenRelay');
    // The settings and the secret as the extension before issue 16 wrote them.
    await c.update('mailbox.preset', 'custom', G);
    await c.update('mailbox.host', env('TOKEN_RELAY_TEST_IMAP_HOST'), G);
    await c.update('mailbox.port', Number(env('TOKEN_RELAY_TEST_IMAP_PORT')), G);
    await c.update('mailbox.security', 'starttls', G);
    await c.update('mailbox.user', MAILBOX_A.user, G);
    await c.update('mailbox.allowInsecureTls', true, G);
    await c.update('mailbox.afterSuccess', 'seen', G);
    await a.services.context.secrets.store('tokenRelay.mailbox.password', MAILBOX_A.password);
    const id = await addEmulatorOrg(a, BOX_A);
    a.scripted.reset();

    await resetAndClick(a, id, BOX_A.username);
    const token = await control<string>('currentToken', BOX_A.username);
    assert.equal(await a.services.context.secrets.get(`tokenRelay.${id}.token`), token, 'the old mailbox still works');

    const after = vscode.workspace.getConfiguration('tokenRelay');
    assert.deepEqual(after.get('mailboxes'), [
      {
        id: 'default',
        user: MAILBOX_A.user,
        preset: 'custom',
        host: env('TOKEN_RELAY_TEST_IMAP_HOST'),
        port: Number(env('TOKEN_RELAY_TEST_IMAP_PORT')),
        security: 'starttls',
        allowInsecureTls: true,
        afterSuccess: 'seen',
      },
    ]);
    for (const k of ['preset', 'host', 'port', 'security', 'user', 'allowInsecureTls', 'afterSuccess'])
      assert.equal(after.inspect(`mailbox.${k}`)?.globalValue, undefined, `mailbox.${k} left behind`);
    assert.equal(await a.services.context.secrets.get('tokenRelay.mailbox.default.password'), MAILBOX_A.password);
    assert.equal(await a.services.context.secrets.get('tokenRelay.mailbox.password'), undefined, 'secret moved');
    assert.ok(a.logLines().some((l) => /mailbox settings moved to tokenRelay\.mailboxes/.test(l)));
    assertNoSecrets(a, token, MAILBOX_A.password);
  });

  it('a token mail in the Junk folder is found only when the mailbox watches Junk', async () => {
    const a = await getApi();
    const id = await addEmulatorOrg(a, BOX_A);
    await setUpTestMailbox();
    await control('deliverToJunk', true);
    const c = vscode.workspace.getConfiguration('tokenRelay');
    const secrets = a.services.context.secrets;

    // Off (the default): the mail lands in Junk, the watcher does not look there, the reset times out.
    await c.update('reset.timeoutSeconds', 8, G);
    a.scripted.reset();
    await resetAndClick(a, id, BOX_A.username);
    await waitForMessage(a, /No token mail/);
    const missed = await control<string>('currentToken', BOX_A.username);
    assert.notEqual(await secrets.get(`tokenRelay.${id}.token`), missed);
    const sent = await control<Sent[]>('outbox');
    assert.equal(sent.at(-1)?.delivered, true, 'the mail was delivered (into Junk)');

    // On, through Set Up Mailbox → Watch options: the next reset finds the mail in Junk.
    a.scripted.reset();
    a.scripted.picks.push(
      (item) => item.label === MAILBOX_A.user,
      'Watch options',
      'Junk / Spam folder',
      'Watch the Junk / Spam folder',
      'Done',
    );
    assert.equal(await vscode.commands.executeCommand('tokenRelay.setUpMailbox'), true);
    const [box] =
      vscode.workspace.getConfiguration('tokenRelay').get<Array<Record<string, unknown>>>('mailboxes') ?? [];
    assert.equal(box?.watchJunk, true);
    await c.update('reset.timeoutSeconds', undefined, G);
    a.scripted.reset();
    await resetAndClick(a, id, BOX_A.username);
    const token = await control<string>('currentToken', BOX_A.username);
    assert.notEqual(token, missed);
    assert.equal(await secrets.get(`tokenRelay.${id}.token`), token, 'found in Junk');
    assertNoSecrets(a, token, missed, MAILBOX_A.password);
  });

  it('Classic orgs: Reset Token opens the Classic "Reset My Security Token" page (never ResetApiTokenConfirm)', async () => {
    const a = await getApi();
    const id = await addEmulatorOrg(a, BOX_A);
    await setUpTestMailbox();
    a.scripted.picks.push('Salesforce Classic');
    await vscode.commands.executeCommand('tokenRelay.editOrg', id, 'ui');
    assert.equal(a.services.profiles.get(id)?.ui, 'classic');
    a.scripted.reset();
    const url = await resetAndClick(a, id, BOX_A.username);
    assert.match(url, /\/_ui\/system\/security\/ResetApiTokenEdit/);
    assert.doesNotMatch(url, /ResetApiTokenConfirm|lightning/);
    const token = await control<string>('currentToken', BOX_A.username);
    assert.equal(await a.services.context.secrets.get(`tokenRelay.${id}.token`), token);
    // Back to Lightning: the Lightning page again.
    a.scripted.picks.push('Lightning Experience');
    await vscode.commands.executeCommand('tokenRelay.editOrg', id, 'ui');
    assert.equal(a.services.profiles.get(id)?.ui, undefined);
  });
});
