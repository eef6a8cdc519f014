/**
 * Writes the active org's values into its `.env`, SecretStorage being the source of truth:
 *  - through the core editor (src/core/envFile.ts writeEnvFile: only the target keys change, atomic, modes kept);
 *  - when `.env` is open in an editor with unsaved edits, through a `WorkspaceEdit` on that document, so no
 *    edit is lost (the document stays dirty; the user saves it);
 *  - the keys besides the token come from `tokenRelay.env.writeKeys`, the names from `tokenRelay.env.variableNames`;
 *  - warns once per file when git does not ignore it, offering to add it to `.gitignore`;
 *  - notices outside edits of `.env` that differ from SecretStorage and offers to import them;
 *  - refuses in Restricted Mode (nothing is written there);
 *  - an org that signs in with OAuth (auth 'oauth') gets SF_INSTANCE_URL, SF_ACCESS_TOKEN, SF_USERNAME, SF_AUTH,
 *    SF_LOGIN_URL and SF_CLIENT_ID (CONTRACTS "Sign-in methods"); keys can be removed (`remove`: SF_PASSWORD and
 *    SF_SECURITY_TOKEN when the user agrees, SF_ACCESS_TOKEN on Sign Out), every other byte staying.
 * On-demand bundle: made on first use (`Services.envWriter`, src/extension.ts); the activation bundle only
 * watches the file (envWatcher.ts) and hands a change to `onDiskChange`.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseEnv, removeEnvKeys, setEnvText } from '../core/dotenv';
import { readEnvFile, readRegularFile, writeEnvFile, isGitIgnored, type EnvWriteResult } from '../envfile';
import type { Logger } from '../core/log';
import type { OrgProfile, OrgSecrets } from '../core/profile';
import { safeErrorMessage } from '../core/redact';
import type { ProfileStore } from './profiles';
import type { SecretStore } from './secrets';
import { oauthEnvValues } from './oauthPlan';
import { sfCliEnvValues } from './sfCliPlan';
import { CommandIds, envVariableNames, envWriteKeys } from './settings';
import { RestrictedModeError } from './trust';
import type { Ui } from './ui';
import { errorMessage } from './explain';

export interface EnvWriteOutcome extends EnvWriteResult {
  /** true when the change went into an open editor with unsaved edits (not yet on disk). */
  viaEditor: boolean;
}

export interface EnvWriterDeps {
  profiles: ProfileStore;
  secrets: SecretStore;
  ui: Ui;
  log: Logger;
  state: vscode.Memento;
  isTrusted: () => boolean;
  /** Called when .env changed on disk (not by us): the health monitor re-tests. */
  onExternalChange?: () => void;
}

/** The smallest single replacement turning `a` into `b` (keeps cursors and undo granular). */
function minimalEdit(a: string, b: string): { start: number; endA: number; text: string } {
  let start = 0;
  const max = Math.min(a.length, b.length);
  while (start < max && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a.charCodeAt(endA - 1) === b.charCodeAt(endB - 1)) {
    endA--;
    endB--;
  }
  return { start, endA, text: b.slice(start, endB) };
}

export class EnvWriter {
  /** The text we last wrote per file, to tell our own writes from outside edits. */
  private readonly written = new Map<string, string>();
  private readonly offered = new Set<string>();

  constructor(private readonly deps: EnvWriterDeps) {}

  /**
   * The values to write for a profile: the token always; username/password/login URL per setting. An OAuth org:
   * the keys of CONTRACTS "Sign-in methods" (the access token when one is kept), never a password or a token.
   */
  valuesFor(profile: OrgProfile, secrets: OrgSecrets, folder?: vscode.WorkspaceFolder): Record<string, string> {
    const names = envVariableNames(folder?.uri);
    if (profile.auth === 'oauth') return oauthEnvValues(profile, secrets, names);
    if (profile.auth === 'sf-cli') return sfCliEnvValues(profile, secrets, names);
    const keys = envWriteKeys(folder?.uri);
    const out: Record<string, string> = {};
    if (keys.includes('username')) out[names.username] = profile.username;
    if (keys.includes('loginUrl')) out[names.loginUrl] = profile.loginUrl;
    if (keys.includes('password') && secrets.password) out[names.password] = secrets.password;
    if (secrets.token) out[names.token] = secrets.token;
    return out;
  }

  envFile(profile: OrgProfile, folder?: vscode.WorkspaceFolder): string | undefined {
    return this.deps.profiles.envFile(profile, folder);
  }

  /**
   * Writes `values` into the profile's .env (see module comment), then removes every assignment of `remove` (keys
   * not in `values`). Throws RestrictedModeError / EnvError.
   */
  async write(
    profile: OrgProfile,
    values: Record<string, string>,
    folder = this.deps.profiles.currentFolder(),
    remove: readonly string[] = [],
  ): Promise<EnvWriteOutcome> {
    const drop = remove.filter((k) => !Object.prototype.hasOwnProperty.call(values, k));
    if (!this.deps.isTrusted()) throw new RestrictedModeError(vscode.l10n.t('write .env'));
    const file = this.envFile(profile, folder);
    if (!file)
      throw new Error(vscode.l10n.t('Open a folder first: Token Relay writes .env into the workspace folder.'));
    const log = this.deps.log;
    const doc = vscode.workspace.textDocuments.find(
      (d) => d.uri.scheme === 'file' && path.resolve(d.uri.fsPath) === path.resolve(file),
    );
    let outcome: EnvWriteOutcome;
    if (doc && doc.isDirty) {
      const before = doc.getText();
      const set = setEnvText(before, values); // throws EnvError for unrepresentable values
      const next = drop.length ? removeEnvKeys(set, drop) : set;
      const old = parseEnv(before);
      const changed = [...Object.keys(values).filter((k) => old[k] !== values[k]), ...drop.filter((k) => k in old)];
      if (next !== before) {
        const e = minimalEdit(before, next);
        const edit = new vscode.WorkspaceEdit();
        edit.replace(doc.uri, new vscode.Range(doc.positionAt(e.start), doc.positionAt(e.endA)), e.text);
        const ok = await vscode.workspace.applyEdit(edit);
        if (!ok) throw new Error(vscode.l10n.t('Could not apply the change to the open editor of {0}.', file));
      }
      outcome = {
        path: file,
        target: file,
        created: false,
        changed,
        viaEditor: true,
        warnings: [
          vscode.l10n.t(
            '{0} has unsaved changes in an editor: the new values were put into that editor; save it to write them to disk.',
            path.basename(file),
          ),
        ],
      };
      log.info(`updated ${changed.join(', ') || 'nothing'} in the unsaved editor of ${file}`);
    } else {
      const root = folder?.uri.scheme === 'file' ? folder.uri.fsPath : undefined;
      const res = await writeEnvFile(file, values, {
        allowOutside: root,
        checkGitIgnore: false,
        ...(drop.length ? { remove: drop } : {}),
        confirmOutside: async (target) => {
          const yes = vscode.l10n.t('Write There');
          const a = await this.deps.ui.confirm(
            vscode.l10n.t('{0} is a link to a file outside the workspace.', path.basename(file)),
            vscode.l10n.t('Write the new values to {0}?', target),
            yes,
          );
          return a === yes;
        },
      });
      try {
        this.written.set(path.resolve(file), (await readRegularFile(res.target)).toString('utf8'));
      } catch {
        /* the watcher will just compare values */
      }
      outcome = { ...res, viaEditor: false };
      log.info(`${res.created ? 'created' : 'updated'} ${file}: ${res.changed.join(', ') || 'no change'}`);
      for (const w of res.warnings) log.warn(w);
    }
    void this.warnIfNotIgnored(file);
    return outcome;
  }

  /** Writes everything SecretStorage has for the profile (Write .env). */
  async writeAll(profile: OrgProfile, folder = this.deps.profiles.currentFolder()): Promise<EnvWriteOutcome> {
    const secrets = await this.deps.secrets.getOrgSecrets(profile.id);
    return this.write(profile, this.valuesFor(profile, secrets, folder), folder);
  }

  /** Writes the token (and the configured keys) after a reset or manual entry. */
  async writeToken(
    profile: OrgProfile,
    token: string,
    folder = this.deps.profiles.currentFolder(),
  ): Promise<EnvWriteOutcome> {
    const secrets = await this.deps.secrets.getOrgSecrets(profile.id);
    return this.write(profile, this.valuesFor(profile, { ...secrets, token }, folder), folder);
  }

  /**
   * An OAuth refresh: the new access token (and instance URL) into .env, atomically (a temp file renamed over it:
   * a developer's app reads the old token or the new one, never half a file).
   */
  async writeFreshToken(
    profile: OrgProfile,
    env: Record<string, string>,
    folder = this.deps.profiles.currentFolder(),
  ): Promise<EnvWriteOutcome> {
    const values: Record<string, string> = {};
    for (const k of ['SF_ACCESS_TOKEN', 'SF_INSTANCE_URL']) if (env[k]) values[k] = env[k]!;
    return this.write(profile, values, folder);
  }

  /** Once per file: warn when git does not ignore it and offer to add it to .gitignore. */
  async warnIfNotIgnored(file: string): Promise<void> {
    const key = `gitignoreWarned:${path.resolve(file)}`;
    if (this.deps.state.get<boolean>(key)) return;
    const ignored = await isGitIgnored(file);
    if (ignored !== false) return; // ignored, or not a git repo / no git
    await this.deps.state.update(key, true);
    const add = vscode.l10n.t('Add to .gitignore');
    const a = await this.deps.ui.message(
      'warn',
      vscode.l10n.t(
        '{0} holds your Salesforce credentials but git does not ignore it: it could be committed.',
        path.basename(file),
      ),
      add,
    );
    if (a === add) await this.addToGitignore(file);
  }

  async addToGitignore(file: string): Promise<void> {
    const dir = path.dirname(file);
    const gi = path.join(dir, '.gitignore');
    let text = '';
    try {
      text = (await readRegularFile(gi)).toString('utf8'); // never a FIFO or device: they would hang or flood us
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // else: a new file
    }
    const line = `/${path.basename(file)}`;
    if (!text.split(/\r?\n/).some((l) => l.trim() === line || l.trim() === path.basename(file))) {
      const eol = text.includes('\r\n') ? '\r\n' : '\n';
      await fsp.writeFile(gi, `${text}${text && !text.endsWith('\n') ? eol : ''}${line}${eol}`);
      this.deps.log.info(`added ${line} to ${gi}`);
    }
  }

  /** An outside edit of .env: if its values differ from SecretStorage, offer to import them. */
  async onDiskChange(file: string): Promise<void> {
    const org = this.deps.profiles.active();
    if (!org || this.envFile(org) !== file) return;
    let read: Awaited<ReturnType<typeof readEnvFile>>;
    try {
      read = await readEnvFile(file);
    } catch (err) {
      this.deps.log.warn(`cannot read ${file}: ${safeErrorMessage(err)}`);
      return;
    }
    if (!read) return;
    if (this.written.get(path.resolve(file)) === read.text) return; // our own write
    this.deps.onExternalChange?.();
    const names = envVariableNames();
    const secrets = await this.deps.secrets.getOrgSecrets(org.id);
    const diff: Array<{ kind: 'token' | 'password'; value: string }> = [];
    const t = read.vars[names.token];
    const p = read.vars[names.password];
    if (t && t !== secrets.token) diff.push({ kind: 'token', value: t });
    if (p && p !== secrets.password) diff.push({ kind: 'password', value: p });
    const u = read.vars[names.username];
    const userDiffers = !!u && u.toLowerCase() !== org.username.toLowerCase();
    if (!diff.length && !userDiffers) return;
    const sig = `${file}\n${read.text}`;
    if (this.offered.has(sig)) return;
    this.offered.add(sig);
    this.deps.log.info(
      `${file} changed outside Token Relay: ${[...diff.map((d) => names[d.kind]), ...(userDiffers ? [names.username] : [])].join(', ')} differ from SecretStorage`,
    );
    if (userDiffers) {
      const imp = vscode.l10n.t('Import Org from .env');
      const a = await this.deps.ui.message(
        'info',
        vscode.l10n.t('{0} now names another user than the org {1}.', path.basename(file), org.name),
        imp,
      );
      if (a === imp) await vscode.commands.executeCommand(CommandIds.importOrgFromEnv, file);
      return;
    }
    const importIt = vscode.l10n.t('Import');
    const restore = vscode.l10n.t('Restore .env');
    const a = await this.deps.ui.message(
      'info',
      vscode.l10n.t(
        '{0} was edited outside Token Relay and its {1} differs from the one stored for {2}. Import it?',
        path.basename(file),
        diff.map((d) => names[d.kind]).join(', '),
        org.name,
      ),
      importIt,
      restore,
    );
    if (a === importIt) {
      for (const d of diff) await this.deps.secrets.setSecret(org.id, d.kind, d.value);
      this.written.set(path.resolve(file), read.text);
      this.deps.log.info(`imported ${diff.map((d) => d.kind).join(', ')} for ${org.name} from ${file}`);
      this.deps.onExternalChange?.();
    } else if (a === restore) {
      try {
        await this.writeAll(org);
      } catch (err) {
        void this.deps.ui.message('error', vscode.l10n.t('Could not write {0}: {1}', file, errorMessage(err)));
      }
    }
  }
}
