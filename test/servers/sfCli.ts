/**
 * The real Salesforce CLI (`sf`, installed by scripts/lib/sfCli.mjs into the tools cache) as a test peer, logged in
 * to the emulator in a temp HOME:
 * - `sfLoginAccessToken`: `sf org login access-token --instance-url <emulator> --no-prompt` with SF_ACCESS_TOKEN (an
 *   org sf cannot refresh: no refresh token);
 * - `sfLoginWeb`: `sf org login web --instance-url <emulator>` with sf's own client `PlatformCLI`, through the
 *   emulator's authorize page driven by headless Chromium (test/servers/sfBrowser.mjs behind a BROWSER script);
 *   the port of sf's callback listener comes from a temp sfdx-project.json (`oauthLocalPort`), so tests do not fight
 *   over 1717. The emulator needs PLATFORM_CLI_APP with that callback (`addPlatformCliApp`).
 * `sfTestCli()` answers `{ skip }` when sf is not installed locally; under CI=true a missing sf is an error.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PLATFORM_CLI_APP, type Emulator } from '../../src/emulator/index';

interface SfCliLib {
  sfCliPath(): string;
  isSfCliInstalled(): boolean;
  nodeBinDir(): string;
  sfCliEnv(home: string | undefined, extra?: Record<string, string>): NodeJS.ProcessEnv;
}
/** scripts/lib/sfCli.mjs, loaded as ESM (it and codeServer.mjs use top-level await, which require() cannot load). */
async function loadLib(): Promise<SfCliLib> {
  const spec = path.resolve(__dirname, '../../scripts/lib/sfCli.mjs');
  return (await import(pathToFileURL(spec).href)) as SfCliLib;
}

export interface SfRun {
  code: number | null;
  stdout: string;
  stderr: string;
  json?: Record<string, unknown>;
}

export interface SfTestCli {
  sfPath: string;
  /** The temp HOME sf keeps its logins in (~/.sfdx, ~/.sf). */
  home: string;
  /** sf's environment: Node 24 first on PATH, HOME, no telemetry/auto-update. */
  env: NodeJS.ProcessEnv;
  /** Node 24's bin (sf's bin script runs `node`) and sf's folder first, for children that run sf (token-relay). */
  path: string;
  run(args: string[], opts?: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number }): Promise<SfRun>;
  cleanup(): void;
}

/** The installed sf, or why the tests skip (only outside CI: under CI=true a missing sf throws). */
export async function sfTestCli(): Promise<SfTestCli | { skip: string }> {
  const lib = await loadLib();
  const sfPath = lib.sfCliPath();
  if (!lib.isSfCliInstalled() && !existsSync(sfPath)) {
    const why = `the real sf CLI is not installed at ${sfPath} (run \`node scripts/lib/sfCli.mjs install\`)`;
    if (process.env.CI === 'true') throw new Error(`CI=true needs ${why}`);
    return { skip: why };
  }
  const home = mkdtempSync(path.join(tmpdir(), 'token-relay-sfhome-'));
  const env = lib.sfCliEnv(home);
  // sf's own folder on PATH too: `sf` by name is what token-relay finds when SF_CLI_PATH is not set.
  env.PATH = `${path.dirname(sfPath)}${path.delimiter}${env.PATH ?? ''}`;
  const run: SfTestCli['run'] = (args, opts = {}) =>
    new Promise((resolve) => {
      const child = execFile(
        sfPath,
        args,
        {
          env: opts.env ?? env,
          cwd: opts.cwd ?? home,
          encoding: 'utf8',
          timeout: opts.timeoutMs ?? 180_000,
          maxBuffer: 16 * 1024 * 1024,
        },
        (_e, stdout, stderr) => {
          let json: Record<string, unknown> | undefined;
          try {
            json = JSON.parse(stdout) as Record<string, unknown>;
          } catch {
            json = undefined;
          }
          resolve({ code: child.exitCode, stdout, stderr, json });
        },
      );
    });
  return {
    sfPath,
    home,
    env,
    path: env.PATH ?? '',
    run,
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  };
}

/** An access token of `username` from the emulator (the password grant of the demo client `demo-client-id`, which the
 * user's org must list in its `clients`, as DEMO_ORG does). */
export async function emulatorAccessToken(emu: Emulator, username: string): Promise<string> {
  const u = emu.user(username);
  if (!u) throw new Error(`emulator: no user ${username}`);
  const res = await fetch(`${emu.url}/services/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: 'demo-client-id',
      client_secret: 'demo-client-secret',
      username: u.username,
      password: u.password + u.token,
    }),
  });
  const j = (await res.json()) as { access_token?: string; error?: string };
  if (!j.access_token) throw new Error(`emulator: no access token for ${username}: ${j.error ?? res.status}`);
  return j.access_token;
}

function describe(r: SfRun): string {
  const msg = r.json && typeof r.json.message === 'string' ? r.json.message : r.stderr.slice(0, 500);
  return `exit ${r.code}: ${msg}`;
}

/** `sf org login access-token`: the org is known to sf without a refresh token. */
export async function sfLoginAccessToken(
  cli: SfTestCli,
  emu: Emulator,
  username: string,
  alias: string,
): Promise<void> {
  const token = await emulatorAccessToken(emu, username);
  const r = await cli.run(
    ['org', 'login', 'access-token', '--instance-url', emu.url, '--no-prompt', '--alias', alias, '--json'],
    { env: { ...cli.env, SF_ACCESS_TOKEN: token } },
  );
  if (r.code !== 0) throw new Error(`sf org login access-token failed: ${describe(r)}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Adds sf's PlatformCLI client to the emulator with the callback of `port` (and 1717). */
export function addPlatformCliApp(emu: Emulator, port: number): void {
  const callbacks = ['http://localhost:1717/OauthRedirect', `http://localhost:${port}/OauthRedirect`];
  if (emu.apps().some((a) => a.clientId === PLATFORM_CLI_APP.clientId))
    emu.setApp(PLATFORM_CLI_APP.clientId, { callbackUrls: callbacks });
  else emu.addApp({ ...PLATFORM_CLI_APP, callbackUrls: callbacks });
}

/**
 * `sf org login web --instance-url <emulator> --alias <alias>`: headless Chromium logs in as `username` (password
 * from the emulator) and allows PlatformCLI. The org then has a refresh token in sf.
 */
export async function sfLoginWeb(cli: SfTestCli, emu: Emulator, username: string, alias: string): Promise<void> {
  const u = emu.user(username);
  if (!u) throw new Error(`emulator: no user ${username}`);
  const port = await freePort();
  addPlatformCliApp(emu, port);
  const work = mkdtempSync(path.join(cli.home, 'weblogin-'));
  const project = path.join(work, 'project');
  mkdirSync(path.join(project, 'force-app'), { recursive: true });
  writeFileSync(
    path.join(project, 'sfdx-project.json'),
    JSON.stringify({ packageDirectories: [{ path: 'force-app', default: true }], oauthLocalPort: port }),
  );
  const config = path.join(work, 'browser.json');
  const doneFile = path.join(work, 'browser.done');
  writeFileSync(config, JSON.stringify({ username: u.username, password: u.password, doneFile }), { mode: 0o600 });
  const driver = path.resolve(__dirname, 'sfBrowser.mjs');
  const browserScript = path.join(work, 'browser.sh');
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  // Returns at once: sf answers its callback only after the opener has exited.
  writeFileSync(
    browserScript,
    `#!/bin/sh\nTOKEN_RELAY_SF_BROWSER_CONFIG=${q(config)} nohup ${q(process.execPath)} ${q(driver)} "$1" >>${q(path.join(work, 'browser.log'))} 2>&1 </dev/null &\nexit 0\n`,
  );
  chmodSync(browserScript, 0o755);
  const r = await cli.run(['org', 'login', 'web', '--instance-url', emu.url, '--alias', alias, '--json'], {
    env: { ...cli.env, BROWSER: browserScript, DISPLAY: '' },
    cwd: project,
    timeoutMs: 240_000,
  });
  if (r.code !== 0) {
    let browser = '';
    try {
      browser = readFileSync(doneFile, 'utf8') + readFileSync(path.join(work, 'browser.log'), 'utf8').slice(-1500);
    } catch {
      /* the browser never ran */
    }
    throw new Error(`sf org login web failed: ${describe(r)}; browser: ${browser || 'no output'}`);
  }
}
