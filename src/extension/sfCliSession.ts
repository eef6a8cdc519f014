/**
 * The extension's side of orgs whose login the Salesforce CLI owns (`auth: 'sf-cli'`, issue 14): Token Relay keeps
 * no refresh token, it asks sf (src/sfcli) for a fresh access token and checks it over REST before anything keeps it.
 *  - `sfCliRefresh`: one "ask sf again" (the keeper's timer, a refused token in a health check, a click on the status
 *    bar): sfAccessToken + REST userinfo; a dead sf login → `signin-required` with the fix "Sign in with the sf CLI";
 *  - `signInWithSfCli`: that fix: a VS Code terminal running `sf org login web -o <alias>` (sfLoginCommand), and a
 *    re-test when it closes with exit code 0 (else "Test Again");
 *  - `showSfNotFound`: the clear message when no sf is found (how to install it, a button opening the setting).
 * On-demand bundle (healthCheck.ts, oauthFreshness.ts, commands/importFromSfCli.ts use it).
 */
import * as os from 'node:os';
import * as vscode from 'vscode';
import { failureResult, REFUSED_ACCESS_TOKEN_CODES } from '../core/health';
import type { HealthResult } from '../core/healthStates';
import type { Logger } from '../core/log';
import type { OrgProfile } from '../core/profile';
import { registerSecret, safeErrorMessage } from '../core/redact';
import { restHealth } from '../salesforce/oauth';
import { findSfCli, isSfCliError, sfAccessToken, sfLoginCommand, type SfCliOptions } from '../sfcli';
import type { OAuthRefresh } from './healthMonitor';
import { CommandIds, proxySettings, SECTION, SettingKeys, sfCliPathSetting } from './settings';
import { targetOrgOf } from './sfCliPlan';
import type { Ui } from './ui';

export { type SfCliProfile, targetOrgOf } from './sfCliPlan';

/** Where the Salesforce CLI's install instructions are. */
export const SF_CLI_INSTALL_URL = 'https://developer.salesforce.com/tools/salesforcecli';
/** The health code of a missing sf executable (never worth retrying until the user installs it). */
export const SF_NOT_FOUND = 'SF_NOT_FOUND';
/** The name of the terminal that runs `sf org login web`. */
export const SF_LOGIN_TERMINAL = 'Salesforce CLI login';

/** Options for src/sfcli: the setting's executable, the home folder as cwd (no workspace config reaches sf). */
export function sfOptions(
  o: { log?: Logger; signal?: AbortSignal; timeoutMs?: number; cwd?: string } = {},
): SfCliOptions {
  return {
    sfPath: sfCliPathSetting(),
    cwd: o.cwd ?? os.homedir(),
    signal: o.signal,
    timeoutMs: o.timeoutMs ?? 60_000,
    log: o.log,
  };
}

/** `signin-required` for an sf-cli org: what happened, and the command that fixes it. */
export function sfSignInRequired(
  org: OrgProfile,
  why: string,
  code: string | null = 'SF_SIGNIN_REQUIRED',
): HealthResult {
  const cmd = sfLoginCommand(targetOrgOf(org), org.loginUrl).join(' ');
  const text = why.trim().replace(/([^.])$/, '$1.');
  return {
    ...failureResult({
      status: 'signin-required',
      code,
      // sf's own message may name the command already (without the login URL): say it once, ours.
      message: `${text.replace(/\s*Run `sf org login web[^`]*`[^.]*\./, '')} ${vscode.l10n.t(
        'Sign in again with the Salesforce CLI: {0}',
        cmd,
      )}`,
    }),
    username: org.username,
    flow: 'oauth',
    checkedAt: new Date().toISOString(),
  };
}

/** A result for an sf CLI failure that is not a dead login (no sf, timeout, refused, unreadable output). */
function sfFailure(org: OrgProfile, code: string, message: string): HealthResult {
  return {
    ...failureResult({
      status:
        code === 'SF_TIMEOUT' ? 'network-error' : code === 'SF_BAD_OUTPUT' ? 'unexpected-response' : 'login-failed',
      code,
      message,
    }),
    username: org.username,
    flow: 'oauth',
    checkedAt: new Date().toISOString(),
  };
}

/** A refresh result the keeper must not retry: the user has to act (sign in again, install sf). */
export function sfFinal(h: HealthResult): boolean {
  return h.status === 'signin-required' || h.code === SF_NOT_FOUND;
}

/**
 * Asks the sf CLI for a fresh access token of `org` and checks it over REST (sf exits 0 with a stale token when it
 * cannot refresh). The new token is in `secrets.accessToken` / `env` only when Salesforce accepted it. Never throws
 * except when `signal` aborts.
 */
export async function sfCliRefresh(
  org: OrgProfile,
  o: { log?: Logger; signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<OAuthRefresh> {
  const target = targetOrgOf(org);
  let access;
  try {
    access = await sfAccessToken(target, sfOptions(o));
  } catch (e) {
    if (o.signal?.aborted) throw e;
    if (!isSfCliError(e)) return { health: sfFailure(org, 'SF_REFUSED', safeErrorMessage(e)) };
    o.log?.info(`${org.name}: sf CLI: ${e.code}${e.exitCode !== undefined ? ` (exit ${e.exitCode})` : ''}`);
    if (e.code === 'SF_SIGNIN_REQUIRED' || e.code === 'SF_ORG_UNKNOWN')
      return { health: sfSignInRequired(org, safeErrorMessage(e), e.code) };
    if (e.code === 'SF_NOT_FOUND') return { health: sfFailure(org, e.code, sfNotFoundText()) };
    return { health: sfFailure(org, e.code, safeErrorMessage(e)) };
  }
  registerSecret(access.accessToken, { ephemeral: true });
  const instanceUrl = access.instanceUrl.replace(/\/+$/, '');
  const health = await restHealth(
    {
      instanceUrl,
      accessToken: access.accessToken,
      apiVersion: org.apiVersion,
      username: access.username,
      fetchLimits: false,
    },
    { proxy: proxySettings(), log: o.log, signal: o.signal, timeoutMs: o.timeoutMs },
  );
  if (health.status !== 'ok') {
    if (health.status === 'signin-required' || REFUSED_ACCESS_TOKEN_CODES.includes(health.code ?? ''))
      return {
        health: sfSignInRequired(
          org,
          vscode.l10n.t('The sf CLI could not refresh the session (Salesforce refuses its access token).'),
          health.code,
        ),
      };
    return { health };
  }
  o.log?.info(`${org.name}: fresh access token from the sf CLI (${access.via}) for ${target}`);
  return {
    health,
    env: { SF_ACCESS_TOKEN: access.accessToken, SF_INSTANCE_URL: instanceUrl },
    secrets: { accessToken: access.accessToken },
    issuedAt: Date.now(),
  };
}

/** What to do when no sf CLI is found (the setting's name is ours: `tokenRelay.sfCli.path`). */
function sfNotFoundText(detail?: string): string {
  return vscode.l10n.t(
    'The Salesforce CLI (sf) was not found. Install it with `npm install --global @salesforce/cli` (it needs Node.js 22 or later), or set its path in the setting {0} or the SF_CLI_PATH environment variable.{1}',
    `${SECTION}.${SettingKeys.sfCliPath}`,
    detail ? ` (${detail})` : '',
  );
}

/** The clear message when no sf CLI is found: how to install it, and the setting. */
export async function showSfNotFound(ui: Ui, detail?: string): Promise<void> {
  const install = vscode.l10n.t('How to Install');
  const setting = vscode.l10n.t('Open Setting');
  const a = await ui.message('warn', sfNotFoundText(detail), install, setting);
  if (a === install) await ui.openExternal(SF_CLI_INSTALL_URL);
  if (a === setting)
    await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.${SettingKeys.sfCliPath}`);
}

/**
 * The fix of a dead sf login: a terminal running `sf org login web -o <alias> [--instance-url <login URL>]` (sf
 * opens the browser itself). When the terminal closes with exit code 0 the login is tested again; otherwise the user
 * gets "Test Again". Resolves once the terminal is shown.
 */
export async function signInWithSfCli(org: OrgProfile, ui: Ui, log?: Logger): Promise<vscode.Terminal | undefined> {
  const found = await findSfCli({ sfPath: sfCliPathSetting() });
  if (!found) {
    await showSfNotFound(ui);
    return undefined;
  }
  const [, ...args] = sfLoginCommand(targetOrgOf(org), org.loginUrl);
  log?.info(`${org.name}: opening a terminal for: sf ${args.join(' ')}`);
  const terminal = vscode.window.createTerminal({
    name: SF_LOGIN_TERMINAL,
    shellPath: found.path,
    shellArgs: args,
    cwd: os.homedir(),
    iconPath: new vscode.ThemeIcon('account'),
  });
  terminal.show();
  const sub = vscode.window.onDidCloseTerminal((t) => {
    if (t !== terminal) return;
    sub.dispose();
    const code = t.exitStatus?.code;
    log?.info(`${org.name}: the sf login terminal closed (exit code ${code ?? 'unknown'})`);
    if (code === 0) {
      void vscode.commands.executeCommand(CommandIds.testConnection);
      return;
    }
    const again = vscode.l10n.t('Test Again');
    void ui
      .message(
        'warn',
        vscode.l10n.t(
          'The Salesforce CLI sign-in of {0} did not finish ({1}). When it is done, test the login again.',
          targetOrgOf(org),
          code === undefined ? vscode.l10n.t('terminal closed') : vscode.l10n.t('exit code {0}', code),
        ),
        again,
      )
      .then((a) => {
        if (a === again) void vscode.commands.executeCommand(CommandIds.testConnection);
      });
  });
  return terminal;
}

/** The failure notification of a dead sf login: "Sign in with the sf CLI" (a terminal) and "Show Log". */
export async function offerSfSignIn(h: HealthResult, org: OrgProfile, ui: Ui, log?: Logger): Promise<void> {
  const signIn = vscode.l10n.t('Sign in with the sf CLI');
  const showLog = vscode.l10n.t('Show Log');
  const a = await ui.message(
    'error',
    `${org.name}: ${vscode.l10n.t('Sign-in required')}. ${h.message}`,
    signIn,
    showLog,
  );
  if (a === signIn) await signInWithSfCli(org, ui, log);
  if (a === showLog) await vscode.commands.executeCommand(CommandIds.showLog);
}
