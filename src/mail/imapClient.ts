/**
 * One place that builds an imapflow client from a MailboxConfig: TLS mode, verification (on unless the
 * explicit insecureTls opt-out), password or XOAUTH2 access token, proxy, timeouts, a low autoIdleDelay,
 * and imapflow's own log routed through our redacting Logger (at trace/debug, never raw protocol).
 */
import type { ImapFlow, ImapFlowOptions } from 'imapflow';
import { loadImapflow } from '../lazy';
import type { Logger } from '../core/log';
import { nullLogger } from '../core/log';
import { registerSecret, safeErrorMessage } from '../core/redact';
import { abortError as coreAbortError } from '../core/async';
import { lt } from '../core/l10n';
import { defaultSecurity } from './presets';
import type { ErrorContext } from './errors';
import { MailboxError, toMailboxError } from './errors';
import type { RecheckStep } from '../core/recheck';

export interface MailboxConfig {
  host: string;
  port?: number;
  security?: 'implicit' | 'starttls';
  user: string;
  password?: string;
  accessToken?: string;
  /**
   * Where the XOAUTH2 access token comes from when it can change (Microsoft 365 sign-in, the CLI's stored refresh
   * token): asked before every connection (`renew: false`: a cached token that is still fresh is fine), and once
   * with `renew: true` after the server refused one (./xoauth.ts withTokenRenewal). Wins over `accessToken`.
   */
  accessTokenSource?: AccessTokenSource;
  /** Skip TLS certificate verification (self-signed servers). Logged as a warning every time. */
  insecureTls?: boolean;
  /** `http://…` or `socks5://…` proxy URL. */
  proxy?: string;
  /** Extra folders to watch besides INBOX (polled; see watch.ts). */
  folders?: string[];
  /** Also watch the folder with the \Junk special-use flag (found by flag, not by name). */
  watchJunk?: boolean;
  afterSuccess?: 'leave' | 'seen' | 'delete';
  /** Connection, greeting and TLS-upgrade timeout (default 20 s). */
  timeoutMs?: number;
  /** Poll with NOOP instead of IDLE even when the server offers IDLE (tests, broken IDLE proxies). */
  forcePoll?: boolean;
  /** NOOP polling interval when the server lacks IDLE (default 1000 ms). */
  pollIntervalMs?: number;
  /**
   * The watcher's re-check schedule inside IDLE (src/core/recheck.ts; default DEFAULT_RECHECK; false: IDLE alone).
   * WatchOptions.recheck wins over it.
   */
  recheck?: readonly RecheckStep[] | false;
  /** Extra trusted CA certificates (PEM) besides Node's bundle and NODE_EXTRA_CA_CERTS. */
  ca?: string | string[];
}

/** Gives an XOAUTH2 access token (see MailboxConfig.accessTokenSource); rejects when none can be had. */
export type AccessTokenSource = (req: { renew: boolean; signal?: AbortSignal }) => Promise<string>;

export const DEFAULT_CONNECT_TIMEOUT_MS = 20_000;
/** Measured: with 150 ms, APPEND → exists is bounded by Dovecot's own ~0.5 s notify batching. */
export const AUTO_IDLE_DELAY_MS = 150;
/** Socket inactivity limit; IDLE is restarted well before it (maxIdleTime). */
export const SOCKET_TIMEOUT_MS = 5 * 60_000;
export const MAX_IDLE_TIME_MS = 4 * 60_000;

/**
 * What one server answer may make us buffer. imapflow's defaults (1 GB per line or literal, 2 GB per response,
 * a million parse tokens) let a hostile server fill the memory long before any deadline; a token mail needs far
 * less. A literal carries at most one message download (the watcher's maxMessageBytes, 2 MB by default, plus
 * slack for the framing); a line the longest answer without a literal we read: a SEARCH over a big folder
 * (a million UIDs of seven digits is 8 MB). Over a limit imapflow fails the connection (LiteralTooLarge,
 * LineTooLarge, ResponseTooLarge, TooManyTokens): the watcher reconnects, the overall deadline still holds.
 */
export const IMAP_LIMITS = {
  literalSlackBytes: 64 * 1024,
  lineBytes: 8 * 1024 * 1024,
  responseSlackBytes: 1024 * 1024,
  responseTokens: 200_000,
} as const;
const DEFAULT_LITERAL_BYTES = 2 * 1024 * 1024;

/** imapflow's size options for a client that downloads at most `maxMessageBytes` per message. */
export function imapSizeLimits(
  maxMessageBytes = DEFAULT_LITERAL_BYTES,
): Pick<ImapFlowOptions, 'maxLineLength' | 'maxLiteralSize' | 'maxResponseSize' | 'maxResponseTokens'> {
  const literal = Math.max(DEFAULT_LITERAL_BYTES, Math.floor(maxMessageBytes)) + IMAP_LIMITS.literalSlackBytes;
  return {
    maxLineLength: IMAP_LIMITS.lineBytes,
    maxLiteralSize: literal,
    maxResponseSize: Math.max(literal, IMAP_LIMITS.lineBytes) + IMAP_LIMITS.responseSlackBytes,
    maxResponseTokens: IMAP_LIMITS.responseTokens,
  };
}

export function resolvedEndpoint(cfg: MailboxConfig): {
  host: string;
  port: number;
  security: 'implicit' | 'starttls';
} {
  const security = cfg.security ?? defaultSecurity(cfg.port);
  const port = cfg.port ?? (security === 'implicit' ? 993 : 143);
  return { host: cfg.host.trim(), port, security };
}

export function errorContext(cfg: MailboxConfig): ErrorContext {
  const ep = resolvedEndpoint(cfg);
  return { ...ep, user: cfg.user, usedAccessToken: (!!cfg.accessToken || !!cfg.accessTokenSource) && !cfg.password };
}

/** Validates the config (throws MailboxError 'protocol' with a clear message). */
export function checkMailboxConfig(cfg: MailboxConfig): void {
  if (!cfg || typeof cfg.host !== 'string' || !cfg.host.trim())
    throw new MailboxError('protocol', lt`No IMAP host configured.`);
  if (!cfg.user) throw new MailboxError('protocol', lt`No IMAP user name configured.`);
  if (!cfg.password && !cfg.accessToken && !cfg.accessTokenSource)
    throw new MailboxError('auth', lt`No IMAP password or access token for ${cfg.user}.`);
  if (cfg.port !== undefined && !(Number.isInteger(cfg.port) && cfg.port > 0 && cfg.port < 65536)) {
    throw new MailboxError('protocol', lt`Invalid IMAP port ${String(cfg.port)}.`);
  }
  if (cfg.security && cfg.security !== 'implicit' && cfg.security !== 'starttls') {
    throw new MailboxError('protocol', lt`Invalid IMAP security "${String(cfg.security)}": use implicit or starttls.`);
  }
  if (cfg.proxy && !/^(https?|socks[45]?h?):\/\//i.test(cfg.proxy)) {
    throw new MailboxError(
      'protocol',
      lt`The IMAP proxy must be a URL with a scheme (http://host:port or socks5://host:port).`,
    );
  }
}

function imapflowLogger(log: Logger) {
  // imapflow logs objects; we keep only msg/err text, at debug/trace, redacted by Logger.
  const fmt = (o: unknown): string => {
    if (!o || typeof o !== 'object') return String(o);
    const r = o as { msg?: string; err?: { message?: string; code?: string } };
    const err = r.err ? ` (${r.err.code ?? ''} ${r.err.message ?? ''})` : '';
    return `${r.msg ?? ''}${err}`;
  };
  return {
    trace: () => {},
    debug: () => {},
    info: (o: unknown) => log.trace(`imapflow: ${fmt(o)}`),
    warn: (o: unknown) => log.debug(`imapflow: ${fmt(o)}`),
    error: (o: unknown) => log.debug(`imapflow: ${fmt(o)}`),
  };
}

/** `maxMessageBytes`: the largest download the caller asks for in one FETCH item (sizes imapSizeLimits). */
export function createImapClient(
  cfg: MailboxConfig,
  log: Logger = nullLogger,
  opts: { maxMessageBytes?: number } = {},
): ImapFlow {
  checkMailboxConfig(cfg);
  registerSecret(cfg.password);
  registerSecret(cfg.accessToken);
  if (cfg.proxy) {
    try {
      const pw = new URL(cfg.proxy).password;
      registerSecret(pw);
      registerSecret(decodeURIComponent(pw));
    } catch {
      /* checkMailboxConfig let it through; imapflow reports a bad URL */
    }
  }
  const { host, port, security } = resolvedEndpoint(cfg);
  if (cfg.insecureTls)
    log.warn(
      `TLS certificate verification is OFF for ${host}:${port} (insecureTls): only use this with your own self-signed server.`,
    );
  const timeout = cfg.timeoutMs && cfg.timeoutMs > 0 ? cfg.timeoutMs : DEFAULT_CONNECT_TIMEOUT_MS;
  const tlsOpts: NonNullable<ImapFlowOptions['tls']> = { rejectUnauthorized: !cfg.insecureTls, minVersion: 'TLSv1.2' };
  if (cfg.ca) tlsOpts.ca = cfg.ca;
  // With a token source the token is filled in by connectClient, just before the login (it may change between
  // connections); imapflow reads `options.auth` at login time.
  const auth: NonNullable<ImapFlowOptions['auth']> =
    cfg.accessTokenSource && !cfg.password
      ? { user: cfg.user, accessToken: cfg.accessToken ?? '' }
      : cfg.accessToken && !cfg.password
        ? { user: cfg.user, accessToken: cfg.accessToken }
        : { user: cfg.user, pass: cfg.password };
  const options: ImapFlowOptions = {
    host,
    port,
    secure: security === 'implicit',
    doSTARTTLS: security === 'starttls' ? true : undefined,
    auth,
    tls: tlsOpts,
    logger: imapflowLogger(log),
    autoIdleDelay: AUTO_IDLE_DELAY_MS,
    maxIdleTime: MAX_IDLE_TIME_MS,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: SOCKET_TIMEOUT_MS,
    disableAutoIdle: !!cfg.forcePoll,
    clientInfo: { name: 'token-relay-salesforce' },
    ...imapSizeLimits(opts.maxMessageBytes),
    ...(cfg.proxy ? { proxy: cfg.proxy } : {}),
  };
  const { ImapFlow: Ctor } = loadImapflow();
  const client = new Ctor(options);
  if (cfg.accessTokenSource && !cfg.password) sourcedAuth.set(client, auth);
  // imapflow emits 'error' only rarely (socket errors after connect); an unhandled 'error' would crash.
  client.on('error', (e: unknown) => log.debug(`connection error: ${(e as Error)?.message ?? String(e)}`));
  return client;
}

/** The auth object of clients whose access token comes from cfg.accessTokenSource (filled in by connectClient). */
const sourcedAuth = new WeakMap<ImapFlow, { accessToken?: string }>();

/** Asks the token source for the connection's access token; its failure is a MailboxError 'auth'. */
async function sourceToken(cfg: MailboxConfig, signal?: AbortSignal): Promise<string> {
  let token: string;
  try {
    token = await cfg.accessTokenSource!({ renew: false, signal });
  } catch (e) {
    if (signal?.aborted) throw abortError(signal);
    if (e instanceof MailboxError) throw e;
    throw new MailboxError('auth', safeErrorMessage(e), 'ACCESS_TOKEN_UNAVAILABLE');
  }
  if (!token) throw new MailboxError('auth', lt`No access token for ${cfg.user}.`, 'ACCESS_TOKEN_UNAVAILABLE');
  registerSecret(token);
  return token;
}

/**
 * Connects (rejecting with MailboxError), honouring an AbortSignal by closing the socket at once.
 */
export async function connectClient(client: ImapFlow, cfg: MailboxConfig, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw abortError(signal);
  const auth = sourcedAuth.get(client);
  if (auth && cfg.accessTokenSource) auth.accessToken = await sourceToken(cfg, signal);
  const onAbort = () => client.close();
  signal?.addEventListener('abort', onAbort, { once: true });
  // imapflow's timeouts cover the TCP connect and the greeting; a server that greets and then never answers
  // (STARTTLS, CAPABILITY, LOGIN) would only hit the 5-minute socket timeout. One deadline for the whole
  // connect + TLS + login, then.
  const limit = cfg.timeoutMs && cfg.timeoutMs > 0 ? cfg.timeoutMs : DEFAULT_CONNECT_TIMEOUT_MS;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    client.close();
  }, limit);
  try {
    await client.connect();
    if (timedOut) throw new Error('late');
  } catch (e) {
    if (signal?.aborted) throw abortError(signal);
    if (timedOut) {
      const ep = resolvedEndpoint(cfg);
      throw new MailboxError(
        'timeout',
        lt`${`${ep.host}:${ep.port}`} did not complete the IMAP login within ${Math.round(limit / 100) / 10} s (it stopped answering after the greeting). Check the port and security mode (${ep.security === 'implicit' ? 'implicit TLS' : 'STARTTLS'}), or a proxy/firewall in between.`,
        'LOGIN_TIMEOUT',
      );
    }
    throw proxyFailure(e, cfg) ?? toMailboxError(e, errorContext(cfg));
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** The proxy URL without credentials, path or query (for messages). */
export function proxyLabel(proxy: string): string {
  try {
    const u = new URL(proxy);
    return `${u.protocol}//${u.host}`;
  } catch {
    return 'the configured proxy';
  }
}

const PROXY_CODES = new Set(['ProxyError', 'EPROXY', 'UnsupportedProxyAddress']);

/**
 * A failure to set up the proxy tunnel (imapflow: "Failed to setup proxy connection", the cause in `_err`) named as
 * the proxy's failure, not the IMAP host's: undefined when `e` is not one.
 */
export function proxyFailure(e: unknown, cfg: MailboxConfig): MailboxError | undefined {
  if (!cfg.proxy || !e || typeof e !== 'object') return undefined;
  const outer = e as { message?: unknown; code?: unknown; _err?: unknown };
  const inner = (outer._err && typeof outer._err === 'object' ? outer._err : {}) as {
    message?: unknown;
    code?: unknown;
  };
  const isProxy =
    outer.message === 'Failed to setup proxy connection' ||
    (typeof outer.code === 'string' && PROXY_CODES.has(outer.code));
  if (!isProxy) return undefined;
  const code =
    (typeof inner.code === 'string' && inner.code) || (typeof outer.code === 'string' && outer.code) || 'ProxyError';
  const detail =
    typeof inner.message === 'string' && inner.message
      ? inner.message
      : typeof outer.message === 'string'
        ? outer.message
        : '';
  const proxy = proxyLabel(cfg.proxy);
  const ep = resolvedEndpoint(cfg);
  const status = /Invalid response from proxy: (\d{3})/.exec(detail)?.[1];
  let why: string;
  if (code === 'ECONNREFUSED') why = 'the connection to the proxy was refused (nothing listens there)';
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') why = 'the proxy host name cannot be resolved';
  else if (status === '407')
    why =
      'the proxy wants credentials (407 Proxy Authentication Required): put user:password in TOKEN_RELAY_IMAP_PROXY';
  else if (status) why = `the proxy refused the tunnel to ${ep.host}:${ep.port} (HTTP ${status})`;
  else if (/auth/i.test(detail)) why = `the proxy rejected its credentials (${safeErrorMessage(detail)})`;
  else why = safeErrorMessage(detail || code);
  return new MailboxError(
    'connect',
    lt`The IMAP proxy ${proxy} failed before reaching ${`${ep.host}:${ep.port}`}: ${why}. Check the proxy URL, that the proxy runs, and its credentials.`,
    code,
  );
}

/** Runs `fn` with a deadline (ms); on expiry closes the client and rejects with MailboxError 'timeout'. */
export async function withDeadline<T>(
  client: ImapFlow,
  cfg: MailboxConfig,
  what: string,
  ms: number,
  fn: () => Promise<T>,
): Promise<T> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    client.close();
  }, ms);
  try {
    return await fn();
  } catch (e) {
    if (timedOut) {
      const ep = resolvedEndpoint(cfg);
      throw new MailboxError(
        'timeout',
        lt`${`${ep.host}:${ep.port}`} did not answer ${what} within ${Math.round(ms / 100) / 10} s.`,
        'ETIMEOUT',
      );
    }
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** An AbortError (src/core/async.ts) whose message says whether the watch timed out or was cancelled. */
export function abortError(signal?: AbortSignal): Error {
  return coreAbortError(signal, { timeout: 'Timed out waiting for the token mail.', cancelled: 'Cancelled.' });
}
