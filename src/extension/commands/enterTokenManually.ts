/** Salesforce: Enter Token Manually — an input box with validation; stores, writes .env, tests. */
import * as vscode from 'vscode';
import type { Services } from '../services';
import { CommandIds } from '../settings';
import { applyNewToken, reportError, resolveOrg, validateTokenInput } from './common';

export async function enterTokenManually(s: Services, arg?: unknown): Promise<void> {
  const org = await resolveOrg(s, arg);
  if (!org) return;
  if (org.mfaForApi) {
    const test = vscode.l10n.t('Test Connection');
    const a = await s.ui.message(
      'info',
      vscode.l10n.t(
        '{0} uses multi-factor authentication for API logins: there is no security token to enter. Test Connection asks for your authenticator code.',
        org.name,
      ),
      test,
    );
    if (a === test) await vscode.commands.executeCommand(CommandIds.testConnection);
    return;
  }
  const token = await s.ui.input({
    title: vscode.l10n.t('Enter Token Manually: {0}', org.name),
    prompt: vscode.l10n.t(
      'Paste the security token from the mail "Your new Salesforce security token" for {0}.',
      org.username,
    ),
    placeHolder: vscode.l10n.t('24 or 25 letters and digits'),
    password: true,
    validateInput: validateTokenInput,
  });
  if (!token) return;
  try {
    await applyNewToken(s, org, token.trim(), 'token entered manually');
  } catch (err) {
    await reportError(s, vscode.l10n.t('Could not save the token'), err);
  }
}
