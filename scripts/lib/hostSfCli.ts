/**
 * The real Salesforce CLI for the host tests (test/host/sfcli.test.ts), started by hostStack.ts in the harness: a
 * temp HOME in which the real sf (the tools cache's `sf-cli-<version>`, run with the cached Node 24 first on PATH) is
 * logged in to the emulator with `sf org login web` (client PlatformCLI, so sf holds a refresh token and can refresh
 * an expired access token). The browser step: sf opens the authorize URL through `$BROWSER` (a script that only
 * records it and returns at once: sf answers its callback only after the opener exited), then authorizeByHttp logs in
 * and allows on the emulator's pages and the callback is fetched from sf's listener on 127.0.0.1:1717.
 * The HOME, PATH and the sf path reach the extension host through extensionEnvironment (hostStack.ts `env`).
 * No sf installed: undefined (the suite says so and skips), except under CI=true where it is an error.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { authorizeByHttp, PLATFORM_CLI_APP, type Emulator } from '../../src/emulator';

/** The tools cache and Node 24 of scripts/lib/codeServer.mjs (same variables, same defaults). */
const cacheDir = (): string =>
  path.resolve(process.env.TOKEN_RELAY_CACHE || path.join(os.homedir(), '.cache', 'token-relay'));
const NODE_VERSION = process.env.TOKEN_RELAY_NODE24_VERSION || '24.22.3';

export const SF_CLI_VERSION = process.env.TOKEN_RELAY_SF_CLI_VERSION || '2.150.6';

export interface HostSfCli {
  /** The cached sf, or undefined when it is not installed (the sf CLI tests skip; an error under CI=true). */
  sfPath?: string;
  home: string;
  /** For the extension host: HOME (sf's), PATH (Node 24 first), the sf path. */
  env: Record<string, string>;
  /** `sf org login web` to the emulator as `user` under `alias` (through $BROWSER + authorizeByHttp). */
  login(emulator: Emulator, user: { username: string; password: string }, alias: string): Promise<void>;
  cleanup(): void;
}

/** The cached sf executable, or undefined when it is not installed. */
export function cachedSfPath(): string | undefined {
  const p =
    process.env.TOKEN_RELAY_SF_CLI_PATH ||
    path.join(cacheDir(), `sf-cli-${SF_CLI_VERSION}`, 'node_modules', '.bin', 'sf');
  return existsSync(p) ? p : undefined;
}

function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The temp HOME of the host tests' sf (made at once, logged in on demand: the control op `sfLogin`). */
export function prepareHostSfCli(log: (line: string) => void = () => {}): HostSfCli {
  const sfPath = cachedSfPath();
  const nodeBin = path.join(cacheDir(), `node-v${NODE_VERSION}`, 'bin');
  const home = mkdtempSync(path.join(os.tmpdir(), 'token-relay-sfhome-'));
  const env: Record<string, string> = {
    HOME: home,
    PATH: `${nodeBin}${path.delimiter}${process.env.PATH ?? ''}`,
    SF_DISABLE_TELEMETRY: 'true',
    SF_DISABLE_AUTOUPDATE: 'true',
    SF_USE_GENERIC_UNIX_KEYCHAIN: 'true',
    ...(sfPath ? { TOKEN_RELAY_TEST_SF_PATH: sfPath } : {}),
  };
  return {
    sfPath,
    home,
    env,
    async login(emulator, user, alias) {
      if (!sfPath)
        throw new Error(
          `the real sf CLI is not installed (${path.join(cacheDir(), `sf-cli-${SF_CLI_VERSION}`)}): run node scripts/lib/sfCli.mjs install`,
        );
      await sfWebLogin(sfPath, home, env, emulator, user, alias, log);
    },
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  };
}

async function sfWebLogin(
  sfPath: string,
  home: string,
  env: Record<string, string>,
  emulator: Emulator,
  user: { username: string; password: string },
  alias: string,
  log: (line: string) => void,
): Promise<void> {
  const emulatorUrl = emulator.url;
  // sf's callback listener on a free port (sfdx-project.json oauthLocalPort in its cwd), listed by the PlatformCLI app:
  // no fight over 1717 with other tests running at the same time.
  const port = await new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  const callbacks = ['http://localhost:1717/OauthRedirect', `http://localhost:${port}/OauthRedirect`];
  if (emulator.apps().some((a) => a.clientId === PLATFORM_CLI_APP.clientId))
    emulator.setApp(PLATFORM_CLI_APP.clientId, { callbackUrls: callbacks });
  else emulator.addApp({ ...PLATFORM_CLI_APP, callbackUrls: callbacks });
  const project = path.join(home, 'login-project');
  mkdirSync(path.join(project, 'force-app'), { recursive: true });
  writeFileSync(
    path.join(project, 'sfdx-project.json'),
    JSON.stringify({ packageDirectories: [{ path: 'force-app', default: true }], oauthLocalPort: port }),
  );
  const urls = path.join(home, 'opened-urls.txt');
  const browser = path.join(home, 'browser.sh');
  writeFileSync(browser, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${urls}'\nexit 0\n`, { mode: 0o755 });
  rmSync(urls, { force: true });
  const sfEnv: NodeJS.ProcessEnv = { ...process.env, ...env, BROWSER: browser, DISPLAY: '' };
  for (const k of Object.keys(sfEnv))
    if (/^SF_(TARGET_ORG|ACCESS_TOKEN|INSTANCE_URL|API_VERSION)$/.test(k)) delete sfEnv[k];
  const t0 = Date.now();
  const login = run(
    sfPath,
    ['org', 'login', 'web', '--instance-url', emulatorUrl, '--alias', alias, '--json'],
    sfEnv,
    project,
    150_000,
  );
  // The browser: wait for the URL sf opened, log in and allow, hand the landed URL to sf's listener.
  let url: string | undefined;
  const until = Date.now() + 60_000;
  while (!url && Date.now() < until) {
    if (existsSync(urls))
      url = readFileSync(urls, 'utf8')
        .split('\n')
        .find((l) => l.includes('/services/oauth2/authorize'));
    if (!url) await new Promise((r) => setTimeout(r, 100));
  }
  if (!url) {
    const r = await Promise.race([login, new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000))]);
    throw new Error(
      `sf org login web opened no authorize URL${r ? ` (exit ${r.code}: ${r.stdout.slice(0, 400)} ${r.stderr.slice(0, 400)})` : ''}`,
    );
  }
  const landed = await authorizeByHttp(url, user);
  const callback = new URL(landed);
  if (callback.hostname === 'localhost') callback.hostname = '127.0.0.1';
  const res = await fetch(callback, { redirect: 'follow' });
  await res.text();
  const done = await login;
  if (done.code !== 0)
    throw new Error(
      `sf org login web failed (exit ${done.code}): ${done.stdout.slice(0, 600)} ${done.stderr.slice(0, 300)}`,
    );
  log(`[sf] logged in to ${emulatorUrl} as ${user.username} (alias ${alias}) in ${Date.now() - t0} ms; HOME ${home}`);
}
