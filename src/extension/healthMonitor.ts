/**
 * Login health of the active org: one test at a time, re-tests on an interval (setting, 0 = off), when the
 * secrets change (also from another window) and when .env changes; updates the status bar and offers the
 * fixes of a failure. In Restricted Mode nothing is tested automatically.
 */
import * as vscode from 'vscode';
import type { HealthResult } from '../core/healthStates';
import type { Logger } from '../core/log';
import { profileProblems, type OrgProfile, type OrgSecrets } from '../core/profile';
import { registerSecret, safeErrorMessage } from '../core/redact';
import { offerFixes } from './fixes';
import { loadImpl } from './lazyLoader';
import type { ProfileStore } from './profiles';
import type { SecretStore } from './secrets';
import { config, healthIntervalMinutes, proxySettings, SettingKeys, CommandIds } from './settings';
import { labelFor, type HealthStatusBar } from './statusBar';
import type { Ui } from './ui';

/** The options of src/salesforce/login.ts testLogin that the extension uses. */
export interface LoginTestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  fetchLimits?: boolean;
  retryInvalidLogin?: { attempts: number; delayMs: number };
  proxy?: { url?: string; strictSSL?: boolean };
  log?: Logger;
}
export type LoginTester = (profile: OrgProfile, secrets: OrgSecrets, opts?: LoginTestOptions) => Promise<HealthResult>;

/** The real tester (src/salesforce/login.ts, in the on-demand bundle; it loads jsforce on its first call). */
export const defaultLoginTester: LoginTester = async (profile, secrets, opts) => loadImpl().testLogin(profile, secrets, opts);

export interface CheckOptions {
  reason: string;
  /** A user asked (command, click): prompts are allowed, every outcome is reported. */
  interactive?: boolean;
  /** Right after a reset: Salesforce may need a moment before the new token works. */
  retryInvalidLogin?: { attempts: number; delayMs: number };
}

export interface HealthMonitorDeps {
  profiles: ProfileStore;
  secrets: SecretStore;
  statusBar: HealthStatusBar;
  ui: Ui;
  log: Logger;
  tester: LoginTester;
  isTrusted: () => boolean;
  now?: () => Date;
}

export class HealthMonitor implements vscode.Disposable {
  private running: Promise<HealthResult | undefined> | undefined;
  private pending: CheckOptions | undefined;
  private runningInteractive = false;
  private followUp: Promise<HealthResult | undefined> | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly last = new Map<string, HealthResult>();
  private readonly subs: vscode.Disposable[] = [];
  private readonly emitter = new vscode.EventEmitter<{ org: OrgProfile; health: HealthResult }>();
  /** Fires after every finished test. */
  readonly onDidCheck = this.emitter.event;
  /** How many tests ran (tests use it to check "never more than one at a time"). */
  testsStarted = 0;
  concurrent = 0;
  maxConcurrent = 0;
  /** While > 0 (a reset or manual entry is in progress) change-triggered re-tests are held back. */
  private holds = 0;

  constructor(private readonly deps: HealthMonitorDeps) {
    this.subs.push(
      deps.profiles.onDidChange(() => {
        // Results of removed orgs are forgotten: an org added again starts "not checked".
        const ids = new Set(deps.profiles.list().map((p) => p.id));
        for (const id of [...this.last.keys()]) if (!ids.has(id)) this.last.delete(id);
        this.refreshView(); // Switch Org tests itself
      }),
      deps.secrets.onDidChange((c) => {
        if (!c.external || this.holds > 0) return;
        const active = deps.profiles.active();
        if (active && (c.profileId === active.id)) void this.check({ reason: 'secrets changed in another window' });
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`tokenRelay.${SettingKeys.healthCheckInterval}`)) this.startTimer();
      }),
    );
  }

  private get now(): Date {
    return (this.deps.now ?? (() => new Date()))();
  }

  /** The login tester in use (injected; tests may swap in a double of LoginTester). */
  get tester(): LoginTester {
    return this.deps.tester;
  }
  set tester(t: LoginTester) {
    this.deps.tester = t;
  }

  lastResult(profileId: string): HealthResult | undefined {
    return this.last.get(profileId);
  }

  get isRunning(): boolean {
    return this.running !== undefined;
  }

  /** Holds back change-triggered tests while `fn` runs (the caller tests itself afterwards). */
  async hold<T>(fn: () => Promise<T>): Promise<T> {
    this.holds++;
    try {
      return await fn();
    } finally {
      this.holds--;
    }
  }

  /** Shows the active org's last result (or "not checked"); on a switch of org, tests the new one. */
  refreshView(testIfNew = false): void {
    if (this.running) return; // the running test repaints when done
    this.paint(testIfNew);
  }

  private paint(testIfNew = false): void {
    const org = this.deps.profiles.active();
    if (!org) {
      this.deps.statusBar.show({ kind: 'no-org' });
      return;
    }
    const h = this.last.get(org.id);
    if (h) this.deps.statusBar.show({ kind: 'result', org, health: h });
    else {
      this.deps.statusBar.show({ kind: 'unchecked', org, note: this.deps.isTrusted() ? undefined : vscode.l10n.t('Restricted Mode: logins are tested only when you ask.') });
      if (testIfNew) void this.check({ reason: 'active org changed' });
    }
  }

  startTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const minutes = healthIntervalMinutes();
    if (minutes > 0) {
      this.timer = setInterval(() => void this.check({ reason: `every ${minutes} min` }), minutes * 60_000);
      this.timer.unref?.();
    }
  }

  /** Re-test triggered by a change (.env edited, secrets changed): skipped while held or when turned off. */
  onChangeTrigger(reason: string): void {
    if (this.holds > 0) return;
    if (config().get<boolean>(SettingKeys.healthCheckOnChange, true) === false) return;
    void this.check({ reason });
  }

  /** Records a result obtained elsewhere (the reset flow tests the login itself). */
  setResult(org: OrgProfile, health: HealthResult): void {
    this.last.set(org.id, health);
    if (this.deps.profiles.active()?.id === org.id && !this.running) this.deps.statusBar.show({ kind: 'result', org, health });
    this.emitter.fire({ org, health });
  }

  /**
   * Tests the active org's login. Never more than one test at a time: a request while one runs is answered
   * by the running one, and a change-triggered request queues exactly one follow-up.
   */
  check(opts: CheckOptions): Promise<HealthResult | undefined> {
    if (this.running) {
      if (!opts.interactive) {
        this.pending = opts;
        return this.running;
      }
      // A user asked while a background test runs: answer with a test of their own right after it
      // (one shared follow-up however many times they click), so prompts and reports are theirs.
      if (this.runningInteractive) return this.running;
      this.followUp ??= this.running
        .catch(() => undefined)
        .then(() => {
          this.followUp = undefined;
          return this.check(opts);
        });
      return this.followUp;
    }
    this.runningInteractive = !!opts.interactive;
    const run = this.runOnce(opts).finally(() => {
      this.running = undefined;
      this.runningInteractive = false;
      const next = this.pending;
      this.pending = undefined;
      if (next && !this.followUp) void this.check(next);
    });
    this.running = run;
    return run;
  }

  /** Waits for a running test to finish, then tests again (the running one may predate a change). */
  async checkFresh(opts: CheckOptions): Promise<HealthResult | undefined> {
    while (this.running) await this.running.catch(() => undefined);
    return this.check(opts);
  }

  private async runOnce(opts: CheckOptions): Promise<HealthResult | undefined> {
    const { profiles, secrets, statusBar, ui, log } = this.deps;
    const org = profiles.active();
    if (!org) {
      statusBar.show({ kind: 'no-org' });
      if (opts.interactive) {
        const add = vscode.l10n.t('Add Org');
        const imp = vscode.l10n.t('Import Org from .env');
        void ui.message('info', vscode.l10n.t('No Salesforce org is set up yet.'), add, imp).then((a) => {
          if (a === add) void vscode.commands.executeCommand(CommandIds.addOrg);
          if (a === imp) void vscode.commands.executeCommand(CommandIds.importOrgFromEnv);
        });
      }
      return undefined;
    }
    if (!opts.interactive && !this.deps.isTrusted()) {
      log.debug(`skipped automatic test (${opts.reason}): Restricted Mode`);
      return undefined;
    }
    const orgSecrets = await secrets.getOrgSecrets(org.id);
    if (org.mfaForApi) {
      if (!opts.interactive) {
        log.debug(`skipped automatic test of ${org.name}: MFA for API logins needs a code`);
        if (!this.last.has(org.id)) statusBar.show({ kind: 'unchecked', org, note: vscode.l10n.t('This org uses MFA for API logins: click to test with an authenticator code.') });
        return undefined;
      }
      const code = await ui.input({
        title: vscode.l10n.t('Test Connection: {0}', org.name),
        prompt: vscode.l10n.t('This org requires multi-factor authentication for API logins, so there is no security token. Enter the current code from your authenticator app.'),
        placeHolder: '123456',
        password: false,
        validateInput: (v) => (/^\s*\d{6,8}\s*$/.test(v) ? undefined : vscode.l10n.t('Enter the 6-digit code from your authenticator app.')),
      });
      if (!code) return undefined;
      orgSecrets.mfaCode = code.trim();
      registerSecret(orgSecrets.mfaCode);
    }
    const problems = profileProblems(org, orgSecrets);
    if (problems.length) {
      const msg = problems.map((p) => p.message).join(' ');
      statusBar.show({ kind: 'unchecked', org, note: msg });
      log.warn(`cannot test ${org.name}: ${msg}`);
      if (opts.interactive) {
        const edit = vscode.l10n.t('Edit Org');
        void ui.message('warn', vscode.l10n.t('{0}: cannot test the login yet. {1}', org.name, msg), edit).then((a) => {
          if (a === edit) void vscode.commands.executeCommand(CommandIds.editOrg, org.id);
        });
      }
      return undefined;
    }

    this.testsStarted++;
    this.concurrent++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    statusBar.show({ kind: 'checking', org, last: this.last.get(org.id) });
    log.info(`testing login of ${org.name} (${opts.reason})`);
    let health: HealthResult;
    try {
      health = await this.deps.tester(org, orgSecrets, {
        timeoutMs: 30_000,
        fetchLimits: true,
        proxy: proxySettings(),
        retryInvalidLogin: opts.retryInvalidLogin,
        log: log.child('salesforce'),
      });
    } catch (err) {
      // testLogin never throws; a broken tester still ends in a state.
      health = {
        status: 'login-failed', label: 'Login failed', code: null, message: safeErrorMessage(err),
        organizationId: null, username: org.username, instanceUrl: null, checkedAt: this.now.toISOString(),
      };
    } finally {
      this.concurrent--;
    }
    if (!health.checkedAt) health = { ...health, checkedAt: this.now.toISOString() };
    const previous = this.last.get(org.id);
    this.last.set(org.id, health);
    log.info(`${org.name}: ${health.status}${health.code ? ` (${health.code})` : ''}${health.latencyMs !== undefined ? ` in ${health.latencyMs} ms` : ''}${health.status !== 'ok' ? `: ${health.message}` : ''}`);
    if (profiles.active()?.id === org.id) statusBar.show({ kind: 'result', org, health });
    else this.paint(); // the active org changed meanwhile (Switch Org, another folder's editor)
    this.emitter.fire({ org, health });

    if (health.status !== 'ok') {
      if (opts.interactive || previous?.status !== health.status) void offerFixes(health, org, ui);
    } else if (opts.interactive) {
      void ui.message('info', vscode.l10n.t('{0}: {1} as {2}.', org.name, labelFor(health), health.username ?? org.username));
    }
    return health;
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    for (const s of this.subs) s.dispose();
    this.emitter.dispose();
  }
}
