/**
 * Salesforce: Import Org from .env — reads SF_USERNAME, SF_PASSWORD, SF_SECURITY_TOKEN, SF_LOGIN_URL (names per
 * `tokenRelay.env.variableNames`) from the workspace's .env into a profile + SecretStorage. Offered on activation
 * when a workspace has such a .env and no org.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readEnvFile } from '../../envfile';
import { profileFromEnv, type OrgProfile } from '../../core/profile';
import type { Services } from '../services';
import { CommandIds, envVariableNames, IMPORT_OFFERED_STATE_KEY } from '../settings';
import { shouldOfferImport } from '../startup';
import { reportError } from './common';
import { saveProfile, setActiveProfile } from '../profileEdits';

/** The .env files worth offering: the configured path of each folder, then any .env found (max 20). */
export async function findEnvFiles(s: Services): Promise<string[]> {
  const out = new Set<string>();
  for (const f of vscode.workspace.workspaceFolders ?? []) {
    if (f.uri.scheme !== 'file') continue;
    const org = s.profiles.active(f);
    const p = org ? s.profiles.envFile(org, f) : path.join(f.uri.fsPath, '.env');
    if (p && fs.existsSync(p)) out.add(p);
  }
  if (out.size === 0) {
    const found = await vscode.workspace.findFiles('**/.env', '**/node_modules/**', 20);
    for (const u of found) if (u.scheme === 'file') out.add(u.fsPath);
  }
  return [...out];
}

/** Maps the configured variable names onto the SF_* names profileFromEnv reads. */
function canonicalVars(vars: Record<string, string>): Record<string, string> {
  const n = envVariableNames();
  const out = { ...vars };
  if (vars[n.username] !== undefined) out.SF_USERNAME = vars[n.username];
  if (vars[n.password] !== undefined) out.SF_PASSWORD = vars[n.password];
  if (vars[n.token] !== undefined) out.SF_SECURITY_TOKEN = vars[n.token];
  if (vars[n.loginUrl] !== undefined) out.SF_LOGIN_URL = vars[n.loginUrl];
  return out;
}

export async function importOrgFromEnv(s: Services, fileArg?: unknown): Promise<OrgProfile | undefined> {
  let file = typeof fileArg === 'string' ? fileArg : fileArg instanceof vscode.Uri ? fileArg.fsPath : undefined;
  if (!file) {
    const files = await findEnvFiles(s);
    if (!files.length) {
      void s.ui
        .message(
          'info',
          vscode.l10n.t('No .env file found in this workspace. Use Add Org to set up an org.'),
          vscode.l10n.t('Add Org'),
        )
        .then((a) => {
          if (a) void vscode.commands.executeCommand(CommandIds.addOrg);
        });
      return undefined;
    }
    if (files.length === 1) file = files[0];
    else {
      const pick = await s.ui.pick(
        files.map((f) => ({ label: vscode.workspace.asRelativePath(f), file: f })),
        { placeHolder: vscode.l10n.t('Import from which .env?') },
      );
      if (!pick) return undefined;
      file = pick.file;
    }
  }
  try {
    const read = await readEnvFile(file);
    if (!read) throw new Error(vscode.l10n.t('{0} does not exist.', file));
    const { profile, secrets } = profileFromEnv(canonicalVars(read.vars));
    const existing = s.profiles.get(profile.id);
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file));
    const rel = folder ? path.relative(folder.uri.fsPath, file) : file;
    const named: OrgProfile = {
      ...profile,
      ...(existing ? { name: existing.name } : { name: profile.username }),
      ...(rel !== '.env' ? { envPath: rel } : {}),
    };
    await s.monitor.hold(async () => {
      await saveProfile(s.profiles, { ...existing, ...named });
      await s.secrets.setOrgSecrets(named.id, secrets);
      await setActiveProfile(s.profiles, named.id, folder);
    });
    s.logger.info(
      `imported ${named.username} from ${file}: ${
        Object.entries(secrets)
          .filter(([, v]) => v)
          .map(([k]) => k)
          .join(', ') || 'no secrets'
      }`,
    );
    void s.ui.message(
      'info',
      existing
        ? vscode.l10n.t(
            'Org {0} updated from {1}; its secrets are now in SecretStorage.',
            named.name,
            path.basename(file),
          )
        : vscode.l10n.t(
            'Org {0} imported from {1}; its secrets are now in SecretStorage.',
            named.name,
            path.basename(file),
          ),
    );
    void s.monitor.check({ reason: 'imported from .env', interactive: false });
    return named;
  } catch (err) {
    await reportError(s, vscode.l10n.t('Could not import {0}', path.basename(file)), err);
    return undefined;
  }
}

/** On activation: a workspace with a .env naming a Salesforce user and no org gets an offer to import it. */
export async function offerImportOnStartup(s: Services): Promise<void> {
  if (!shouldOfferImport(s)) return;
  const key = IMPORT_OFFERED_STATE_KEY;
  const files = await findEnvFiles(s);
  const names = envVariableNames();
  for (const f of files) {
    let read;
    try {
      read = await readEnvFile(f);
    } catch {
      continue;
    }
    if (!read?.vars[names.username]) continue;
    const imp = vscode.l10n.t('Import');
    const never = vscode.l10n.t("Don't Ask Again");
    const a = await s.ui.message(
      'info',
      vscode.l10n.t(
        '{0} has Salesforce credentials ({1}). Import them as an org, so Token Relay keeps the token fresh?',
        vscode.workspace.asRelativePath(f),
        read.vars[names.username],
      ),
      imp,
      never,
    );
    if (a === imp) await importOrgFromEnv(s, f);
    if (a === never) await s.context.workspaceState.update(key, true);
    return;
  }
}
