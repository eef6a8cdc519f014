/**
 * XOAUTH2 with a token that can be renewed (Microsoft 365 / Outlook.com, issue 16 item 1): `withTokenRenewal` runs a
 * mailbox operation (Test Mailbox, the watcher, the reset flow) and, when the IMAP server refuses the access token
 * (AUTHENTICATE failed), asks the token source once for a new one (`renew: true`: the extension asks VS Code for a
 * new session, the CLI refreshes with its stored refresh token) and runs it again; a second refusal is reported in
 * words that say what to check. The token itself never reaches a message: MailboxError redacts, and every token the
 * source gives is registered with the redactor (imapClient.ts).
 */
import type { Logger } from '../core/log';
import { nullLogger } from '../core/log';
import { registerSecret, safeErrorMessage } from '../core/redact';
import { MailboxError, isMailboxError } from './errors';
import type { MailboxConfig } from './imapClient';
import { resolvedEndpoint } from './imapClient';

export interface TokenRenewalOptions {
  log?: Logger;
  signal?: AbortSignal;
  /** One sentence appended to the second refusal's message (what to check at this provider). */
  hint?: string;
}

/** True for the server's refusal of the credentials (not a connection or TLS failure). */
export function isAuthRefusal(e: unknown): boolean {
  return isMailboxError(e) && e.kind === 'auth' && e.code === 'AUTHENTICATIONFAILED';
}

/** What to check when Microsoft 365 / Outlook.com refuses a fresh token. */
export function microsoftRefusalHint(user: string): string {
  return `Check that you signed in as ${user} (the IMAP user must be the signed-in account), that the app registration has the delegated permission IMAP.AccessAsUser.All (with admin consent where your organization requires it), and that IMAP is enabled for the mailbox (Microsoft 365 admin center → Users → Mail → Manage email apps).`;
}

/**
 * Runs `run()`; when the config's token source gave a token the server refused, renews it once and runs again.
 * Without a token source this is `run()`.
 */
export async function withTokenRenewal<T>(
  cfg: MailboxConfig,
  run: () => Promise<T>,
  opts: TokenRenewalOptions = {},
): Promise<T> {
  const source = cfg.accessTokenSource;
  if (!source || cfg.password) return run();
  const log = opts.log ?? nullLogger;
  try {
    return await run();
  } catch (e) {
    if (!isAuthRefusal(e) || opts.signal?.aborted) throw e;
    log.warn(`the IMAP server refused the access token for ${cfg.user}; asking for a new one (once)`);
  }
  let fresh: string;
  try {
    fresh = await source({ renew: true, signal: opts.signal });
  } catch (e) {
    if (isMailboxError(e) || opts.signal?.aborted) throw e;
    throw new MailboxError(
      'auth',
      `The IMAP server refused the access token for ${cfg.user}, and no new one could be had: ${safeErrorMessage(e)}`,
      'ACCESS_TOKEN_UNAVAILABLE',
    );
  }
  registerSecret(fresh);
  try {
    return await run();
  } catch (e) {
    if (!isAuthRefusal(e)) throw e;
    const ep = resolvedEndpoint(cfg);
    throw new MailboxError(
      'auth',
      `${ep.host} refused the access token for ${cfg.user} again, after a new sign-in.${opts.hint ? ` ${opts.hint}` : ''}`,
      'AUTHENTICATIONFAILED',
    );
  }
}
