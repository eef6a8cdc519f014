/**
 * "Sign in with Microsoft" for a Microsoft 365 / Outlook.com mailbox (issue 16 item 1): the IMAP access token comes
 * from VS Code's Microsoft authentication provider (`vscode.authentication.getSession('microsoft', scopes)`), which
 * keeps and refreshes the sign-in; nothing is stored by Token Relay. The scopes name the IMAP permission, a refresh
 * token (`offline_access`), and the user's own app registration and tenant in the provider's documented way
 * (`VSCODE_CLIENT_ID:<id>`, `VSCODE_TENANT:<tenant>`), from settings. The provider id is a setting too (default
 * `microsoft`), so the host tests can register a fake provider (the real Microsoft sign-in cannot run there).
 *
 * `microsoftTokenSource` is the mailbox config's `accessTokenSource` (src/mail/imapClient.ts): every connection asks
 * the provider (its cache answers at once), and after the IMAP server refused a token `renew` asks for a new session
 * (`forceNewSession`). The session must belong to the mailbox user: XOAUTH2 names the user, and a token of another
 * account is refused. Tokens are registered with the redactor as they arrive; none is logged.
 */
import * as vscode from 'vscode';
import { registerSecret } from '../core/redact';
import type { Logger } from '../core/log';
import type { AccessTokenSource } from '../mail/imapClient';
import { config, SettingKeys } from './settings';

export const MICROSOFT_IMAP_SCOPE = 'https://outlook.office.com/IMAP.AccessAsUser.All';
export const DEFAULT_MICROSOFT_PROVIDER = 'microsoft';
export const DEFAULT_MICROSOFT_TENANT = 'organizations';

export interface MicrosoftSignInSettings {
  providerId: string;
  clientId: string;
  tenant: string;
}

/** A client id the scope string can carry (Entra ID application ids are GUIDs). */
export function isClientId(v: string): boolean {
  return /^[A-Za-z0-9-]{8,64}$/.test(v.trim());
}
/** A tenant the scope string can carry: organizations, common, consumers, a GUID or a domain. */
export function isTenant(v: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9.-]{0,253}$/.test(v.trim());
}

export function microsoftSettings(): MicrosoftSignInSettings {
  const c = config();
  const providerId = (c.get<string>(SettingKeys.mailboxMicrosoftProvider) || '').trim() || DEFAULT_MICROSOFT_PROVIDER;
  const clientId = (c.get<string>(SettingKeys.mailboxMicrosoftClientId) || '').trim();
  const tenant = (c.get<string>(SettingKeys.mailboxMicrosoftTenant) || '').trim() || DEFAULT_MICROSOFT_TENANT;
  return { providerId, clientId, tenant };
}

/** The scopes asked of the provider: IMAP, offline_access, and the app registration + tenant when set. */
export function microsoftScopes(s: Pick<MicrosoftSignInSettings, 'clientId' | 'tenant'>): string[] {
  const out = [MICROSOFT_IMAP_SCOPE, 'offline_access'];
  if (s.clientId && isClientId(s.clientId)) out.push(`VSCODE_CLIENT_ID:${s.clientId.trim()}`);
  if (s.tenant && isTenant(s.tenant)) out.push(`VSCODE_TENANT:${s.tenant.trim()}`);
  return out;
}

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/** The provider's account named `user`, when the provider lists accounts (VS Code 1.94+). */
async function accountFor(
  providerId: string,
  user: string | undefined,
): Promise<vscode.AuthenticationSessionAccountInformation | undefined> {
  if (!user) return undefined;
  try {
    const accounts = await vscode.authentication.getAccounts(providerId);
    return accounts.find((a) => same(a.label, user));
  } catch {
    return undefined;
  }
}

export class MicrosoftSignInError extends Error {
  override name = 'MicrosoftSignInError';
}

/**
 * A session for the mailbox: silently when VS Code has one, else by asking the user to sign in (`interactive`).
 * `user`: the mailbox user, whose account is preferred. Undefined when not interactive and no session exists.
 */
export async function microsoftSession(
  s: MicrosoftSignInSettings,
  opts: { user?: string; interactive: boolean; renew?: boolean },
): Promise<vscode.AuthenticationSession | undefined> {
  const scopes = microsoftScopes(s);
  const account = await accountFor(s.providerId, opts.user);
  let session: vscode.AuthenticationSession | undefined;
  try {
    if (opts.renew) {
      session = await vscode.authentication.getSession(s.providerId, scopes, {
        forceNewSession: {
          detail: vscode.l10n.t(
            'The mail server refused the Microsoft sign-in of {0}. Sign in again to keep watching the mailbox.',
            opts.user ?? '',
          ),
        },
        ...(account ? { account } : {}),
      });
    } else if (opts.interactive) {
      session = await vscode.authentication.getSession(s.providerId, scopes, {
        createIfNone: true,
        ...(account ? { account } : {}),
      });
    } else {
      session = await vscode.authentication.getSession(s.providerId, scopes, {
        silent: true,
        ...(account ? { account } : {}),
      });
    }
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/cancel/i.test(msg)) throw new MicrosoftSignInError(vscode.l10n.t('The Microsoft sign-in was cancelled.'));
    if (/no authentication provider|not (found|registered)|Timed out waiting for authentication provider/i.test(msg))
      throw new MicrosoftSignInError(
        vscode.l10n.t(
          'VS Code has no authentication provider "{0}" for the Microsoft sign-in (setting tokenRelay.mailbox.microsoft.authProvider).',
          s.providerId,
        ),
      );
    throw new MicrosoftSignInError(vscode.l10n.t('The Microsoft sign-in failed: {0}', msg));
  }
  if (session) registerSecret(session.accessToken, { ephemeral: true });
  return session;
}

/** The mailbox config's token source for a mailbox that signs in with Microsoft (see the file comment). */
export function microsoftTokenSource(user: string, log?: Logger): AccessTokenSource {
  return async ({ renew }) => {
    const s = microsoftSettings();
    const session = await microsoftSession(s, { user, interactive: true, renew });
    if (!session) throw new MicrosoftSignInError(vscode.l10n.t('No Microsoft sign-in for {0}.', user));
    if (!same(session.account.label, user)) {
      throw new MicrosoftSignInError(
        vscode.l10n.t(
          'You are signed in to Microsoft as {0}, but the mailbox user is {1}: the mail server accepts only the token of {1}. Run Set Up Mailbox again, or sign in as {1}.',
          session.account.label,
          user,
        ),
      );
    }
    log?.debug(`${renew ? 'new' : 'current'} Microsoft session for ${user} (provider ${s.providerId})`);
    return session.accessToken;
  };
}
