/**
 * token-relay mailbox login|logout (issue 16 item 1): sign in to a Microsoft 365 / Outlook.com mailbox with the
 * OAuth 2.0 device code flow, for `watch`/`reset --imap-auth microsoft` (XOAUTH2; those mailboxes refuse passwords).
 *
 * - login: asks {authority}/{tenant}/oauth2/v2.0/devicecode for a code, prints the verification URL and the code on
 *   stderr, polls /token every `interval` seconds (slow_down adds 5 s) until the user approves in a browser (any
 *   device), declines, or the code expires; keeps the refresh token in the credential store (0600; key = authority
 *   + tenant + client id + user); prints a JSON summary without tokens.
 * - logout: forgets the stored sign-in (Microsoft has no revocation endpoint for a public client's refresh token;
 *   the user can revoke all sessions at https://myaccount.microsoft.com).
 */
import { type CliIO, EXIT, UsageError, err, flagString, parseArgs, printJson } from './io';
import { loadEnvVars } from './mailboxArgs';
import { cliCredentialStore, microsoftCredentialKey, type MicrosoftMailbox } from './mailboxToken';
import { isCredentialStoreError } from '../credstore';
import { isAbortError } from '../core/async';
import { registerSecret, safeErrorMessage } from '../core/redact';
import {
  DEFAULT_TENANT,
  MICROSOFT_CLI_SCOPES,
  MICROSOFT_IMAP_HOST,
  authorityFrom,
  checkTenant,
  isMicrosoftIdentityError,
  pollDeviceCode,
  startDeviceCode,
} from '../mail/xoauthMicrosoft';

export const help = `token-relay mailbox: sign in to a Microsoft 365 / Outlook.com mailbox for watch and reset

Usage:
  token-relay mailbox login  --provider microsoft --client-id ID [--tenant T] [--imap-user U] [--timeout S]
  token-relay mailbox logout --provider microsoft --client-id ID [--tenant T] --imap-user U

Microsoft 365 and Outlook.com refuse IMAP passwords ("Basic authentication is disabled"); IMAP takes an OAuth
access token (XOAUTH2) instead. login uses the device code flow: it prints a web address and a code on stderr;
open the address in any browser (any device), enter the code and sign in with the mailbox's account. It then
keeps the refresh token in the credential store and prints a JSON summary (no tokens) on stdout.
watch and reset use it with: --imap-auth microsoft --imap-user U --imap-client-id ID [--imap-tenant T]
(--imap-host defaults to ${MICROSOFT_IMAP_HOST}); each run gets a fresh access token, and a refresh token that
Microsoft rotates is replaced in the store.

ID is the Application (client) id of your app registration in Microsoft Entra ID (platform "Mobile and desktop
applications", "Allow public client flows" on, delegated permissions IMAP.AccessAsUser.All and offline_access).

Options:
  --provider microsoft   the only provider so far
  --client-id ID         the app registration's Application (client) id (or TOKEN_RELAY_IMAP_CLIENT_ID)
  --tenant T             organizations (default: work or school accounts), consumers (Outlook.com),
                         common (both), or your tenant id / domain (or TOKEN_RELAY_IMAP_TENANT)
  --imap-user U          the mailbox address; login refuses a sign-in as another account
  --timeout S            give up waiting for the sign-in after S seconds (default: the code's lifetime, ~15 min)
  --dotenv PATH          read TOKEN_RELAY_IMAP_CLIENT_ID / TOKEN_RELAY_IMAP_TENANT from PATH

Credential store: $TOKEN_RELAY_HOME, else $XDG_CONFIG_HOME/token-relay, else ~/.config/token-relay (0700, files 0600).
TOKEN_RELAY_MICROSOFT_AUTHORITY: another authority (a national cloud), https only.
Exit: 0 ok; 1 declined, expired, refused or timed out (nothing stored); 2 usage.
`;

const VALUES = ['provider', 'client-id', 'tenant', 'imap-user', 'timeout', 'dotenv'];

async function target(
  args: ReturnType<typeof parseArgs>,
  io: CliIO,
  needUser: boolean,
): Promise<Omit<MicrosoftMailbox, 'user'> & { user?: string }> {
  const provider = flagString(args, 'provider');
  if (provider === undefined) throw new UsageError('--provider microsoft is required');
  if (provider !== 'microsoft') throw new UsageError(`--provider "${provider}" is not supported: use microsoft`);
  const { vars } = await loadEnvVars(io, flagString(args, 'dotenv'));
  const clientId = (flagString(args, 'client-id') ?? vars.TOKEN_RELAY_IMAP_CLIENT_ID ?? '').trim();
  if (!clientId) throw new UsageError('--client-id is required (the Application (client) id of your app registration)');
  if (!/^[A-Za-z0-9-]{8,64}$/.test(clientId))
    throw new UsageError(`--client-id "${clientId}" is not an application id (a GUID such as 0f1e2d3c-…)`);
  let tenant: string;
  let authority: string;
  try {
    tenant = checkTenant(flagString(args, 'tenant') ?? vars.TOKEN_RELAY_IMAP_TENANT ?? DEFAULT_TENANT);
    authority = authorityFrom({ ...vars });
  } catch (e) {
    throw new UsageError(safeErrorMessage(e));
  }
  const user = flagString(args, 'imap-user')?.trim().toLowerCase() || undefined;
  if (needUser && !user) throw new UsageError('--imap-user is required');
  if (user && !/^[^\s@]+@[^\s@]+$/.test(user)) throw new UsageError(`--imap-user "${user}" is not an email address`);
  return { authority, tenant, clientId, ...(user ? { user } : {}) };
}

function timeoutOf(args: ReturnType<typeof parseArgs>): number | undefined {
  const t = flagString(args, 'timeout');
  if (t === undefined) return undefined;
  if (!/^[0-9]+(\.[0-9]+)?$/.test(t) || Number(t) <= 0)
    throw new UsageError(`--timeout needs a positive number of seconds (got "${t}")`);
  return Number(t);
}

async function login(args: ReturnType<typeof parseArgs>, io: CliIO): Promise<number> {
  const t = await target(args, io, false);
  const timeoutS = timeoutOf(args);
  const ac = new AbortController();
  const onOuter = () => ac.abort(io.signal?.reason);
  io.signal?.addEventListener('abort', onOuter, { once: true });
  const timer = timeoutS ? setTimeout(() => ac.abort(), Math.round(timeoutS * 1000)) : undefined;
  try {
    const start = await startDeviceCode(t, MICROSOFT_CLI_SCOPES, ac.signal);
    registerSecret(start.deviceCode);
    err(io, `token-relay mailbox: to sign in, open this page in a browser and enter the code ${start.userCode}:`);
    io.stderr(`${start.verificationUri}\n`);
    err(
      io,
      `token-relay mailbox: sign in with ${t.user ?? 'the mailbox account'}; waiting up to ${Math.round(Math.min(start.expiresIn, timeoutS ?? Infinity))} s (Ctrl-C cancels)…`,
    );
    const tokens = await pollDeviceCode(t, start, {
      signal: ac.signal,
      onSlowDown: (s) => err(io, `token-relay mailbox: Microsoft asked to poll more slowly (every ${s} s)`),
    });
    const signedIn = tokens.username?.trim().toLowerCase();
    const user = t.user ?? signedIn;
    if (!user) {
      err(
        io,
        'token-relay mailbox: Microsoft did not say which account signed in; run again with --imap-user (nothing was stored).',
      );
      return EXIT.failed;
    }
    if (t.user && signedIn && signedIn !== t.user) {
      err(
        io,
        `token-relay mailbox: you signed in as ${signedIn}, not ${t.user}: IMAP would refuse the token for ${t.user}. Run login again and choose ${t.user} (nothing was stored).`,
      );
      return EXIT.failed;
    }
    if (!tokens.refreshToken) {
      err(
        io,
        'token-relay mailbox: Microsoft gave no refresh token (the app registration needs the offline_access permission); nothing was stored.',
      );
      return EXIT.failed;
    }
    const store = cliCredentialStore(io);
    const m: MicrosoftMailbox = { ...t, user };
    await store.update(microsoftCredentialKey(m), async () => ({
      next: {
        ...microsoftCredentialKey(m),
        refreshToken: tokens.refreshToken!,
        ...(tokens.scope ? { scope: tokens.scope } : {}),
      },
      result: undefined,
    }));
    err(
      io,
      `token-relay mailbox: signed in as ${user}; watch and reset with --imap-auth microsoft --imap-user ${user} --imap-client-id ${t.clientId}${t.tenant !== DEFAULT_TENANT ? ` --imap-tenant ${t.tenant}` : ''}`,
    );
    printJson(io, {
      provider: 'microsoft',
      user,
      clientId: t.clientId,
      tenant: t.tenant,
      imapHost: MICROSOFT_IMAP_HOST,
      scope: tokens.scope ?? null,
      stored: true,
      store: store.dir,
    });
    return EXIT.ok;
  } catch (e) {
    if (isAbortError(e) || ac.signal.aborted) {
      err(
        io,
        `token-relay mailbox: ${io.signal?.aborted ? 'cancelled' : 'timed out waiting for the sign-in (raise --timeout)'}; nothing was stored.`,
      );
      return EXIT.failed;
    }
    if (isMicrosoftIdentityError(e)) {
      const why: Record<string, string> = {
        authorization_declined: 'the sign-in was declined',
        expired_token: 'the code expired before the sign-in finished; run login again',
        bad_verification_code: 'Microsoft no longer knows this sign-in code; run login again',
        unauthorized_client: `Microsoft does not know the app ${t.clientId} in tenant ${t.tenant} (check --client-id and --tenant)`,
        invalid_client: `the app ${t.clientId} does not allow the device code flow: turn on "Allow public client flows" in its Authentication settings`,
        invalid_scope: 'the app registration lacks the IMAP.AccessAsUser.All permission',
      };
      err(io, `token-relay mailbox: ${why[e.code] ? `${why[e.code]} (${e.message})` : e.message}; nothing was stored.`);
      return EXIT.failed;
    }
    if (isCredentialStoreError(e)) {
      err(io, `token-relay mailbox: signed in, but the sign-in could not be kept: ${e.message}`);
      return EXIT.failed;
    }
    throw e;
  } finally {
    if (timer) clearTimeout(timer);
    io.signal?.removeEventListener('abort', onOuter);
  }
}

async function logout(args: ReturnType<typeof parseArgs>, io: CliIO): Promise<number> {
  const t = await target(args, io, true);
  const m: MicrosoftMailbox = { ...t, user: t.user! };
  const store = cliCredentialStore(io);
  const had = await store.update(microsoftCredentialKey(m), async (cur) => ({
    next: cur ? null : undefined,
    result: !!cur,
  }));
  err(
    io,
    had
      ? `token-relay mailbox: forgot the Microsoft sign-in of ${m.user}. To end the session at Microsoft too, sign out everywhere at https://myaccount.microsoft.com.`
      : `token-relay mailbox: no Microsoft sign-in was stored for ${m.user} (app ${m.clientId}, tenant ${m.tenant}).`,
  );
  return had ? EXIT.ok : EXIT.failed;
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  const args = parseArgs(rest, { values: VALUES, booleans: [] });
  if (args.positionals.length) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
  if (sub === 'login') return login(args, io);
  if (sub === 'logout') return logout(args, io);
  throw new UsageError(sub ? `unknown subcommand "${sub}": use login or logout` : 'login or logout?');
}
