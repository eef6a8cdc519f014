/**
 * The mailbox the reset flow watches: non-secret fields in `tokenRelay.mailbox.*`, the password / app password
 * in SecretStorage (`tokenRelay.mailbox.password`).
 */
import * as vscode from 'vscode';
import { MAIL_PRESETS, type MailboxConfig, type MailPresetId } from '../mail';
import { config, proxySettings, SettingKeys } from './settings';
import type { SecretStore } from './secrets';
import { microsoftTokenSource } from './microsoftAuth';

export interface MailboxSettings {
  preset: MailPresetId;
  host: string;
  port: number;
  security: 'implicit' | 'starttls';
  user: string;
  insecureTls: boolean;
  folders: string[];
  afterSuccess: 'leave' | 'seen' | 'delete';
  /** 'microsoft': XOAUTH2 with VS Code's Microsoft sign-in (./microsoftAuth.ts), no password. */
  auth: 'password' | 'microsoft';
}

export function mailboxSettings(): MailboxSettings {
  const c = config();
  const preset = (c.get<string>(SettingKeys.mailboxPreset) || 'custom') as MailPresetId;
  const p = MAIL_PRESETS[preset] ?? MAIL_PRESETS.custom;
  const host = (c.get<string>(SettingKeys.mailboxHost) || p.host || '').trim();
  const security = (c.get<string>(SettingKeys.mailboxSecurity) || p.security) === 'starttls' ? 'starttls' : 'implicit';
  const port = Number(c.get<number>(SettingKeys.mailboxPort) || 0) || (security === 'starttls' ? 143 : p.port || 993);
  const folders = (c.get<string[]>(SettingKeys.mailboxFolders) ?? []).filter((f) => typeof f === 'string' && f.trim());
  const after = c.get<string>(SettingKeys.mailboxAfterSuccess);
  return {
    preset: MAIL_PRESETS[preset] ? preset : 'custom',
    host,
    port,
    security,
    user: (c.get<string>(SettingKeys.mailboxUser) || '').trim(),
    insecureTls: c.get<boolean>(SettingKeys.mailboxInsecureTls, false) === true,
    folders,
    afterSuccess: after === 'seen' || after === 'delete' ? after : 'leave',
    auth: c.get<string>(SettingKeys.mailboxAuth) === 'microsoft' ? 'microsoft' : 'password',
  };
}

export type MailboxLookup = { ok: true; config: MailboxConfig } | { ok: false; missing: string };

/** The full mailbox config, or what is missing (host, user or secret). */
export async function mailboxConfig(secrets: SecretStore): Promise<MailboxLookup> {
  const s = mailboxSettings();
  if (!s.host) return { ok: false, missing: vscode.l10n.t('no IMAP server is set') };
  if (!s.user) return { ok: false, missing: vscode.l10n.t('no mailbox user is set') };
  if (s.auth === 'microsoft') {
    const proxyUrl = proxySettings().url;
    return {
      ok: true,
      config: {
        host: s.host,
        port: s.port,
        security: s.security,
        user: s.user,
        accessTokenSource: microsoftTokenSource(s.user),
        insecureTls: s.insecureTls,
        afterSuccess: s.afterSuccess,
        ...(s.folders.length ? { folders: s.folders } : {}),
        ...(proxyUrl ? { proxy: proxyUrl } : {}),
      },
    };
  }
  const password = await secrets.getMailboxSecret();
  if (!password) return { ok: false, missing: vscode.l10n.t('no mailbox password is stored') };
  const proxy = proxySettings().url;
  const cfg: MailboxConfig = {
    host: s.host,
    port: s.port,
    security: s.security,
    user: s.user,
    password,
    insecureTls: s.insecureTls,
    afterSuccess: s.afterSuccess,
    ...(s.folders.length ? { folders: s.folders } : {}),
    ...(proxy ? { proxy } : {}),
  };
  return { ok: true, config: cfg };
}
