/** Helpers shared by the commands. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { HEALTH_STATES, type HealthResult } from '../../core/healthStates';
import type { OrgProfile } from '../../core/profile';
import { readEnvFile } from '../../envfile';
import { passwordKeysPresent } from '../oauthPlan';
import { registerSecret, safeErrorMessage } from '../../core/redact';
import type { EnvWriteOutcome } from '../envWriter';
import { offerFixes } from '../fixes';
import type { Services } from '../services';
import { CommandIds, envVariableNames } from '../settings';
import { labelFor } from '../statusBar';
import { RestrictedModeError, explainRestricted } from '../trust';
import { errorMessage, healthMessage } from '../explain';

/** A Salesforce security token: 24 or 25 letters and digits (case-sensitive). */
export const TOKEN_PATTERN = /^[A-Za-z0-9]{24,25}$/;

export function validateTokenInput(value: string): string | undefined {
  const v = value.trim();
  if (!v) return vscode.l10n.t('Paste the security token from the Salesforce email.');
  if (/\s/.test(v)) return vscode.l10n.t('A security token has no spaces.');
  if (!/^[A-Za-z0-9]+$/.test(v)) return vscode.l10n.t('A security token has only letters and digits.');
  if (v.length < 24 || v.length > 25)
    return vscode.l10n.t('A security token has 24 or 25 characters; this has {0}.', v.length);
  return undefined;
}

/** The org a command acts on: the given id, else the active one, else a quick pick; undefined = none/cancel. */
export async function resolveOrg(s: Services, id?: unknown, placeHolder?: string): Promise<OrgProfile | undefined> {
  if (typeof id === 'string') {
    const p = s.profiles.get(id);
    if (p) return p;
  }
  const active = s.profiles.active();
  if (active && placeHolder === undefined) return active;
  const all = s.profiles.list();
  if (!all.length) {
    await noOrg(s);
    return undefined;
  }
  if (all.length === 1) return all[0];
  const pick = await s.ui.pick(
    all.map((p) => ({
      label: p.name,
      description: p.username,
      detail: p.loginUrl,
      id: p.id,
      picked: p.id === active?.id,
    })),
    { placeHolder: placeHolder ?? vscode.l10n.t('Choose an org') },
  );
  return pick ? s.profiles.get(pick.id) : undefined;
}

export async function noOrg(s: Services): Promise<void> {
  const add = vscode.l10n.t('Add Org');
  const imp = vscode.l10n.t('Import Org from .env');
  const a = await s.ui.message('info', vscode.l10n.t('No Salesforce org is set up yet.'), add, imp);
  if (a === add) await vscode.commands.executeCommand(CommandIds.addOrg);
  if (a === imp) await vscode.commands.executeCommand(CommandIds.importOrgFromEnv);
}

/** Reports an error from a command: redacted text, Show Log, and no stack. */
export async function reportError(s: Services, what: string, err: unknown): Promise<void> {
  if (err instanceof RestrictedModeError) {
    await explainRestricted(s.ui, err.action);
    return;
  }
  const msg = safeErrorMessage(err);
  s.logger.error(`${what}: ${msg}`);
  const show = vscode.l10n.t('Show Log');
  const a = await s.ui.message('error', `${what}: ${msg}`, show);
  if (a === show) s.log.show();
}

/**
 * After a new token is stored: writes .env (when trusted), tests the login, and says what changed with
 * "Open .env". Shared by Enter Token Manually and Reset Token's fallbacks.
 */
export async function applyNewToken(
  s: Services,
  org: OrgProfile,
  token: string,
  how: string,
): Promise<HealthResult | undefined> {
  registerSecret(token);
  return s.monitor.hold(async () => {
    await s.secrets.setSecret(org.id, 'token', token);
    let env: EnvWriteOutcome | undefined;
    let envProblem: string | undefined;
    if (s.isTrusted()) {
      try {
        env = await s.envWriter.writeToken(org, token);
      } catch (err) {
        envProblem = errorMessage(err);
        s.logger.warn(`.env not written: ${safeErrorMessage(err)}`);
      }
    } else {
      envProblem = vscode.l10n.t('.env is not written in Restricted Mode');
    }
    const health = await s.monitor.checkFresh({ reason: how, retryInvalidLogin: { attempts: 3, delayMs: 2000 } });
    void reportTokenSaved(s, org, env, health, envProblem);
    return health;
  });
}

/** The closing notification of a token update: what changed, the login state, "Open .env". */
export async function reportTokenSaved(
  s: Services,
  org: OrgProfile,
  env: EnvWriteOutcome | undefined,
  health: HealthResult | undefined,
  envProblem?: string,
): Promise<void> {
  const names = envVariableNames();
  const parts: string[] = [vscode.l10n.t('New security token for {0} stored in SecretStorage.', org.name)];
  if (env) {
    const file = path.basename(env.path);
    if (env.viaEditor)
      parts.push(
        vscode.l10n.t('{0} updated in the unsaved editor of {1}: save it to write it to disk.', names.token, file),
      );
    else if (env.changed.length) parts.push(vscode.l10n.t('{0} written to {1}.', env.changed.join(', '), file));
    else parts.push(vscode.l10n.t('{0} already up to date.', file));
  } else if (envProblem) parts.push(vscode.l10n.t('.env not written: {0}.', envProblem.replace(/\.$/, '')));
  if (health) parts.push(vscode.l10n.t('Login: {0}.', labelFor(health)));
  const openEnv = vscode.l10n.t('Open .env');
  const actions = env ? [openEnv] : [];
  if (health && health.status !== 'ok') {
    const severity = 'warn';
    void s.ui.message(severity, parts.join(' ') + ` ${healthMessage(health)}`, ...actions).then((a) => {
      if (a === openEnv && env) void vscode.window.showTextDocument(vscode.Uri.file(env.path));
    });
    void offerFixes(health, org, s.ui);
    return;
  }
  const a = await s.ui.message('info', parts.join(' '), ...actions);
  if (a === openEnv && env) await vscode.window.showTextDocument(vscode.Uri.file(env.path));
}

export function stateLabel(h: HealthResult): string {
  return HEALTH_STATES[h.status]?.label ?? h.label;
}

/**
 * After an org moved off the password (Switch to OAuth, Import Org from Salesforce CLI): the password keys still in
 * its .env that the user agrees to remove (`detail` says why they are no longer needed); none when absent or kept.
 */
export async function passwordKeysToRemove(
  s: Services,
  profile: OrgProfile,
  folder: vscode.WorkspaceFolder | undefined,
  detail: string,
): Promise<string[]> {
  const file = s.envWriter.envFile(profile, folder);
  const read = file ? await readEnvFile(file).catch(() => undefined) : undefined;
  const present = passwordKeysPresent(read?.vars, envVariableNames(folder?.uri));
  if (!present.length) return [];
  const yes = vscode.l10n.t('Remove Them');
  const keep = vscode.l10n.t('Keep Them');
  const answer = await s.ui.confirm(vscode.l10n.t('Remove {0} from .env?', present.join(', ')), detail, yes, keep);
  return answer === yes ? present : [];
}
