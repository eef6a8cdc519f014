/**
 * token-relay doctor [--dotenv PATH]... [--no-test] [--markdown] [--timeout SECONDS]
 *
 * The readiness report (issue 14, the migration assistant): for each env file (default ./.env; --dotenv may be
 * given several times), which sign-in method the org uses, whether it works now (a real login test, as `login`
 * does; --no-test only reads the files), the date its method stops, the days left, and the concrete next step as a
 * CLI line. Prints `{"generatedAt","orgs":[{"name","username","method","status","works","retires","daysLeft","next"}]}`
 * (src/core/readiness.ts), or the Markdown report with --markdown.
 * Exit 0 when every org works (or was not tested) and none retires within 90 days, 1 otherwise, 2 usage.
 * No secret is printed: the report carries names, usernames, paths and health states only.
 */
import path from 'node:path';
import type { CliIO } from './io';
import { EXIT, UsageError, err, parseArgs, printJson, secondsFlag } from './io';
import { cliProfile, extraCaFromEnv, loadLoginEnv } from './login';
import { failureResult, type HealthResult } from '../core/health';
import { profileProblems, ProfileError, type OrgSecrets, type ValidProfile } from '../core/profile';
import { buildReadiness, readinessMarkdown, readinessOk, type ReadinessOrg } from '../core/readiness';
import { authMethodOf, parseAuthMethod, SIGN_IN_INFO, type AuthMethod } from '../core/signin';
import { createLogger } from '../core/log';

export const help = `token-relay doctor: check every org's sign-in before Salesforce retires the password logins

Usage: token-relay doctor [--dotenv PATH]... [--no-test] [--markdown] [--timeout SECONDS]

For each env file (default ./.env; repeat --dotenv for several orgs) it reports which sign-in method the org
uses (SF_AUTH: password, password-oauth, oauth, sf-cli), whether that works now (a real login test, as
token-relay login does), the date the method stops (the OAuth username-password flow: 2027-02-20; SOAP
login(): Summer '27, about 2027-06-01), the days left, and the next step as a command line.

Prints {"generatedAt","orgs":[{"name","username","method","status","works","retires","daysLeft","next"}]}
("status" is a health state, or "not-tested"; "works" is null when not tested; "retires" and "daysLeft" are
null for a method that is not retiring; "daysLeft" is negative after the date).
Exit codes: 0 every org works and none retires within 90 days, 1 otherwise, 2 usage error.

Options:
  --dotenv PATH       an env file to check (repeatable; default ./.env)
  --no-test           only read the files: no login (status "not-tested", works null)
  --markdown          print the report as Markdown instead of JSON
  --timeout SECONDS   give up on one org's login test after this long (default 30)
No secret is printed. A password that is not in the env file or the environment is not asked for: that org
is reported as not tested.
`;

/** The --dotenv values in order (parseArgs keeps only the last of a repeated flag); the rest of argv. */
function takeDotenvs(argv: string[]): { files: string[]; rest: string[] } {
  const files: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--dotenv') {
      const v = argv[++i];
      if (v === undefined || v === '') throw new UsageError('--dotenv needs a value');
      files.push(v);
    } else if (a.startsWith('--dotenv=')) {
      const v = a.slice('--dotenv='.length);
      if (!v) throw new UsageError('--dotenv needs a value');
      files.push(v);
    } else rest.push(a);
  }
  return { files, rest };
}

/** The method an env file names, also when its profile is unusable (for the report's row). */
function methodOfVars(vars: Record<string, string | undefined>): AuthMethod {
  return parseAuthMethod(vars.SF_AUTH) ?? (vars.SF_CLIENT_ID && vars.SF_CLIENT_SECRET ? 'password-oauth' : 'password');
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { files, rest } = takeDotenvs(argv);
  const args = parseArgs(rest, { values: ['timeout'], booleans: ['no-test', 'markdown', 'verbose'] });
  if (args.positionals.length) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
  const timeoutMs = secondsFlag(args, 'timeout') ?? 30_000;
  const test = args.flags.get('no-test') !== true;
  const verbose = args.flags.get('verbose') === true;
  // The default ./.env must exist too: a doctor with nothing to examine is a usage error, not a clean bill.
  const named = files.length ? files : ['.env'];
  const orgs: ReadinessOrg[] = [];
  for (const name of [...new Set(named)]) {
    const { vars } = await loadLoginEnv(io, name);
    orgs.push(await examine(io, name, vars, { test, timeoutMs, verbose }));
  }
  const report = buildReadiness(orgs, { today: new Date(), audience: 'cli' });
  if (args.flags.get('markdown') === true) io.stdout(readinessMarkdown(report));
  else printJson(io, report);
  for (const r of report.orgs)
    err(
      io,
      `${r.name}: ${r.status}${r.retires ? `; ${r.method} stops ${r.retires} (${r.daysLeft} days)` : ''}. Next: ${r.next}`,
    );
  return readinessOk(report) ? EXIT.ok : EXIT.failed;
}

async function examine(
  io: CliIO,
  file: string,
  vars: Record<string, string | undefined>,
  opts: { test: boolean; timeoutMs: number; verbose: boolean },
): Promise<ReadinessOrg> {
  const base = {
    name: file,
    username: vars.SF_USERNAME?.trim() || '(no SF_USERNAME)',
    dotenv: file,
    ...(vars.SF_TARGET_ORG ? { targetOrg: vars.SF_TARGET_ORG.trim() } : {}),
  };
  let profile: ValidProfile;
  let secrets: OrgSecrets;
  try {
    ({ profile, secrets } = cliProfile(vars));
  } catch (e) {
    // An unusable env file is this org's finding, not the whole run's usage error.
    const reason = e instanceof UsageError || e instanceof ProfileError ? e.message : String(e);
    return {
      ...base,
      method: methodOfVars(vars),
      health: failureResult(
        { status: 'login-failed', code: 'INVALID_PROFILE', message: `${file}: ${reason}` },
        { username: vars.SF_USERNAME ?? null },
      ),
    };
  }
  const method = authMethodOf(profile, secrets);
  const org: ReadinessOrg = { ...base, username: profile.username, method, loginUrl: profile.loginUrl };
  if (!opts.test) return { ...org, untestedReason: '--no-test' };
  const problems = profileProblems(profile, secrets);
  if (problems.length) return { ...org, untestedReason: problems.map((p) => p.message).join(' ') };

  const log = createLogger((level, line) => {
    if (opts.verbose) err(io, `${level}: ${line}`);
  });
  const { testLogin } = await import('../salesforce/login');
  const { proxyFromEnv } = await import('../salesforce/transport');
  const loginOpts = {
    signal: io.signal,
    timeoutMs: opts.timeoutMs,
    fetchLimits: false,
    proxy: proxyFromEnv(vars, profile.loginUrl),
    ca: await extraCaFromEnv(io, vars, 'doctor'),
    log,
  };
  const abs = path.resolve(io.cwd, file);
  const health: HealthResult =
    method === 'oauth' && profile.clientId
      ? await (await import('./oauthLogin')).testOAuthLogin(io, profile, secrets, abs, loginOpts)
      : await testLogin(profile, secrets, loginOpts);
  const label = SIGN_IN_INFO[method].label;
  if (opts.verbose) err(io, `${file}: ${label}: ${health.label}: ${health.message}`);
  return { ...org, name: health.orgName ? `${health.orgName} (${file})` : file, health };
}
