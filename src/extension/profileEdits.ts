/**
 * Writing org profiles (Add, Edit, Import, Remove, Switch Org): on-demand code; ProfileStore (profiles.ts), in
 * the activation bundle, only reads them.
 */
import * as vscode from 'vscode';
import type { OrgProfile } from '../core/profile';
import { validateProfileFields } from './profileFields';
import type { ProfileStore } from './profiles';
import { config, SettingKeys } from './settings';

/** `tokenRelay.orgs` is application-scoped (user settings only): a workspace cannot redirect credentials. */
async function writeList(list: OrgProfile[]): Promise<void> {
  await config().update(SettingKeys.orgs, list, vscode.ConfigurationTarget.Global);
}

/** Adds or replaces a profile (by id). */
export async function saveProfile(store: ProfileStore, profile: OrgProfile): Promise<void> {
  const problem = validateProfileFields(profile);
  if (problem) throw new Error(problem);
  const list = store.list();
  const i = list.findIndex((p) => p.id === profile.id);
  if (i >= 0) list[i] = profile;
  else list.push(profile);
  await writeList(list);
  store.log.info(`${i >= 0 ? 'updated' : 'added'} org ${profile.name} (${profile.id})`);
}

/** Removes a profile and unbinds it wherever it was active. */
export async function removeProfile(store: ProfileStore, id: string): Promise<void> {
  await writeList(store.list().filter((p) => p.id !== id));
  // Unbind it wherever it was active.
  for (const f of vscode.workspace.workspaceFolders ?? []) {
    const info = config(f.uri).inspect<string>(SettingKeys.activeOrg);
    if (info?.workspaceFolderValue === id)
      await config(f.uri).update(SettingKeys.activeOrg, undefined, vscode.ConfigurationTarget.WorkspaceFolder);
  }
  const info = config().inspect<string>(SettingKeys.activeOrg);
  if (info?.workspaceValue === id)
    await config().update(SettingKeys.activeOrg, undefined, vscode.ConfigurationTarget.Workspace);
  if (info?.globalValue === id)
    await config().update(SettingKeys.activeOrg, undefined, vscode.ConfigurationTarget.Global);
  store.log.info(`removed org ${id}`);
}

/** Makes an org active: for the folder in a multi-root workspace, else for the workspace (or user). */
export async function setActiveProfile(
  store: ProfileStore,
  id: string,
  folder: vscode.WorkspaceFolder | undefined = store.currentFolder(),
): Promise<void> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (!vscode.workspace.isTrusted) {
    // Restricted Mode: nothing is written into the workspace (.vscode/settings.json included).
    await config().update(SettingKeys.activeOrg, id, vscode.ConfigurationTarget.Global);
  } else if (folders.length > 1 && folder) {
    await config(folder.uri).update(SettingKeys.activeOrg, id, vscode.ConfigurationTarget.WorkspaceFolder);
  } else if (folders.length > 0) {
    await config().update(SettingKeys.activeOrg, id, vscode.ConfigurationTarget.Workspace);
  } else {
    await config().update(SettingKeys.activeOrg, id, vscode.ConfigurationTarget.Global);
  }
  store.log.info(`active org: ${id}${folder && folders.length > 1 ? ` (folder ${folder.name})` : ''}`);
}
