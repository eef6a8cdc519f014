/**
 * The migration assistant (issue 14 item 4) in the real extension host: a working password (SOAP login()) org shows a
 * warning in the status bar with the retirement notice, the date and the two ways forward in its tooltip, and one
 * reminder notification per org per 30 days ("Don't Remind Me" and the setting silence it); SOAP login disabled
 * offers both ways forward; Check Readiness opens a Markdown preview of a read-only document naming each org and the
 * date its method stops, with no secret in it.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { addEmulatorOrg, control, getApi, resetState, waitFor, waitForMessage } from './helpers';

const MANUAL = { username: 'manual@acme.test', password: 'Manual-Passw0rd-2' };
const FAULTS = { username: 'faults@acme.test', password: 'Faults-Passw0rd-3' };
const REMINDER = /SOAP API login\(\) with the Summer '27 release/;
const WAYS = ['Switch to OAuth', 'Use the sf CLI login'];

const reminderKey = (id: string) => `tokenRelay.retirementReminder.${id}`;

describe('migration assistant (issue 14)', function () {
  this.timeout(120_000);
  let manualId = '';

  before(async () => {
    const a = await getApi();
    await resetState(a);
    await vscode.workspace
      .getConfiguration('tokenRelay')
      .update('retirementReminders', true, vscode.ConfigurationTarget.Global);
    manualId = await addEmulatorOrg(a, MANUAL, { token: await control<string>('currentToken', MANUAL.username) });
    await a.services.context.globalState.update(reminderKey(manualId), undefined);
  });
  after(async () => {
    await control('setFault', FAULTS.username, null);
    const a = await getApi();
    await resetState(a);
  });

  it('a working password login: warning, the notice in the tooltip, and the reminder once', async () => {
    const a = await getApi();
    a.scripted.reset();
    await vscode.commands.executeCommand('tokenRelay.testConnection');
    assert.equal(a.statusText(), '$(warning) Connected · manual');
    const bg = a.services.statusBar.item.backgroundColor;
    assert.ok(bg instanceof vscode.ThemeColor, 'a warning background');
    // The tooltip's Markdown source: text appended with appendText has its spaces as &nbsp; and punctuation escaped.
    const tip = a
      .statusTooltip()
      .replace(/&nbsp;/g, ' ')
      .replace(/\\(.)/g, '$1');
    for (const s of [
      "Summer '27",
      '2027-06-01',
      'days left',
      'command:tokenRelay.switchToOAuth',
      'command:tokenRelay.importFromSfCli',
      'command:tokenRelay.checkReadiness',
    ])
      assert.ok(tip.includes(s), `tooltip lacks ${s}: ${tip}`);

    const m = await waitForMessage(a, REMINDER);
    assert.equal(m.severity, 'warn');
    assert.ok(m.text.startsWith('manual: '), m.text);
    assert.deepEqual(m.actions, [...WAYS, "Don't Remind Me"]);
    const shown = a.services.context.globalState.get<string>(reminderKey(manualId));
    assert.ok(shown && !Number.isNaN(Date.parse(shown)), `the time it was shown: ${shown}`);

    // More checks (a click, the timer) do not remind again within 30 days.
    await vscode.commands.executeCommand('tokenRelay.testConnection');
    await a.services.monitor.check({ reason: 'timer (test)' });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(a.scripted.messages.filter((x) => REMINDER.test(x.text)).length, 1, 'reminded once');
  });

  it('reminds again after 30 days; "Don\'t Remind Me" and the setting silence it', async () => {
    const a = await getApi();
    const state = a.services.context.globalState;
    a.scripted.reset();
    await state.update(reminderKey(manualId), new Date(Date.now() - 31 * 86_400_000).toISOString());
    a.scripted.answers.push({ match: REMINDER, action: "Don't Remind Me" });
    await vscode.commands.executeCommand('tokenRelay.testConnection');
    await waitForMessage(a, REMINDER);
    await waitFor('"off" stored', () => state.get(reminderKey(manualId)) === 'off');
    await vscode.commands.executeCommand('tokenRelay.testConnection');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(a.scripted.messages.filter((x) => REMINDER.test(x.text)).length, 1);

    // The setting: off silences an org that is due.
    await state.update(reminderKey(manualId), new Date(Date.now() - 40 * 86_400_000).toISOString());
    await vscode.workspace
      .getConfiguration('tokenRelay')
      .update('retirementReminders', false, vscode.ConfigurationTarget.Global);
    try {
      a.scripted.reset();
      await vscode.commands.executeCommand('tokenRelay.testConnection');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(a.scripted.messages.filter((x) => REMINDER.test(x.text)).length, 0);
      assert.equal(a.statusText(), '$(warning) Connected · manual', 'the status bar warns either way');
    } finally {
      await vscode.workspace
        .getConfiguration('tokenRelay')
        .update('retirementReminders', true, vscode.ConfigurationTarget.Global);
    }
  });

  it('SOAP login disabled offers Switch to OAuth and Use the sf CLI login besides the admin advice', async () => {
    const a = await getApi();
    const id = await addEmulatorOrg(a, FAULTS, { token: await control<string>('currentToken', FAULTS.username) });
    await control('setFault', FAULTS.username, 'SOAP_LOGIN_DISABLED');
    a.scripted.reset();
    await vscode.commands.executeCommand('tokenRelay.testConnection');
    assert.ok(a.statusText().endsWith('SOAP login disabled · faults'), a.statusText());
    const m = await waitFor('the failure notification', () => a.scripted.messages.find((x) => x.severity === 'error'));
    assert.deepEqual(m.actions.slice(0, 2), WAYS, m.actions.join(', '));
    assert.ok(m.actions.includes('OAuth Settings'), m.actions.join(', '));
    assert.match(m.text, /Enable SOAP API login\(\)/, 'the admin advice stays');
    assert.ok(!m.text.includes(FAULTS.password));
    assert.ok(a.services.profiles.get(id));
  });

  it('Check Readiness opens a Markdown preview naming each org and the date its method stops', async () => {
    const a = await getApi();
    // Two orgs: faults is active and fails (SOAP off); manual is tested directly and works.
    a.scripted.reset();
    const report = await vscode.commands.executeCommand<{
      generatedAt: string;
      orgs: Array<{ name: string; status: string; works: boolean | null; retires: string | null; next: string }>;
    }>('tokenRelay.checkReadiness');
    assert.ok(report, 'the command returns the report');
    const byName = Object.fromEntries(report.orgs.map((o) => [o.name, o]));
    assert.deepEqual([byName.manual?.status, byName.manual?.works, byName.manual?.retires], ['ok', true, '2027-06-01']);
    assert.deepEqual([byName.faults?.status, byName.faults?.works], ['soap-login-disabled', false]);
    assert.match(byName.faults!.next, /Salesforce: Switch to OAuth/);
    assert.match(byName.faults!.next, /Salesforce: Import Org from Salesforce CLI/);

    const doc = await waitFor('the readiness document', () =>
      vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'token-relay-readiness'),
    );
    const text = doc.getText();
    assert.match(text, /^# Salesforce sign-in readiness/);
    assert.match(text, /\| manual \| manual@acme\.test \|/);
    assert.match(text, /\| faults \| faults@acme\.test \|/);
    assert.match(text, /2027-06-01/);
    for (const secret of [MANUAL.password, FAULTS.password]) assert.ok(!text.includes(secret), 'a secret leaked');
    // The preview (a webview tab of the built-in Markdown extension).
    await waitFor(
      'the Markdown preview tab',
      () =>
        vscode.window.tabGroups.all
          .flatMap((g) => g.tabs)
          .some((t) => t.input instanceof vscode.TabInputWebview && /markdown/i.test(t.input.viewType)),
      15_000,
    );
    await control('setFault', FAULTS.username, null);
  });
});
