/**
 * token-relay reset: the whole Reset Token path in a terminal (src/flow/resetFlow.ts with terminal UI parts):
 * watcher first, then the reset page (URL on stderr, opened unless --no-open), the token mail, .env, login.
 */
import path from 'node:path';
import type { CliIO } from './io';
import { EXIT, UsageError, err, flagString, parseArgs, printJson } from './io';
import type { EnvWriteResult } from '../envfile';
import { writeEnvFile } from '../envfile';
import { healthJson } from '../core/health';
import { authMethodOf } from '../core/profile';
import { SIGN_IN_INFO } from '../core/signin';
import { registerSecret, safeErrorMessage } from '../core/redact';
import { proxyFromEnv } from '../salesforce/transport';
import { runResetFlow, ResetFlowError } from '../flow/resetFlow';
import { withTokenRenewal } from '../mail/xoauth';
import { cliProfile } from './login';
import {
  IMAP_BOOLEAN_FLAGS,
  IMAP_FLAGS_HELP,
  IMAP_VALUE_FLAGS,
  loadEnvVars,
  mailboxFromFlags,
  parseTimeout,
  reportWatchError,
  stderrLogger,
  verificationLine,
  mailTrustFromFlags,
  renewalHint,
} from './mailboxArgs';

export const help = `token-relay reset: reset the Salesforce security token and catch the new one from your mailbox

Usage: token-relay reset --imap-host H --imap-user U [--dotenv PATH] [--no-open] [--timeout S] [IMAP options]

Steps: connects to the mailbox first, then prints the org's "Reset My Security Token" page URL on stderr and
opens it in the browser (unless --no-open); you click "Reset Security Token"; the new token mail is caught,
SF_SECURITY_TOKEN is written to the env file (default ./.env), and the login is tested with it.
Only mail that arrives after the watch started counts (an older token mail is void after the reset). The
newest token mail wins until the login works: a newer one (you clicked Reset twice) replaces the first at once,
and SF_SECURITY_TOKEN ends as the token that logged in. A login rejected with the token keeps the watch going
for a newer mail until the timeout.

Reads SF_USERNAME, SF_PASSWORD, SF_LOGIN_URL (default https://login.salesforce.com), SF_API_VERSION,
SF_CLIENT_ID, SF_CLIENT_SECRET from the env file, then the environment.

Prints the \`login\` JSON on stdout:
  {"status","label","code","message","organizationId","username","instanceUrl"}

Options:
  --dotenv PATH          env file to read and to write SF_SECURITY_TOKEN into (default ./.env)
  --no-open              only print the reset page URL; do not open a browser
  --timeout S            the reset window in seconds: mailbox, token mail and login (default 600)
${IMAP_FLAGS_HELP}
Exit: 0 login ok; 1 login failed, timeout or cancelled; 2 usage (or .env not writable);
      3 mailbox connection, login or TLS failure.
`;

export async function run(argv: string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, {
    values: IMAP_VALUE_FLAGS.filter((f) => f !== 'since'),
    booleans: [...IMAP_BOOLEAN_FLAGS, 'no-open'],
  });
  if (args.positionals.length) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
  const timeoutS = parseTimeout(args);
  const dotenvFlag = flagString(args, 'dotenv') ?? '.env';
  const { vars, dotenvPath } = await loadEnvVars(io, dotenvFlag);
  const { profile, secrets } = cliProfile(
    vars,
    {},
    `(reset needs the org's SF_USERNAME and SF_PASSWORD in ${dotenvFlag} or the environment)`,
  );
  const method = SIGN_IN_INFO[authMethodOf(profile, secrets)];
  if (!method.secretKeys.includes('token')) {
    throw new UsageError(
      `SF_AUTH is ${method.id} (${method.label}): it uses no security token, so there is nothing to reset`,
    );
  }
  if (!secrets.password && !secrets.clientSecret) {
    throw new UsageError(
      `SF_PASSWORD is not set (in ${dotenvFlag} or the environment): the login after the reset needs it`,
    );
  }
  const mailbox = await mailboxFromFlags(args, vars, io);
  const username = flagString(args, 'username')?.trim();
  if (username && username.toLowerCase() !== profile.username.toLowerCase()) {
    throw new UsageError(
      `--username ${username} differs from SF_USERNAME ${profile.username}; reset works on SF_USERNAME's org`,
    );
  }
  const log = stderrLogger(io, args.flags.has('verbose'));
  const noOpen = args.flags.has('no-open');
  const envFile = dotenvPath ?? path.resolve(io.cwd, '.env');
  const startedAt = new Date();

  try {
    // --imap-auth microsoft: a refused access token is renewed once (the watcher fails before the page opens).
    const result = await withTokenRenewal(
      mailbox,
      () =>
        runResetFlow({
          profile,
          secrets,
          mailbox,
          signal: io.signal,
          timeoutMs: Math.round(timeoutS * 1000),
          log,
          login: { proxy: proxyFromEnv(vars, profile.loginUrl) },
          watch: mailTrustFromFlags(args),
          open: async (url) => {
            err(io, `token-relay reset: open this page and click "Reset Security Token":`);
            io.stderr(`${url}\n`);
            if (!noOpen && io.openUrl) await io.openUrl(url);
          },
          storeToken: async (token) => {
            registerSecret(token); // the CLI keeps no other store than the env file
          },
          writeEnv: async (token): Promise<EnvWriteResult> => {
            const res = await writeEnvFile(envFile, { SF_SECURITY_TOKEN: token });
            for (const w of res.warnings) err(io, `token-relay reset: warning: ${w}`);
            err(
              io,
              `token-relay reset: ${res.changed.length ? 'wrote' : 'kept'} SF_SECURITY_TOKEN in ${path.relative(io.cwd, res.path) || res.path}`,
            );
            return res;
          },
          onVerificationCode: (code) => err(io, verificationLine({ code })),
          onStatus: (s) => {
            if (args.flags.has('verbose')) err(io, `token-relay reset: ${s}`);
          },
        }),
      { signal: io.signal, log, hint: renewalHint(mailbox) },
    );
    if (result.superseded > 0)
      err(io, `token-relay reset: ${result.superseded} earlier token mail(s) were replaced by a newer one`);
    printJson(io, healthJson(result.health));
    return result.health.status === 'ok' ? EXIT.ok : EXIT.failed;
  } catch (e) {
    if (e instanceof ResetFlowError) {
      err(io, `token-relay reset: ${e.message}`);
      if (e.token) {
        err(
          io,
          `token-relay reset: the token mail is still in the mailbox: recover it with token-relay watch --since ${startedAt.toISOString()} and the same IMAP options.`,
        );
      }
      return e.stage === 'env' ? EXIT.usage : EXIT.failed;
    }
    if (e instanceof UsageError) throw e;
    const name = (e as Error)?.name;
    if (name === 'LoginUrlError') throw new UsageError(`SF_LOGIN_URL: ${safeErrorMessage(e)}`);
    return reportWatchError(io, 'reset', e);
  }
}
