/**
 * token-relay login [--dotenv PATH] [--timeout SECONDS] [--no-limits]
 *
 * Tests the Salesforce login of the env file (default ./.env when it exists; its values win over the
 * process environment) and prints the health JSON of CONTRACTS.md: exactly
 * {"status","label","code","message","organizationId","username","instanceUrl"}, null when unknown.
 * Exit 0 ok, 1 login failed, 2 usage (missing SF_USERNAME / password, bad SF_LOGIN_URL, unreadable file).
 * Proxy: HTTPS_PROXY / HTTP_PROXY / NO_PROXY; extra CAs: NODE_EXTRA_CA_CERTS (read by Node at start; from the
 * env file read here). Both may come from the env file or the environment.
 */
import path from 'node:path';
import { checkDotenvTarget } from './dotenvTarget';
import type { CliIO } from './io';
import { EXIT, UsageError, err, flagString, parseArgs, printJson, secondsFlag } from './io';
import { EnvError, readEnvFile, readRegularFile } from '../envfile';
import { ProfileError, authMethodOf, profileFromEnv, type OrgSecrets, type ValidProfile } from '../core/profile';
import { SECRET_ENV_VARS, SIGN_IN_INFO } from '../core/signin';
import { healthJson } from '../core/health';
import { registerSecret, safeErrorMessage } from '../core/redact';
import { createLogger } from '../core/log';
import { loginUrlAdvice } from '../core/resetUrl';
import { MFA_VALUE_REFUSED, parseMfaCode } from '../core/mfa';

export const help = `token-relay login: test the Salesforce login and print its health as JSON

Usage: token-relay login [--dotenv PATH] [--timeout SECONDS] [--no-limits] [--mfa-code] [--verbose]

Reads SF_USERNAME, SF_PASSWORD, SF_SECURITY_TOKEN, SF_LOGIN_URL (default https://login.salesforce.com),
SF_API_VERSION (default 64.0), SF_CLIENT_ID and SF_CLIENT_SECRET (both set: OAuth username-password
flow instead of SOAP login()) and SF_AUTH (password, password-oauth, oauth, sf-cli) from the env file
(default ./.env if present), which wins over the environment. Without SF_PASSWORD it asks on the
terminal (password methods).

SF_AUTH=oauth (written by token-relay oauth login): tests over REST with SF_ACCESS_TOKEN at SF_INSTANCE_URL
(userinfo, limits); an expired access token is refreshed first with the refresh token kept in the credential
store (or SF_REFRESH_TOKEN), written back to the env file (a rotated refresh token replaces the old one), then
tested. No refresh token kept, or Salesforce refuses it: status signin-required (run token-relay oauth login).

SF_AUTH=sf-cli (written by token-relay sf-import): tests over REST the same way; an expired access token is
replaced by the sf CLI's (SF_TARGET_ORG; sf from SF_CLI_PATH, else PATH), written back to the env file, then
tested. When sf cannot refresh its own login: status signin-required (run sf org login web -o ALIAS).

Prints {"status","label","code","message","organizationId","username","instanceUrl"}; a working login whose
method Salesforce is retiring (password: SOAP login(), Summer '27; password-oauth: 2027-02-20) adds "notice",
one sentence with the date and the ways forward (token-relay doctor reports every org).
Exit codes: 0 logged in, 1 login failed, 2 usage error.

Options:
  --dotenv PATH       the env file to read (default ./.env)
  --timeout SECONDS   give up after this long (default 30)
  --no-limits         skip the DailyApiRequests check (one API call)
  --mfa-code          Multi-Factor Authentication for API logins: read the 6-digit code of your authenticator
                      app (hidden prompt on a terminal, else one line of stdin) and send it instead of the
                      security token, for this login only (never written, never logged). The flag takes no
                      value: a code on the command line would show in ps.
  --verbose           log the steps on stderr (secrets redacted)
  --follow-symlink    write through a .env symlink that leads outside the file's folder
Proxy: HTTPS_PROXY / HTTP_PROXY / NO_PROXY. Extra CA certificates: NODE_EXTRA_CA_CERTS (a PEM file).
Both may also be set in the env file.
Plain http:// login URLs are accepted only for loopback hosts (the emulator).
`;

/**
 * `--mfa-code` taken out of `argv` (it is a flag without value). A value, `--mfa-code=123456` or `--mfa-code 123456`,
 * is refused (exit 2) with the reason: an argument shows in ps and in the shell history.
 */
export function takeMfaFlag(argv: string[]): { argv: string[]; mfa: boolean } {
  const rest: string[] = [];
  let mfa = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a.startsWith('--mfa-code=')) throw new UsageError(MFA_VALUE_REFUSED);
    if (a === '--mfa-code') {
      if (/^[\d\s]+$/.test(argv[i + 1] ?? '')) throw new UsageError(MFA_VALUE_REFUSED);
      mfa = true;
      continue;
    }
    rest.push(a);
  }
  return { argv: rest, mfa };
}

/**
 * The authenticator code for `username`: a hidden prompt when stdin and stderr are a terminal, else one line of
 * stdin (piped). Registered as a secret at once; a usage error when none comes or it is no 6-digit code.
 */
export async function readMfaCode(io: CliIO, username: string): Promise<string> {
  let raw = io.promptSecret ? await io.promptSecret(`Authenticator code for ${username}: `) : undefined;
  // On a terminal the code is only ever asked for hidden (no answer, e.g. Ctrl-C: no code); piped: one line of stdin.
  if (raw === undefined && !io.stdinIsTTY) {
    if (io.readLine) raw = await io.readLine('', io.signal);
    else {
      const text = (await io.readStdin(256)).toString('utf8');
      raw = text ? text.split(/\r?\n/)[0] : undefined;
    }
  }
  registerSecret(raw?.trim());
  const parsed = parseMfaCode(raw);
  if ('error' in parsed)
    throw new UsageError(
      `--mfa-code: ${parsed.error}. Type the 6-digit code of your authenticator app at the prompt, or pipe it on stdin.`,
    );
  registerSecret(parsed.code);
  return parsed.code;
}

/** Env file values over process env (CONTRACTS: the env file wins). */
export async function loadLoginEnv(
  io: CliIO,
  dotenv: string | undefined,
): Promise<{ vars: Record<string, string | undefined>; file?: string }> {
  const explicit = dotenv !== undefined;
  const file = path.resolve(io.cwd, dotenv ?? '.env');
  let fileVars: Record<string, string> = {};
  try {
    const read = await readEnvFile(file);
    if (!read && explicit) throw new UsageError(`${file} does not exist.`);
    if (read) fileVars = read.vars;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(safeErrorMessage(e));
  }
  for (const k of SECRET_ENV_VARS) registerSecret(fileVars[k]);
  return { vars: { ...io.env, ...fileVars }, file: Object.keys(fileVars).length || explicit ? file : undefined };
}

/**
 * The profile of a CLI command, validated where it enters: the env variables (file over environment), with the
 * command's profile flags (e.g. `{ SF_LOGIN_URL: --login-url }`) over both. A bad value is a usage error (exit 2)
 * naming the variable; `hint` is added to its message.
 */
export function cliProfile(
  vars: Record<string, string | undefined>,
  flags: Record<string, string | undefined> = {},
  hint?: string,
): { profile: ValidProfile; secrets: OrgSecrets } {
  const set = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
  try {
    return profileFromEnv({ ...vars, ...set });
  } catch (e) {
    if (e instanceof ProfileError) throw new UsageError(hint ? `${e.message} ${hint}` : e.message);
    throw e;
  }
}

/**
 * NODE_EXTRA_CA_CERTS named in the env file: Node loads the environment's at start, so only a different file named in
 * the env file is read here (a warning when it cannot be read).
 */
export async function extraCaFromEnv(
  io: CliIO,
  vars: Record<string, string | undefined>,
  cmd: string,
): Promise<Buffer | undefined> {
  const caFile = vars.NODE_EXTRA_CA_CERTS;
  if (!caFile || caFile === process.env.NODE_EXTRA_CA_CERTS) return undefined;
  try {
    return await readRegularFile(path.resolve(io.cwd, caFile), 16 * 1024 * 1024); // a regular file only, capped
  } catch (e) {
    err(
      io,
      `token-relay ${cmd}: warning: cannot read NODE_EXTRA_CA_CERTS ${caFile}: ${e instanceof EnvError ? e.message : ((e as NodeJS.ErrnoException).code ?? safeErrorMessage(e))}`,
    );
    return undefined;
  }
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const taken = takeMfaFlag(argv);
  const args = parseArgs(taken.argv, {
    values: ['dotenv', 'timeout'],
    booleans: ['no-limits', 'verbose', 'follow-symlink'],
  });
  const follow = args.flags.has('follow-symlink');
  if (args.positionals.length) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
  const timeoutMs = secondsFlag(args, 'timeout');
  const { vars, file } = await loadLoginEnv(io, flagString(args, 'dotenv'));
  if (file) await checkDotenvTarget(file, follow);
  const { profile, secrets } = cliProfile(vars);
  const method = SIGN_IN_INFO[authMethodOf(profile, secrets)];
  if (!secrets.password && method.secretKeys.includes('password')) {
    const answer = io.promptSecret ? await io.promptSecret(`Salesforce password for ${profile.username}: `) : undefined;
    if (!answer)
      throw new UsageError('SF_PASSWORD is not set (env file or environment) and there is no terminal to ask for it.');
    registerSecret(answer);
    secrets.password = answer;
  }
  let loginProfile: ValidProfile = profile;
  if (taken.mfa) {
    if (!method.secretKeys.includes('mfaCode'))
      throw new UsageError(
        `--mfa-code is for password logins; SF_AUTH is ${method.id} (${method.label}), which signs in without one`,
      );
    secrets.mfaCode = await readMfaCode(io, profile.username);
    loginProfile = { ...profile, mfaForApi: true }; // this login only: the code replaces the token
  } else if (!secrets.token && !profile.clientId && method.secretKeys.includes('token'))
    err(
      io,
      'token-relay login: SF_SECURITY_TOKEN is not set; trying without a token (works only from trusted networks).',
    );
  const advice = loginUrlAdvice(profile.loginUrl);
  if (advice) err(io, `token-relay login: ${advice}`);

  const ca = await extraCaFromEnv(io, vars, 'login');
  const verbose = args.flags.get('verbose') === true;
  const log = createLogger((level, line) => {
    if (verbose) err(io, `${level}: ${line}`);
  });
  // Lazy: keeps `token-relay --help` and usage errors free of the jsforce load.
  const { testLogin } = await import('../salesforce/login');
  const { proxyFromEnv } = await import('../salesforce/transport');
  const loginOpts = {
    signal: io.signal,
    timeoutMs,
    fetchLimits: args.flags.get('no-limits') !== true,
    proxy: proxyFromEnv(vars, profile.loginUrl),
    ca,
    log,
  };
  const result =
    method.id === 'oauth' && profile.clientId
      ? await (await import('./oauthLogin')).testOAuthLogin(io, profile, secrets, file, loginOpts, follow)
      : method.id === 'sf-cli'
        ? await (await import('./sfCliLogin')).testSfCliLogin(io, profile, secrets, file, vars, loginOpts, follow)
        : await testLogin(loginProfile, secrets, loginOpts);
  printJson(io, healthJson(result));
  err(io, `${result.label}: ${result.message}`);
  return result.status === 'ok' ? EXIT.ok : EXIT.failed;
}
