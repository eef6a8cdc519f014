/** Salesforce: Write .env — writes what SecretStorage holds for the active org into its .env. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Services } from '../services';
import { requireTrust } from '../trust';
import { reportError, resolveOrg } from './common';

export async function writeEnv(s: Services, arg?: unknown): Promise<void> {
  if (!requireTrust(s.ui, vscode.l10n.t('write .env'))) return;
  const org = await resolveOrg(s, arg);
  if (!org) return;
  try {
    const res = await s.envWriter.writeAll(org);
    const file = path.basename(res.path);
    const open = vscode.l10n.t('Open .env');
    const text = res.viaEditor
      ? vscode.l10n.t(
          '{0} updated in the unsaved editor of {1}: save it to write it to disk.',
          res.changed.join(', ') || vscode.l10n.t('Nothing'),
          file,
        )
      : res.changed.length
        ? vscode.l10n.t('{0} written to {1} for {2}.', res.changed.join(', '), file, org.name)
        : vscode.l10n.t('{0} already matches what is stored for {1}.', file, org.name);
    const a = await s.ui.message('info', text, open);
    if (a === open) await vscode.window.showTextDocument(vscode.Uri.file(res.path));
  } catch (err) {
    await reportError(s, vscode.l10n.t('Could not write .env'), err);
  }
}
