import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { addEmulatorOrg, control, getApi, resetState, waitFor } from './helpers';

const FAULTS = { username: 'faults@acme.test', password: 'Faults-Passw0rd-3' };

/** Emulator fault → the CONTRACTS label and first fix offered. */
const CASES: Array<[string, string, string]> = [
  ['INVALID_LOGIN', 'Login rejected', 'Reset Token'],
  ['LOGIN_MUST_USE_SECURITY_TOKEN', 'Token required', 'Reset Token'],
  ['passwordExpired', 'Password expired', 'Open Salesforce'],
  ['PASSWORD_LOCKOUT', 'Locked out', 'Test Again'],
  ['SOAP_LOGIN_DISABLED', 'SOAP login disabled', 'OAuth Settings'],
  ['API_DISABLED_FOR_ORG', 'API disabled', 'Show Log'],
  ['SERVER_UNAVAILABLE', 'Org unavailable', 'Test Again'],
  ['REQUEST_LIMIT_EXCEEDED', 'Rate limited', 'Test Again'],
  ['html', 'Unexpected response', 'Proxy Settings'],
  ['reset', 'Network error', 'Proxy Settings'],
  ['UNKNOWN_EXCEPTION', 'Login failed', 'Show Log'],
];

describe('status bar health states', function () {
  this.timeout(120_000);
  let id = '';
  before(async () => {
    const a = await getApi();
    await resetState(a);
    const token = await control<string>('currentToken', FAULTS.username);
    id = await addEmulatorOrg(a, FAULTS, { token });
  });
  after(async () => {
    await control('setFault', FAULTS.username, null);
  });

  it('is healthy first, with tooltip details and command links', async () => {
    const a = await getApi();
    await control('setFault', FAULTS.username, null);
    await vscode.commands.executeCommand('tokenRelay.testConnection');
    assert.equal(a.statusText(), '$(warning) Connected · faults'); // a working SOAP login: the retirement warning (issue 14)
    const tip = a.statusTooltip();
    for (const s of [
      'Org',
      'User',
      'Instance',
      'Last check',
      'API requests remaining',
      'command:tokenRelay.resetToken',
      'command:tokenRelay.switchOrg',
      'command:tokenRelay.showLog',
    ]) {
      assert.ok(tip.includes(s), `tooltip lacks ${s}: ${tip}`);
    }
    assert.ok(tip.includes(FAULTS.username));
    assert.equal(a.statusCommand(), 'tokenRelay.testConnection', 'click re-tests');
  });

  for (const [fault, label, fix] of CASES) {
    it(`${fault} shows "${label}" and offers ${fix}`, async () => {
      const a = await getApi();
      await control('setFault', FAULTS.username, fault);
      a.scripted.reset();
      await vscode.commands.executeCommand('tokenRelay.testConnection');
      assert.ok(a.statusText().endsWith(`${label} · faults`), `status bar: ${a.statusText()}`);
      const m = a.scripted.messages.find((x) => x.severity === 'error');
      assert.ok(m, 'a failure notification');
      assert.ok(m.text.includes(label), m.text);
      assert.ok(m.actions.includes(fix), `${fix} not in ${m.actions.join(', ')}`);
      assert.ok(m.actions.includes('Show Log'));
      assert.ok(!m.text.includes(FAULTS.password));
    });
  }

  it('shows a spinning icon while checking', async () => {
    const a = await getApi();
    await control('setFault', FAULTS.username, null);
    const m = a.services.monitor;
    const real = m.tester;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    m.tester = async (p, s, o) => {
      await gate;
      return real(p, s, o);
    };
    try {
      const done = vscode.commands.executeCommand('tokenRelay.testConnection');
      await waitFor('the checking state', () => a.statusText().startsWith('$(sync~spin) '));
      assert.ok(a.statusText().endsWith(' · faults'));
      release();
      await done;
    } finally {
      m.tester = real;
    }
    assert.equal(a.statusText(), '$(warning) Connected · faults'); // a working SOAP login: the retirement warning (issue 14)
  });

  it('never runs more than one test at a time', async () => {
    const a = await getApi();
    await control('setFault', FAULTS.username, null);
    a.health.maxConcurrent = 0;
    const started = a.health.testsStarted;
    await Promise.all([1, 2, 3, 4, 5].map(() => vscode.commands.executeCommand('tokenRelay.testConnection')));
    assert.equal(a.health.maxConcurrent, 1);
    assert.ok(
      a.health.testsStarted - started >= 1 && a.health.testsStarted - started <= 2,
      `ran ${a.health.testsStarted - started} tests`,
    );
    assert.match(a.statusText(), /Connected/);
  });

  it('re-tests on the interval setting, and stops at 0', async () => {
    const a = await getApi();
    await control('setFault', FAULTS.username, null);
    const m = a.services.monitor;
    const c = vscode.workspace.getConfiguration('tokenRelay');
    const started = a.health.testsStarted;
    await c.update('healthCheck.intervalMinutes', 0.05, vscode.ConfigurationTarget.Global); // every 3 s
    try {
      await waitFor('an interval test', () => a.health.testsStarted > started, 20_000);
    } finally {
      await c.update('healthCheck.intervalMinutes', 0, vscode.ConfigurationTarget.Global);
    }
    while (m.isRunning) await new Promise((r) => setTimeout(r, 50));
    const after = a.health.testsStarted;
    await new Promise((r) => setTimeout(r, 3500));
    assert.equal(a.health.testsStarted, after, 'no test after the interval was set to 0');
  });

  it('re-tests when the secrets change outside this window', async () => {
    const a = await getApi();
    const m = a.services.monitor;
    const started = a.health.testsStarted;
    // A write that does not go through SecretStore looks like another window's.
    await a.services.context.secrets.store(`tokenRelay.${id}.password`, 'Changed-Elsewhere-9');
    await new Promise<void>((resolve) => {
      const sub = m.onDidCheck(() => {
        sub.dispose();
        resolve();
      });
    });
    assert.ok(a.health.testsStarted > started);
    assert.ok(a.statusText().includes('Login rejected'), a.statusText());
  });
});
