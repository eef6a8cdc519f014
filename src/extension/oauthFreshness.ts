/**
 * Keeps the access token of every org that signs in with OAuth fresh while VS Code runs (issue 13 item 3), so a
 * developer's app never reads a dead SF_ACCESS_TOKEN from .env:
 *  - one RefreshTimer (src/core/refreshTimer.ts) per tracked org: it refreshes before the token expires (lifetime:
 *    `tokenRelay.oauth.lifetimeMinutes`, else Salesforce's shortest session timeout, 15 min; a token whose age
 *    is unknown, e.g. after a restart, is refreshed at once);
 *  - every refresh (the timer's, or a health check's on a refused token: `persist`) stores the new access token and
 *    a rotated refresh token in SecretStorage and rewrites SF_ACCESS_TOKEN / SF_INSTANCE_URL in .env atomically;
 *  - refreshes of one org take turns (`exclusive`), and each reads the refresh token from SecretStorage right before
 *    it runs: another window may have rotated it. A refresh refused with `invalid_grant` while the stored refresh
 *    token changed meanwhile (another window won the race) is tried once more with the new one;
 *  - another window's refresh (an outside change of the access token) reschedules the timer from now instead of
 *    refreshing again; a refresh token deleted outside (Sign Out elsewhere) stops it;
 *  - `invalid_grant` → `signin-required` (fix: Switch to OAuth), an app refused → `app-not-approved`: the timer stops.
 * Orgs whose login the sf CLI owns (`auth: 'sf-cli'`, issue 14) are kept fresh the same way, with the same lifetime
 * rule: a refresh asks sf again (sfCliSession.ts sfCliRefresh: `sf org auth show-access-token`, checked over REST) and
 * rewrites .env; no refresh token is kept by us. A dead sf login → `signin-required` with the fix "Sign in with the sf
 * CLI"; no sf at all → the timer stops too.
 * On-demand bundle: made by the first test of an OAuth org (healthCheck.ts) or by Switch to OAuth; the health
 * monitor holds it (`CheckHost.keeper`) and disposes it.
 */
import { REFUSED_ACCESS_TOKEN_CODES } from '../core/health';
import type { HealthResult } from '../core/healthStates';
import { authMethodOf, validateProfile, type OrgProfile, type OrgSecrets } from '../core/profile';
import { RefreshTimer, type RefreshOutcome } from '../core/refreshTimer';
import { safeErrorMessage } from '../core/redact';
import { oauthSignIn } from '../salesforce/signin/oauth';
import { offerFixes } from './fixes';
import { sfCliRefresh, sfFinal } from './sfCliSession';
import type { CheckHost, FreshnessKeeper, OAuthRefresh } from './healthMonitor';
import * as vscode from 'vscode';
import { SECTION, SettingKeys, oauthSessionTimeoutMs, proxySettings } from './settings';

/** The states after which refreshing is pointless until the user signs in again. */
const FINAL_STATES = new Set(['signin-required', 'app-not-approved']);

/** The methods whose access token the keeper keeps fresh. */
export function keptFresh(org: Pick<OrgProfile, 'auth'> | undefined): boolean {
  return org?.auth === 'oauth' || org?.auth === 'sf-cli';
}

/** A refresh Salesforce refused because the refresh token is dead (invalid_grant, revoked, expired). */
export function refusedRefreshToken(h: HealthResult): boolean {
  return h.status === 'signin-required' && !REFUSED_ACCESS_TOKEN_CODES.includes(h.code ?? '');
}

export class OAuthKeeper implements FreshnessKeeper {
  private readonly timers = new Map<string, RefreshTimer>();
  /** When the access token in SecretStorage was issued, per org (this window's knowledge). */
  private readonly issued = new Map<string, number>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly subs: vscode.Disposable[] = [];
  private disposed = false;

  /** The monitor's keeper, made on first use. */
  static of(host: CheckHost): OAuthKeeper {
    const k = host.keeper instanceof OAuthKeeper ? host.keeper : new OAuthKeeper(host);
    host.keeper = k;
    return k;
  }

  private constructor(private readonly host: CheckHost) {
    const { secrets, profiles } = host.deps;
    this.subs.push(
      secrets.onDidChange((c) => {
        if (!c.external || !c.profileId || !this.timers.has(c.profileId)) return;
        if (c.kind === 'accessToken') {
          // Another window refreshed just now: its token is fresh, do not refresh it again.
          this.log.info(`${c.profileId}: access token refreshed in another window; next refresh rescheduled`);
          this.issued.set(c.profileId, Date.now());
          this.timers.get(c.profileId)?.start(Date.now());
        } else if (c.kind === 'refreshToken') {
          void secrets.getSecret(c.profileId, 'refreshToken').then((v) => {
            if (!v) this.untrack(c.profileId!);
          });
        }
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(`${SECTION}.${SettingKeys.oauthLifetime}`)) return;
        // A new lifetime: every timer starts again with it, from the token's known issue time.
        for (const id of [...this.timers.keys()]) {
          const org = profiles.get(id);
          const issuedAt = this.issued.get(id);
          this.timers.get(id)?.stop();
          this.timers.delete(id);
          if (org) this.track(org, issuedAt);
        }
      }),
      profiles.onDidChange(() => {
        for (const id of [...this.timers.keys()]) {
          const p = profiles.get(id);
          if (!p || !keptFresh(p)) this.untrack(id);
        }
      }),
    );
  }

  private get log() {
    return this.host.deps.log;
  }

  /** Runs `fn` after the org's previous refresh/test is over (one at a time per org, in this window). */
  exclusive<T>(orgId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(orgId) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    const tail = next.catch(() => undefined);
    this.queues.set(orgId, tail);
    void tail.then(() => {
      if (this.queues.get(orgId) === tail) this.queues.delete(orgId);
    });
    return next;
  }

  /**
   * Stores what a refresh gave: the access token and a rotated refresh token in SecretStorage, then SF_ACCESS_TOKEN
   * and SF_INSTANCE_URL in .env (when trusted; a failed .env write is logged, the secrets are kept). Restarts the
   * org's timer from the new token's issued_at.
   */
  async persist(org: OrgProfile, r: OAuthRefresh): Promise<void> {
    const { secrets, isTrusted } = this.host.deps;
    if (r.secrets?.refreshToken) await secrets.setSecret(org.id, 'refreshToken', r.secrets.refreshToken);
    if (r.secrets?.accessToken) await secrets.setSecret(org.id, 'accessToken', r.secrets.accessToken);
    const issuedAt = r.issuedAt ?? Date.now();
    if (r.secrets?.accessToken) {
      this.issued.set(org.id, issuedAt);
      this.timers.get(org.id)?.start(issuedAt);
    }
    const writer = this.host.deps.envWriter?.();
    if (r.env && writer && isTrusted()) {
      try {
        await writer.writeFreshToken(org, r.env);
      } catch (e) {
        this.log.warn(`${org.name}: the refreshed access token was not written to .env: ${safeErrorMessage(e)}`);
      }
    }
    this.log.info(
      `${org.name}: access token refreshed${r.secrets?.refreshToken ? ' (the refresh token was rotated)' : ''}`,
    );
  }

  /** Keeps `org`'s token fresh from now on; `issuedAt` when known (else its age is unknown: refreshed at once). */
  track(org: OrgProfile, issuedAt?: number): void {
    if (this.disposed || !keptFresh(org)) return;
    if (issuedAt !== undefined) this.issued.set(org.id, issuedAt);
    let timer = this.timers.get(org.id);
    if (timer) {
      if (issuedAt !== undefined) timer.start(issuedAt);
      return;
    }
    timer = new RefreshTimer({
      refresh: () => this.refreshNow(org.id),
      lifetimeMs: oauthSessionTimeoutMs(),
      onError: (e, retryInMs) =>
        this.log.warn(
          `${org.name}: access token refresh failed: ${safeErrorMessage(e)}${retryInMs !== undefined ? `; again in ${Math.round(retryInMs / 1000)} s` : ''}`,
        ),
    });
    this.timers.set(org.id, timer);
    const known = this.issued.get(org.id);
    timer.start(known ?? 0);
    this.log.info(
      `${org.name}: keeping the ${org.auth === 'sf-cli' ? 'sf CLI' : 'OAuth'} access token fresh (${known === undefined ? 'age unknown: refreshing now' : `next refresh in ${Math.round(((timer.dueAt ?? Date.now()) - Date.now()) / 1000)} s`})`,
    );
  }

  untrack(orgId: string): void {
    this.timers.get(orgId)?.stop();
    this.timers.delete(orgId);
    this.issued.delete(orgId);
  }

  /** Test seam: the timers' state. */
  status(orgId: string): { tracked: boolean; dueAt?: number; refreshes: number } {
    const t = this.timers.get(orgId);
    return { tracked: !!t, dueAt: t?.dueAt, refreshes: t?.refreshes ?? 0 };
  }

  /**
   * One refresh of the timer: the refresh token read fresh from SecretStorage, the refresh_token grant, the new
   * tokens stored. 'stop' when the sign-in is over (the state is shown with its fix); throws when worth retrying.
   */
  private refreshNow(orgId: string): Promise<RefreshOutcome> {
    return this.exclusive(orgId, async () => {
      const org = this.host.deps.profiles.get(orgId);
      if (!org || !keptFresh(org)) return 'stop';
      if (org.auth === 'sf-cli') return this.settle(org, await this.refreshSfCli(org));
      let secrets = await this.host.deps.secrets.getOrgSecrets(orgId);
      let r = await this.refreshOnce(org, secrets);
      if (refusedRefreshToken(r.health)) {
        const again = await this.host.deps.secrets.getOrgSecrets(orgId);
        if (again.refreshToken && again.refreshToken !== secrets.refreshToken) {
          this.log.info(
            `${org.name}: the refresh token was rotated by another window meanwhile: refreshing with the new one`,
          );
          secrets = again;
          r = await this.refreshOnce(org, secrets);
        }
      }
      return this.settle(org, r);
    });
  }

  /** Stores a refresh's result; 'stop' when the user must act (shown with its fix); throws when worth retrying. */
  private async settle(org: OrgProfile, r: OAuthRefresh): Promise<RefreshOutcome> {
    if (r.env || r.secrets) await this.persist(org, r);
    if (FINAL_STATES.has(r.health.status) || (org.auth === 'sf-cli' && sfFinal(r.health))) {
      const previous = this.host.last.get(org.id);
      this.host.setResult(org, r.health);
      if (previous?.status !== r.health.status) void offerFixes(r.health, org, this.host.deps.ui);
      this.timers.delete(org.id);
      return 'stop';
    }
    if (!r.secrets?.accessToken) throw new Error(r.health.message || r.health.label);
    return { issuedAt: r.issuedAt ?? Date.now() };
  }

  /**
   * sf-cli: asks the sf CLI for a fresh access token (checked over REST). Used by the timer, by a health check whose
   * token Salesforce refused, and when the user tests (a click on the status bar). The caller stores it (persist).
   */
  refreshSfCli(org: OrgProfile, signal?: AbortSignal): Promise<OAuthRefresh> {
    return sfCliRefresh(org, { log: this.log.child('sf'), signal });
  }

  private async refreshOnce(org: OrgProfile, secrets: OrgSecrets): Promise<OAuthRefresh> {
    let profile;
    try {
      profile = validateProfile(org);
    } catch (e) {
      throw new Error(`${org.name}: ${safeErrorMessage(e)}`, { cause: e });
    }
    if (authMethodOf(profile, secrets) !== 'oauth') throw new Error(`${org.name} does not sign in with OAuth`);
    return oauthSignIn.refresh!(profile, secrets, {
      proxy: proxySettings(),
      fetchLimits: false,
      log: this.log.child('salesforce'),
    });
  }

  dispose(): void {
    this.disposed = true;
    for (const t of this.timers.values()) t.stop();
    this.timers.clear();
    for (const d of this.subs) d.dispose();
    this.subs.length = 0;
  }
}
