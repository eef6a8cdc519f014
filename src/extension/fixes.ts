/**
 * The fixes of CONTRACTS.md's health table as notification buttons. Every failure notification offers the
 * fixes of its state, plus "Show Log".
 */
import * as vscode from 'vscode';
import { HEALTH_STATES, type FixId, type HealthResult } from '../core/healthStates';
import type { OrgProfile } from '../core/profile';
import { migrationReason } from '../core/retirement';
import { CommandIds } from './settings';
import { offerSfSignIn } from './sfCliSession';
import type { Ui } from './ui';
import { healthMessage } from './explain';
import { MFA_CODE_REJECTED } from '../core/mfa';

export function fixLabel(fix: FixId): string {
  switch (fix) {
    case 'reset-token':
      return vscode.l10n.t('Reset Token');
    case 'edit-org':
      return vscode.l10n.t('Edit Org');
    case 'open-salesforce':
      return vscode.l10n.t('Open Salesforce');
    case 'wait':
      return vscode.l10n.t('Test Again');
    case 'oauth-settings':
      return vscode.l10n.t('OAuth Settings');
    case 'proxy-settings':
      return vscode.l10n.t('Proxy Settings');
    case 'retry':
      return vscode.l10n.t('Test Again');
    case 'show-log':
      return vscode.l10n.t('Show Log');
    case 'switch-to-oauth':
      return vscode.l10n.t('Switch to OAuth');
    case 'use-sf-cli':
      return vscode.l10n.t('Use the sf CLI login');
  }
}

/** Extra advice per state that the message from testLogin may not carry. */
export function fixAdvice(h: HealthResult): string | undefined {
  switch (h.status) {
    case 'locked-out':
      return vscode.l10n.t('Wait until the lockout ends, or ask your Salesforce admin to unlock the user.');
    case 'api-disabled':
      return vscode.l10n.t('Ask your Salesforce admin to enable API access ("API Enabled" permission) for this user.');
    case 'org-unavailable':
    case 'rate-limited':
      return vscode.l10n.t('Try again later.');
    case 'password-expired':
      return vscode.l10n.t('Log in to Salesforce in the browser to set a new password, then update it with Edit Org.');
    case 'soap-login-disabled':
      return vscode.l10n.t(
        "Salesforce retires SOAP login() in Summer '27 and new orgs have it off: Switch to OAuth signs in through your External Client App instead, or use the org's sf CLI login.",
      );
    case 'invalid-login':
      return migrationReason(h) === 'flow-blocked'
        ? vscode.l10n.t(
            'If the org blocks the username-password flow (Salesforce switches it off everywhere on 2027-02-20): Switch to OAuth, or use the sf CLI login.',
          )
        : undefined;
    case 'app-not-approved':
      return vscode.l10n.t(
        'Check the client id, or ask your Salesforce admin to let this user use the External Client App (its policies: permitted users, permission sets).',
      );
    default:
      return undefined;
  }
}

export function fixesFor(h: HealthResult): FixId[] {
  // A rejected authenticator code (MFA for API logins): such users have no token to reset; test again with a new code.
  if (h.code === MFA_CODE_REJECTED) return ['retry', 'edit-org', 'show-log'];
  const fixes: FixId[] = [...(HEALTH_STATES[h.status]?.fixes ?? ['show-log'])];
  // SOAP login() is off (or gone in API 65.0+), or the username-password flow is blocked: the password sign-in has no
  // future here, so the two ways forward come first (the admin advice stays in the message and the other fixes).
  if (migrationReason(h)) {
    for (const f of ['use-sf-cli', 'switch-to-oauth'] as const) {
      const at = fixes.indexOf(f);
      if (at >= 0) fixes.splice(at, 1);
      fixes.unshift(f);
    }
  }
  if (!fixes.includes('show-log')) fixes.push('show-log');
  return fixes;
}

export async function runFix(fix: FixId, org: OrgProfile | undefined, ui: Ui): Promise<void> {
  switch (fix) {
    case 'reset-token':
      await vscode.commands.executeCommand(CommandIds.resetToken);
      return;
    case 'edit-org':
      await vscode.commands.executeCommand(CommandIds.editOrg, org?.id);
      return;
    case 'oauth-settings':
      await vscode.commands.executeCommand(CommandIds.editOrg, org?.id, 'clientId');
      return;
    case 'open-salesforce':
      if (org) await ui.openExternal(org.loginUrl);
      return;
    case 'proxy-settings':
      await vscode.commands.executeCommand('workbench.action.openSettings', 'http.proxy');
      return;
    case 'wait':
    case 'retry':
      await vscode.commands.executeCommand(CommandIds.testConnection);
      return;
    case 'show-log':
      await vscode.commands.executeCommand(CommandIds.showLog);
      return;
    case 'switch-to-oauth':
      await vscode.commands.executeCommand(CommandIds.switchToOAuth, org?.id);
      return;
    case 'use-sf-cli':
      await vscode.commands.executeCommand(CommandIds.importFromSfCli);
      return;
  }
}

/**
 * Shows a failure notification for a health result with its fixes as buttons (not awaited by callers that
 * must not block on the user).
 */
export async function offerFixes(h: HealthResult, org: OrgProfile | undefined, ui: Ui): Promise<void> {
  // The sf CLI owns an sf-cli org's login: signing in again is sf's (a terminal), not Switch to OAuth.
  if (org?.auth === 'sf-cli' && h.status === 'signin-required') return offerSfSignIn(h, org, ui);
  const fixes = fixesFor(h);
  const labels = [...new Set(fixes.map(fixLabel))];
  const advice = fixAdvice(h);
  const name = org?.name ?? h.username ?? '';
  const text = `${name ? `${name}: ` : ''}${HEALTH_STATES[h.status] ? vscode.l10n.t(HEALTH_STATES[h.status].label) : h.label}. ${healthMessage(h)}${advice ? ` ${advice}` : ''}`;
  const chosen = await ui.message('error', text, ...labels);
  const fix = fixes.find((f) => fixLabel(f) === chosen);
  if (fix) await runFix(fix, org, ui);
}
