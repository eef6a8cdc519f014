// The real Salesforce CLI (`sf`) as a test peer: installed from the npm registry into the tools cache, never a
// dependency of this package. @salesforce/cli needs Node >= 22 (under Node 20 `sf --version` works but every
// network command crashes in undici), so it is installed and run with the cached Node 24 of ./codeServer.mjs:
//   $TOKEN_RELAY_CACHE (default ~/.cache/token-relay)/
//     node-v24.22.3/bin/node
//     sf-cli-2.150.6/node_modules/.bin/sf      (`npm install @salesforce/cli@2.150.6`, the system npm under Node 24)
// Idempotent (a `.complete` marker) and guarded by a cross-process lock, so tests and the bench may call it at once.
//
// Exports:
//   SF_CLI_VERSION                      the pinned version (env TOKEN_RELAY_SF_CLI_VERSION overrides)
//   sfCliDir(), sfCliPath()             the install dir and its bin/sf (whether or not installed)
//   isSfCliInstalled()                  boolean
//   ensureSfCli({ log })                -> { sfPath, nodeBin, nodeDir, version, installedNow, seconds }
//   sfCliEnv(home, extra)               an environment for running the cached sf: Node 24 first on PATH, own HOME,
//                                       no telemetry, no auto-update
// CLI: `node scripts/lib/sfCli.mjs install` (prints where it is) | `path` (prints sfCliPath()).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cacheDir, ensureNode24, NODE_VERSION, run, withLock } from './codeServer.mjs';

export const SF_CLI_VERSION = process.env.TOKEN_RELAY_SF_CLI_VERSION || '2.150.6';

const defaultLog = (line) => process.stderr.write(`[sf-cli] ${line}\n`);

export function sfCliDir() {
  return path.join(cacheDir(), `sf-cli-${SF_CLI_VERSION}`);
}

export function sfCliPath() {
  return path.join(sfCliDir(), 'node_modules', '.bin', process.platform === 'win32' ? 'sf.cmd' : 'sf');
}

export function nodeBinDir() {
  return path.join(cacheDir(), `node-v${NODE_VERSION}`, 'bin');
}

export function isSfCliInstalled() {
  return existsSync(path.join(sfCliDir(), '.complete')) && existsSync(sfCliPath());
}

/** An environment for the cached sf: Node 24 first on PATH (sf's bin runs `node`), HOME = `home`, quiet. */
export function sfCliEnv(home, extra = {}) {
  return {
    ...process.env,
    PATH: `${nodeBinDir()}${path.delimiter}${process.env.PATH ?? ''}`,
    ...(home ? { HOME: home, USERPROFILE: home } : {}),
    SF_DISABLE_TELEMETRY: 'true',
    SF_DISABLE_AUTOUPDATE: 'true',
    SF_AUTOUPDATE_DISABLE: 'true',
    SF_SKIP_NEW_VERSION_CHECK: 'true',
    NO_COLOR: '1',
    ...extra,
  };
}

/** An install made by hand (no `.complete` marker) that answers `sf --version` with the pinned version is kept. */
function adoptInstall() {
  if (!existsSync(sfCliPath())) return false;
  const res = spawnSync(sfCliPath(), ['--version'], { encoding: 'utf8', env: sfCliEnv(undefined), timeout: 60_000 });
  const line = String(res.stdout ?? '')
    .split('\n')[0]
    .trim();
  if (res.status !== 0 || !line.includes(`/${SF_CLI_VERSION} `)) return false;
  writeFileSync(path.join(sfCliDir(), '.complete'), `${line}\n`);
  return true;
}

/** Node 24 + @salesforce/cli@SF_CLI_VERSION into the cache dir; a no-op when both are there. */
export async function ensureSfCli({ log = defaultLog } = {}) {
  const started = process.hrtime.bigint();
  const { nodeDir, nodeBin } = await ensureNode24({ log });
  const dir = sfCliDir();
  const done = (installedNow) => ({
    sfPath: sfCliPath(),
    nodeBin,
    nodeDir,
    version: SF_CLI_VERSION,
    installedNow,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  });
  if (isSfCliInstalled()) return done(false);
  if (adoptInstall()) return done(false);
  return withLock(
    'sf-cli',
    async () => {
      if (isSfCliInstalled()) return done(false);
      log(`installing @salesforce/cli@${SF_CLI_VERSION} into ${dir} with Node ${NODE_VERSION} (about a minute)`);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        path.join(dir, 'package.json'),
        JSON.stringify({ name: 'token-relay-sf-cli-cache', private: true }, null, 2),
      );
      const env = {
        ...process.env,
        // The cached Node has no npm of its own: the system npm's JS runs under Node 24 (first on PATH).
        PATH: `${path.join(nodeDir, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`,
        npm_config_update_notifier: 'false',
        npm_config_fund: 'false',
        npm_config_audit: 'false',
        FORCE_COLOR: '0',
      };
      run('npm', ['install', '--no-save', '--no-package-lock', `@salesforce/cli@${SF_CLI_VERSION}`], {
        cwd: dir,
        env,
      });
      if (!existsSync(sfCliPath())) throw new Error(`@salesforce/cli installed but ${sfCliPath()} is missing`);
      const scratch = path.join(dir, '.probe-home');
      mkdirSync(scratch, { recursive: true });
      const v = run(sfCliPath(), ['--version'], { quiet: true, env: sfCliEnv(scratch) });
      rmSync(scratch, { recursive: true, force: true });
      const line = String(v.stdout).split('\n')[0].trim();
      if (!line.includes(`/${SF_CLI_VERSION} `)) throw new Error(`unexpected sf --version: ${line}`);
      writeFileSync(path.join(dir, '.complete'), `${line}\n`);
      log(`sf ready: ${line}`);
      return done(true);
    },
    log,
  );
}

/** The version line the install recorded (no sf run), or undefined. */
export function installedSfCliVersion() {
  try {
    return readFileSync(path.join(sfCliDir(), '.complete'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const cmd = process.argv[2] ?? 'install';
  if (cmd === 'install') {
    const r = await ensureSfCli();
    console.log(
      `sf ${r.version} at ${r.sfPath}; node ${r.nodeBin}; ${r.installedNow ? `installed in ${r.seconds.toFixed(1)} s` : 'already installed'}`,
    );
  } else if (cmd === 'path') {
    console.log(sfCliPath());
  } else {
    console.error('usage: node scripts/lib/sfCli.mjs [install|path]');
    process.exit(2);
  }
}
