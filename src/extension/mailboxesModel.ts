/**
 * One mailbox per org (issue 16 item 2), the pure part: the `tokenRelay.mailboxes` entries, the migration of the
 * old single mailbox (`tokenRelay.mailbox.*`) to the mailbox `default`, which orgs use which mailbox, and the
 * watcher options a mailbox carries (extra folders, Junk, the user's forwarding addresses, after-success), mapped
 * to the same MailboxConfig / WatchOptions fields the CLI's `watch` flags set. No vscode, no I/O: unit-tested.
 */
import type { OrgProfile } from '../core/profile';
import type { MailboxConfig } from '../mail/imapClient';
import { MAIL_PRESETS, type MailPresetId } from '../mail/presets';

export const DEFAULT_MAILBOX_ID = 'default';
/** How the mailbox signs in: a password / app password (SecretStorage), or Microsoft's OAuth (XOAUTH2). */
export type MailboxAuth = 'password' | 'microsoft';
export type AfterSuccess = NonNullable<MailboxConfig['afterSuccess']>;
export type MailboxSecurity = 'implicit' | 'starttls';

/** A mailbox with every default applied (what the commands work with). */
export interface MailboxEntry {
  id: string;
  label: string;
  preset: MailPresetId;
  host: string;
  port: number;
  security: MailboxSecurity;
  user: string;
  auth: MailboxAuth;
  insecureTls: boolean;
  /** Folders watched besides INBOX (CLI `--imap-folder`). */
  folders: string[];
  /** Also watch the folder the server flags `\Junk` (CLI `--watch-junk`). */
  watchJunk: boolean;
  /** The user's own forwarding address(es): their forwards of the token mail count (CLI `--forwarded-from`). */
  forwardedFrom: string[];
  /** The token mail after the token logged in (CLI `--after-success`). */
  afterSuccess: AfterSuccess;
}

/** One entry of the `tokenRelay.mailboxes` setting as stored (defaults left out). */
export interface RawMailbox {
  id: string;
  label?: string;
  preset?: MailPresetId;
  host?: string;
  port?: number;
  security?: MailboxSecurity;
  user?: string;
  auth?: MailboxAuth;
  allowInsecureTls?: boolean;
  folders?: string[];
  watchJunk?: boolean;
  forwardedFrom?: string[];
  afterSuccess?: AfterSuccess;
}

/** The old global settings (`tokenRelay.mailbox.<key>`, user values), read by the caller. */
export interface LegacyMailboxValues {
  preset?: unknown;
  host?: unknown;
  port?: unknown;
  security?: unknown;
  user?: unknown;
  allowInsecureTls?: unknown;
  folders?: unknown;
  afterSuccess?: unknown;
}
export const LEGACY_MAILBOX_KEYS: ReadonlyArray<keyof LegacyMailboxValues> = [
  'preset',
  'host',
  'port',
  'security',
  'user',
  'allowInsecureTls',
  'folders',
  'afterSuccess',
];

/** Mailbox ids: also part of a SecretStorage key (`tokenRelay.mailbox.<id>.password`), so no dots or `@`. */
export const MAILBOX_ID_RE = /^[a-z0-9][a-z0-9_-]{0,39}$/;
/** The same check as the CLI's `--forwarded-from` and `tokenRelay.reset.forwardedFrom`. */
export const FORWARD_ADDRESS_RE = /^[^\s@<>(),;:"]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$/;
const HOST_RE = /^[A-Za-z0-9.-]+$|^\[[0-9a-fA-F:]+\]$/;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

function presetOf(v: unknown): MailPresetId {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(MAIL_PRESETS, v)
    ? (v as MailPresetId)
    : 'custom';
}

function stringList(v: unknown, check?: RegExp): string[] {
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const x of v) {
    const t = str(x);
    if (t && t.length <= 253 && (!check || check.test(t)) && !out.includes(t)) out.push(t);
  }
  return out;
}

function afterOf(v: unknown): AfterSuccess {
  return v === 'seen' || v === 'delete' ? v : 'leave';
}

/** A stored entry with defaults applied, or undefined when it has no usable id. */
export function cleanMailbox(raw: unknown): MailboxEntry | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  const id = str(r.id)?.toLowerCase();
  if (!id || !MAILBOX_ID_RE.test(id)) return undefined;
  const preset = presetOf(r.preset);
  const p = MAIL_PRESETS[preset];
  const hostRaw = str(r.host);
  const host = (hostRaw && HOST_RE.test(hostRaw) ? hostRaw : undefined) ?? p.host ?? '';
  const security: MailboxSecurity = (str(r.security) ?? p.security) === 'starttls' ? 'starttls' : 'implicit';
  const portN = Number(r.port);
  const port =
    Number.isInteger(portN) && portN > 0 && portN < 65536 ? portN : security === 'starttls' ? 143 : p.port || 993;
  const user = str(r.user) ?? '';
  return {
    id,
    label: str(r.label) ?? (user || id),
    preset,
    host,
    port,
    security,
    user,
    auth: r.auth === 'microsoft' ? 'microsoft' : 'password',
    insecureTls: r.allowInsecureTls === true,
    folders: stringList(r.folders).filter((f) => f.toUpperCase() !== 'INBOX'),
    watchJunk: r.watchJunk === true,
    forwardedFrom: stringList(r.forwardedFrom, FORWARD_ADDRESS_RE),
    afterSuccess: afterOf(r.afterSuccess),
  };
}

/**
 * The old single mailbox as the entry `default`, or undefined when the user set none of its keys (a mailbox with
 * only some keys set, e.g. allowInsecureTls, is kept too: Set Up Mailbox completes it).
 */
export function legacyMailbox(v: LegacyMailboxValues): RawMailbox | undefined {
  if (LEGACY_MAILBOX_KEYS.every((k) => v[k] === undefined)) return undefined;
  const raw: RawMailbox = { id: DEFAULT_MAILBOX_ID };
  const user = str(v.user);
  if (user) raw.user = user;
  const preset = presetOf(v.preset);
  raw.preset = preset;
  const host = str(v.host);
  if (host) raw.host = host;
  const port = Number(v.port);
  if (Number.isInteger(port) && port > 0 && port < 65536) raw.port = port;
  if (v.security === 'starttls' || v.security === 'implicit') raw.security = v.security;
  if (v.allowInsecureTls === true) raw.allowInsecureTls = true;
  const folders = stringList(v.folders);
  if (folders.length) raw.folders = folders;
  if (v.afterSuccess === 'seen' || v.afterSuccess === 'delete') raw.afterSuccess = v.afterSuccess;
  return raw;
}

/**
 * The mailboxes: the setting's entries (first of each id wins); when none is `default`, the old single mailbox is
 * `default` (read from the old keys until the migration has written it).
 */
export function readMailboxList(list: unknown, legacy?: RawMailbox): MailboxEntry[] {
  const out: MailboxEntry[] = [];
  for (const r of Array.isArray(list) ? list : []) {
    const m = cleanMailbox(r);
    if (m && !out.some((x) => x.id === m.id)) out.push(m);
  }
  if (legacy && !out.some((m) => m.id === DEFAULT_MAILBOX_ID)) {
    const m = cleanMailbox(legacy);
    if (m) out.unshift(m);
  }
  return out;
}

/**
 * The list to write when the old single mailbox still lives only in the old keys (undefined: nothing to do).
 * Nothing is lost: every entry already in the setting is kept as it was, and the old mailbox becomes `default`.
 */
export function planMigration(list: unknown, legacy: RawMailbox | undefined): unknown[] | undefined {
  if (!legacy) return undefined;
  const current: unknown[] = Array.isArray(list) ? (list as unknown[]) : [];
  if (current.some((r) => cleanMailbox(r)?.id === DEFAULT_MAILBOX_ID)) return undefined;
  return [legacy, ...current];
}

/** The mailbox id an org uses (`default` when it names none). */
export function mailboxIdOf(org: Pick<OrgProfile, 'mailbox'> | undefined): string {
  return org?.mailbox?.trim().toLowerCase() || DEFAULT_MAILBOX_ID;
}

/** The orgs whose token mail goes to the mailbox `id`. */
export function orgsUsing<T extends Pick<OrgProfile, 'mailbox'>>(orgs: readonly T[], id: string): T[] {
  return orgs.filter((o) => mailboxIdOf(o) === id);
}

/** A new id from a hint (the mailbox user or label), not among `taken`. */
export function newMailboxId(hint: string, taken: readonly string[]): string {
  const base =
    hint
      .toLowerCase()
      .replace(/@.*$/, '')
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^[-_]+|[-_]+$/g, '')
      .slice(0, 32) || 'mailbox';
  const first = MAILBOX_ID_RE.test(base) ? base : `m-${base}`.slice(0, 32);
  if (!taken.includes(first)) return first;
  for (let i = 2; ; i++) if (!taken.includes(`${first}-${i}`)) return `${first}-${i}`;
}

/** The entry as stored: preset hosts are not copied (a preset's own values apply), defaults are left out. */
export function toRawMailbox(m: MailboxEntry): RawMailbox {
  const raw: RawMailbox = { id: m.id, label: m.label, preset: m.preset, user: m.user };
  if (m.preset === 'custom') {
    raw.host = m.host;
    raw.port = m.port;
    raw.security = m.security;
  }
  if (m.auth !== 'password') raw.auth = m.auth;
  if (m.insecureTls) raw.allowInsecureTls = true;
  if (m.folders.length) raw.folders = [...m.folders];
  if (m.watchJunk) raw.watchJunk = true;
  if (m.forwardedFrom.length) raw.forwardedFrom = [...m.forwardedFrom];
  if (m.afterSuccess !== 'leave') raw.afterSuccess = m.afterSuccess;
  return raw;
}

/** Replaces (by id) or appends an entry in the stored list, keeping every other entry as it was. */
export function withMailbox(list: unknown, m: MailboxEntry): unknown[] {
  const current = Array.isArray(list) ? [...(list as unknown[])] : [];
  const raw = toRawMailbox(m);
  const i = current.findIndex((r) => cleanMailbox(r)?.id === m.id);
  if (i >= 0) current[i] = raw;
  else current.push(raw);
  return current;
}

/** The stored list without the entry `id`. */
export function withoutMailbox(list: unknown, id: string): unknown[] {
  return (Array.isArray(list) ? (list as unknown[]) : []).filter((r) => cleanMailbox(r)?.id !== id);
}

/** What is missing before the mailbox can be watched (undefined when complete, the secret aside). */
export function mailboxProblem(m: MailboxEntry): 'host' | 'user' | undefined {
  if (!m.host) return 'host';
  if (!m.user) return 'user';
  return undefined;
}

/** The watcher's MailboxConfig: the same fields the CLI's `watch` flags set. */
export function mailboxConfigOf(
  m: MailboxEntry,
  secret: { password?: string; accessToken?: string },
  proxy?: string,
): MailboxConfig {
  return {
    host: m.host,
    port: m.port,
    security: m.security,
    user: m.user,
    ...(secret.accessToken ? { accessToken: secret.accessToken } : { password: secret.password }),
    insecureTls: m.insecureTls,
    afterSuccess: m.afterSuccess,
    ...(m.folders.length ? { folders: [...m.folders] } : {}),
    ...(m.watchJunk ? { watchJunk: true } : {}),
    ...(proxy ? { proxy } : {}),
  };
}

/**
 * The classifier's forwarding trust for a mailbox: its own forwarding addresses plus the user-level
 * `tokenRelay.reset.forwardedFrom` (as the CLI: `--forwarded-from` implies `--trust-forwarded`; none: none trusted).
 */
export function watchTrustOf(
  m: Pick<MailboxEntry, 'forwardedFrom'> | undefined,
  globalForwardedFrom?: readonly string[],
): { trustForwarded: boolean; forwardedFrom?: string[] } {
  const all = [...(m?.forwardedFrom ?? []), ...(globalForwardedFrom ?? [])];
  const list = [...new Set(all.map((a) => a.toLowerCase()))];
  return list.length ? { trustForwarded: true, forwardedFrom: list } : { trustForwarded: false };
}

/** Comma/space separated folder names typed by the user (INBOX is always watched and left out). */
export function parseFolderInput(text: string): string[] {
  return stringList(text.split(',')).filter((f) => f.toUpperCase() !== 'INBOX');
}

/** Comma separated addresses typed by the user: the list, or the first one that is not an address. */
export function parseAddressInput(text: string): { list: string[] } | { bad: string } {
  const items = text
    .split(/[,\s;]+/)
    .map((x) => x.trim())
    .filter(Boolean);
  for (const x of items) if (x.length > 253 || !FORWARD_ADDRESS_RE.test(x)) return { bad: x };
  return { list: [...new Set(items)] };
}

/** `user@host:port` (for messages and logs; no secret). */
export function describeMailbox(m: Pick<MailboxEntry, 'user' | 'host' | 'port'>): string {
  return `${m.user || '?'}@${m.host || '?'}:${m.port}`;
}
