/**
 * Login health of the active org: one test at a time, re-tests on an interval (setting, 0 = off), when the
 * secrets change (also from another window) and when .env changes; updates the status bar and offers the
 * fixes of a failure. In Restricted Mode nothing is tested automatically.
 *
 * This is the activation-time half: the state, the triggers, the queue and the status bar. A test itself
 * (secrets, MFA prompt, testLogin, the report and the fixes) is healthCheck.ts in the on-demand bundle,
 * reached through the injected `runCheck`; the early outs (no org, Restricted Mode) stay here, so they load nothing.
 * An org that signs in with OAuth also gets a `FreshnessKeeper` (oauthFreshness.ts, on-demand: made by its first
 * test) that refreshes its access token before it expires; the monitor only holds and disposes it.
 */
import * as vscode from 'vscode';
import type { HealthResult } from '../core/healthStates';
import type { Logger } from '../core/log';
import type { OrgProfile, OrgSecrets } from '../core/profile';
import type { EnvWriter } from './envWriter';
import { Disposable, toDisposable } from './lifecycle';
import type { ProfileStore } from './profiles';
import type { SecretStore } from './secrets';
import { config, healthIntervalMinutes, SECTION, SettingKeys, CommandIds } from './settings';
import type { HealthStatusBar } from './statusBar';
import type { Ui } from './ui';

/** The options of src/salesforce/login.ts testLogin that the extension uses. */
export interface LoginTestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  fetchLimits?: boolean;
  retryInvalidLogin?: { attempts: number; delayMs: number };
  proxy?: { url?: string; strictSSL?: boolean };
  log?: Logger;
  /**
   * SF_AUTH=oauth: a refused access token is refreshed and the new tokens handed here (awaited) to be stored
   * (SecretStorage, .env) before the result comes back (src/salesforce/signin/types.ts LoginOptions.onRefresh).
   */
  onRefresh?: (r: OAuthRefresh) => void | Promise<void>;
}

/** What an OAuth refresh gives (src/salesforce/signin/types.ts SignInRefresh). */
export interface OAuthRefresh {
  health: HealthResult;
  env?: Record<string, string>;
  secrets?: Partial<OrgSecrets>;
  issuedAt?: number;
}

/** Keeps the access tokens of OAuth orgs fresh (oauthFreshness.ts); the monitor holds one, made on demand. */
export interface FreshnessKeeper {
  dispose(): void;
}
export type LoginTester = (profile: OrgProfile, secrets: OrgSecrets, opts?: LoginTestOptions) => Promise<HealthResult>;

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
  /** The .env writer (on-demand; the OAuth refresh writes the new access token). */
  envWriter?: () => EnvWriter;
  /** globalState: when each org's retirement reminder was last shown (retirementReminder.ts). */
  globalState?: vscode.Memento;
  /** Runs one test of `org` (healthCheck.ts runHealthCheck, in the on-demand bundle). */
  runCheck: (host: CheckHost, org: OrgProfile, opts: CheckOptions) => Promise<HealthResult | undefined>;
}

/** What a test started by the monitor (healthCheck.ts) reads and updates. */
export interface CheckHost {
  readonly deps: HealthMonitorDeps;
  readonly now: Date;
  /** The last result per profile id. */
  readonly last: Map<string, HealthResult>;
  /** Repaints the status bar from the state (the active org may have changed during the test). */
  paint(): void;
  /** Fires onDidCheck. */
  fire(e: { org: OrgProfile; health: HealthResult }): void;
  /** Records a result obtained outside a test (an OAuth refresh that failed) and shows it. */
  setResult(org: OrgProfile, health: HealthResult): void;
  /** The OAuth freshness keeper, once an OAuth org was tested (made by the on-demand code, disposed with the monitor). */
  keeper?: FreshnessKeeper;
  /** Test seam (the test API counts tests through it): told when a login test starts and ends. */
  readonly probe?: HealthProbe;
}

export interface HealthProbe {
  started(): void;
  finished(): void;
}

export class HealthMonitor extends Disposable implements CheckHost {
  private running: Promise<HealthResult | undefined> | undefined;
  private pending: CheckOptions | undefined;
  private runningInteractive = false;
  private followUp: Promise<HealthResult | undefined> | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  readonly last = new Map<string, HealthResult>();
  private readonly emitter = this._register(new vscode.EventEmitter<{ org: OrgProfile; health: HealthResult }>());
  /** Fires after every finished test. */
  readonly onDidCheck = this.emitter.event;
  /** Set by the test API only (it counts tests: "never more than one at a time"). */
  probe?: HealthProbe;
  /** While > 0 (a reset or manual entry is in progress) change-triggered re-tests are held back. */
  private holds = 0;
  keeper?: FreshnessKeeper;

  constructor(readonly deps: HealthMonitorDeps) {
    super();
    this._register(toDisposable(() => clearInterval(this.timer)));
    this._register(toDisposable(() => this.keeper?.dispose()));
    this._register(
      deps.profiles.onDidChange(() => {
        // Results of removed orgs are forgotten: an org added again starts "not checked".
        const ids = new Set(deps.profiles.list().map((p) => p.id));
        for (const id of [...this.last.keys()]) if (!ids.has(id)) this.last.delete(id);
        this.refreshView(); // Switch Org tests itself
      }),
    );
    this._register(
      deps.secrets.onDidChange((c) => {
        // Another window's OAuth refresh (a new access token) is no reason to test: the keeper reschedules.
        if (!c.external || this.holds > 0 || c.kind === 'accessToken') return;
        const active = deps.profiles.active();
        if (active && c.profileId === active.id) void this.check({ reason: 'secrets changed in another window' });
      }),
    );
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SECTION}.${SettingKeys.healthCheckInterval}`)) this.startTimer();
      }),
    );
  }

  get now(): Date {
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

  paint(testIfNew = false): void {
    const org = this.deps.profiles.active();
    if (!org) {
      this.deps.statusBar.show({ kind: 'no-org' });
      return;
    }
    const h = this.last.get(org.id);
    if (h) this.deps.statusBar.show({ kind: 'result', org, health: h });
    else {
      this.deps.statusBar.show({
        kind: 'unchecked',
        org,
        note: this.deps.isTrusted()
          ? undefined
          : vscode.l10n.t('Restricted Mode: logins are tested only when you ask.'),
      });
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

  fire(e: { org: OrgProfile; health: HealthResult }): void {
    this.emitter.fire(e);
  }

  /** Records a result obtained elsewhere (the reset flow tests the login itself). */
  setResult(org: OrgProfile, health: HealthResult): void {
    this.last.set(org.id, health);
    if (this.deps.profiles.active()?.id === org.id && !this.running)
      this.deps.statusBar.show({ kind: 'result', org, health });
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
    const { profiles, statusBar, ui, log } = this.deps;
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
    return this.deps.runCheck(this, org, opts);
  }
}
