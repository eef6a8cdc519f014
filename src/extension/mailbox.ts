/**
 * The mailboxes the reset flow watches, one per org (issue 16): `tokenRelay.mailboxes` (user settings only) holds
 * each mailbox's non-secret fields and watch options, SecretStorage its password (`tokenRelay.mailbox.<id>.password`);
 * an org names its mailbox in `tokenRelay.orgs[].mailbox` (absent: `default`). The old single mailbox
 * (`tokenRelay.mailbox.*`, `tokenRelay.mailbox.password`) is read as `default` until migrateLegacyMailbox() has
 * moved it. On-demand code (the mailbox commands); the pure rules are mailboxesModel.ts.
 */
import * as vscode from 'vscode';
import type { Logger } from '../core/log';
import type { OrgProfile } from '../core/profile';
import type { MailboxConfig } from '../mail';
import {
  cleanMailbox,
  DEFAULT_MAILBOX_ID,
  LEGACY_MAILBOX_KEYS,
  legacyMailbox,
  mailboxConfigOf,
  mailboxIdOf,
  mailboxProblem,
  orgsUsing,
  planMigration,
  readMailboxList,
  withMailbox,
  withoutMailbox,
  type LegacyMailboxValues,
  type MailboxEntry,
  type RawMailbox,
} from './mailboxesModel';
import type { ProfileStore } from './profiles';
import { config, proxySettings, SettingKeys } from './settings';
import type { SecretStore } from './secrets';
import { microsoftTokenSource } from './microsoftAuth';

const LEGACY_SETTING: Record<keyof LegacyMailboxValues, string> = {
  preset: SettingKeys.mailboxPreset,
  host: SettingKeys.mailboxHost,
  port: SettingKeys.mailboxPort,
  security: SettingKeys.mailboxSecurity,
  user: SettingKeys.mailboxUser,
  allowInsecureTls: SettingKeys.mailboxInsecureTls,
  folders: SettingKeys.mailboxFolders,
  afterSuccess: SettingKeys.mailboxAfterSuccess,
};

/** User values only: these settings decide where a password goes, so a workspace never sets them. */
function userValue(key: string): unknown {
  return config().inspect<unknown>(key)?.globalValue;
}

/** The old single mailbox as the raw entry `default` (undefined when the old keys hold none). */
export function readLegacyMailbox(): RawMailbox | undefined {
  const v: LegacyMailboxValues = {};
  for (const k of LEGACY_MAILBOX_KEYS) v[k] = userValue(LEGACY_SETTING[k]);
  return legacyMailbox(v);
}

/** Every mailbox, `default` first when it comes from the old keys. */
export function listMailboxes(): MailboxEntry[] {
  return readMailboxList(userValue(SettingKeys.mailboxes), readLegacyMailbox());
}

export function getMailbox(id: string): MailboxEntry | undefined {
  return listMailboxes().find((m) => m.id === id);
}

async function writeList(list: unknown[]): Promise<void> {
  await config().update(SettingKeys.mailboxes, list, vscode.ConfigurationTarget.Global);
}

/**
 * Moves the old single mailbox to the entry `default` of `tokenRelay.mailboxes` and its password to the key of
 * `default`; then clears the old keys (their values now live in the entry). Silent and idempotent; nothing is lost:
 * the old keys are cleared only after the new list was written and reads back with `default` in it.
 */
export async function migrateLegacyMailbox(secrets: SecretStore, log: Logger): Promise<void> {
  const legacy = readLegacyMailbox();
  const plan = planMigration(userValue(SettingKeys.mailboxes), legacy);
  if (plan) {
    await writeList(plan);
    const back = readMailboxList(userValue(SettingKeys.mailboxes));
    if (back.some((m) => m.id === DEFAULT_MAILBOX_ID)) {
      for (const k of LEGACY_MAILBOX_KEYS)
        if (userValue(LEGACY_SETTING[k]) !== undefined)
          await config().update(LEGACY_SETTING[k], undefined, vscode.ConfigurationTarget.Global);
      log.info('mailbox settings moved to tokenRelay.mailboxes (mailbox "default")');
    }
  } else if (legacy && readMailboxList(userValue(SettingKeys.mailboxes)).some((m) => m.id === DEFAULT_MAILBOX_ID)) {
    // Migrated before (e.g. on another machine through Settings Sync): the old keys are stale copies.
    for (const k of LEGACY_MAILBOX_KEYS)
      if (userValue(LEGACY_SETTING[k]) !== undefined)
        await config().update(LEGACY_SETTING[k], undefined, vscode.ConfigurationTarget.Global);
  }
  await secrets.moveLegacyMailboxSecret();
}

/** Adds or replaces a mailbox (by id). */
export async function saveMailbox(m: MailboxEntry, log: Logger): Promise<void> {
  const list = userValue(SettingKeys.mailboxes);
  const exists = readMailboxList(list).some((x) => x.id === m.id);
  await writeList(withMailbox(list, m));
  log.info(`${exists ? 'updated' : 'added'} mailbox ${m.id}`);
}

export class MailboxInUseError extends Error {
  constructor(
    readonly mailboxId: string,
    readonly orgNames: string[],
  ) {
    super(
      vscode.l10n.t(
        'The mailbox {0} is used by {1}. Point those orgs to another mailbox first (Edit Org → Mailbox).',
        mailboxId,
        orgNames.join(', '),
      ),
    );
    this.name = 'MailboxInUseError';
  }
}

/** Removes a mailbox and forgets its secret; refused (MailboxInUseError naming the orgs) while an org uses it. */
export async function removeMailbox(
  id: string,
  profiles: ProfileStore,
  secrets: SecretStore,
  log: Logger,
): Promise<void> {
  const users = orgsUsing(profiles.list(), id);
  if (users.length)
    throw new MailboxInUseError(
      id,
      users.map((o) => o.name),
    );
  await writeList(withoutMailbox(userValue(SettingKeys.mailboxes), id));
  await secrets.setMailboxSecret(undefined, id);
  log.info(`removed mailbox ${id}`);
}

/** Points the given orgs at a mailbox (`default` is stored as no field). */
export async function setOrgsMailbox(profiles: ProfileStore, orgIds: readonly string[], id: string): Promise<void> {
  const raw = config().get<unknown[]>(SettingKeys.orgs) ?? [];
  const list = (Array.isArray(raw) ? raw : []).map((r) => {
    if (!r || typeof r !== 'object') return r;
    const o = { ...(r as Record<string, unknown>) };
    if (typeof o.id !== 'string' || !orgIds.includes(o.id)) return r;
    if (id === DEFAULT_MAILBOX_ID) delete o.mailbox;
    else o.mailbox = id;
    return o;
  });
  await config().update(SettingKeys.orgs, list, vscode.ConfigurationTarget.Global);
  profiles.log.info(`orgs ${orgIds.join(', ')} use mailbox ${id}`);
}

export type MailboxLookup =
  | { ok: true; config: MailboxConfig; mailbox: MailboxEntry }
  | { ok: false; missing: string; mailboxId: string };

/**
 * The full mailbox config of an org's mailbox (or of the mailbox `id`), or what is missing (the mailbox, host,
 * user or secret).
 */
export async function mailboxConfig(
  secrets: SecretStore,
  target?: { org?: Pick<OrgProfile, 'mailbox'>; id?: string },
): Promise<MailboxLookup> {
  const id = target?.id ?? mailboxIdOf(target?.org);
  const m = getMailbox(id);
  if (!m)
    return {
      ok: false,
      mailboxId: id,
      missing:
        id === DEFAULT_MAILBOX_ID
          ? vscode.l10n.t('no mailbox is set up')
          : vscode.l10n.t('the mailbox {0} does not exist', id),
    };
  const problem = mailboxProblem(m);
  if (problem === 'host') return { ok: false, mailboxId: id, missing: vscode.l10n.t('no IMAP server is set') };
  if (problem === 'user') return { ok: false, mailboxId: id, missing: vscode.l10n.t('no mailbox user is set') };
  if (m.auth === 'microsoft') {
    // XOAUTH2: VS Code's Microsoft sign-in gives the access token before every connection (./microsoftAuth.ts).
    const base = mailboxConfigOf(m, {}, proxySettings().url);
    delete base.password;
    return { ok: true, mailbox: m, config: { ...base, accessTokenSource: microsoftTokenSource(m.user) } };
  }
  const password = await secrets.getMailboxSecret(id);
  if (!password) return { ok: false, mailboxId: id, missing: vscode.l10n.t('no mailbox password is stored') };
  return { ok: true, mailbox: m, config: mailboxConfigOf(m, { password }, proxySettings().url) };
}

/** The entry for a new or existing mailbox id with its current values (defaults for a new one). */
export function mailboxOrNew(id: string): MailboxEntry {
  return getMailbox(id) ?? cleanMailbox({ id })!;
}
