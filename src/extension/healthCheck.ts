/**
 * One login test of the active org, started by the health monitor (healthMonitor.ts) once its early outs (no
 * org, Restricted Mode) passed: reads the secrets, asks for an MFA code when the org needs one (interactive
 * only), runs the login tester, records and reports the result, and offers the fixes of a failure.
 * An org that signs in with OAuth is tested over REST; a refused access token is refreshed, and the new tokens are
 * stored (SecretStorage, .env) before the result counts (OAuthKeeper.persist); the test takes its turn with the
 * keeper's refreshes, and a successful one keeps the token fresh from then on (oauthFreshness.ts).
 * An org whose login the sf CLI owns (`sf-cli`) is tested over REST too; a refused access token, a test the user
 * asked for (a click on the status bar) and a missing token first ask sf again (OAuthKeeper.refreshSfCli) and store
 * what it gives; a dead sf login ends in `signin-required` with the fix "Sign in with the sf CLI".
 * On-demand bundle (lazyImpl.ts); the monitor reaches it through its injected `runCheck`.
 */
import * as vscode from 'vscode';
import { REFUSED_ACCESS_TOKEN_CODES } from '../core/health';
import type { HealthResult } from '../core/healthStates';
import { authMethodOf, profileProblems, type OrgProfile, type OrgSecrets } from '../core/profile';
import { registerSecret, safeErrorMessage } from '../core/redact';
import { offerFixes } from './fixes';
import type { CheckHost, CheckOptions, LoginTestOptions } from './healthMonitor';
import { OAuthKeeper, refusedRefreshToken } from './oauthFreshness';
import { remindRetirement } from './retirementReminder';
import { sfFinal } from './sfCliSession';
import { CommandIds, proxySettings } from './settings';
import { labelFor } from './statusBar';

export async function runHealthCheck(
  host: CheckHost,
  org: OrgProfile,
  opts: CheckOptions,
): Promise<HealthResult | undefined> {
  const deps = host.deps;
  const { profiles, secrets, statusBar, ui, log } = deps;
  const orgSecrets = await secrets.getOrgSecrets(org.id);
  if (org.mfaForApi) {
    if (!opts.interactive) {
      log.debug(`skipped automatic test of ${org.name}: MFA for API logins needs a code`);
      if (!host.last.has(org.id))
        statusBar.show({
          kind: 'unchecked',
          org,
          note: vscode.l10n.t('This org uses MFA for API logins: click to test with an authenticator code.'),
        });
      return undefined;
    }
    const code = await ui.input({
      title: vscode.l10n.t('Test Connection: {0}', org.name),
      prompt: vscode.l10n.t(
        'This org requires multi-factor authentication for API logins, so there is no security token. Enter the current code from your authenticator app.',
      ),
      placeHolder: '123456',
      password: false,
      validateInput: (v) =>
        /^\s*\d{6,8}\s*$/.test(v) ? undefined : vscode.l10n.t('Enter the 6-digit code from your authenticator app.'),
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

  host.probe?.started();
  statusBar.show({ kind: 'checking', org, last: host.last.get(org.id) });
  log.info(`testing login of ${org.name} (${opts.reason})`);
  let health: HealthResult;
  try {
    const testOpts: LoginTestOptions = {
      timeoutMs: 30_000,
      fetchLimits: true,
      proxy: proxySettings(),
      retryInvalidLogin: opts.retryInvalidLogin,
      log: log.child('salesforce'),
    };
    if (authMethodOf(org, orgSecrets) === 'oauth') {
      const keeper = OAuthKeeper.of(host);
      testOpts.onRefresh = (r) => keeper.persist(org, r);
      health = await keeper.exclusive(org.id, async () => {
        // Read again in turn: a refresh that ran meanwhile (the keeper's, another window's) may have rotated them.
        const fresh: OrgSecrets = await secrets.getOrgSecrets(org.id);
        let h = await deps.tester(org, fresh, testOpts);
        if (refusedRefreshToken(h)) {
          const again = await secrets.getOrgSecrets(org.id);
          if (again.refreshToken && again.refreshToken !== fresh.refreshToken)
            h = await deps.tester(org, again, testOpts);
        }
        return h;
      });
      if (health.status === 'ok') keeper.track(org);
      else if (health.status === 'signin-required' || health.status === 'app-not-approved') keeper.untrack(org.id);
    } else if (authMethodOf(org, orgSecrets) === 'sf-cli') {
      const keeper = OAuthKeeper.of(host);
      health = await keeper.exclusive(org.id, () => testSfCliOrg(host, keeper, org, opts, testOpts));
      if (health.status === 'ok') keeper.track(org);
      else if (sfFinal(health)) keeper.untrack(org.id);
    } else {
      health = await deps.tester(org, orgSecrets, testOpts);
    }
  } catch (err) {
    // testLogin never throws; a broken tester still ends in a state.
    health = {
      status: 'login-failed',
      label: 'Login failed',
      code: null,
      message: safeErrorMessage(err),
      organizationId: null,
      username: org.username,
      instanceUrl: null,
      checkedAt: host.now.toISOString(),
    };
  } finally {
    host.probe?.finished();
  }
  if (!health.checkedAt) health = { ...health, checkedAt: host.now.toISOString() };
  const previous = host.last.get(org.id);
  host.last.set(org.id, health);
  log.info(
    `${org.name}: ${health.status}${health.code ? ` (${health.code})` : ''}${health.latencyMs !== undefined ? ` in ${health.latencyMs} ms` : ''}${health.status !== 'ok' ? `: ${health.message}` : ''}`,
  );
  if (profiles.active()?.id === org.id) statusBar.show({ kind: 'result', org, health });
  else host.paint(); // the active org changed meanwhile (Switch Org, another folder's editor)
  host.fire({ org, health });

  if (health.status !== 'ok') {
    if (opts.interactive || previous?.status !== health.status) void offerFixes(health, org, ui);
  } else if (opts.interactive) {
    void ui.message(
      'info',
      vscode.l10n.t('{0}: {1} as {2}.', org.name, labelFor(health), health.username ?? org.username),
    );
  }
  // A working login of a retiring method: the reminder, at most once per org per 30 days (retirementReminder.ts).
  if (health.notice && deps.globalState)
    void remindRetirement({ ui, state: deps.globalState, log, now: host.now }, org, health).catch((err: unknown) =>
      log.warn(`retirement reminder: ${safeErrorMessage(err)}`),
    );
  return health;
}

/**
 * One test of an sf-cli org (in turn with the keeper's refreshes): asks sf first when the user asked (status bar
 * click, Test Connection) or no token is kept, then tests over REST; a refused token asks sf once more and re-tests.
 */
async function testSfCliOrg(
  host: CheckHost,
  keeper: OAuthKeeper,
  org: OrgProfile,
  opts: CheckOptions,
  testOpts: LoginTestOptions,
): Promise<HealthResult> {
  const { secrets, log } = host.deps;
  let current: OrgSecrets = await secrets.getOrgSecrets(org.id);
  let asked = false;
  const askSf = async (why: string): Promise<HealthResult | undefined> => {
    log.info(`${org.name}: ${why}: asking the sf CLI for a fresh access token`);
    asked = true;
    const r = await keeper.refreshSfCli(org);
    if (!r.secrets?.accessToken) return r.health;
    await keeper.persist(org, r);
    current = { ...current, accessToken: r.secrets.accessToken };
    return undefined;
  };
  if (opts.interactive || !current.accessToken) {
    const failed = await askSf(opts.interactive ? 'test asked for' : 'no access token kept');
    if (failed) return failed;
  }
  let h = await host.deps.tester(org, current, testOpts);
  if (!asked && h.status === 'signin-required' && REFUSED_ACCESS_TOKEN_CODES.includes(h.code ?? '')) {
    const failed = await askSf(`Salesforce refused the access token (${h.code})`);
    if (failed) return failed;
    h = await host.deps.tester(org, current, testOpts);
  }
  return h;
}
