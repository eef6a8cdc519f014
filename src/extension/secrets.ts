/**
 * Secrets live only in `context.secrets` (SecretStorage), keyed per profile:
 * `tokenRelay.<profileId>.password|token|clientSecret|refreshToken|accessToken` (the last two: OAuth orgs), and `tokenRelay.mailbox.password` for the mailbox.
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
  MAILBOX_SECRET_KEY,
  PROFILE_SECRET_KINDS,
  profileSecretKey,
  SECTION,
  type ProfileSecretKind,
} from './settings';

export interface SecretChange {
  key: string;
  /** The profile id the key belongs to, or undefined for the mailbox secret. */
  profileId?: string;
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
    if (key === MAILBOX_SECRET_KEY) change = { key, kind: 'mailbox', external };
    else {
      const rest = key.slice(SECTION.length + 1);
      const dot = rest.lastIndexOf('.');
      change = { key, profileId: rest.slice(0, dot), kind: rest.slice(dot + 1) as ProfileSecretKind, external };
    }
    if (external)
      this.log.info(`secret ${change.kind ?? '?'} of ${change.profileId ?? 'the mailbox'} changed outside this window`);
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

  async getMailboxSecret(): Promise<string | undefined> {
    return this.read(MAILBOX_SECRET_KEY);
  }

  async setMailboxSecret(value: string | undefined): Promise<void> {
    await this.write(MAILBOX_SECRET_KEY, value);
    this.log.info(`${value ? 'stored' : 'deleted'} the mailbox secret`);
  }

  /** Registers every known secret with the redactor (called on activation). */
  async registerAll(profileIds: string[]): Promise<void> {
    await Promise.all([...profileIds.map((id) => this.getOrgSecrets(id)), this.getMailboxSecret()]);
  }
}
