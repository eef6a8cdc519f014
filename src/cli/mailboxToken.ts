/**
 * The CLI's Microsoft 365 / Outlook.com mailbox sign-in kept in the credential store (src/credstore, entry kind
 * `microsoft`, one entry per authority+tenant + client id + IMAP user), and the XOAUTH2 token source `watch` and
 * `reset` use with `--imap-auth microsoft`: each connection gets an access token from the stored refresh token (under
 * the entry's lock across processes; a rotated refresh token replaces the old one atomically), cached in memory while
 * it is fresh; `renew` (after the IMAP server refused one) always asks the platform again.
 */
import type { CliIO } from './io';
import { CredentialStore, type CredentialKey } from '../credstore';
import { registerSecret, safeErrorMessage } from '../core/redact';
import type { Logger } from '../core/log';
import type { AccessTokenSource } from '../mail/imapClient';
import { MailboxError } from '../mail/errors';
import {
  DEFAULT_TENANT,
  MICROSOFT_CLI_SCOPES,
  type MicrosoftEndpoint,
  isMicrosoftIdentityError,
  refreshMicrosoftToken,
} from '../mail/xoauthMicrosoft';

/** Seconds before expiry when a cached access token is no longer used for a new connection. */
const EARLY_S = 120;

export interface MicrosoftMailbox extends MicrosoftEndpoint {
  /** The IMAP user = the signed-in account (user principal name). */
  user: string;
}

export function microsoftCredentialKey(m: MicrosoftMailbox): CredentialKey {
  return { provider: 'microsoft', loginUrl: `${m.authority}/${m.tenant}`, clientId: m.clientId, username: m.user };
}

/** The command that signs in again, for messages. */
export function loginCommand(m: MicrosoftMailbox): string {
  return `token-relay mailbox login --provider microsoft --client-id ${m.clientId}${m.tenant !== DEFAULT_TENANT ? ` --tenant ${m.tenant}` : ''} --imap-user ${m.user}`;
}

export function cliCredentialStore(io: CliIO): CredentialStore {
  return CredentialStore.fromEnv(io.env, {
    onWarning: (w) => io.stderr(`token-relay: warning: ${w}\n`),
  });
}

/** The token source of a stored Microsoft sign-in (see the file comment). */
export function microsoftTokenSource(
  store: CredentialStore,
  m: MicrosoftMailbox,
  opts: { log?: Logger; now?: () => number } = {},
): AccessTokenSource {
  const now = opts.now ?? Date.now;
  const key = microsoftCredentialKey(m);
  let cached: { token: string; expiresAt: number } | undefined;
  return async ({ renew, signal }) => {
    if (!renew && cached && cached.expiresAt - EARLY_S * 1000 > now()) return cached.token;
    return store.update(key, async (cur) => {
      if (!cur)
        throw new MailboxError(
          'auth',
          `No Microsoft sign-in is stored for ${m.user} (app ${m.clientId}, tenant ${m.tenant}). Sign in first: ${loginCommand(m)}`,
          'SIGNIN_REQUIRED',
        );
      let t;
      try {
        t = await refreshMicrosoftToken(m, cur.refreshToken, MICROSOFT_CLI_SCOPES, signal);
      } catch (e) {
        if (signal?.aborted) throw e;
        if (isMicrosoftIdentityError(e) && (e.code === 'invalid_grant' || e.code === 'interaction_required'))
          throw new MailboxError(
            'auth',
            `Microsoft refused the stored sign-in for ${m.user} (${e.message}): it expired, was revoked, or the password changed. Sign in again: ${loginCommand(m)}`,
            'SIGNIN_REQUIRED',
          );
        if (isMicrosoftIdentityError(e) && (e.code === 'unauthorized_client' || e.code === 'invalid_client'))
          throw new MailboxError(
            'auth',
            `Microsoft does not know the app ${m.clientId} in tenant ${m.tenant} (${e.message}). Check --imap-client-id and --imap-tenant.`,
            'APP_NOT_FOUND',
          );
        throw new MailboxError(
          'connect',
          `Could not get an access token for ${m.user} from Microsoft: ${safeErrorMessage(e)}`,
          isMicrosoftIdentityError(e) ? e.code : undefined,
        );
      }
      registerSecret(t.accessToken);
      cached = { token: t.accessToken, expiresAt: now() + t.expiresIn * 1000 };
      opts.log?.debug(`got a new Microsoft access token for ${m.user} (valid ${t.expiresIn} s)`);
      const rotated = t.refreshToken && t.refreshToken !== cur.refreshToken;
      return {
        next: rotated ? { ...cur, refreshToken: t.refreshToken!, ...(t.scope ? { scope: t.scope } : {}) } : undefined,
        result: t.accessToken,
      };
    });
  };
}
