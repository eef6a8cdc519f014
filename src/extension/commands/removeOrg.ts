/** Salesforce: Remove Org — removes the profile and forgets its secrets (.env is left alone). */
import * as vscode from 'vscode';
import type { Services } from '../services';
import { reportError, resolveOrg } from './common';
import { removeProfile } from '../profileEdits';

export async function removeOrg(s: Services, id?: unknown): Promise<void> {
  const org = await resolveOrg(s, id, typeof id === 'string' ? undefined : vscode.l10n.t('Remove which org?'));
  if (!org) return;
  const remove = vscode.l10n.t('Remove');
  const a = await s.ui.confirm(
    vscode.l10n.t('Remove the org {0} ({1})?', org.name, org.username),
    vscode.l10n.t(
      'Its password, security token and client secret are deleted from SecretStorage. .env files are not changed.',
    ),
    remove,
  );
  if (a !== remove) return;
  try {
    await s.monitor.hold(async () => {
      await removeProfile(s.profiles, org.id);
      await s.secrets.forgetProfile(org.id);
    });
    s.monitor.refreshView();
    void s.ui.message('info', vscode.l10n.t('Org {0} removed and its secrets forgotten.', org.name));
  } catch (err) {
    await reportError(s, vscode.l10n.t('Could not remove the org'), err);
  }
}
