/**
 * token-relay sf-import --target-org ALIAS [--dotenv PATH] [--timeout SECONDS] [--no-limits] [--verbose]
 *
 * An org the Salesforce CLI already knows, into an env file (CONTRACTS "Sign-in methods", `sf-import`): asks sf for a
 * fresh access token (`sf org auth show-access-token --json`, `sf org display --json` on older CLIs; src/sfcli),
 * checks it over REST (sf exits 0 with a stale token when it cannot refresh), then writes SF_INSTANCE_URL,
 * SF_ACCESS_TOKEN, SF_USERNAME, SF_AUTH=sf-cli and SF_TARGET_ORG, and prints the `login` JSON. The token is never
 * printed. Exit 0; 1 sf refused, an alias sf does not know, or only a stale token (signin-required); 2 no sf CLI, usage.
 * (`token-relay login` on the env file it writes: ./sfCliLogin.ts.)
 */
import path from 'node:path';
import type { CliIO } from './io';
import { EXIT, UsageError, err, flagString, parseArgs, printJson, secondsFlag } from './io';
import { extraCaFromEnv } from './login';
import { healthJson } from '../core/health';
import { createLogger } from '../core/log';
import { validateProfile, type ValidProfile } from '../core/profile';
import { PRODUCTION_LOGIN_URL } from '../core/resetUrl';
import { SECRET_ENV_VARS } from '../core/signin';
import { registerSecret, safeErrorMessage } from '../core/redact';
import { readEnvFile, writeEnvFile } from '../envfile';
import { checkDotenvTarget, dotenvWriteOptions } from './dotenvTarget';

export const help = `token-relay sf-import: take an org the Salesforce CLI (sf) is logged in to into an env file

Usage: token-relay sf-import --target-org ALIAS [--dotenv PATH] [--timeout SECONDS] [--no-limits] [--verbose]

Asks the sf CLI for a fresh access token of ALIAS (an alias or username from \`sf org list\`):
\`sf org auth show-access-token --json\` (sf refreshes first), or \`sf org display --json\` on older CLIs. The
token is checked over REST (userinfo, limits) before anything is written; then the env file (default ./.env,
created when missing) gets SF_INSTANCE_URL, SF_ACCESS_TOKEN, SF_USERNAME, SF_AUTH=sf-cli and SF_TARGET_ORG.
Other keys stay as they are. token-relay login keeps it fresh: a refused token is replaced by sf's.

The sf executable: SF_CLI_PATH (env file or environment), else \`sf\` on PATH. Install it with
\`npm install --global @salesforce/cli\`. Token Relay's SF_* variables are never passed to sf.

Prints {"status","label","code","message","organizationId","username","instanceUrl"}; never the token.
Exit codes: 0 imported; 1 sf refused, an alias sf does not know, or only a stale token (status signin-required:
run \`sf org login web -o ALIAS\`); 2 no sf CLI, usage error.

Options:
  --target-org ALIAS  the sf CLI's alias or username of the org (required)
  --dotenv PATH       the env file to write (default ./.env)
  --timeout SECONDS   give up after this long (default 60)
  --no-limits         skip the DailyApiRequests check (one API call)
  --verbose           log the steps on stderr (secrets redacted)
  --follow-symlink    write through a .env symlink that leads outside the file's folder
`;

/** Env file values (when the file exists) over the process environment. */
async function loadVars(io: CliIO, file: string): Promise<Record<string, string | undefined>> {
  let fileVars: Record<string, string>;
  try {
    fileVars = (await readEnvFile(file))?.vars ?? {};
  } catch (e) {
    throw new UsageError(safeErrorMessage(e));
  }
  for (const k of SECRET_ENV_VARS) registerSecret(fileVars[k]);
  return { ...io.env, ...fileVars };
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv, {
    values: ['target-org', 'dotenv', 'timeout'],
    booleans: ['no-limits', 'verbose', 'follow-symlink'],
  });
  const follow = args.flags.has('follow-symlink');
  if (args.positionals.length) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
  const target = flagString(args, 'target-org')?.trim();
  if (!target) throw new UsageError('--target-org ALIAS is required (an alias or username from `sf org list`).');
  const timeoutMs = secondsFlag(args, 'timeout');
  const file = path.resolve(io.cwd, flagString(args, 'dotenv') ?? '.env');
  await checkDotenvTarget(file, follow);
  const vars = await loadVars(io, file);
  const verbose = args.flags.get('verbose') === true;
  const log = createLogger((level, line) => {
    if (verbose) err(io, `${level}: ${line}`);
  });

  const { findSfCli } = await import('../sfcli/index');
  const sfCliPath = vars.SF_CLI_PATH?.trim() || undefined;
  if (!(await findSfCli({ sfPath: sfCliPath, env: io.env }))) {
    err(
      io,
      `token-relay sf-import: the Salesforce CLI (sf) was not found${sfCliPath ? ` at SF_CLI_PATH ${sfCliPath}` : ' on PATH'}. Install it with \`npm install --global @salesforce/cli\`, or set SF_CLI_PATH to the sf executable.`,
    );
    return EXIT.usage;
  }
  let profile: ValidProfile;
  try {
    profile = validateProfile({
      id: '',
      name: target,
      loginUrl: PRODUCTION_LOGIN_URL,
      auth: 'sf-cli',
      username: '',
      targetOrg: target,
      ...(vars.SF_API_VERSION ? { apiVersion: vars.SF_API_VERSION } : {}),
      // Re-importing the same org: its instance URL and username are known (sf is asked only for the token).
      ...(vars.SF_TARGET_ORG?.trim() === target && vars.SF_INSTANCE_URL && vars.SF_USERNAME
        ? { instanceUrl: vars.SF_INSTANCE_URL, username: vars.SF_USERNAME }
        : {}),
    });
  } catch (e) {
    throw new UsageError(safeErrorMessage(e));
  }
  const ca = await extraCaFromEnv(io, vars, 'sf-import');
  const { proxyFromEnv } = await import('../salesforce/transport');
  const { sfCliSignIn } = await import('../salesforce/signin/sfCli');
  const r = await sfCliSignIn.refresh!(
    profile,
    {},
    {
      signal: io.signal,
      timeoutMs,
      fetchLimits: args.flags.get('no-limits') !== true,
      proxy: proxyFromEnv(vars, PRODUCTION_LOGIN_URL),
      ca,
      log,
      sfCliPath,
      sfCliEnv: io.env,
    },
  );
  const health = r.health;
  if (health.code === 'SF_NOT_FOUND') {
    err(io, `token-relay sf-import: ${health.message}`);
    return EXIT.usage;
  }
  if (health.status !== 'ok' || !r.env) {
    printJson(io, healthJson(health));
    err(io, `${health.label}: ${health.message}`);
    return EXIT.failed;
  }
  const values: Record<string, string> = { ...r.env, SF_AUTH: 'sf-cli', SF_TARGET_ORG: target };
  try {
    const res = await writeEnvFile(file, values, dotenvWriteOptions(file, follow));
    for (const w of res.warnings) err(io, `token-relay sf-import: warning: ${w}`);
    err(
      io,
      `token-relay sf-import: wrote ${res.changed.join(', ') || 'nothing new'} to ${path.relative(io.cwd, file) || file}${res.created ? ' (new file, mode 0600)' : ''}`,
    );
  } catch (e) {
    err(io, `token-relay sf-import: cannot write ${file}: ${safeErrorMessage(e)}`);
    return EXIT.usage;
  }
  printJson(io, healthJson(health));
  err(io, `${health.label}: ${health.message}`);
  return EXIT.ok;
}
