/** Salesforce: Switch Org — quick pick of the orgs (multi-root: binds the org to the current folder). */
import * as vscode from 'vscode';
import type { Services } from '../services';
import { CommandIds } from '../settings';
import { reportError } from './common';
import { setActiveProfile } from '../profileEdits';

export async function switchOrg(s: Services, id?: unknown): Promise<void> {
  const all = s.profiles.list();
  const folder = s.profiles.currentFolder();
  const multi = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
  let targetId = typeof id === 'string' && s.profiles.get(id) ? id : undefined;
  if (!targetId) {
    const active = s.profiles.active();
    type Item = vscode.QuickPickItem & { id?: string; cmd?: string };
    const items: Item[] = all.map((p) => ({
      label: `${p.id === active?.id ? '$(check) ' : ''}${p.name}`,
      description: p.username,
      detail: p.loginUrl,
      id: p.id,
    }));
    items.push(
      { label: '', kind: vscode.QuickPickItemKind.Separator },
      { label: `$(add) ${vscode.l10n.t('Add Org…')}`, cmd: CommandIds.addOrg },
      { label: `$(file) ${vscode.l10n.t('Import Org from .env…')}`, cmd: CommandIds.importOrgFromEnv },
    );
    const pick = await s.ui.pick(items, {
      title: multi && folder ? vscode.l10n.t('Switch Org for folder {0}', folder.name) : vscode.l10n.t('Switch Org'),
      placeHolder: vscode.l10n.t('Choose the org Token Relay works with'),
      matchOnDescription: true,
    });
    if (!pick) return;
    if (pick.cmd) {
      await vscode.commands.executeCommand(pick.cmd);
      return;
    }
    targetId = pick.id;
  }
  if (!targetId) return;
  try {
    await setActiveProfile(s.profiles, targetId, folder);
    s.monitor.refreshView(true);
  } catch (err) {
    await reportError(s, vscode.l10n.t('Could not switch the org'), err);
  }
}
