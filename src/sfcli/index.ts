/**
 * The Salesforce CLI (`sf`) as a source of access tokens (issue 14, CONTRACTS "Sign-in methods", `sf-cli`).
 *
 * I/O module: spawns sf (never a shell, except `cmd.exe` for a `.cmd` shim on Windows, with checked arguments),
 * always with `--json`, with a timeout and an AbortSignal. sf's environment is the caller's minus the variables an env
 * file means for Token Relay (SF_TARGET_ORG, SF_ACCESS_TOKEN, SF_INSTANCE_URL, SF_API_VERSION, SF_USERNAME …: sf reads
 * them as its own settings), plus SF_DISABLE_AUTOUPDATE / SF_DISABLE_TELEMETRY. Output is parsed defensively
 * (./parse.ts); tokens are registered with the redactor as soon as they are read. Never reads sf's ~/.sfdx files.
 */
import { spawn } from 'node:child_process';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { abortError } from '../core/async';
import { type Logger, nullLogger } from '../core/log';
import { safeErrorMessage } from '../core/redact';
import {
  type SfAccess,
  SfCliError,
  type SfOrg,
  accessTokenOf,
  errorFromSf,
  isUnknownCommand,
  orgFromDisplay,
  orgsFromList,
  parseSfJson,
  saysStale,
  sfLoginCommand,
  sfResult,
} from './parse';

export type { SfAccess, SfCliErrorCode, SfOrg } from './parse';
export { SfCliError, isSfCliError, sfLoginCommand } from './parse';

export interface SfCliOptions {
  /** The sf executable (the extension's setting); else SF_CLI_PATH, else `sf` on PATH. */
  sfPath?: string;
  /** The base environment (default process.env); Token Relay's own SF_* keys are removed from it. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  signal?: AbortSignal;
  /** Per sf run; default 60 000 ms. */
  timeoutMs?: number;
  log?: Logger;
}

export const DEFAULT_SF_TIMEOUT_MS = 60_000;
/** sf's answers are small; more than this is not an answer. */
const MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

/**
 * Variables that mean something else to sf than to an env file of Token Relay (sf reads SF_TARGET_ORG as its default
 * org, SF_ACCESS_TOKEN as a login, SF_API_VERSION as the API version of every request …): never passed to sf.
 */
export const SF_ENV_DROPPED: readonly string[] = [
  'SF_TARGET_ORG',
  'SF_TARGET_DEV_HUB',
  'SF_ACCESS_TOKEN',
  'SF_INSTANCE_URL',
  'SF_ORG_INSTANCE_URL',
  'SF_API_VERSION',
  'SF_ORG_API_VERSION',
  'SF_USERNAME',
  'SF_PASSWORD',
  'SF_SECURITY_TOKEN',
  'SF_LOGIN_URL',
  'SF_CLIENT_ID',
  'SF_CLIENT_SECRET',
  'SF_REFRESH_TOKEN',
  'SF_AUTH',
  'SF_CLI_PATH',
  'SFDX_DEFAULTUSERNAME',
  'SFDX_ACCESS_TOKEN',
  'SFDX_INSTANCE_URL',
  'SFDX_API_VERSION',
];

/** sf's environment: `base` minus SF_ENV_DROPPED, plus no auto-update, no telemetry, no colours. */
export function sfEnvironment(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const dropped = new Set(SF_ENV_DROPPED.map((k) => k.toUpperCase()));
  for (const [k, v] of Object.entries(base)) if (v !== undefined && !dropped.has(k.toUpperCase())) env[k] = v;
  env.SF_DISABLE_AUTOUPDATE = 'true';
  env.SF_AUTOUPDATE_DISABLE = 'true';
  env.SF_DISABLE_TELEMETRY = 'true';
  env.SFDX_DISABLE_TELEMETRY = 'true';
  env.NO_COLOR = '1';
  env.FORCE_COLOR = '0';
  return env;
}

function notFound(detail: string): SfCliError {
  return new SfCliError(
    'SF_NOT_FOUND',
    `The Salesforce CLI (sf) was not found${detail ? ` (${detail})` : ''}. Install it with \`npm install --global @salesforce/cli\` (https://developer.salesforce.com/tools/salesforcecli), or point the setting tokenRelay.sfCli.path (VS Code) or the SF_CLI_PATH variable at the sf executable.`,
  );
}

async function isExecutableFile(p: string): Promise<boolean> {
  try {
    const st = await fsp.stat(p);
    if (!st.isFile()) return false;
    if (process.platform === 'win32') return true;
    await fsp.access(p, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The sf executable: `sfPath` (the setting) → SF_CLI_PATH → `sf` on PATH (with PATHEXT on Windows). */
export async function findSfCli(
  opts: { sfPath?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ path: string } | undefined> {
  const env = opts.env ?? process.env;
  const explicit = opts.sfPath?.trim() || env.SF_CLI_PATH?.trim();
  if (explicit) {
    // An explicit choice is used or refused as given: no silent fallback to another sf on PATH.
    const p = path.resolve(explicit);
    return (await isExecutableFile(p)) ? { path: p } : undefined;
  }
  const win = process.platform === 'win32';
  const pathVar = (win ? (env.Path ?? env.PATH) : env.PATH) ?? '';
  const exts = win ? (env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean) : [''];
  for (const dir of pathVar.split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const p = path.join(dir, `sf${ext.toLowerCase()}`);
      if (await isExecutableFile(p)) return { path: p };
    }
  }
  return undefined;
}

interface RunResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

/** Arguments that are safe inside a cmd.exe command line (only needed for a .cmd/.bat shim on Windows). */
const CMD_SAFE_ARG = /^[\w.@:/\\=+-]+$/;

async function resolveSf(opts: SfCliOptions): Promise<string> {
  const found = await findSfCli({ sfPath: opts.sfPath, env: opts.env });
  if (found) return found.path;
  const explicit = opts.sfPath?.trim() || (opts.env ?? process.env).SF_CLI_PATH?.trim();
  throw notFound(explicit ? `no executable file at ${explicit}` : 'not on PATH');
}

/** Runs sf once with `args` (+ `--json`); resolves with what it printed and its exit code. */
async function runSf(args: string[], opts: SfCliOptions): Promise<RunResult> {
  const log = opts.log ?? nullLogger;
  const sf = await resolveSf(opts);
  if (opts.signal?.aborted) throw abortError(opts.signal);
  const fullArgs = [...args, '--json'];
  const env = sfEnvironment(opts.env ?? process.env);
  let file = sf;
  let argv = fullArgs;
  const useCmd = process.platform === 'win32' && /\.(cmd|bat)$/i.test(sf);
  if (useCmd) {
    const bad = fullArgs.find((a) => !CMD_SAFE_ARG.test(a));
    if (bad !== undefined) throw new SfCliError('SF_REFUSED', `An argument cannot be passed to sf safely: ${bad}`);
    file = env.ComSpec ?? 'cmd.exe';
    argv = ['/d', '/s', '/c', `"${[`"${sf}"`, ...fullArgs].join(' ')}"`];
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_SF_TIMEOUT_MS;
  log.debug(`sf ${fullArgs.join(' ')}`);
  const started = Date.now();
  return new Promise<RunResult>((resolve, reject) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(file, argv, {
        env,
        cwd: opts.cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
        windowsVerbatimArguments: useCmd,
        shell: false,
      });
    } catch (e) {
      reject(notFound(safeErrorMessage(e)));
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let settled = false;
    let failure: Error | undefined;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const kill = (why: Error): void => {
      failure ??= why;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        }, 2000).unref();
      }
    };
    const onAbort = (): void => kill(abortError(opts.signal));
    const timer = setTimeout(
      () =>
        kill(
          new SfCliError(
            'SF_TIMEOUT',
            `The Salesforce CLI did not answer within ${Math.round(timeoutMs / 1000)} s (sf ${args.slice(0, 3).join(' ')}).`,
          ),
        ),
      timeoutMs,
    );
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const collect = (into: Buffer[]) => (b: Buffer) => {
      size += b.length;
      if (size > MAX_OUTPUT_BYTES) {
        kill(new SfCliError('SF_BAD_OUTPUT', `The Salesforce CLI printed more than ${MAX_OUTPUT_BYTES} bytes.`));
        return;
      }
      into.push(b);
    };
    child.stdout?.on('data', collect(out));
    child.stderr?.on('data', collect(err));
    child.on('error', (e: NodeJS.ErrnoException) =>
      finish(() =>
        reject(
          e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'ENOEXEC'
            ? notFound(`${sf}: ${e.code}`)
            : new SfCliError('SF_REFUSED', `The Salesforce CLI could not be started: ${safeErrorMessage(e)}`, {
                cause: e,
              }),
        ),
      ),
    );
    child.on('close', (code) =>
      finish(() => {
        if (failure) {
          reject(failure);
          return;
        }
        log.debug(`sf ${args.slice(0, 3).join(' ')}: exit ${code ?? 'signal'} after ${Date.now() - started} ms`);
        resolve({
          exitCode: code ?? undefined,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        });
      }),
    );
  });
}

/** Runs sf and returns its parsed JSON answer when it succeeded; throws SfCliError otherwise. */
async function sfJson(args: string[], opts: SfCliOptions, targetOrg?: string): Promise<Record<string, unknown>> {
  const r = await runSf(args, opts);
  // sf prints the JSON on stdout; some failures (and older versions) on stderr.
  const json = parseSfJson(r.stdout) ?? parseSfJson(r.stderr);
  if (r.exitCode === 0 && json && sfResult(json) !== undefined) return json;
  if (!json && isUnknownCommand(r.exitCode, r.stdout, r.stderr)) {
    throw new SfCliError('SF_REFUSED', `This Salesforce CLI has no command \`sf ${args.slice(0, 3).join(' ')}\`.`, {
      exitCode: r.exitCode,
      sfName: 'CommandNotFound',
    });
  }
  throw errorFromSf(json, r.exitCode, targetOrg, r.stderr);
}

/** `sf --version` (the first line, e.g. `@salesforce/cli/2.150.6 linux-x64 node-v24.22.3`). */
export async function sfCliVersion(opts: SfCliOptions = {}): Promise<string> {
  const r = await runSf(['--version'], opts);
  const json = parseSfJson(r.stdout);
  // `sf --version --json` prints an object with cliVersion …; older ones print the plain line.
  if (json) {
    const v = json.cliVersion ?? json.version;
    const arch = typeof json.architecture === 'string' ? ` ${json.architecture}` : '';
    const node = typeof json.nodeVersion === 'string' ? ` ${json.nodeVersion}` : '';
    if (typeof v === 'string' && v) return `${v}${arch}${node}`;
  }
  const line = r.stdout.split(/\r?\n/).find((l) => l.trim());
  if (r.exitCode !== 0 || !line) throw errorFromSf(json, r.exitCode, undefined, r.stderr);
  return line.trim();
}

/** `sf org list --json --skip-connection-status`: every org the CLI knows, deduplicated by username. */
export async function listSfOrgs(opts: SfCliOptions & { connectionStatus?: boolean } = {}): Promise<SfOrg[]> {
  const args = ['org', 'list'];
  if (!opts.connectionStatus) args.push('--skip-connection-status');
  const json = await sfJson(args, opts);
  return orgsFromList(sfResult(json));
}

const isCommandNotFound = (e: unknown): boolean => e instanceof SfCliError && e.sfName === 'CommandNotFound';

function signinRequired(targetOrg: string, why: string): SfCliError {
  return new SfCliError(
    'SF_SIGNIN_REQUIRED',
    `${why} Run \`${sfLoginCommand(targetOrg).join(' ')}\` in a terminal, then try again.`,
  );
}

export interface SfAccessOptions extends SfCliOptions {
  /**
   * The org's instance URL and username when the caller already knows them (the env file of an imported org): sf is
   * then asked only for the token (one process instead of two). The caller retries without it when the token is
   * refused at that URL (an org that moved).
   */
  known?: { instanceUrl: string; username: string };
}

/**
 * A fresh access token of `targetOrg` (alias or username): `sf org auth show-access-token --json` (sf refreshes
 * first), with the org's instance URL and username from `sf org list` run beside it; on a CLI without that command,
 * `sf org display --json` (whose `[REDACTED]` placeholder is no token → SF_SIGNIN_REQUIRED). `maybeStale`: sf said it
 * could not refresh, so the caller checks the token over REST before trusting it.
 */
export async function sfAccessToken(targetOrg: string, opts: SfAccessOptions = {}): Promise<SfAccess> {
  const org = targetOrg.trim();
  if (!org) throw new SfCliError('SF_ORG_UNKNOWN', 'No sf CLI org is named (SF_TARGET_ORG / --target-org is empty).');
  const log = opts.log ?? nullLogger;
  // One process each, side by side: the org list (no network) gives the instance URL and username while sf refreshes.
  // With `known` (the env file's values for this org) there is no second process.
  const listing: Promise<SfOrg[] | Error> = opts.known
    ? Promise.resolve([
        { ...opts.known, alias: org, isSandbox: false, isScratch: false, isDevHub: false, isDefault: false },
      ])
    : listSfOrgs(opts).then(
        (orgs) => orgs,
        (e: unknown) => e as Error,
      );
  let json: Record<string, unknown>;
  let via: SfAccess['via'] = 'show-access-token';
  try {
    json = await sfJson(['org', 'auth', 'show-access-token', '--target-org', org], opts, org);
  } catch (e) {
    if (!isCommandNotFound(e)) {
      await listing; // never leave the side run behind
      throw e;
    }
    log.info('this sf CLI has no `org auth show-access-token`: asking `sf org display`');
    via = 'org-display';
    json = await sfJson(['org', 'display', '--target-org', org], opts, org).catch(async (e2: unknown) => {
      await listing;
      throw e2;
    });
  }
  const result = sfResult(json);
  const token = accessTokenOf(result);
  const stale = saysStale(json);
  const shown = orgFromDisplay(result);
  const orgs = await listing;
  const lower = org.toLowerCase();
  const known =
    orgs instanceof Error
      ? undefined
      : (orgs.find((o) => o.alias?.toLowerCase() === lower) ?? orgs.find((o) => o.username.toLowerCase() === lower));
  if (!token) {
    throw signinRequired(
      org,
      via === 'org-display'
        ? `This Salesforce CLI hides the access token of "${org}" (\`sf org display\` prints [REDACTED]) and has no \`sf org auth show-access-token\`: update it (\`npm install --global @salesforce/cli\`).`
        : `The Salesforce CLI gave no access token for "${org}".`,
    );
  }
  const instanceUrl = shown.instanceUrl ?? known?.instanceUrl;
  const username = shown.username ?? known?.username;
  if (!instanceUrl || !username) {
    const why = orgs instanceof Error ? `: ${safeErrorMessage(orgs)}` : '';
    throw new SfCliError(
      'SF_BAD_OUTPUT',
      `The Salesforce CLI gave a token for "${org}" but not its instance URL and username${why}.`,
    );
  }
  const access: SfAccess = {
    accessToken: token,
    instanceUrl: instanceUrl.replace(/\/+$/, ''),
    username,
    via,
    maybeStale: stale,
  };
  const orgId = shown.orgId ?? known?.orgId;
  if (orgId) access.orgId = orgId;
  return access;
}

/**
 * The default org of an sf project: with `sfdx-project.json` in `workspaceDir`, `.sf/config.json` `target-org`, else
 * the legacy `.sfdx/sfdx-config.json` `defaultusername`. undefined when it is not an sf project or names none.
 */
export async function readProjectTargetOrg(workspaceDir: string): Promise<string | undefined> {
  const readJson = async (p: string): Promise<Record<string, unknown> | undefined> => {
    try {
      const st = await fsp.stat(p);
      if (!st.isFile() || st.size > 1024 * 1024) return undefined;
      const v: unknown = JSON.parse(await fsp.readFile(p, 'utf8'));
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  try {
    const st = await fsp.stat(path.join(workspaceDir, 'sfdx-project.json'));
    if (!st.isFile()) return undefined;
  } catch {
    return undefined;
  }
  const pick = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  const sf = await readJson(path.join(workspaceDir, '.sf', 'config.json'));
  const fromSf = pick(sf?.['target-org']);
  if (fromSf) return fromSf;
  const sfdx = await readJson(path.join(workspaceDir, '.sfdx', 'sfdx-config.json'));
  return pick(sfdx?.defaultusername) ?? pick(sfdx?.['target-org']);
}
