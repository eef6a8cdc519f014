/** Salesforce: Set Up Mailbox — provider preset, host/port/TLS, user, secret (SecretStorage), then a test. */
import * as vscode from 'vscode';
import { MAIL_PRESETS, MAIL_PRESET_IDS, type MailPresetId } from '../../mail';
import { registerSecret } from '../../core/redact';
import { mailboxSettings } from '../mailbox';
import type { Services } from '../services';
import { CommandIds, config, SettingKeys } from '../settings';
import { reportError } from './common';
import { askMailboxAuth, offersMicrosoftSignIn, setUpMicrosoftMailbox } from '../microsoftMailboxSetup';

const PRESET_LABELS: Record<MailPresetId, string> = {
  gmail: 'Gmail / Google Workspace',
  outlook: 'Outlook.com / Microsoft 365',
  icloud: 'iCloud Mail',
  yahoo: 'Yahoo Mail',
  fastmail: 'Fastmail',
  custom: 'Other IMAP server…',
};

export interface MailboxArgs {
  preset?: MailPresetId;
  host?: string;
  port?: number;
  security?: 'implicit' | 'starttls';
  user: string;
  password?: string;
  allowInsecureTls?: boolean;
  /** 'microsoft': sign in with Microsoft (XOAUTH2; no password); with optional clientId / tenant. */
  auth?: 'password' | 'microsoft';
  clientId?: string;
  tenant?: string;
}

export async function setUpMailbox(s: Services, arg?: unknown): Promise<boolean> {
  try {
    const cur = mailboxSettings();
    let a: MailboxArgs;
    if (arg && typeof arg === 'object' && (arg as MailboxArgs).auth === 'microsoft') {
      const m = arg as MailboxArgs;
      return await setUpMicrosoftMailbox(s, { ...m, user: m.user || undefined }, false);
    }
    if (arg && typeof arg === 'object' && typeof (arg as MailboxArgs).user === 'string') {
      a = arg as MailboxArgs;
    } else {
      const pick = await s.ui.pick(
        MAIL_PRESET_IDS.map((id) => ({
          label: vscode.l10n.t(PRESET_LABELS[id]),
          description: MAIL_PRESETS[id].host,
          detail: MAIL_PRESETS[id].notes,
          id,
          picked: id === cur.preset,
        })),
        {
          title: vscode.l10n.t('Set Up Mailbox (1/3): provider'),
          placeHolder: vscode.l10n.t('Where does the Salesforce token mail arrive?'),
        },
      );
      if (!pick) return false;
      const preset = MAIL_PRESETS[pick.id];
      a = { preset: pick.id, user: '' };
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
        if (!host) return false;
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
        if (!tls) return false;
        const port = await s.ui.input({
          title: vscode.l10n.t('Set Up Mailbox: port'),
          value: String(tls.value === 'starttls' ? 143 : 993),
          validateInput: (v) =>
            /^\d+$/.test(v.trim()) && Number(v) > 0 && Number(v) < 65536
              ? undefined
              : vscode.l10n.t('Enter a port number (1–65535).'),
        });
        if (!port) return false;
        a = { ...a, host: host.trim(), security: tls.value, port: Number(port) };
      }
      if (offersMicrosoftSignIn(pick.id, a.host)) {
        const auth = await askMailboxAuth(s, pick.id);
        if (!auth) return false;
        if (auth === 'microsoft') {
          const done = await setUpMicrosoftMailbox(s, a, true);
          if (done) await vscode.commands.executeCommand(CommandIds.testMailbox);
          return done;
        }
      }
      const user = await s.ui.input({
        title: vscode.l10n.t('Set Up Mailbox (2/3): user'),
        prompt: vscode.l10n.t('The mailbox login, usually your email address.'),
        value: cur.user,
        validateInput: (v) => (v.trim() ? undefined : vscode.l10n.t('Enter the mailbox user.')),
      });
      if (!user) return false;
      const password = await s.ui.input({
        title: vscode.l10n.t('Set Up Mailbox (3/3): password'),
        prompt: `${vscode.l10n.t('Kept in SecretStorage.')} ${preset.notes}`,
        password: true,
        validateInput: (v) => (v ? undefined : vscode.l10n.t('Enter the password or app password.')),
      });
      if (!password) return false;
      a = { ...a, user: user.trim(), password };
    }
    registerSecret(a.password);
    const c = config();
    const g = vscode.ConfigurationTarget.Global;
    const preset = a.preset ?? 'custom';
    await c.update(SettingKeys.mailboxPreset, preset, g);
    await c.update(SettingKeys.mailboxHost, preset === 'custom' ? a.host : undefined, g);
    await c.update(SettingKeys.mailboxPort, preset === 'custom' ? a.port : undefined, g);
    await c.update(SettingKeys.mailboxSecurity, preset === 'custom' ? a.security : undefined, g);
    await c.update(SettingKeys.mailboxUser, a.user, g);
    await c.update(SettingKeys.mailboxAuth, undefined, g);
    if (a.allowInsecureTls !== undefined)
      await c.update(SettingKeys.mailboxInsecureTls, a.allowInsecureTls || undefined, g);
    if (a.password) await s.secrets.setMailboxSecret(a.password);
    s.logger.info(`mailbox set up: ${a.user} at ${mailboxSettings().host}:${mailboxSettings().port}`);
    if (!arg) await vscode.commands.executeCommand(CommandIds.testMailbox);
    return true;
  } catch (err) {
    await reportError(s, vscode.l10n.t('Could not set up the mailbox'), err);
    return false;
  }
}
