/**
 * Salesforce: Import Org from Salesforce CLI (issue 14 item 1) — an org the sf CLI is logged in to becomes a Token
 * Relay org that signs in through sf (`auth: 'sf-cli'`): Token Relay keeps no refresh token, it asks sf for fresh
 * access tokens (sfCliSession.ts) and keeps SF_ACCESS_TOKEN in .env fresh (oauthFreshness.ts).
 *  1. finds sf (setting `tokenRelay.sfCli.path`, SF_CLI_PATH, PATH); none → the install message and the setting;
 *  2. lists its orgs (`sf org list`) in a quick pick: alias, username, instance host, sandbox / scratch / Dev Hub
 *     marks, connected status; the project's default org (`.sf/config.json` target-org) first and marked;
 *     cancellable progress while sf runs;
 *  3. for the chosen org: a fresh token (`sf org auth show-access-token`), checked over REST; the profile created or
 *     updated (an org on another method switches after a confirmation); the token into SecretStorage; .env written
 *     (SF_INSTANCE_URL, SF_ACCESS_TOKEN, SF_USERNAME, SF_AUTH=sf-cli, SF_TARGET_ORG; SF_PASSWORD / SF_SECURITY_TOKEN
 *     removed only when the user agrees); kept fresh; tested.
 * Also the on-demand half of the startup offer (startup.ts shouldOfferSfImport decided the cheap part).
 * Arguments (the startup offer, tests): a target org (alias or username), or `{ targetOrg?, orgId? }`.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isAbortError } from '../../core/async';
import { profileId, type OrgProfile } from '../../core/profile';
import { safeErrorMessage } from '../../core/redact';
import { findSfCli, listSfOrgs, readProjectTargetOrg, type SfOrg } from '../../sfcli';
import { OAuthKeeper } from '../oauthFreshness';
import { saveProfile, setActiveProfile } from '../profileEdits';
import type { Services } from '../services';
import { SF_IMPORT_OFFERED_STATE_KEY } from '../settings';
import {
  sfCliRefresh,
  sfOptions,
  showSfNotFound,
  signInWithSfCli,
  type SfCliProfile,
  SF_NOT_FOUND,
} from '../sfCliSession';
import { shouldOfferSfImport } from '../startup';
import { labelFor } from '../statusBar';
import { passwordKeysToRemove, reportError } from './common';

interface ImportArgs {
  /** The sf alias or username to import (skips the quick pick). */
  targetOrg?: string;
  /** The Token Relay org that switches to the sf CLI login (default: the one with the same username). */
  orgId?: string;
}

function argsOf(arg: unknown): ImportArgs {
  if (typeof arg === 'string') return { targetOrg: arg };
  if (arg && typeof arg === 'object') return arg;
  return {};
}

class Cancelled extends Error {}

export async function importFromSfCli(s: Services, arg?: unknown): Promise<OrgProfile | undefined> {
  try {
    return await run(s, argsOf(arg));
  } catch (err) {
    if (err instanceof Cancelled || isAbortError(err)) {
      s.logger.info('Import Org from Salesforce CLI cancelled');
      return undefined;
    }
    await reportError(s, vscode.l10n.t('Import Org from Salesforce CLI failed'), err);
    return undefined;
  }
}

/** The default orgs of the workspace's sf projects (folder order). */
async function projectTargetOrgs(): Promise<string[]> {
  const out: string[] = [];
  for (const f of vscode.workspace.workspaceFolders ?? []) {
    if (f.uri.scheme !== 'file') continue;
    const t = await readProjectTargetOrg(f.uri.fsPath).catch(() => undefined);
    if (t && !out.includes(t)) out.push(t);
  }
  return out;
}

const same = (a: string | undefined, b: string | undefined) => !!a && !!b && a.toLowerCase() === b.toLowerCase();
const namesOrg = (o: SfOrg, name: string) => same(o.alias, name) || same(o.username, name);

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

interface OrgItem extends vscode.QuickPickItem {
  org: SfOrg;
}

/** The quick pick's rows: the project's default org first (marked), then sf's own order. */
export function orgItems(orgs: SfOrg[], projectDefaults: string[]): OrgItem[] {
  const isProject = (o: SfOrg) => projectDefaults.some((d) => namesOrg(o, d));
  const sorted = [...orgs.filter(isProject), ...orgs.filter((o) => !isProject(o))];
  return sorted.map((o) => {
    const marks: string[] = [];
    if (isProject(o)) marks.push(vscode.l10n.t('default org of this project'));
    else if (o.isDefault) marks.push(vscode.l10n.t('sf default org'));
    if (o.isSandbox) marks.push(vscode.l10n.t('Sandbox'));
    if (o.isScratch) marks.push(vscode.l10n.t('Scratch org'));
    if (o.isDevHub) marks.push(vscode.l10n.t('Dev Hub'));
    if (o.connectedStatus) marks.push(o.connectedStatus);
    return {
      label: `${isProject(o) ? '$(star-full) ' : ''}${o.alias ?? o.username}`,
      description: [o.alias ? o.username : undefined, hostOf(o.instanceUrl)].filter(Boolean).join(' · '),
      detail: marks.join(' · ') || undefined,
      org: o,
    };
  });
}

/** Runs `fn` under a cancellable progress notification; the signal aborts the sf run on Cancel. */
function withSfProgress<R>(s: Services, title: string, fn: (signal: AbortSignal) => Promise<R>): Thenable<R> {
  return s.ui.progress(title, async (_p, token) => {
    const controller = new AbortController();
    const sub = token.onCancellationRequested(() => controller.abort());
    try {
      const r = await fn(controller.signal);
      if (controller.signal.aborted) throw new Cancelled();
      return r;
    } finally {
      sub.dispose();
    }
  });
}

async function run(s: Services, a: ImportArgs): Promise<OrgProfile | undefined> {
  const log = s.logger.child('sf');
  if (!s.isTrusted()) {
    void s.ui.message(
      'warn',
      vscode.l10n.t(
        'Import Org from Salesforce CLI runs the sf CLI and writes .env: trust this workspace first (Restricted Mode).',
      ),
    );
    return undefined;
  }
  const found = await findSfCli({ sfPath: sfOptions().sfPath });
  if (!found) {
    log.warn('no sf CLI found (setting, SF_CLI_PATH, PATH)');
    void showSfNotFound(s.ui);
    return undefined;
  }
  log.info(`sf CLI: ${found.path}`);

  // ---- which org ----
  let chosen: SfOrg;
  const { orgs, defaults } = await withSfProgress(
    s,
    vscode.l10n.t('Import Org from Salesforce CLI: asking sf for its orgs…'),
    async (signal) => {
      const [list, projectDefaults] = await Promise.all([
        listSfOrgs(sfOptions({ log, signal, cwd: undefined })),
        projectTargetOrgs(),
      ]);
      return { orgs: list, defaults: projectDefaults };
    },
  );
  if (a.targetOrg) {
    const named = orgs.find((o) => namesOrg(o, a.targetOrg!));
    if (!named) {
      void s.ui.message(
        'error',
        vscode.l10n.t(
          'The Salesforce CLI knows no org named {0}. Log in with `sf org login web -o {0}` first.',
          a.targetOrg,
        ),
      );
      return undefined;
    }
    chosen = named;
  } else {
    if (!orgs.length) {
      void s.ui.message(
        'info',
        vscode.l10n.t(
          'The Salesforce CLI is not logged in to any org yet. Log in with `sf org login web --alias <name>` in a terminal, then import it.',
        ),
      );
      return undefined;
    }
    const pick = await s.ui.pick(orgItems(orgs, defaults), {
      title: vscode.l10n.t('Import Org from Salesforce CLI'),
      placeHolder: vscode.l10n.t('Which org that the sf CLI is logged in to?'),
      matchOnDescription: true,
      matchOnDetail: true,
    });
    if (!pick) throw new Cancelled();
    chosen = pick.org;
  }
  const targetOrg = chosen.alias ?? chosen.username;

  // ---- the Token Relay org it becomes (an org on another method switches after a confirmation) ----
  const existing: SfCliProfile | undefined = a.orgId
    ? s.profiles.get(a.orgId)
    : s.profiles.list().find((p) => same(p.username, chosen.username));
  if (existing && existing.auth !== 'sf-cli') {
    const yes = vscode.l10n.t('Switch');
    const answer = await s.ui.confirm(
      vscode.l10n.t('Switch {0} to the Salesforce CLI login?', existing.name),
      vscode.l10n.t(
        '{0} signs in with {1} today. From now on Token Relay asks the sf CLI ({2}) for fresh access tokens and writes them to .env; its password and token stay in SecretStorage.',
        existing.name,
        existing.auth ?? 'password',
        targetOrg,
      ),
      yes,
    );
    if (answer !== yes) throw new Cancelled();
  }

  // ---- a fresh token, checked over REST ----
  const loginUrl = (chosen.loginUrl ?? chosen.instanceUrl ?? existing?.loginUrl ?? '').replace(/\/+$/, '');
  const draft: SfCliProfile = {
    id: existing?.id ?? profileId(loginUrl, chosen.username),
    name: existing?.name ?? chosen.alias ?? chosen.username,
    loginUrl: existing?.loginUrl ?? loginUrl,
    username: chosen.username,
    targetOrg,
  };
  const fresh = await withSfProgress(
    s,
    vscode.l10n.t('Import Org from Salesforce CLI: asking sf for a fresh access token of {0}…', targetOrg),
    (signal) => sfCliRefresh(draft, { log, signal }),
  );
  const accessToken = fresh.secrets?.accessToken;
  if (!accessToken) {
    const h = fresh.health;
    log.warn(`${targetOrg}: no working access token: ${h.status}${h.code ? ` (${h.code})` : ''}`);
    if (h.code === SF_NOT_FOUND) {
      void showSfNotFound(s.ui);
      return undefined;
    }
    if (h.status === 'signin-required') {
      const signIn = vscode.l10n.t('Sign in with the sf CLI');
      void s.ui.message('error', h.message, signIn).then((x) => {
        if (x === signIn) void signInWithSfCli(draft, s.ui, log);
      });
      return undefined;
    }
    void s.ui.message('error', vscode.l10n.t('{0}: {1}. {2}', targetOrg, labelFor(h), h.message));
    return undefined;
  }
  const instanceUrl = fresh.env?.SF_INSTANCE_URL ?? chosen.instanceUrl?.replace(/\/+$/, '');
  const profile: SfCliProfile = { ...existing, ...draft, auth: 'sf-cli', ...(instanceUrl ? { instanceUrl } : {}) };
  delete profile.mfaForApi; // the sf CLI signed in in the browser

  const folder = s.profiles.currentFolder();
  return s.monitor.hold(async () => {
    await saveProfile(s.profiles, profile);
    await s.secrets.setSecret(profile.id, 'accessToken', accessToken);
    if (!existing || s.profiles.active(folder)?.id !== profile.id)
      await setActiveProfile(s.profiles, profile.id, folder);
    OAuthKeeper.of(s.monitor).track(profile, fresh.issuedAt ?? Date.now());
    log.info(`${profile.name}: imported from the sf CLI (${targetOrg}, ${chosen.username})`);

    // ---- .env ----
    let envNote: string;
    try {
      const remove = await passwordKeysToRemove(
        s,
        profile,
        folder,
        vscode.l10n.t(
          '{0} now signs in through the Salesforce CLI: the password and security token are no longer needed in .env (they stay in SecretStorage). Remove them?',
          profile.name,
        ),
      );
      const secrets = await s.secrets.getOrgSecrets(profile.id);
      const out = await s.envWriter.write(profile, s.envWriter.valuesFor(profile, secrets, folder), folder, remove);
      envNote = out.viaEditor
        ? vscode.l10n.t('.env updated in its unsaved editor: save it to write it to disk.')
        : vscode.l10n.t(
            '{0} written to {1}.',
            out.changed.join(', ') || vscode.l10n.t('nothing new'),
            path.basename(out.path),
          );
    } catch (err) {
      envNote = vscode.l10n.t('.env not written: {0}', safeErrorMessage(err));
      log.warn(envNote);
    }
    const h = await s.monitor.checkFresh({ reason: 'imported from the sf CLI' });
    void s.ui.message(
      h && h.status !== 'ok' ? 'warn' : 'info',
      vscode.l10n.t(
        '{0} now signs in through the Salesforce CLI ({1}) as {2}; Token Relay keeps SF_ACCESS_TOKEN fresh. {3} Login: {4}.',
        profile.name,
        targetOrg,
        h?.username ?? chosen.username,
        envNote,
        labelFor(h ?? fresh.health),
      ),
    );
    return profile;
  });
}

/**
 * On activation (after startup.ts shouldOfferSfImport passed without loading this code): the project's default org,
 * when the sf CLI knows it, is offered for import once ("Import" / "Not Now" / "Don't Ask Again").
 */
export async function offerSfImportOnStartup(s: Services): Promise<void> {
  if (!shouldOfferSfImport(s)) return;
  const defaults = await projectTargetOrgs();
  if (!defaults.length) return;
  if (!(await findSfCli({ sfPath: sfOptions().sfPath }))) {
    s.logger.debug('startup: an sf project, but no sf CLI: no import offer');
    return;
  }
  let orgs: SfOrg[];
  try {
    orgs = await listSfOrgs(sfOptions({ log: s.logger.child('sf') }));
  } catch (err) {
    s.logger.info(`startup: the sf CLI did not list its orgs: ${safeErrorMessage(err)}`);
    return;
  }
  const known = defaults.map((d) => orgs.find((o) => namesOrg(o, d))).find((o) => o !== undefined);
  if (!known) {
    s.logger.info(`startup: the project's default org (${defaults.join(', ')}) is unknown to the sf CLI`);
    return;
  }
  if (s.profiles.list().length) return; // an org was added meanwhile
  const name = known.alias ?? known.username;
  const imp = vscode.l10n.t('Import');
  const later = vscode.l10n.t('Not Now');
  const never = vscode.l10n.t("Don't Ask Again");
  const a = await s.ui.message(
    'info',
    vscode.l10n.t(
      'This Salesforce project uses the org {0} ({1}), which the Salesforce CLI is logged in to. Import it, so Token Relay keeps SF_ACCESS_TOKEN in .env fresh?',
      name,
      known.username,
    ),
    imp,
    later,
    never,
  );
  if (a === imp) await importFromSfCli(s, { targetOrg: name });
  if (a === never) await s.context.workspaceState.update(SF_IMPORT_OFFERED_STATE_KEY, true);
}
