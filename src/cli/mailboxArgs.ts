/**
 * The IMAP flags and helpers shared by `token-relay watch` and `token-relay reset`: the flag lists and their
 * help text, the env file over the environment, the mailbox config from flags, --timeout, the stderr logger,
 * the verification-code line and the mapping of watcher failures to exit codes.
 */
import path from 'node:path';
import type { CliIO, ParsedArgs } from './io';
import { EXIT, UsageError, err, flagString } from './io';
import { readEnvFile } from '../envfile';
import type { Logger } from '../core/log';
import { createLogger } from '../core/log';
import { registerSecret, safeErrorMessage } from '../core/redact';
import type { MailVerdict } from '../core/tokenMail';
import type { MailboxConfig } from '../mail';
import { MailboxError, defaultPort, isAbortError } from '../mail';
import type { AccessTokenSource } from '../mail/imapClient';
import { microsoftRefusalHint } from '../mail/xoauth';
import { DEFAULT_TENANT, MICROSOFT_IMAP_HOST, authorityFrom, checkTenant } from '../mail/xoauthMicrosoft';
import { cliCredentialStore, microsoftTokenSource } from './mailboxToken';

export const IMAP_VALUE_FLAGS = [
  'dotenv',
  'imap-host',
  'imap-port',
  'imap-user',
  'imap-tls',
  'imap-folder',
  'username',
  'since',
  'timeout',
  'after-success',
  'imap-proxy',
  'authserv-id',
  'forwarded-from',
  'imap-auth',
  'imap-client-id',
  'imap-tenant',
];
export const IMAP_BOOLEAN_FLAGS = ['insecure-tls', 'watch-junk', 'require-dkim', 'trust-forwarded', 'verbose'];

export const IMAP_FLAGS_HELP = `IMAP options:
  --imap-host H          IMAP server (required), e.g. imap.gmail.com
  --imap-user U          IMAP login (required)
  --imap-port P          default 993 with implicit TLS, 143 with STARTTLS
  --imap-tls MODE        implicit | starttls (default: implicit on port 993, else starttls)
  --insecure-tls         do not verify the server certificate (self-signed servers; unsafe elsewhere).
                         Better: NODE_EXTRA_CA_CERTS=/path/to/ca.pem
  --imap-folder F        also watch folder F (polled every 3 s)
  --watch-junk           also watch the junk folder (the one flagged \\Junk)
  --imap-proxy URL       http://… or socks5://… proxy for the IMAP connection. With credentials
                         (http://user:pass@host:port), set TOKEN_RELAY_IMAP_PROXY in the env file or
                         the environment instead: arguments are visible to other processes (ps)
  --after-success A      leave (default) | seen | delete the token mail
  --require-dkim         trust only mails whose receiving server's Authentication-Results
                         header says dkim=pass header.d=salesforce.com
  --authserv-id ID       the receiving server's authserv-id (the first word of its
                         Authentication-Results header, e.g. mx.google.com); comma-separated
                         for several. Default: the IMAP host's registrable domain and its
                         subdomains (imap.example.org: example.org, mx.example.org …)
  --trust-forwarded      forwarded copies of the token mail are refused; this alone trusts none
                         either: name your own forwarding address with --forwarded-from
  --forwarded-from ADDR  trust forwards of the token mail sent by ADDR (your own address; implies
                         --trust-forwarded; with --require-dkim it needs a DKIM pass for ADDR's domain)
  --verbose              log the watcher's steps on stderr
  --imap-auth A          password (default) | microsoft: XOAUTH2 with the Microsoft 365 / Outlook.com
                         sign-in kept by \`token-relay mailbox login\` (--imap-host defaults to
                         outlook.office365.com); a fresh access token each run, renewed once if refused
  --imap-client-id ID    with --imap-auth microsoft: the app registration's client id
                         (or TOKEN_RELAY_IMAP_CLIENT_ID)
  --imap-tenant T        with --imap-auth microsoft: the tenant of the sign-in (default organizations;
                         or TOKEN_RELAY_IMAP_TENANT)
The IMAP secret comes from TOKEN_RELAY_IMAP_PASSWORD (password or app password) or
TOKEN_RELAY_IMAP_ACCESS_TOKEN (OAuth access token, XOAUTH2), in the env file or the environment,
else a prompt on the terminal (with --imap-auth microsoft: from the stored sign-in). It is never taken
as an argument.
`;

/** Values of the env file (if given) over the process environment (CONTRACTS: the env file wins). */
export async function loadEnvVars(
  io: CliIO,
  dotenv: string | undefined,
): Promise<{ vars: Record<string, string | undefined>; dotenvPath?: string }> {
  if (dotenv === undefined) return { vars: { ...io.env } };
  if (!dotenv.trim()) throw new UsageError('--dotenv needs a path');
  const file = path.resolve(io.cwd, dotenv);
  let read: Awaited<ReturnType<typeof readEnvFile>>;
  try {
    read = await readEnvFile(file);
  } catch (e) {
    throw new UsageError(`cannot read ${dotenv}: ${safeErrorMessage(e)}`);
  }
  return { vars: { ...io.env, ...(read?.vars ?? {}) }, dotenvPath: file };
}

function parsePort(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[0-9]{1,5}$/.test(v) || Number(v) < 1 || Number(v) > 65535)
    throw new UsageError(`--imap-port needs a port number 1-65535 (got "${v}")`);
  return Number(v);
}

/** Builds the MailboxConfig from flags + env; asks for the secret when none is configured. */
export async function mailboxFromFlags(
  args: ParsedArgs,
  vars: Record<string, string | undefined>,
  io: CliIO,
): Promise<MailboxConfig> {
  const imapAuth = flagString(args, 'imap-auth');
  if (imapAuth !== undefined && imapAuth !== 'password' && imapAuth !== 'microsoft')
    throw new UsageError('--imap-auth is password or microsoft');
  const microsoft = imapAuth === 'microsoft';
  if (!microsoft && (flagString(args, 'imap-client-id') ?? flagString(args, 'imap-tenant')) !== undefined)
    throw new UsageError('--imap-client-id and --imap-tenant go with --imap-auth microsoft');
  const host = flagString(args, 'imap-host')?.trim() || (microsoft ? MICROSOFT_IMAP_HOST : undefined);
  const user = flagString(args, 'imap-user')?.trim();
  if (!host) throw new UsageError('--imap-host is required');
  if (!user) throw new UsageError('--imap-user is required');
  const tls = flagString(args, 'imap-tls');
  if (tls !== undefined && tls !== 'implicit' && tls !== 'starttls')
    throw new UsageError('--imap-tls is implicit or starttls');
  let port = parsePort(flagString(args, 'imap-port'));
  const security: 'implicit' | 'starttls' = tls ?? (port === undefined || port === 993 ? 'implicit' : 'starttls');
  port ??= defaultPort(security);
  const after = flagString(args, 'after-success');
  if (after !== undefined && !['leave', 'seen', 'delete'].includes(after))
    throw new UsageError('--after-success is leave, seen or delete');
  const proxy = imapProxyFrom(args, vars, io);
  const common = {
    host,
    port,
    security,
    user,
    insecureTls: args.flags.has('insecure-tls'),
    ...(flagString(args, 'imap-folder') ? { folders: [flagString(args, 'imap-folder')!] } : {}),
    watchJunk: args.flags.has('watch-junk'),
    afterSuccess: (after as MailboxConfig['afterSuccess']) ?? 'leave',
    ...(proxy ? { proxy } : {}),
  };
  if (microsoft) return { ...common, accessTokenSource: microsoftSourceFromFlags(args, vars, io, user) };

  let password = vars.TOKEN_RELAY_IMAP_PASSWORD || undefined;
  const accessToken = vars.TOKEN_RELAY_IMAP_ACCESS_TOKEN || undefined;
  if (!password && !accessToken) {
    const answer = io.promptSecret ? await io.promptSecret(`IMAP password for ${user}@${host}: `) : undefined;
    if (!answer) {
      throw new UsageError(
        'no IMAP secret: set TOKEN_RELAY_IMAP_PASSWORD (or TOKEN_RELAY_IMAP_ACCESS_TOKEN for OAuth) in the env file or the environment, or run in a terminal to be asked',
      );
    }
    password = answer;
  }
  registerSecret(password);
  registerSecret(accessToken);
  return { ...common, ...(password ? { password } : { accessToken }) };
}

/** --imap-auth microsoft: the stored sign-in's token source (checked flags; the store is read at connect time). */
function microsoftSourceFromFlags(
  args: ParsedArgs,
  vars: Record<string, string | undefined>,
  io: CliIO,
  user: string,
): AccessTokenSource {
  const clientId = (flagString(args, 'imap-client-id') ?? vars.TOKEN_RELAY_IMAP_CLIENT_ID ?? '').trim();
  if (!clientId)
    throw new UsageError(
      '--imap-auth microsoft needs --imap-client-id (or TOKEN_RELAY_IMAP_CLIENT_ID): the app registration of `token-relay mailbox login`',
    );
  let tenant: string;
  let authority: string;
  try {
    tenant = checkTenant(flagString(args, 'imap-tenant') ?? vars.TOKEN_RELAY_IMAP_TENANT ?? DEFAULT_TENANT);
    authority = authorityFrom(vars);
  } catch (e) {
    throw new UsageError(safeErrorMessage(e));
  }
  const m = { authority, tenant, clientId, user: user.toLowerCase() };
  return microsoftTokenSource(cliCredentialStore(io), m, { log: stderrLogger(io, args.flags.has('verbose')) });
}

/** What to check when Microsoft refuses a fresh token again (withTokenRenewal's hint), for --imap-auth microsoft. */
export function renewalHint(mailbox: MailboxConfig): string | undefined {
  return mailbox.accessTokenSource ? microsoftRefusalHint(mailbox.user) : undefined;
}

const PROXY_SCHEME = /^(https?|socks[45]?h?):\/\//i;

/**
 * The IMAP proxy: --imap-proxy, else TOKEN_RELAY_IMAP_PROXY from the env file or the environment (where its
 * credentials are not visible in the process list). Its password is registered for redaction; a password given
 * on the command line gets a warning.
 */
export function imapProxyFrom(
  args: ParsedArgs,
  vars: Record<string, string | undefined>,
  io: CliIO,
): string | undefined {
  const flag = flagString(args, 'imap-proxy');
  const fromEnv = vars.TOKEN_RELAY_IMAP_PROXY?.trim() || undefined;
  const proxy = flag ?? fromEnv;
  if (proxy === undefined) return undefined;
  const what = flag !== undefined ? '--imap-proxy' : 'TOKEN_RELAY_IMAP_PROXY';
  let u: URL | undefined;
  try {
    u = new URL(proxy);
  } catch {
    u = undefined;
  }
  if (u?.password) {
    registerSecret(u.password);
    try {
      registerSecret(decodeURIComponent(u.password));
    } catch {
      /* not percent-encoding: the raw form is registered */
    }
  }
  if (!PROXY_SCHEME.test(proxy) || !u || !u.hostname)
    throw new UsageError(`${what} needs a URL with a scheme and a host (http://host:port or socks5://host:port)`);
  if (flag !== undefined && u.password) {
    err(
      io,
      'token-relay: warning: the --imap-proxy URL holds a password, which other processes can see in the process list; set TOKEN_RELAY_IMAP_PROXY in the env file instead.',
    );
  }
  return proxy;
}

export function parseTimeout(args: ParsedArgs): number {
  const t = flagString(args, 'timeout');
  if (t === undefined) return 600;
  if (!/^[0-9]+(\.[0-9]+)?$/.test(t) || Number(t) <= 0)
    throw new UsageError(`--timeout needs a positive number of seconds (got "${t}")`);
  return Number(t);
}

export function stderrLogger(io: CliIO, verbose: boolean): Logger {
  return createLogger((level, line) => {
    if (level === 'warn' || level === 'error' || (verbose && level !== 'trace')) io.stderr(`${line}\n`);
  });
}

/** One stderr line for a verification code (the code is meant to be seen; it is not a stored secret). */
export function verificationLine(v: MailVerdict | { code?: string; username?: string }): string {
  return `token-relay: Salesforce verification code${v.username ? ` for ${v.username}` : ''}: ${v.code}`;
}

/** Maps a watcher failure to CONTRACTS' exit codes, with one clear stderr line. */
export function reportWatchError(io: CliIO, cmd: string, e: unknown): number {
  if (isAbortError(e)) {
    err(
      io,
      `token-relay ${cmd}: ${e.message.replace(/\.$/, '')}${/Timed out/.test(e.message) ? ' (raise --timeout)' : ''}.`,
    );
    return EXIT.failed;
  }
  if (e instanceof MailboxError) {
    err(
      io,
      `token-relay ${cmd}: mailbox ${e.kind === 'protocol' ? 'error' : e.kind === 'connect' || e.kind === 'timeout' ? 'connection failed' : e.kind === 'tls' ? 'TLS failure' : 'login failed'}: ${e.message}`,
    );
    return EXIT.mailbox;
  }
  err(io, `token-relay ${cmd}: ${safeErrorMessage(e)}`);
  return EXIT.failed;
}

/** The classifier's trust options shared by watch, reset and extract (issue 15 items 4, 5). */
export interface MailTrustFlags {
  requireDkim: boolean;
  trustForwarded: boolean;
  authservId?: string[];
  forwardedFrom?: string[];
}

/** --require-dkim, --authserv-id, --trust-forwarded, --forwarded-from, checked. */
export function mailTrustFromFlags(args: ParsedArgs): MailTrustFlags {
  const list = (flag: string, check: RegExp, what: string): string[] | undefined => {
    const v = flagString(args, flag);
    if (v === undefined) return undefined;
    const items = v
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
    if (!items.length) throw new UsageError(`--${flag} needs ${what}`);
    for (const x of items)
      if (x.length > 253 || !check.test(x)) throw new UsageError(`--${flag} needs ${what} (got "${x}")`);
    return items;
  };
  const authservId = list('authserv-id', /^[A-Za-z0-9._-]+$/, 'a host name (the authserv-id of your mail server)');
  const forwardedFrom = list('forwarded-from', /^[^\s@<>(),;:"]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$/, 'an email address');
  return {
    requireDkim: args.flags.has('require-dkim'),
    trustForwarded: args.flags.has('trust-forwarded') || !!forwardedFrom,
    ...(authservId ? { authservId } : {}),
    ...(forwardedFrom ? { forwardedFrom } : {}),
  };
}
