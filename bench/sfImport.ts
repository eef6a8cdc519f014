/**
 * sf_import_ratio: `token-relay sf-import --target-org ALIAS` end to end (a child process: bin/token-relay.js →
 * dist/cli.js, which runs `sf org auth show-access-token --json` and, beside it, `sf org list --json
 * --skip-connection-status` for the instance URL, then checks the token over REST and writes .env) vs the bare
 * `sf org auth show-access-token --json --target-org ALIAS` it makes. Same org, same run, alternated; medians.
 * Also the cold starts side by side: sf_cold_start_ms (`sf --version`) and token_relay_cold_start_ms
 * (`token-relay --version`). The real sf CLI of the tools cache (scripts/lib/sfCli.mjs), logged in to the emulator
 * with `sf org login access-token` in a temp HOME. Figures only; nothing here asserts.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startEmulator } from '../src/emulator';
import { alternate, median, now, round, summarize } from './lib/stats';
import type { BenchContext, FigureSet } from './lib/types';

interface SfCliLib {
  ensureSfCli(o?: { log?: (l: string) => void }): Promise<{ sfPath: string; version: string }>;
  sfCliEnv(home: string | undefined, extra?: Record<string, string>): NodeJS.ProcessEnv;
}

function run(
  file: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cwd: string },
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const t0 = now();
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { ...opts, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
      (_e, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr, ms: now() - t0 }),
    );
  });
}

export async function benchSfImport(ctx: BenchContext): Promise<FigureSet> {
  const lib = (await import(pathToFileURL(path.join(ctx.root, 'scripts', 'lib', 'sfCli.mjs')).href)) as SfCliLib;
  const { sfPath, version } = await lib.ensureSfCli({ log: (l) => ctx.progress(`sf-cli: ${l}`) });
  const cli = path.join(ctx.root, 'bin', 'token-relay.js');
  if (!existsSync(path.join(ctx.root, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run npm run build');
  const emu = await startEmulator({
    orgs: [{ id: '00D5g000004Bnch', name: 'Bench sf Org', clients: [{ clientId: 'bench', clientSecret: 'bench-s' }] }],
    users: [{ username: 'bench.sf@acme.example', password: 'Bench-Sf-Pw-1', firstName: 'Bench', lastName: 'Sf' }],
  });
  const home = mkdtempSync(path.join(tmpdir(), 'token-relay-bench-sf-'));
  try {
    const env = lib.sfCliEnv(home);
    env.PATH = `${path.dirname(sfPath)}${path.delimiter}${env.PATH ?? ''}`;
    const u = emu.user('bench.sf@acme.example')!;
    const res = await fetch(`${emu.url}/services/oauth2/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'bench',
        client_secret: 'bench-s',
        username: u.username,
        password: u.password + u.token,
      }),
    });
    const token = ((await res.json()) as { access_token?: string }).access_token;
    if (!token) throw new Error('the emulator gave no access token');
    const login = await run(
      sfPath,
      ['org', 'login', 'access-token', '--instance-url', emu.url, '--no-prompt', '--alias', 'bench', '--json'],
      { env: { ...env, SF_ACCESS_TOKEN: token }, cwd: home },
    );
    if (login.code !== 0) throw new Error(`sf org login access-token failed (exit ${login.code})`);

    let n = 0;
    const importInto = async (envFile: string) => {
      const r = await run(process.execPath, [cli, 'sf-import', '--target-org', 'bench', '--dotenv', envFile], {
        env,
        cwd: home,
      });
      if (r.code !== 0) throw new Error(`token-relay sf-import failed (exit ${r.code}): ${r.stderr.slice(0, 300)}`);
      return r.ms;
    };
    // The figure: a first import (a new env file each time: sf is asked for the token and, beside it, the org list).
    const ours = () => importInto(path.join(home, `fresh-${++n}.env`));
    // A detail: a re-import into the env file that has the org (its instance URL is known: one sf process).
    const again = path.join(home, 'again.env');
    await importInto(again);
    const reimport = () => importInto(again);
    const bare = async () => {
      const r = await run(sfPath, ['org', 'auth', 'show-access-token', '--json', '--target-org', 'bench'], {
        env,
        cwd: home,
      });
      if (r.code !== 0) throw new Error(`sf org auth show-access-token failed (exit ${r.code})`);
      return r.ms;
    };
    const rounds = ctx.runs.login >= 100 ? 10 : 3;
    ctx.progress(`sf-import vs show-access-token: ${rounds} rounds (sf ${version})`);
    const pair = await alternate(rounds, ours, bare, { warmup: 1 });
    const re = await alternate(rounds, reimport, bare, { warmup: 0 });
    const cold = await alternate(
      rounds,
      async () => (await run(sfPath, ['--version'], { env, cwd: home })).ms,
      async () => (await run(process.execPath, [cli, '--version'], { env, cwd: home })).ms,
      { warmup: 1 },
    );
    const ratio = median(pair.a) / median(pair.b);
    return {
      figures: {
        sf_import_ratio: round(ratio),
        sf_cold_start_ms: round(median(cold.a)),
        token_relay_cold_start_ms: round(median(cold.b)),
      },
      details: {
        sf_import: {
          sf_cli_version: version,
          rounds,
          token_relay_sf_import_ms: summarize(pair.a),
          sf_show_access_token_ms: summarize(pair.b),
          reimport_ratio: round(median(re.a) / median(re.b)),
          token_relay_reimport_ms: summarize(re.a),
          sf_show_access_token_reimport_ref_ms: summarize(re.b),
          sf_version_ms: summarize(cold.a),
          token_relay_version_ms: summarize(cold.b),
          note: 'a first sf-import runs `sf org auth show-access-token` and `sf org list --skip-connection-status` side by side (the first gives only the token), then one REST check (userinfo + limits) and the .env write; a re-import (and login) knows the instance URL from the env file and runs sf once',
        },
      },
    };
  } finally {
    await emu.close();
    rmSync(home, { recursive: true, force: true });
  }
}
