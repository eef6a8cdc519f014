/**
 * Secrets live only in `context.secrets` (SecretStorage), keyed per profile:
 * `tokenRelay.<profileId>.password|token|clientSecret|refreshToken|accessToken` (the last two: OAuth orgs), and
 * `tokenRelay.mailbox.<mailboxId>.password` per mailbox (the old single mailbox's `tokenRelay.mailbox.password` is
 * read as the mailbox `default`'s, and moved there by moveLegacyMailboxSecret().
 * Every value read or written is registered with the redactor before anything else happens with it (an access
 * token as an ephemeral secret: a new one comes with every refresh).
 * `onDidChange` tells own writes (this window) from outside ones (another window, Settings Sync).
 */
import * as vscode from 'vscode';
import type { Logger } from '../core/log';
import type { OrgSecrets } from '../core/profile';
import { registerSecret } from '../core/redact';
import { Disposable } from './lifecycle';
import {
  config,
  MAILBOX_SECRET_KEY,
  MAILBOX_SECRET_KEY_RE,
  mailboxSecretKey,
  PROFILE_SECRET_KINDS,
  profileSecretKey,
  SECTION,
  SettingKeys,
  type ProfileSecretKind,
} from './settings';

/** The mailbox of the old single-mailbox setup (mailboxesModel.ts DEFAULT_MAILBOX_ID; kept here for activation). */
const DEFAULT_MAILBOX = 'default';

export interface SecretChange {
  key: string;
  /** The profile id the key belongs to, or undefined for a mailbox secret. */
  profileId?: string;
  /** The mailbox id for a mailbox secret (`default` for the old single mailbox's key). */
  mailboxId?: string;
  kind?: ProfileSecretKind | 'mailbox';
  /** false when this window wrote it (the writer already knows). */
  external: boolean;
}

const KINDS = PROFILE_SECRET_KINDS;

function registerKind(key: string, v: string | undefined): void {
  registerSecret(v, key.endsWith('.accessToken') ? { ephemeral: true } : undefined);
}

export class SecretStore extends Disposable {
  private readonly emitter = this._register(new vscode.EventEmitter<SecretChange>());
  readonly onDidChange = this.emitter.event;
  /** Pending own writes per key (expiry times): their change events are ours, not another window's. */
  private readonly ownWrites = new Map<string, number[]>();

  constructor(
    private readonly storage: vscode.SecretStorage,
    private readonly log: Logger,
  ) {
    super();
    this._register(storage.onDidChange((e) => this.changed(e.key)));
  }

  private changed(key: string): void {
    if (!key.startsWith(`${SECTION}.`)) return;
    const now = Date.now();
    const pending = (this.ownWrites.get(key) ?? []).filter((t) => t > now);
    const external = pending.length === 0;
    if (!external) pending.shift();
    if (pending.length) this.ownWrites.set(key, pending);
    else this.ownWrites.delete(key);
    let change: SecretChange;
    const mailboxId = key === MAILBOX_SECRET_KEY ? DEFAULT_MAILBOX : MAILBOX_SECRET_KEY_RE.exec(key)?.[1];
    if (mailboxId) change = { key, kind: 'mailbox', mailboxId, external };
    else {
      const rest = key.slice(SECTION.length + 1);
      const dot = rest.lastIndexOf('.');
      change = { key, profileId: rest.slice(0, dot), kind: rest.slice(dot + 1) as ProfileSecretKind, external };
    }
    if (external)
      this.log.info(
        `secret ${change.kind ?? '?'} of ${change.profileId ?? `the mailbox ${change.mailboxId ?? '?'}`} changed outside this window`,
      );
    this.emitter.fire(change);
  }

  private async write(key: string, value: string | undefined): Promise<void> {
    const before = await this.storage.get(key);
    if ((before ?? undefined) === (value || undefined)) return; // no change, no event
    registerKind(key, value);
    const mark = Date.now() + 10_000;
    this.ownWrites.set(key, [...(this.ownWrites.get(key) ?? []), mark]);
    try {
      if (value) await this.storage.store(key, value);
      else await this.storage.delete(key);
    } catch (err) {
      const rest = (this.ownWrites.get(key) ?? []).filter((t) => t !== mark);
      if (rest.length) this.ownWrites.set(key, rest);
      else this.ownWrites.delete(key);
      throw err;
    }
  }

  private async read(key: string): Promise<string | undefined> {
    const v = (await this.storage.get(key)) || undefined;
    registerKind(key, v);
    return v;
  }

  async getOrgSecrets(profileId: string): Promise<OrgSecrets> {
    const [password, token, clientSecret, refreshToken, accessToken] = await Promise.all(
      KINDS.map((k) => this.read(profileSecretKey(profileId, k))),
    );
    const out: OrgSecrets = {};
    if (password) out.password = password;
    if (token) out.token = token;
    if (clientSecret) out.clientSecret = clientSecret;
    if (refreshToken) out.refreshToken = refreshToken;
    if (accessToken) out.accessToken = accessToken;
    if (password && token) registerSecret(password + token);
    return out;
  }

  async getSecret(profileId: string, kind: ProfileSecretKind): Promise<string | undefined> {
    return this.read(profileSecretKey(profileId, kind));
  }

  async setSecret(profileId: string, kind: ProfileSecretKind, value: string | undefined): Promise<void> {
    await this.write(profileSecretKey(profileId, kind), value);
    this.log.info(`${value ? 'stored' : 'deleted'} ${kind} of ${profileId}`);
  }

  /** Stores the given secrets (keys left undefined stay as they are; '' deletes). */
  async setOrgSecrets(profileId: string, secrets: Partial<Record<ProfileSecretKind, string>>): Promise<void> {
    for (const k of KINDS) {
      const v = secrets[k];
      if (v !== undefined) await this.setSecret(profileId, k, v);
    }
  }

  /** Forgets an OAuth sign-in's tokens (Sign Out). */
  async forgetOAuthTokens(profileId: string): Promise<void> {
    await this.write(profileSecretKey(profileId, 'refreshToken'), undefined);
    await this.write(profileSecretKey(profileId, 'accessToken'), undefined);
    this.log.info(`forgot the OAuth tokens of ${profileId}`);
  }

  /** Forgets every secret of a profile (Remove Org). */
  async forgetProfile(profileId: string): Promise<void> {
    for (const k of KINDS) await this.write(profileSecretKey(profileId, k), undefined);
    this.log.info(`forgot the secrets of ${profileId}`);
  }

  /** The secret of a mailbox; for `default` the old single mailbox's key still counts while the new one is absent. */
  async getMailboxSecret(mailboxId: string = DEFAULT_MAILBOX): Promise<string | undefined> {
    const v = await this.read(mailboxSecretKey(mailboxId));
    if (v || mailboxId !== DEFAULT_MAILBOX) return v;
    return this.read(MAILBOX_SECRET_KEY);
  }

  /** Stores (or with undefined deletes) a mailbox's secret; for `default` the old key goes too. */
  async setMailboxSecret(value: string | undefined, mailboxId: string = DEFAULT_MAILBOX): Promise<void> {
    await this.write(mailboxSecretKey(mailboxId), value);
    if (mailboxId === DEFAULT_MAILBOX) await this.write(MAILBOX_SECRET_KEY, undefined);
    this.log.info(`${value ? 'stored' : 'deleted'} the secret of the mailbox ${mailboxId}`);
  }

  /**
   * Moves the old single mailbox's secret to the mailbox `default` (once; SecretStorage is per machine, so every
   * machine moves its own). Never overwrites a secret already stored for `default`. True when it moved one.
   */
  async moveLegacyMailboxSecret(): Promise<boolean> {
    const old = await this.read(MAILBOX_SECRET_KEY);
    if (!old) return false;
    if (await this.read(mailboxSecretKey(DEFAULT_MAILBOX))) return false;
    await this.write(mailboxSecretKey(DEFAULT_MAILBOX), old);
    await this.write(MAILBOX_SECRET_KEY, undefined);
    this.log.info('moved the mailbox secret to the mailbox default');
    return true;
  }

  /** Registers every known secret with the redactor (called on activation): orgs' and every mailbox's. */
  async registerAll(profileIds: string[]): Promise<void> {
    const raw = config().inspect<unknown>(SettingKeys.mailboxes)?.globalValue;
    const ids = new Set<string>([DEFAULT_MAILBOX]);
    for (const r of Array.isArray(raw) ? raw : []) {
      const id = (r as { id?: unknown } | null)?.id;
      if (typeof id === 'string' && MAILBOX_SECRET_KEY_RE.test(mailboxSecretKey(id))) ids.add(id);
    }
    await Promise.all([
      ...profileIds.map((id) => this.getOrgSecrets(id)),
      ...[...ids].map((id) => this.getMailboxSecret(id)),
      this.read(MAILBOX_SECRET_KEY),
    ]);
  }
}
