/**
 * token-relay oauth login|refresh|logout (CONTRACTS "Sign-in methods"): the web-server flow with PKCE in a terminal.
 *
 * - login: PKCE (S256) + a random `state`; the authorization URL on stderr on a line of its own (opened unless
 *   --no-open); the browser comes back to http://localhost:<port>/OauthRedirect (a loopback listener), or, when the
 *   port is taken (or --paste), the user pastes the address the browser landed on. The code is exchanged, the
 *   refresh token goes to the credential store (src/credstore), the env file gets SF_AUTH=oauth, SF_INSTANCE_URL,
 *   SF_ACCESS_TOKEN, SF_USERNAME, SF_LOGIN_URL, SF_CLIENT_ID (atomically; SF_PASSWORD/SF_SECURITY_TOKEN go only with
 *   --remove-password; SF_REFRESH_TOKEN only with --save-refresh-token, or when the file already holds one). On any
 *   failure before the exchange succeeded the env file is untouched.
 * - refresh: under the store entry's lock (other processes wait, then use the rotated token), the refresh_token
 *   grant; a rotated refresh token replaces the old one; SF_ACCESS_TOKEN (and SF_INSTANCE_URL) into the env file.
 * - logout: revokes the refresh token at /services/oauth2/revoke, forgets it, removes SF_ACCESS_TOKEN.
 * stdout: the `login` JSON (login, refresh); nothing for logout. No access or refresh token is ever printed.
 */
import path from 'node:path';
import {
  type CliIO,
  EXIT,
  UsageError,
  err,
  flagString,
  parseArgs,
  printJson,
  secondsFlag,
  type ParsedArgs,
} from './io';
import { extraCaFromEnv } from './login';
import { readEnvFile, writeEnvFile, EnvError } from '../envfile';
import { checkDotenvTarget, dotenvWriteOptions } from './dotenvTarget';
import { CredentialStore, type CredentialKey, isCredentialStoreError } from '../credstore';
import { classifyOAuthError, failureResult, healthJson, type HealthResult } from '../core/health';
import {
  DEFAULT_CALLBACK_PORT,
  DEFAULT_SCOPE,
  DEFAULT_SIGNIN_TIMEOUT_MS,
  OAuthError,
  authorizeUrl,
  challengeOf,
  isOAuthError,
  makeState,
  makeVerifier,
  parseRedirect,
  redirectUriFor,
} from '../core/oauth';
import { ProfileError, profileFromEnv, type OrgSecrets, type ValidProfile } from '../core/profile';
import { registerSecret, safeErrorMessage } from '../core/redact';
import { LoginUrlError, PRODUCTION_LOGIN_URL, validateLoginUrl } from '../core/resetUrl';
import { SECRET_ENV_VARS } from '../core/signin';
import { createLogger, type Logger } from '../core/log';
import type { ProxyOptions } from '../salesforce/transport';

export const help = `token-relay oauth: sign in to Salesforce with OAuth (web-server flow with PKCE) and keep .env fresh

Usage:
  token-relay oauth login  [--dotenv PATH] [--login-url URL] [--client-id ID] [--callback-port N] [--scope S]
                           [--no-open] [--paste] [--timeout S] [--remove-password] [--save-refresh-token]
  token-relay oauth refresh [--dotenv PATH]
  token-relay oauth logout  [--dotenv PATH]

login    prints the Salesforce authorization URL on stderr on a line of its own and opens it in the browser (unless
         --no-open). After you log in and press Allow, the browser comes back to
         http://localhost:<N>/OauthRedirect (N = --callback-port, default ${DEFAULT_CALLBACK_PORT}; your External Client
         App must list exactly that callback URL). When the port is taken by another program (or with --paste), paste
         the address the browser landed on (it fails to load; that is expected) when asked.
         Then writes SF_AUTH=oauth, SF_INSTANCE_URL, SF_ACCESS_TOKEN, SF_USERNAME, SF_LOGIN_URL and SF_CLIENT_ID into
         the env file (default ./.env; created 0600 when missing) and keeps the refresh token in the credential
         store. The env file is left untouched when the sign-in is denied, fails or times out.
refresh  gets a new access token with the kept refresh token (a rotated refresh token replaces the old one) and
         writes SF_ACCESS_TOKEN into the env file.
logout   revokes the kept refresh token at Salesforce, forgets it and removes SF_ACCESS_TOKEN from the env file.

Reads SF_CLIENT_ID (the External Client App's consumer key), SF_LOGIN_URL (default ${PRODUCTION_LOGIN_URL}),
SF_USERNAME, SF_API_VERSION and, for a confidential app, SF_CLIENT_SECRET from the env file, then the environment;
--client-id and --login-url win over both. Secrets are never taken as arguments.

Options:
  --dotenv PATH         the env file to read and write (default ./.env)
  --login-url URL       https://login.salesforce.com, https://test.salesforce.com or your My Domain
  --client-id ID        the External Client App's client id (consumer key)
  --callback-port N     loopback port of the redirect URI (default ${DEFAULT_CALLBACK_PORT})
  --scope S             OAuth scopes (default "${DEFAULT_SCOPE}")
  --no-open             only print the authorization URL; do not open a browser
  --paste               do not listen on the port: paste the address the browser landed on
  --timeout S           seconds to wait for the sign-in (default ${DEFAULT_SIGNIN_TIMEOUT_MS / 1000})
  --remove-password     also remove SF_PASSWORD and SF_SECURITY_TOKEN from the env file
  --save-refresh-token  also write the refresh token into the env file as SF_REFRESH_TOKEN (not recommended)
  --verbose             log the steps on stderr (secrets redacted)
  --follow-symlink      write through a .env symlink that leads outside the file's folder

Credential store: $TOKEN_RELAY_HOME, else $XDG_CONFIG_HOME/token-relay, else ~/.config/token-relay (mode 0700,
files 0600; one entry per login URL + client id + username).
Proxy: HTTPS_PROXY / HTTP_PROXY / NO_PROXY; extra CA certificates: NODE_EXTRA_CA_CERTS (also from the env file).

Prints the \`login\` JSON {"status","label","code","message","organizationId","username","instanceUrl"} on stdout
(login, refresh). Never prints an access or refresh token.
Exit codes: 0 ok; 1 denied, state mismatch, refused, timeout, sign-in required (login: env file untouched); 2 usage.
`;

/** The keys the CLI writes for SF_AUTH=oauth (CONTRACTS). */
const PASSWORD_KEYS = ['SF_PASSWORD', 'SF_SECURITY_TOKEN'];

interface Ctx {
  io: CliIO;
  cmd: string;
  file: string;
  /** --follow-symlink: write through a .env symlink that leads outside its folder. */
  follow: boolean;
  fileExists: boolean;
  fileVars: Record<string, string>;
  vars: Record<string, string | undefined>;
  log: Logger;
  store: CredentialStore;
  net: { signal?: AbortSignal; proxy?: ProxyOptions; ca?: Buffer; log: Logger };
}

function say(ctx: Pick<Ctx, 'io' | 'cmd'>, line: string): void {
  err(ctx.io, `token-relay ${ctx.cmd}: ${line}`);
}

async function context(io: CliIO, args: ParsedArgs, cmd: string, loginUrlForProxy?: string): Promise<Ctx> {
  const file = path.resolve(io.cwd, flagString(args, 'dotenv') ?? '.env');
  const follow = args.flags.has('follow-symlink');
  await checkDotenvTarget(file, follow);
  let fileVars: Record<string, string> = {};
  let fileExists = false;
  try {
    const read = await readEnvFile(file);
    if (read) {
      fileVars = read.vars;
      fileExists = true;
    }
  } catch (e) {
    throw new UsageError(safeErrorMessage(e));
  }
  for (const k of [...SECRET_ENV_VARS, 'SF_ACCESS_TOKEN', 'SF_REFRESH_TOKEN']) registerSecret(fileVars[k] ?? io.env[k]);
  const vars = { ...io.env, ...fileVars };
  const verbose = args.flags.get('verbose') === true;
  const log = createLogger((level, line) => {
    if (verbose) err(io, `${level}: ${line}`);
  });
  const ctx0 = { io, cmd };
  const store = CredentialStore.fromEnv(io.env, { onWarning: (w) => say(ctx0, `warning: ${w}`) });
  const { proxyFromEnv } = await import('../salesforce/transport');
  const target = loginUrlForProxy ?? vars.SF_LOGIN_URL ?? PRODUCTION_LOGIN_URL;
  const net = { signal: io.signal, proxy: proxyFromEnv(vars, target), ca: await extraCaFromEnv(io, vars, cmd), log };
  return { io, cmd, file, follow, fileExists, fileVars, vars, log, store, net };
}

function positiveSeconds(args: ParsedArgs, name: string, dflt: number): number {
  return secondsFlag(args, name) ?? dflt;
}

function rel(ctx: Ctx): string {
  return path.relative(ctx.io.cwd, ctx.file) || ctx.file;
}

/** Writes env keys (and removals); an EnvError is a usage error (exit 2) naming no value. */
async function writeEnv(ctx: Ctx, values: Record<string, string>, remove: string[] = []): Promise<void> {
  try {
    const res = await writeEnvFile(ctx.file, values, { remove, ...dotenvWriteOptions(ctx.file, ctx.follow) });
    for (const w of res.warnings) say(ctx, `warning: ${w}`);
    if (res.changed.length)
      say(
        ctx,
        `wrote ${res.changed.filter((k) => !remove.includes(k)).join(', ') || 'nothing new'}${remove.some((k) => res.changed.includes(k)) ? `; removed ${remove.filter((k) => res.changed.includes(k)).join(', ')}` : ''} in ${rel(ctx)}${res.created ? ' (new file, mode 0600)' : ''}`,
      );
  } catch (e) {
    if (e instanceof EnvError) throw new UsageError(e.message);
    throw e;
  }
}

function failure(
  c: { status: HealthResult['status']; code?: string | null; message: string },
  username?: string,
): HealthResult {
  return {
    ...failureResult({ status: c.status, code: c.code ?? null, message: c.message }),
    username: username ?? null,
    flow: 'oauth',
  };
}

function report(ctx: Pick<Ctx, 'io' | 'cmd'>, health: HealthResult): number {
  printJson(ctx.io, healthJson(health));
  say(ctx, `${health.label}: ${health.message}`);
  return health.status === 'ok' ? EXIT.ok : EXIT.failed;
}

/** A failure of the sign-in itself (denied, state mismatch, refused, timeout, network): JSON + exit 1. */
function signInFailed(ctx: Pick<Ctx, 'io' | 'cmd'>, e: unknown, envUntouched: string): number {
  const c = classifyOAuthError(e);
  const h = failure({ status: c.status, code: c.code, message: `${c.message} ${envUntouched}` });
  return report(ctx, h);
}

// ---- login -----------------------------------------------------------------------------------------------------

async function pasteRedirect(ctx: Ctx, redirectUri: string, state: string, timeoutMs: number): Promise<string> {
  const question = `Paste the address the browser landed on (it starts with ${redirectUri}?code=), then press Enter:\n`;
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  ctx.io.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    let line: string | undefined;
    if (ctx.io.readLine) line = await ctx.io.readLine(question, ac.signal);
    else {
      ctx.io.stderr(question);
      const all = await Promise.race([
        ctx.io.readStdin().then((b) => b.toString('utf8')),
        new Promise<undefined>((resolve) =>
          ac.signal.addEventListener('abort', () => resolve(undefined), { once: true }),
        ),
      ]);
      line = all?.split(/\r?\n/).find((l) => l.trim() !== '');
    }
    if (ctx.io.signal?.aborted) throw new OAuthError('timeout', 'The sign-in was cancelled.', 'CANCELLED');
    if (ac.signal.aborted)
      throw new OAuthError('timeout', `No address was pasted within ${Math.round(timeoutMs / 1000)} s.`);
    if (line === undefined) throw new OAuthError('no-code', 'The input ended before an address was pasted.');
    return parseRedirect(line, state).code;
  } finally {
    clearTimeout(timer);
    ctx.io.signal?.removeEventListener('abort', onAbort);
  }
}

async function runLogin(argv: string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, {
    values: ['dotenv', 'login-url', 'client-id', 'callback-port', 'scope', 'timeout'],
    booleans: ['no-open', 'paste', 'remove-password', 'save-refresh-token', 'verbose', 'follow-symlink'],
  });
  if (args.positionals.length) throw new UsageError(`unexpected argument "${args.positionals[0]!.slice(0, 40)}"`);
  const timeoutMs = positiveSeconds(args, 'timeout', DEFAULT_SIGNIN_TIMEOUT_MS);
  const portText = flagString(args, 'callback-port');
  const port = portText === undefined ? DEFAULT_CALLBACK_PORT : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError('--callback-port needs a TCP port number (1-65535)');
  const scope = flagString(args, 'scope')?.trim();
  if (scope === '') throw new UsageError('--scope needs a value');

  // Peek at the login URL first: the proxy is chosen for it.
  const loginUrlFlag = flagString(args, 'login-url');
  const ctx = await context(io, args, 'oauth login', loginUrlFlag);
  const { vars } = ctx;
  const clientId = (flagString(args, 'client-id') ?? vars.SF_CLIENT_ID)?.trim();
  if (!clientId)
    throw new UsageError("no client id: pass --client-id or set SF_CLIENT_ID (the External Client App's consumer key)");
  let loginUrl: string;
  try {
    loginUrl = validateLoginUrl(loginUrlFlag ?? vars.SF_LOGIN_URL ?? PRODUCTION_LOGIN_URL);
  } catch (e) {
    if (e instanceof LoginUrlError)
      throw new UsageError(`${loginUrlFlag !== undefined ? '--login-url' : 'SF_LOGIN_URL'}: ${e.message}`);
    throw e;
  }
  if (loginUrlFlag !== undefined) {
    const { proxyFromEnv } = await import('../salesforce/transport');
    ctx.net.proxy = proxyFromEnv(vars, loginUrl);
  }
  const clientSecret = vars.SF_CLIENT_SECRET || undefined;
  registerSecret(clientSecret);
  const untouched = `${rel(ctx)} was left untouched.`;

  const oauth = await import('../salesforce/oauth');
  const verifier = makeVerifier();
  const state = makeState();
  const redirectUri = redirectUriFor(port);
  registerSecret(verifier, { ephemeral: true });

  let paste = args.flags.get('paste') === true;
  let listener: Awaited<ReturnType<typeof oauth.listenForCallback>> | undefined;
  if (!paste) {
    try {
      listener = await oauth.listenForCallback({ port, state, timeoutMs, signal: io.signal });
    } catch (e) {
      if (isOAuthError(e) && e.kind === 'port-busy') say(ctx, `${e.message} Falling back to pasting the address.`);
      else
        say(
          ctx,
          `cannot listen on localhost:${port} (${(e as NodeJS.ErrnoException).code ?? safeErrorMessage(e)}); falling back to pasting the address.`,
        );
      paste = true;
    }
  }
  try {
    const url = authorizeUrl({
      loginUrl,
      clientId,
      redirectUri,
      state,
      challenge: challengeOf(verifier),
      scope: scope || undefined,
    });
    say(ctx, 'sign in to Salesforce and press Allow in this page:');
    io.stderr(`${url}\n`);
    if (args.flags.get('no-open') !== true && io.openUrl) await io.openUrl(url);

    let code: string;
    let tokens: Awaited<ReturnType<typeof oauth.exchangeCode>>;
    try {
      if (paste || !listener) code = await pasteRedirect(ctx, redirectUri, state, timeoutMs);
      else {
        say(
          ctx,
          `waiting for the browser to come back to ${redirectUri} (up to ${Math.round(timeoutMs / 1000)} s; Ctrl-C cancels)`,
        );
        code = await listener.code;
      }
      tokens = await oauth.exchangeCode({ loginUrl, clientId, clientSecret, redirectUri, code, verifier }, ctx.net);
    } catch (e) {
      if (io.signal?.aborted)
        return signInFailed(
          ctx,
          new OAuthError('timeout', 'The sign-in was cancelled (Ctrl-C).', 'CANCELLED'),
          untouched,
        );
      return signInFailed(ctx, e, untouched);
    }

    const health = await oauth.restHealth(
      {
        instanceUrl: tokens.instanceUrl,
        accessToken: tokens.accessToken,
        apiVersion: vars.SF_API_VERSION,
        username: vars.SF_USERNAME,
      },
      ctx.net,
    );
    const username = (health.status === 'ok' ? health.username : null) ?? vars.SF_USERNAME?.trim() ?? null;
    if (!username) {
      return report(
        ctx,
        failure({
          status: health.status === 'ok' ? 'login-failed' : health.status,
          code: health.code ?? 'NO_USERNAME',
          message: `Signed in, but Salesforce did not say which user (${health.message || 'no userinfo'}); nothing was kept. ${untouched}`,
        }),
      );
    }
    const before = ctx.fileVars.SF_USERNAME?.trim();
    if (before && before.toLowerCase() !== username.toLowerCase())
      say(ctx, `note: signed in as ${username}; SF_USERNAME was ${before} and is replaced.`);
    const key: CredentialKey = { loginUrl, clientId, username };
    if (tokens.refreshToken) {
      await ctx.store.update(key, async () => ({
        next: {
          ...key,
          refreshToken: tokens.refreshToken!,
          instanceUrl: tokens.instanceUrl,
          orgId: tokens.orgId,
          userId: tokens.userId,
          ...(tokens.scope ? { scope: tokens.scope } : {}),
        },
        result: undefined,
      }));
      say(ctx, `kept the refresh token in the credential store ${ctx.store.dir}`);
    } else {
      say(
        ctx,
        'warning: Salesforce issued no refresh token (the app or --scope lacks "refresh_token"): `oauth refresh` will not work; sign in again when the access token expires.',
      );
    }
    const values: Record<string, string> = {
      SF_AUTH: 'oauth',
      SF_INSTANCE_URL: tokens.instanceUrl,
      SF_ACCESS_TOKEN: tokens.accessToken,
      SF_USERNAME: username,
      SF_LOGIN_URL: loginUrl,
      SF_CLIENT_ID: clientId,
    };
    const saveRefresh = args.flags.get('save-refresh-token') === true || ctx.fileVars.SF_REFRESH_TOKEN !== undefined;
    if (saveRefresh && tokens.refreshToken) values.SF_REFRESH_TOKEN = tokens.refreshToken;
    const remove = args.flags.get('remove-password') === true ? PASSWORD_KEYS : [];
    await writeEnv(ctx, values, remove);
    const kept = PASSWORD_KEYS.filter((k) => ctx.fileVars[k] !== undefined && !remove.includes(k));
    if (kept.length)
      say(
        ctx,
        `${kept.join(' and ')} stay in ${rel(ctx)} (SF_AUTH=oauth does not use them); --remove-password removes them.`,
      );
    return report(ctx, health);
  } finally {
    listener?.close();
  }
}

// ---- refresh / logout: the kept sign-in of an env file ----------------------------------------------------------

function keptSignIn(ctx: Ctx): { profile: ValidProfile; secrets: OrgSecrets; key: CredentialKey } {
  let profile: ValidProfile;
  let secrets: OrgSecrets;
  try {
    ({ profile, secrets } = profileFromEnv(ctx.vars));
  } catch (e) {
    if (e instanceof ProfileError)
      throw new UsageError(
        `${e.message} (${ctx.fileExists ? rel(ctx) : 'no env file'}: run token-relay oauth login first)`,
      );
    throw e;
  }
  if (profile.auth !== 'oauth') {
    throw new UsageError(
      `${ctx.fileExists ? rel(ctx) : 'the environment'} has SF_AUTH=${profile.auth ?? '(not set)'}, not oauth: run token-relay oauth login first`,
    );
  }
  if (!profile.clientId) throw new UsageError('SF_CLIENT_ID is not set: run token-relay oauth login first');
  return {
    profile,
    secrets,
    key: { loginUrl: profile.loginUrl, clientId: profile.clientId, username: profile.username },
  };
}

async function runRefresh(argv: string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, { values: ['dotenv', 'timeout'], booleans: ['verbose', 'no-limits', 'follow-symlink'] });
  if (args.positionals.length) throw new UsageError(`unexpected argument "${args.positionals[0]!.slice(0, 40)}"`);
  const timeoutMs = positiveSeconds(args, 'timeout', 30_000);
  const ctx = await context(io, args, 'oauth refresh');
  const { profile, secrets, key } = keptSignIn(ctx);
  const { SIGN_IN_METHODS } = await import('../salesforce/signin/index');
  const method = SIGN_IN_METHODS.oauth!;
  const health = await ctx.store.update(
    key,
    async (current) => {
      // Inside the lock: the stored token is re-read, so a refresher that waited uses the rotated one.
      const refreshToken = current?.refreshToken ?? secrets.refreshToken;
      if (!refreshToken) {
        return {
          result: failure(
            {
              status: 'signin-required',
              code: 'NO_REFRESH_TOKEN',
              message: `No refresh token is kept for ${profile.username} at ${profile.loginUrl} (credential store ${ctx.store.dir}). Sign in: token-relay oauth login.`,
            },
            profile.username,
          ),
        };
      }
      const r = await method.refresh!(
        profile,
        { ...secrets, refreshToken },
        { ...ctx.net, timeoutMs, fetchLimits: args.flags.get('no-limits') !== true },
      );
      const rotated = r.secrets?.refreshToken;
      if (rotated) ctx.log.info('the refresh token was rotated; the new one replaces the old one');
      if (r.env) {
        const values = { ...r.env };
        if (rotated && ctx.fileVars.SF_REFRESH_TOKEN !== undefined) values.SF_REFRESH_TOKEN = rotated;
        await writeEnv(ctx, values);
      }
      const next =
        rotated || (!current && r.env)
          ? {
              ...key,
              ...(current ?? {}),
              refreshToken: rotated ?? refreshToken,
              ...(r.env?.SF_INSTANCE_URL ? { instanceUrl: r.env.SF_INSTANCE_URL } : {}),
            }
          : undefined;
      return { next, result: r.health };
    },
    { signal: io.signal },
  );
  return report(ctx, health);
}

async function runLogout(argv: string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, { values: ['dotenv', 'timeout'], booleans: ['verbose', 'follow-symlink'] });
  if (args.positionals.length) throw new UsageError(`unexpected argument "${args.positionals[0]!.slice(0, 40)}"`);
  const timeoutMs = positiveSeconds(args, 'timeout', 30_000);
  const ctx = await context(io, args, 'oauth logout');
  const { profile, secrets, key } = keptSignIn(ctx);
  const { revokeToken } = await import('../salesforce/oauth');
  return ctx.store.update(
    key,
    async (current) => {
      const refreshToken = current?.refreshToken ?? secrets.refreshToken;
      const token = refreshToken ?? secrets.accessToken;
      if (token) {
        try {
          await revokeToken({ loginUrl: profile.loginUrl, token }, { ...ctx.net, timeoutMs });
          say(ctx, `revoked the ${refreshToken ? 'refresh' : 'access'} token at ${profile.loginUrl}`);
        } catch (e) {
          if (!(isOAuthError(e) && e.kind === 'refused')) {
            // Salesforce could not be asked: keep everything, so that the user can try again.
            say(
              ctx,
              `could not revoke the token (${classifyOAuthError(e).message}); nothing was forgotten: try again.`,
            );
            return { result: EXIT.failed };
          }
          say(ctx, `Salesforce no longer knew the token (${e.code}): it was already revoked or expired.`);
        }
      } else say(ctx, `no token is kept for ${profile.username} at ${profile.loginUrl}: nothing to revoke.`);
      const remove = ['SF_ACCESS_TOKEN', ...(ctx.fileVars.SF_REFRESH_TOKEN !== undefined ? ['SF_REFRESH_TOKEN'] : [])];
      if (ctx.fileExists) await writeEnv(ctx, {}, remove);
      if (current) say(ctx, `forgot the sign-in of ${profile.username} (credential store ${ctx.store.dir})`);
      return { next: current ? null : undefined, result: EXIT.ok };
    },
    { signal: io.signal },
  );
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    switch (sub) {
      case 'login':
        return await runLogin(rest, io);
      case 'refresh':
        return await runRefresh(rest, io);
      case 'logout':
        return await runLogout(rest, io);
      case undefined:
        throw new UsageError('missing subcommand: token-relay oauth login|refresh|logout');
      default:
        throw new UsageError(`unknown subcommand "${sub.slice(0, 40)}" (expected login, refresh or logout)`);
    }
  } catch (e) {
    if (isCredentialStoreError(e)) {
      err(io, `token-relay oauth ${sub}: ${e.message}`);
      return EXIT.failed;
    }
    throw e;
  }
}
