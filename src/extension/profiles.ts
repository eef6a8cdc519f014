/**
 * Org profiles: the non-secret fields live in the `tokenRelay.orgs` setting, the secrets in SecretStorage
 * (./secrets.ts). `tokenRelay.activeOrg` is resource-scoped: in a multi-root workspace each folder can bind
 * its own org; otherwise the workspace (or user) value applies.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../core/log';
import type { AuthMethod, OrgProfile } from '../core/profile';
import { Disposable } from './lifecycle';
import { config, SECTION, SettingKeys } from './settings';

function clean(raw: unknown): OrgProfile | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  const str = (k: string) => (typeof r[k] === 'string' && r[k].trim() ? r[k].trim() : undefined);
  const id = str('id');
  const username = str('username');
  const loginUrl = str('loginUrl');
  if (!id || !username || !loginUrl) return undefined;
  const p: OrgProfile = { id, name: str('name') ?? username, loginUrl, username };
  const apiVersion = str('apiVersion');
  if (apiVersion) p.apiVersion = apiVersion;
  const clientId = str('clientId');
  if (clientId) p.clientId = clientId;
  if (r.mfaForApi === true) p.mfaForApi = true;
  const envPath = str('envPath');
  if (envPath) p.envPath = envPath;
  const auth = str('auth');
  if (auth) p.auth = auth as AuthMethod;
  const instanceUrl = str('instanceUrl');
  if (instanceUrl) p.instanceUrl = instanceUrl;
  const mailbox = str('mailbox')?.toLowerCase();
  if (mailbox && mailbox !== 'default') p.mailbox = mailbox;
  if (r.ui === 'classic') p.ui = 'classic';
  const targetOrg = str('targetOrg');
  if (targetOrg) p.targetOrg = targetOrg;
  // Not validated here: activation only reads profiles, and the URL / API-version / auth rules are on-demand code.
  // testLogin and the reset flow validate a profile that is not a ValidProfile (once per object), so a hand-edited
  // setting that does not validate stays listed and its Test Connection reports why (INVALID_LOGIN_URL …).
  return p;
}

export class ProfileStore extends Disposable {
  private readonly emitter = this._register(new vscode.EventEmitter<void>());
  readonly onDidChange = this.emitter.event;

  /** Reads profiles; the writes (save, remove, set active) are profileEdits.ts, on-demand code. */
  constructor(readonly log: Logger) {
    super();
    this._register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (
          e.affectsConfiguration(`${SECTION}.${SettingKeys.orgs}`) ||
          e.affectsConfiguration(`${SECTION}.${SettingKeys.activeOrg}`)
        ) {
          this.emitter.fire();
        }
      }),
    );
    this._register(
      vscode.window.onDidChangeActiveTextEditor(() => {
        if ((vscode.workspace.workspaceFolders?.length ?? 0) > 1) this.emitter.fire();
      }),
    );
  }

  list(): OrgProfile[] {
    const raw = config().get<unknown[]>(SettingKeys.orgs) ?? [];
    const seen = new Set<string>();
    const out: OrgProfile[] = [];
    for (const r of Array.isArray(raw) ? raw : []) {
      const p = clean(r);
      if (p && !seen.has(p.id)) {
        seen.add(p.id);
        out.push(p);
      }
    }
    return out;
  }

  get(id: string): OrgProfile | undefined {
    return this.list().find((p) => p.id === id);
  }

  /** The folder the user is working in: the active editor's, else the first one. */
  currentFolder(): vscode.WorkspaceFolder | undefined {
    const uri = vscode.window.activeTextEditor?.document.uri;
    const f = uri ? vscode.workspace.getWorkspaceFolder(uri) : undefined;
    return f ?? vscode.workspace.workspaceFolders?.[0];
  }

  /** The active org for a folder (default: the current one); falls back to the only/first org. */
  active(folder: vscode.WorkspaceFolder | undefined = this.currentFolder()): OrgProfile | undefined {
    const all = this.list();
    const id = config(folder?.uri).get<string>(SettingKeys.activeOrg);
    return (id && all.find((p) => p.id === id)) || all[0];
  }

  /** The absolute .env path for a profile in a folder (undefined without a folder and an absolute path). */
  envFile(profile: OrgProfile, folder: vscode.WorkspaceFolder | undefined = this.currentFolder()): string | undefined {
    const rel = profile.envPath || config(folder?.uri).get<string>(SettingKeys.envPath) || '.env';
    if (path.isAbsolute(rel)) return rel;
    if (!folder || folder.uri.scheme !== 'file') return undefined;
    return path.join(folder.uri.fsPath, rel);
  }
}
