/**
 * Set Up Mailbox's "Sign in with Microsoft" branch (issue 16 item 1), kept apart from commands/setUpMailbox.ts:
 * the question "Password or app password" vs "Sign in with Microsoft" (Microsoft 365 / Outlook.com and custom
 * servers), the app registration's client id and the tenant, a VS Code Microsoft sign-in whose account becomes the
 * mailbox user, and the settings. No password is kept for such a mailbox (a stored one is forgotten).
 */
import * as vscode from 'vscode';
import type { MailPresetId } from '../mail/presets';
import { isMicrosoftHost } from '../mail/errors';
import { DEFAULT_MICROSOFT_TENANT, isClientId, isTenant, microsoftSession, microsoftSettings } from './microsoftAuth';
import type { Services } from './services';
import { config, SettingKeys } from './settings';

export type MailboxAuthKind = 'password' | 'microsoft';

/**
 * Whether Set Up Mailbox asks "Password or app password" vs "Sign in with Microsoft": always for the Outlook.com /
 * Microsoft 365 preset; for a custom server when its host is Microsoft's, or when a Microsoft app registration is
 * already configured (tokenRelay.mailbox.microsoft.clientId: e.g. an Exchange server taking Entra ID tokens).
 * Other presets take passwords only.
 */
export function offersMicrosoftSignIn(preset: MailPresetId, host?: string): boolean {
  if (preset === 'outlook') return true;
  if (preset !== 'custom') return false;
  return (!!host && isMicrosoftHost(host)) || !!microsoftSettings().clientId;
}

/** Asks how the mailbox signs in; undefined when cancelled. */
export async function askMailboxAuth(s: Services, preset: MailPresetId): Promise<MailboxAuthKind | undefined> {
  const pick = await s.ui.pick(
    [
      {
        label: vscode.l10n.t('Sign in with Microsoft'),
        description: vscode.l10n.t('Microsoft 365, Outlook.com (OAuth; no password kept)'),
        detail: vscode.l10n.t(
          'Uses VS Code\'s Microsoft sign-in with your organization\'s app registration (IMAP.AccessAsUser.All). Needed where the server says "Basic authentication is disabled".',
        ),
        value: 'microsoft' as const,
        picked: preset === 'outlook',
      },
      {
        label: vscode.l10n.t('Password or app password'),
        description: vscode.l10n.t('kept in SecretStorage'),
        value: 'password' as const,
      },
    ],
    { title: vscode.l10n.t('Set Up Mailbox: how does the mailbox sign in?') },
  );
  return pick?.value;
}

export interface MicrosoftMailboxArgs {
  preset?: MailPresetId;
  host?: string;
  port?: number;
  security?: 'implicit' | 'starttls';
  /** The mailbox address; default: the account signed in. */
  user?: string;
  clientId?: string;
  tenant?: string;
}

/**
 * Sets up a mailbox that signs in with Microsoft. `interactive`: ask for what `a` lacks (client id, tenant) and run
 * Test Mailbox at the end. Resolves false when cancelled; throws on a failed sign-in (the caller reports it).
 */
export async function setUpMicrosoftMailbox(
  s: Services,
  a: MicrosoftMailboxArgs,
  interactive: boolean,
): Promise<boolean> {
  const cur = microsoftSettings();
  let clientId = a.clientId?.trim() ?? '';
  if (!clientId && interactive) {
    clientId =
      (
        await s.ui.input({
          title: vscode.l10n.t('Set Up Mailbox: Microsoft app registration'),
          prompt: vscode.l10n.t(
            'The Application (client) id of your app registration in Microsoft Entra ID (with the IMAP.AccessAsUser.All permission). See the README for the steps.',
          ),
          value: cur.clientId,
          placeHolder: '00000000-0000-0000-0000-000000000000',
          validateInput: (v) =>
            isClientId(v) ? undefined : vscode.l10n.t('Enter the Application (client) id, a GUID.'),
        })
      )?.trim() ?? '';
    if (!clientId) return false;
  }
  clientId ||= cur.clientId;
  if (!isClientId(clientId))
    throw new Error(vscode.l10n.t('No Microsoft app registration (client id) is set for the mailbox sign-in.'));
  let tenant = a.tenant?.trim() ?? '';
  if (!tenant && interactive) {
    tenant =
      (
        await s.ui.input({
          title: vscode.l10n.t('Set Up Mailbox: Microsoft tenant'),
          prompt: vscode.l10n.t(
            'organizations (work or school accounts), consumers (Outlook.com), common (both), or your tenant id or domain.',
          ),
          value: cur.tenant || DEFAULT_MICROSOFT_TENANT,
          validateInput: (v) =>
            isTenant(v) ? undefined : vscode.l10n.t('Enter organizations, consumers, common, a tenant id or a domain.'),
        })
      )?.trim() ?? '';
    if (!tenant) return false;
  }
  tenant ||= cur.tenant || DEFAULT_MICROSOFT_TENANT;
  if (!isTenant(tenant)) throw new Error(vscode.l10n.t('"{0}" is not a Microsoft tenant.', tenant));

  const c = config();
  const g = vscode.ConfigurationTarget.Global;
  await c.update(SettingKeys.mailboxMicrosoftClientId, clientId, g);
  await c.update(SettingKeys.mailboxMicrosoftTenant, tenant === DEFAULT_MICROSOFT_TENANT ? undefined : tenant, g);

  const session = await microsoftSession(
    { ...cur, clientId, tenant },
    { interactive: true, ...(a.user?.trim() ? { user: a.user.trim() } : {}) },
  );
  if (!session) return false;
  const account = session.account.label.trim();
  const user = a.user?.trim() || account;
  if (user.toLowerCase() !== account.toLowerCase()) {
    throw new Error(
      vscode.l10n.t(
        'You signed in to Microsoft as {0}, but the mailbox user is {1}: sign in as {1} (Accounts menu → sign out of {0}), then run Set Up Mailbox again.',
        account,
        user,
      ),
    );
  }

  const preset = a.preset ?? 'outlook';
  await c.update(SettingKeys.mailboxPreset, preset, g);
  await c.update(SettingKeys.mailboxHost, preset === 'custom' ? a.host : undefined, g);
  await c.update(SettingKeys.mailboxPort, preset === 'custom' ? a.port : undefined, g);
  await c.update(SettingKeys.mailboxSecurity, preset === 'custom' ? a.security : undefined, g);
  await c.update(SettingKeys.mailboxUser, user, g);
  await c.update(SettingKeys.mailboxAuth, 'microsoft', g);
  // Nothing to keep: VS Code holds the Microsoft sign-in. An earlier password would only linger.
  await s.secrets.setMailboxSecret(undefined);
  s.logger.info(`mailbox set up: ${user} signs in with Microsoft (provider ${cur.providerId}, tenant ${tenant})`);
  return true;
}
