/**
 * Salesforce: Set Up Mailbox — which mailbox (an existing one or a new one), then its provider preset, host/port/TLS,
 * user and secret (SecretStorage), which orgs use it, and its watch options (extra folders, Junk, the user's
 * forwarding addresses, after success); then a test. Mailboxes are `tokenRelay.mailboxes` (../mailbox.ts).
 * Automation (walkthrough, demo, tests): `setUpMailbox({ id?, label?, preset?, host?, port?, security?, user,
 * password?, allowInsecureTls?, folders?, watchJunk?, forwardedFrom?, afterSuccess?, orgs? })` → boolean, and
 * `setUpMailbox({ remove: id })` → boolean (refused while an org uses it).
 */
import * as vscode from 'vscode';
import { MAIL_PRESETS, MAIL_PRESET_IDS, type MailPresetId } from '../../mail';
import { registerSecret } from '../../core/redact';
import {
  listMailboxes,
  mailboxOrNew,
  migrateLegacyMailbox,
  removeMailbox,
  saveMailbox,
  setOrgsMailbox,
} from '../mailbox';
import {
  cleanMailbox,
  DEFAULT_MAILBOX_ID,
  describeMailbox,
  FORWARD_ADDRESS_RE,
  MAILBOX_ID_RE,
  mailboxIdOf,
  mailboxProblem,
  newMailboxId,
  orgsUsing,
  parseAddressInput,
  parseFolderInput,
  type AfterSuccess,
  type MailboxEntry,
} from '../mailboxesModel';
import type { Services } from '../services';
import { CommandIds } from '../settings';
import { reportError } from './common';
import { askMailboxAuth, offersMicrosoftSignIn, signInMicrosoftMailbox } from '../microsoftMailboxSetup';

const PRESET_LABELS: Record<MailPresetId, string> = {
  gmail: 'Gmail / Google Workspace',
  outlook: 'Outlook.com / Microsoft 365',
  icloud: 'iCloud Mail',
  yahoo: 'Yahoo Mail',
  fastmail: 'Fastmail',
  custom: 'Other IMAP server…',
};

export interface MailboxArgs {
  /** The mailbox to create or change (default `default`). */
  id?: string;
  label?: string;
  preset?: MailPresetId;
  host?: string;
  port?: number;
  security?: 'implicit' | 'starttls';
  user: string;
  password?: string;
  /** 'microsoft': sign in with Microsoft (XOAUTH2; no password), with optional clientId / tenant. */
  auth?: 'password' | 'microsoft';
  clientId?: string;
  tenant?: string;
  allowInsecureTls?: boolean;
  folders?: string[];
  watchJunk?: boolean;
  forwardedFrom?: string[];
  afterSuccess?: AfterSuccess;
  /** Org ids that use this mailbox from now on. */
  orgs?: string[];
}

function usedBy(s: Services, m: MailboxEntry): string {
  const names = orgsUsing(s.profiles.list(), m.id).map((o) => o.name);
  return names.length ? vscode.l10n.t('used by {0}', names.join(', ')) : vscode.l10n.t('used by no org');
}

/** The automation form, checked like the interactive one. */
async function fromArgs(s: Services, a: MailboxArgs): Promise<boolean> {
  const id = (a.id ?? DEFAULT_MAILBOX_ID).trim().toLowerCase();
  if (!MAILBOX_ID_RE.test(id)) throw new Error(vscode.l10n.t('A mailbox id is lower-case letters, digits, - or _.'));
  const cur = mailboxOrNew(id);
  const preset = a.preset ?? 'custom';
  if (!Object.prototype.hasOwnProperty.call(MAIL_PRESETS, preset))
    throw new Error(vscode.l10n.t('Unknown mail provider preset {0}.', String(preset)));
  for (const x of a.forwardedFrom ?? [])
    if (!FORWARD_ADDRESS_RE.test(x)) throw new Error(vscode.l10n.t('{0} is not an email address.', x));
  const next = cleanMailbox({
    id,
    label: a.label ?? (cur.label !== cur.id && cur.label !== cur.user ? cur.label : a.user),
    preset,
    ...(preset === 'custom' ? { host: a.host, port: a.port, security: a.security } : {}),
    user: a.user,
    auth: 'password',
    allowInsecureTls: a.allowInsecureTls ?? cur.insecureTls,
    folders: a.folders ?? cur.folders,
    watchJunk: a.watchJunk ?? cur.watchJunk,
    forwardedFrom: a.forwardedFrom ?? cur.forwardedFrom,
    afterSuccess: a.afterSuccess ?? cur.afterSuccess,
  })!;
  if (a.auth === 'microsoft') {
    const user = await signInMicrosoftMailbox(s, { ...a, user: a.user || undefined }, false);
    if (!user) return false;
    const ms = { ...next, user, auth: 'microsoft' as const };
    await saveMailbox(ms, s.logger);
    await s.secrets.setMailboxSecret(undefined, id); // VS Code holds the sign-in; an old password would only linger
    if (a.orgs?.length) await setOrgsMailbox(s.profiles, a.orgs, id);
    s.logger.info(`mailbox ${id} set up: ${describeMailbox(ms)}, signs in with Microsoft`);
    return true;
  }
  registerSecret(a.password);
  await saveMailbox(next, s.logger);
  if (a.password) await s.secrets.setMailboxSecret(a.password, id);
  if (a.orgs?.length) await setOrgsMailbox(s.profiles, a.orgs, id);
  s.logger.info(`mailbox ${id} set up: ${describeMailbox(next)}`);
  return true;
}

async function askConnection(
  s: Services,
  cur: MailboxEntry,
  step: (n: number) => string,
): Promise<{ entry: MailboxEntry; password: string | undefined } | undefined> {
  const pick = await s.ui.pick(
    MAIL_PRESET_IDS.map((id) => ({
      label: vscode.l10n.t(PRESET_LABELS[id]),
      description: MAIL_PRESETS[id].host,
      detail: MAIL_PRESETS[id].notes,
      id,
      picked: id === cur.preset,
    })),
    {
      title: vscode.l10n.t('Set Up Mailbox ({0}): provider', step(1)),
      placeHolder: vscode.l10n.t('Where does the Salesforce token mail arrive?'),
    },
  );
  if (!pick) return undefined;
  const preset = MAIL_PRESETS[pick.id];
  let server: Partial<MailboxEntry> = {};
  if (pick.id === 'custom') {
    const host = await s.ui.input({
      title: vscode.l10n.t('Set Up Mailbox: IMAP server'),
      value: cur.preset === 'custom' ? cur.host : '',
      placeHolder: 'imap.example.com',
      validateInput: (v) =>
        /^[A-Za-z0-9.-]+$|^\[[0-9a-fA-F:]+\]$/.test(v.trim())
          ? undefined
          : vscode.l10n.t('Enter a host name, e.g. imap.example.com.'),
    });
    if (!host) return undefined;
    const tls = await s.ui.pick(
      [
        {
          label: vscode.l10n.t('TLS (implicit)'),
          description: vscode.l10n.t('usually port 993'),
          value: 'implicit' as const,
        },
        { label: 'STARTTLS', description: vscode.l10n.t('usually port 143'), value: 'starttls' as const },
      ],
      { title: vscode.l10n.t('Set Up Mailbox: security') },
    );
    if (!tls) return undefined;
    const port = await s.ui.input({
      title: vscode.l10n.t('Set Up Mailbox: port'),
      value: String(tls.value === 'starttls' ? 143 : 993),
      validateInput: (v) =>
        /^\d+$/.test(v.trim()) && Number(v) > 0 && Number(v) < 65536
          ? undefined
          : vscode.l10n.t('Enter a port number (1–65535).'),
    });
    if (!port) return undefined;
    server = { host: host.trim(), security: tls.value, port: Number(port) };
  }
  if (offersMicrosoftSignIn(pick.id, server.host)) {
    const auth = await askMailboxAuth(s, pick.id);
    if (!auth) return undefined;
    if (auth === 'microsoft') {
      const user = await signInMicrosoftMailbox(
        s,
        { preset: pick.id, ...server, ...(cur.user && cur.auth === 'microsoft' ? { user: cur.user } : {}) },
        true,
      );
      if (!user) return undefined;
      const entry = cleanMailbox({
        id: cur.id,
        label: cur.label !== cur.id && cur.label !== cur.user ? cur.label : user,
        preset: pick.id,
        ...(pick.id === 'custom' ? { host: server.host, port: server.port, security: server.security } : {}),
        user,
        auth: 'microsoft',
        allowInsecureTls: cur.insecureTls,
        folders: cur.folders,
        watchJunk: cur.watchJunk,
        forwardedFrom: cur.forwardedFrom,
        afterSuccess: cur.afterSuccess,
      })!;
      return { entry, password: undefined };
    }
  }
  const user = await s.ui.input({
    title: vscode.l10n.t('Set Up Mailbox ({0}): user', step(2)),
    prompt: vscode.l10n.t('The mailbox login, usually your email address.'),
    value: cur.user,
    validateInput: (v) => (v.trim() ? undefined : vscode.l10n.t('Enter the mailbox user.')),
  });
  if (!user) return undefined;
  const password = await s.ui.input({
    title: vscode.l10n.t('Set Up Mailbox ({0}): password', step(3)),
    prompt: `${vscode.l10n.t('Kept in SecretStorage.')} ${preset.notes}`,
    password: true,
    validateInput: (v) => (v ? undefined : vscode.l10n.t('Enter the password or app password.')),
  });
  if (!password) return undefined;
  registerSecret(password);
  const entry = cleanMailbox({
    id: cur.id,
    label: cur.label !== cur.id && cur.label !== cur.user ? cur.label : user.trim(),
    preset: pick.id,
    ...(pick.id === 'custom' ? { host: server.host, port: server.port, security: server.security } : {}),
    user: user.trim(),
    auth: 'password',
    allowInsecureTls: cur.insecureTls,
    folders: cur.folders,
    watchJunk: cur.watchJunk,
    forwardedFrom: cur.forwardedFrom,
    afterSuccess: cur.afterSuccess,
  })!;
  return { entry, password };
}

/** Which orgs use the mailbox: a list to tick (an org uses exactly one mailbox; ticking moves it here). */
async function askOrgs(s: Services, m: MailboxEntry): Promise<boolean> {
  const orgs = s.profiles.list();
  if (!orgs.length) return true;
  const chosen = new Set(orgsUsing(orgs, m.id).map((o) => o.id));
  const labels = new Map(listMailboxes().map((x) => [x.id, x.label]));
  for (;;) {
    const done = { label: vscode.l10n.t('Done'), id: '' };
    const pick = await s.ui.pick(
      [
        done,
        ...orgs.map((o) => ({
          label: `${chosen.has(o.id) ? '$(check)' : '$(circle-large-outline)'} ${o.name}`,
          description: o.username,
          detail: chosen.has(o.id)
            ? vscode.l10n.t('uses this mailbox')
            : vscode.l10n.t('uses {0}', labels.get(mailboxIdOf(o)) ?? mailboxIdOf(o)),
          id: o.id,
        })),
      ],
      {
        title: vscode.l10n.t('Set Up Mailbox: which orgs get their token mail at {0}?', m.label),
        placeHolder: vscode.l10n.t('Pick an org to tick or untick it, then Done.'),
      },
    );
    if (!pick) return false;
    if (!pick.id) break;
    if (chosen.has(pick.id)) chosen.delete(pick.id);
    else chosen.add(pick.id);
  }
  const before = new Set(orgsUsing(orgs, m.id).map((o) => o.id));
  const added = [...chosen].filter((id) => !before.has(id));
  const dropped = [...before].filter((id) => !chosen.has(id));
  if (added.length) await setOrgsMailbox(s.profiles, added, m.id);
  // An unticked org goes back to `default` (or, for `default` itself, stays: every org needs a mailbox).
  if (dropped.length && m.id !== DEFAULT_MAILBOX_ID) await setOrgsMailbox(s.profiles, dropped, DEFAULT_MAILBOX_ID);
  return true;
}

const AFTER: readonly AfterSuccess[] = ['leave', 'seen', 'delete'];
function afterLabel(a: AfterSuccess): string {
  if (a === 'seen') return vscode.l10n.t('Mark it as read');
  if (a === 'delete') return vscode.l10n.t('Delete it');
  return vscode.l10n.t('Leave it as it is');
}

/** The watch options of a mailbox, each saved as soon as it is changed. */
async function askOptions(s: Services, start: MailboxEntry): Promise<void> {
  let m = start;
  for (;;) {
    const none = vscode.l10n.t('none');
    const items = [
      { key: 'done', label: vscode.l10n.t('Done') },
      {
        key: 'folders',
        label: vscode.l10n.t('Extra folders'),
        description: m.folders.length ? m.folders.join(', ') : none,
        detail: vscode.l10n.t('Folders watched besides INBOX, e.g. where a mail filter moves Salesforce mail.'),
      },
      {
        key: 'junk',
        label: vscode.l10n.t('Junk / Spam folder'),
        description: m.watchJunk ? vscode.l10n.t('watched') : vscode.l10n.t('not watched'),
        detail: vscode.l10n.t('The folder the server flags as Junk (Spam, Bulk Mail…).'),
      },
      {
        key: 'forwarded',
        label: vscode.l10n.t('Forwarded token mail'),
        description: m.forwardedFrom.length
          ? vscode.l10n.t('trusted from {0}', m.forwardedFrom.join(', '))
          : vscode.l10n.t('not trusted'),
        detail: vscode.l10n.t(
          'Your own address that forwards the token mail here: its forwards count. Nobody else’s do.',
        ),
      },
      {
        key: 'after',
        label: vscode.l10n.t('After the token is stored'),
        description: afterLabel(m.afterSuccess),
        detail: vscode.l10n.t('What happens to the token mail once the new token logged in.'),
      },
    ];
    const pick = await s.ui.pick(items, {
      title: vscode.l10n.t('Set Up Mailbox: watch options of {0}', m.label),
    });
    if (!pick || pick.key === 'done') return;
    let next: MailboxEntry | undefined;
    if (pick.key === 'folders') {
      const v = await s.ui.input({
        title: vscode.l10n.t('Extra folders'),
        prompt: vscode.l10n.t('Folder names separated by commas (INBOX is always watched). Empty: none.'),
        value: m.folders.join(', '),
      });
      if (v !== undefined) next = { ...m, folders: parseFolderInput(v) };
    } else if (pick.key === 'junk') {
      const on = { label: vscode.l10n.t('Watch the Junk / Spam folder'), value: true };
      const off = { label: vscode.l10n.t('Do not watch it'), value: false };
      const p = await s.ui.pick([on, off], { title: vscode.l10n.t('Junk / Spam folder') });
      if (p) next = { ...m, watchJunk: p.value };
    } else if (pick.key === 'forwarded') {
      const v = await s.ui.input({
        title: vscode.l10n.t('Forwarded token mail'),
        prompt: vscode.l10n.t(
          'Your own address(es) that forward the Salesforce mail to this mailbox, separated by commas. Empty: forwarded copies are refused.',
        ),
        value: m.forwardedFrom.join(', '),
        validateInput: (t) => {
          const r = parseAddressInput(t);
          return 'bad' in r ? vscode.l10n.t('{0} is not an email address.', r.bad) : undefined;
        },
      });
      const r = v === undefined ? undefined : parseAddressInput(v);
      if (r && 'list' in r) next = { ...m, forwardedFrom: r.list };
    } else if (pick.key === 'after') {
      const p = await s.ui.pick(
        AFTER.map((k) => ({
          label: afterLabel(k),
          value: k,
          picked: k === m.afterSuccess,
        })),
        { title: vscode.l10n.t('After the token is stored') },
      );
      if (p) next = { ...m, afterSuccess: p.value };
    }
    if (next) {
      m = next;
      await saveMailbox(m, s.logger);
    }
  }
}

async function removeInteractive(s: Services, m: MailboxEntry): Promise<boolean> {
  const users = orgsUsing(s.profiles.list(), m.id);
  if (users.length) {
    void s.ui.message(
      'warn',
      vscode.l10n.t(
        'The mailbox {0} is used by {1}. Point those orgs to another mailbox first (Edit Org → Mailbox).',
        m.label,
        users.map((o) => o.name).join(', '),
      ),
    );
    return false;
  }
  const remove = vscode.l10n.t('Remove');
  const a = await s.ui.confirm(
    vscode.l10n.t('Remove the mailbox {0} ({1})?', m.label, describeMailbox(m)),
    vscode.l10n.t('Its password is deleted from SecretStorage.'),
    remove,
  );
  if (a !== remove) return false;
  await removeMailbox(m.id, s.profiles, s.secrets, s.logger);
  void s.ui.message('info', vscode.l10n.t('Mailbox {0} removed and its password forgotten.', m.label));
  return true;
}

export async function setUpMailbox(s: Services, arg?: unknown): Promise<boolean> {
  try {
    await migrateLegacyMailbox(s.secrets, s.logger);
    if (arg && typeof arg === 'object') {
      const remove = (arg as { remove?: unknown }).remove;
      if (typeof remove === 'string') {
        const id = remove.trim().toLowerCase();
        if (!listMailboxes().some((m) => m.id === id))
          throw new Error(vscode.l10n.t('the mailbox {0} does not exist', id));
        await removeMailbox(id, s.profiles, s.secrets, s.logger);
        return true;
      }
      if (typeof (arg as MailboxArgs).user === 'string') return await fromArgs(s, arg as MailboxArgs);
    }
    const list = listMailboxes();
    let cur: MailboxEntry;
    let isNew = false;
    if (!list.length) {
      cur = mailboxOrNew(DEFAULT_MAILBOX_ID);
      isNew = true;
    } else if (list.length === 1 && mailboxProblem(list[0]!)) {
      cur = list[0]!; // an unfinished mailbox (e.g. from the old settings): finish it
    } else {
      const add = { label: `$(add) ${vscode.l10n.t('New mailbox…')}`, id: '' };
      const which = await s.ui.pick(
        [
          ...list.map((m) => ({ label: m.label, description: describeMailbox(m), detail: usedBy(s, m), id: m.id })),
          add,
        ],
        {
          title: vscode.l10n.t('Set Up Mailbox: which mailbox?'),
          placeHolder: vscode.l10n.t('Each org reads its token mail from one mailbox.'),
        },
      );
      if (!which) return false;
      if (!which.id) {
        cur = cleanMailbox({
          id: newMailboxId(
            'mailbox',
            list.map((m) => m.id),
          ),
        })!;
        isNew = true;
      } else {
        cur = list.find((m) => m.id === which.id)!;
        const conn = { label: vscode.l10n.t('Server, user and password'), key: 'connection' };
        const opts = { label: vscode.l10n.t('Watch options'), key: 'options' };
        const orgs = { label: vscode.l10n.t('Orgs that use it'), key: 'orgs' };
        const rm = { label: vscode.l10n.t('Remove this mailbox'), key: 'remove' };
        const what = await s.ui.pick([conn, opts, orgs, rm], {
          title: vscode.l10n.t('Set Up Mailbox: {0}', cur.label),
        });
        if (!what) return false;
        if (what.key === 'options') {
          await askOptions(s, cur);
          return true;
        }
        if (what.key === 'orgs') return await askOrgs(s, cur);
        if (what.key === 'remove') return await removeInteractive(s, cur);
      }
    }
    const total = isNew && list.length > 0 ? 4 : 3;
    const got = await askConnection(s, cur, (n) => `${n}/${total}`);
    if (!got) return false;
    let entry = got.entry;
    if (isNew && list.length > 0) {
      const ids = list.map((m) => m.id);
      const label = await s.ui.input({
        title: vscode.l10n.t('Set Up Mailbox ({0}): name', `4/${total}`),
        prompt: vscode.l10n.t('A short name for this mailbox (shown when choosing an org’s mailbox).'),
        value: entry.user,
        validateInput: (v) => (v.trim() ? undefined : vscode.l10n.t('Enter a name.')),
      });
      if (!label) return false;
      entry = { ...entry, id: newMailboxId(entry.user || label, ids), label: label.trim() };
    }
    await saveMailbox(entry, s.logger);
    await s.secrets.setMailboxSecret(got.password, entry.id);
    s.logger.info(`mailbox ${entry.id} set up: ${describeMailbox(entry)}`);
    if (isNew && list.length > 0 && !(await askOrgs(s, entry))) return true;
    await vscode.commands.executeCommand(CommandIds.testMailbox, entry.id);
    return true;
  } catch (err) {
    await reportError(s, vscode.l10n.t('Could not set up the mailbox'), err);
    return false;
  }
}
