/**
 * The cheap parts of the startup offers, decided in the activation bundle so that a workspace that has an org, or
 * said "Don't Ask Again", never loads the on-demand bundle (nor spawns anything) just to find that out:
 *  - importing a workspace .env (commands/importOrgFromEnv.ts offerImportOnStartup);
 *  - importing the sf project's default org from the Salesforce CLI (commands/importFromSfCli.ts
 *    offerSfImportOnStartup): only a folder with `sfdx-project.json` and a project config naming a default org
 *    (`.sf/config.json`, `.sfdx/sfdx-config.json`) gets there; only then is sf asked.
 * In Restricted Mode (an untrusted workspace) there is no offer at all: the workspace's files are not even read (a
 * .env may be a FIFO or a link to a device, planted to hang or flood the extension host), and sf is never run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Services } from './services';
import { IMPORT_OFFERED_STATE_KEY, SF_IMPORT_OFFERED_STATE_KEY } from './settings';

export function shouldOfferImport(s: Pick<Services, 'profiles' | 'context' | 'isTrusted'>): boolean {
  return (
    s.isTrusted() && s.profiles.list().length === 0 && !s.context.workspaceState.get<boolean>(IMPORT_OFFERED_STATE_KEY)
  );
}

/** A workspace folder that is an sf project with a default org configured (file checks only, no reading). */
export function hasSfProjectWithDefaultOrg(): boolean {
  return (vscode.workspace.workspaceFolders ?? []).some((f) => {
    if (f.uri.scheme !== 'file') return false;
    const dir = f.uri.fsPath;
    return (
      fs.existsSync(path.join(dir, 'sfdx-project.json')) &&
      (fs.existsSync(path.join(dir, '.sf', 'config.json')) ||
        fs.existsSync(path.join(dir, '.sfdx', 'sfdx-config.json')))
    );
  });
}

export function shouldOfferSfImport(s: Pick<Services, 'profiles' | 'context' | 'isTrusted'>): boolean {
  return (
    s.isTrusted() &&
    s.profiles.list().length === 0 &&
    !s.context.workspaceState.get<boolean>(SF_IMPORT_OFFERED_STATE_KEY) &&
    hasSfProjectWithDefaultOrg()
  );
}
