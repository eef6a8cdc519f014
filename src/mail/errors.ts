/**
 * MailboxError: what went wrong talking to the mailbox, in words a user can act on. Never carries a secret:
 * every message passes through redact(), and we never copy server text that could echo credentials beyond
 * the short response text.
 */
import { redact, safeErrorMessage } from '../core/redact';

export type MailboxErrorKind =
  | 'auth'
  | 'app-password'
  | 'basic-auth-disabled'
  | 'tls'
  | 'connect'
  | 'timeout'
  | 'protocol';

export class MailboxError extends Error {
  override name = 'MailboxError';
  readonly kind: MailboxErrorKind;
  /** The underlying error code (Node's, imapflow's or the server's response code), when known. */
  readonly code: string | undefined;
  /** True for failures retrying cannot fix (credentials, TLS trust, wrong security mode). */
  readonly permanent: boolean;

  constructor(kind: MailboxErrorKind, message: string, code?: string) {
    super(redact(message));
    this.kind = kind;
    this.code = code;
    this.permanent = kind === 'auth' || kind === 'app-password' || kind === 'basic-auth-disabled' || kind === 'tls';
  }
}

/** A MailboxError, also one made by the other extension bundle (its class is another object there). */
export function isMailboxError(e: unknown): e is MailboxError {
  return e instanceof MailboxError || (e instanceof Error && e.name === 'MailboxError');
}

const GMAIL_HOSTS = /(^|\.)(gmail\.com|googlemail\.com|google\.com)$/i;
const MICROSOFT_HOSTS = /(^|\.)(office365\.com|outlook\.com|hotmail\.com|live\.com)$/i;

export function isGmailHost(host: string): boolean {
  return GMAIL_HOSTS.test(host.trim());
}
export function isMicrosoftHost(host: string): boolean {
  return MICROSOFT_HOSTS.test(host.trim());
}

const SELF_SIGNED_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
]);
const CERT_OTHER_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
]);
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'EPIPE',
  'EADDRNOTAVAIL',
  'NoConnection',
  'EConnectionClosed',
  'ClosedAfterConnectText',
  'ClosedAfterConnectTLS',
  'ProxyError',
  'EPROXY',
  'UnsupportedProxyAddress',
  'ERR_INVALID_URL',
]);
const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'ETIMEOUT',
  'CONNECT_TIMEOUT',
  'GREETING_TIMEOUT',
  'UPGRADE_TIMEOUT',
  'ESOCKETTIMEDOUT',
]);

interface ImapLikeError {
  message?: string;
  code?: string;
  authenticationFailed?: boolean;
  responseText?: string;
  serverResponseCode?: string;
  tlsFailed?: boolean;
  _err?: unknown;
}

export interface ErrorContext {
  host: string;
  port: number;
  security: 'implicit' | 'starttls';
  user?: string;
  usedAccessToken?: boolean;
}

function hostPort(ctx: ErrorContext): string {
  return `${ctx.host}:${ctx.port}`;
}

/** Turns anything imapflow / node threw into a MailboxError with advice. Already-MailboxErrors pass through. */
export function toMailboxError(err: unknown, ctx: ErrorContext): MailboxError {
  if (err instanceof MailboxError) return err;
  const e = (err && typeof err === 'object' ? err : {}) as ImapLikeError;
  const inner = (e._err && typeof e._err === 'object' ? e._err : {}) as ImapLikeError;
  const code = (typeof e.code === 'string' && e.code) || (typeof inner.code === 'string' && inner.code) || undefined;
  const response = typeof e.responseText === 'string' ? e.responseText : '';
  const text = `${e.message ?? ''} ${response} ${inner.message ?? ''}`;
  const where = hostPort(ctx);

  if (/basic authentication is disabled/i.test(text)) {
    return new MailboxError(
      'basic-auth-disabled',
      `${ctx.host} refused password login ("Basic authentication is disabled"). Microsoft 365 / Outlook.com mailboxes need an OAuth access token (XOAUTH2) instead of a password: in VS Code run Set Up Mailbox and choose "Sign in with Microsoft"; with the CLI run \`token-relay mailbox login --provider microsoft --client-id ID\`, then watch/reset with --imap-auth microsoft (or put a token you got elsewhere in TOKEN_RELAY_IMAP_ACCESS_TOKEN).`,
      code ?? 'BASIC_AUTH_DISABLED',
    );
  }
  if (
    e.authenticationFailed ||
    e.serverResponseCode === 'AUTHENTICATIONFAILED' ||
    /\bAUTHENTICATIONFAILED\b|authentication failed|invalid credentials|LOGIN failed/i.test(text)
  ) {
    const who = ctx.user ? ` for ${ctx.user}` : '';
    if (isGmailHost(ctx.host) && !ctx.usedAccessToken) {
      return new MailboxError(
        'app-password',
        `Gmail rejected the login${who}. Gmail does not accept your normal Google password over IMAP: use an app password (Google Account → Security → 2-Step Verification → App passwords), or an OAuth access token.`,
        'AUTHENTICATIONFAILED',
      );
    }
    if (ctx.usedAccessToken) {
      return new MailboxError(
        'auth',
        `${where} rejected the OAuth access token${who} (expired, or missing the IMAP scope). Get a fresh access token and try again.`,
        'AUTHENTICATIONFAILED',
      );
    }
    const hint = isMicrosoftHost(ctx.host)
      ? ' Microsoft 365 mailboxes usually need an OAuth access token instead of a password.'
      : ' Check the user name and password (many providers require an app password for IMAP).';
    return new MailboxError(
      'auth',
      `${where} rejected the login${who}: wrong user name or password.${hint}`,
      'AUTHENTICATIONFAILED',
    );
  }
  if (code && SELF_SIGNED_CODES.has(code)) {
    return new MailboxError(
      'tls',
      `The TLS certificate of ${where} is not trusted (${code}: self-signed or signed by an unknown authority). If this is your own server and you trust it, add its CA with NODE_EXTRA_CA_CERTS, or turn off verification with the insecureTls option (CLI: --insecure-tls); that is unsafe on untrusted networks.`,
      code,
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new MailboxError(
      'tls',
      `The TLS certificate of ${where} does not match the host name "${ctx.host}" (${code}). Use the server's real name as the IMAP host (the name on its certificate).`,
      code,
    );
  }
  if (code && CERT_OTHER_CODES.has(code)) {
    return new MailboxError(
      'tls',
      `The TLS certificate of ${where} was refused (${code}). Check the server's certificate, or the machine's clock.`,
      code,
    );
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'EPROTO' || /wrong version number/i.test(text)) {
    const other =
      ctx.security === 'implicit'
        ? 'STARTTLS (usually port 143; CLI: --imap-tls starttls)'
        : 'implicit TLS (usually port 993; CLI: --imap-tls implicit)';
    return new MailboxError(
      'tls',
      `TLS handshake with ${where} failed (${code ?? 'wrong version number'}): this port does not speak ${ctx.security === 'implicit' ? 'implicit TLS' : 'TLS after STARTTLS'}. Try ${other}, or check the port.`,
      code ?? 'ERR_SSL_WRONG_VERSION_NUMBER',
    );
  }
  if (e.tlsFailed || (code && /^ERR_SSL|^ERR_TLS|CERT/.test(code))) {
    return new MailboxError(
      'tls',
      `TLS with ${where} failed (${code ?? 'TLS error'}). Check the security mode (implicit TLS vs STARTTLS) and the certificate.`,
      code,
    );
  }
  if (code === 'GREETING_TIMEOUT') {
    const advice =
      ctx.security === 'starttls'
        ? ' If this port expects implicit TLS (993), use implicit TLS (CLI: --imap-tls implicit).'
        : '';
    return new MailboxError(
      'timeout',
      `${where} accepted the connection but sent no IMAP greeting in time.${advice}`,
      code,
    );
  }
  if (code && TIMEOUT_CODES.has(code)) {
    return new MailboxError(
      'timeout',
      `Timed out talking to ${where} (${code}). Check the host, port, firewall or proxy settings.`,
      code,
    );
  }
  if (code === 'ECONNREFUSED') {
    return new MailboxError(
      'connect',
      `Connection to ${where} was refused (ECONNREFUSED): nothing listens there. Check the host and port (IMAPS is usually 993, STARTTLS 143).`,
      code,
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new MailboxError(
      'connect',
      `Cannot resolve the IMAP host "${ctx.host}" (${code}). Check the host name and your network/DNS.`,
      code,
    );
  }
  if (code && CONNECT_CODES.has(code)) {
    return new MailboxError(
      'connect',
      `Lost or could not open the connection to ${where} (${code}). Check the network, proxy and server.`,
      code,
    );
  }
  const detail = safeErrorMessage(err);
  return new MailboxError(
    'protocol',
    `IMAP error from ${where}: ${detail}${response && !detail.includes(response) ? ` (${redact(response)})` : ''}`,
    code,
  );
}
