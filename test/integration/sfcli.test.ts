/**
 * The real Salesforce CLI (@salesforce/cli, installed by scripts/lib/sfCli.mjs) against the emulator, with
 * `token-relay sf-import` and `token-relay login` (src/cli.ts through tsx, a child process):
 * - an org logged in with `sf org login web` (PlatformCLI, headless Chromium; sf keeps a refresh token) imports into a
 *   working .env; after its access token expires, `login` gets a fresh one through sf and rewrites .env;
 * - an org logged in with `sf org login access-token` (no refresh token) imports while its token lives; once expired
 *   sf hands out the stale token (exit 0, a warning): Token Relay answers signin-required naming `sf org login web`;
 * - an alias sf does not know: exit 1; no sf (SF_CLI_PATH to a missing file, PATH without sf): exit 2;
 * - a CLI without `sf org auth show-access-token` (the real sf behind a wrapper that answers "not a sf command" for it):
 *   the `sf org display` fallback, whose [REDACTED] is no token (exit 1), or the real token with SF_TEMP_SHOW_SECRETS;
 * - canary: no access token in any stdout/stderr (incl. --verbose logs).
 * Locally without the sf CLI these tests skip; under CI=true a missing sf fails.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startEmulator, DEMO_APP, type Emulator } from '../../src/emulator';
import { parseEnv } from '../../src/core/dotenv';
import { listSfOrgs, sfCliVersion } from '../../src/sfcli/index';
import { SESSION_ID, scanForSecrets } from '../fuzz/secretScan';
import { sfLoginAccessToken, sfLoginWeb, sfTestCli, type SfTestCli } from '../servers/sfCli';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'src', 'cli.ts');
const TSX = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const KEYS = ['status', 'label', 'code', 'message', 'organizationId', 'username', 'instanceUrl'];
const WEB = { username: 'web.user@sfcli.test', password: 'SfCli-Web-Pw-1' };
const AT = { username: 'token.user@sfcli.test', password: 'SfCli-At-Pw-1' };

let emu: Emulator;
let cli: SfTestCli | undefined;
let skip: string | undefined;
let dir: string;
const outputs: Array<{ source: string; text: string }> = [];
const tokens = new Set<string>();

before(async () => {
  const c = await sfTestCli();
  if ('skip' in c) {
    skip = c.skip;
    return;
  }
  cli = c;
  emu = await startEmulator({
    // The demo client: the access-token login's token comes from the password grant (test/servers/sfCli.ts).
    orgs: [
      {
        id: '00D5g000004SfCl',
        name: 'SF CLI Org',
        clients: [{ clientId: 'demo-client-id', clientSecret: 'demo-client-secret' }],
      },
    ],
    users: [
      { ...WEB, firstName: 'Web', lastName: 'User' },
      { ...AT, firstName: 'Token', lastName: 'User' },
    ],
    apps: [DEMO_APP],
  });
  dir = mkdtempSync(path.join(tmpdir(), 'tr-sfcli-it-'));
  await sfLoginWeb(cli, emu, WEB.username, 'web');
  await sfLoginAccessToken(cli, emu, AT.username, 'at');
});

after(async () => {
  await emu?.close();
  cli?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json?: Record<string, unknown>;
}

let caseNo = 0;
function caseDir(): { cwd: string; envFile: string } {
  const cwd = path.join(dir, `case${++caseNo}`);
  mkdirSync(cwd, { recursive: true });
  return { cwd, envFile: path.join(cwd, '.env') };
}

/** token-relay in a child process; HOME is sf's temp home, PATH has Node 24 first (sf's bin runs `node`). */
function runCli(args: string[], o: { cwd: string; env?: Record<string, string> }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], {
      cwd: o.cwd,
      env: { PATH: cli!.path, HOME: cli!.home, ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const killer = setTimeout(() => {
      stderr += '\n[test: killed after 240 s]\n';
      child.kill('SIGKILL');
    }, 240_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      outputs.push({ source: `token-relay ${args.join(' ')} stdout`, text: stdout });
      outputs.push({ source: `token-relay ${args.join(' ')} stderr`, text: stderr });
      let json: Record<string, unknown> | undefined;
      try {
        json = stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : undefined;
      } catch {
        json = undefined;
      }
      resolve({ code: code ?? -1, stdout, stderr, json });
    });
  });
}

function readEnv(file: string): Record<string, string> {
  const vars = parseEnv(readFileSync(file, 'utf8'));
  if (vars.SF_ACCESS_TOKEN) tokens.add(vars.SF_ACCESS_TOKEN);
  return vars;
}

async function works(vars: Record<string, string>): Promise<number> {
  const res = await fetch(`${vars.SF_INSTANCE_URL}/services/data/v64.0/limits`, {
    headers: { Authorization: `Bearer ${vars.SF_ACCESS_TOKEN}` },
  });
  await res.arrayBuffer();
  return res.status;
}

test('listSfOrgs and sfCliVersion against the real sf: both logins, aliases, instance URLs', async (t) => {
  if (skip) return t.skip(skip);
  const opts = { sfPath: cli!.sfPath, env: cli!.env };
  assert.match(await sfCliVersion(opts), /@salesforce\/cli\/\d+\.\d+\.\d+/);
  const orgs = await listSfOrgs(opts);
  const byAlias = new Map(orgs.map((o) => [o.alias, o]));
  assert.equal(byAlias.get('web')?.username, WEB.username);
  assert.equal(byAlias.get('at')?.username, AT.username);
  for (const o of orgs) {
    assert.equal(o.instanceUrl?.replace(/\/$/, ''), emu.url);
    assert.match(o.orgId ?? '', /^00D5g000004SfCl/);
    assert.equal(o.isScratch, false);
  }
  assert.equal(new Set(orgs.map((o) => o.username)).size, orgs.length, 'one entry per org');
});

test('sf-import of a web-login org: a working .env (SF_AUTH=sf-cli); expiry → login refreshes through sf and rewrites it', async (t) => {
  if (skip) return t.skip(skip);
  const { cwd, envFile } = caseDir();
  writeFileSync(envFile, '# my app\nOTHER=keep\n');
  const r = await runCli(['sf-import', '--target-org', 'web', '--verbose'], { cwd });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(Object.keys(r.json!), KEYS);
  assert.equal(r.json!.status, 'ok');
  assert.equal(r.json!.username, WEB.username);
  const vars = readEnv(envFile);
  assert.equal(vars.OTHER, 'keep');
  assert.equal(vars.SF_AUTH, 'sf-cli');
  assert.equal(vars.SF_TARGET_ORG, 'web');
  assert.equal(vars.SF_USERNAME, WEB.username);
  assert.equal(vars.SF_INSTANCE_URL, emu.url);
  assert.match(vars.SF_ACCESS_TOKEN ?? '', /^00D\w{12,15}!/);
  assert.equal(await works(vars), 200, 'the .env token works on /services/data');
  assert.match(r.stderr, /wrote .*SF_ACCESS_TOKEN/);

  // Still fresh: login tests over REST and leaves the file alone.
  const same = await runCli(['login'], { cwd });
  assert.equal(same.code, 0, same.stderr);
  assert.equal(readEnv(envFile).SF_ACCESS_TOKEN, vars.SF_ACCESS_TOKEN);

  const grants = emu.oauthStats.refreshGrants;
  emu.expireAccessTokens(WEB.username);
  assert.equal(await works(vars), 401, 'expired');
  const l = await runCli(['login', '--dotenv', '.env'], { cwd });
  assert.equal(l.code, 0, l.stderr);
  assert.equal(l.json!.status, 'ok');
  assert.ok(emu.oauthStats.refreshGrants > grants, 'sf refreshed with its PlatformCLI refresh token');
  const after = readEnv(envFile);
  assert.notEqual(after.SF_ACCESS_TOKEN, vars.SF_ACCESS_TOKEN, '.env rewritten');
  assert.equal(after.OTHER, 'keep');
  assert.equal(await works(after), 200);
  assert.match(l.stderr, /refreshed through the sf CLI/);
});

test('an access-token org (no refresh token): imports while the token lives; expired → signin-required naming sf org login web', async (t) => {
  if (skip) return t.skip(skip);
  const { cwd, envFile } = caseDir();
  const r = await runCli(['sf-import', '--target-org', 'at'], { cwd });
  assert.equal(r.code, 0, r.stderr);
  const vars = readEnv(envFile);
  assert.equal(vars.SF_USERNAME, AT.username);
  emu.expireAccessTokens(AT.username);
  const l = await runCli(['login'], { cwd });
  assert.equal(l.code, 1, l.stderr);
  assert.equal(l.json!.status, 'signin-required');
  assert.equal(l.json!.code, 'SF_TOKEN_STALE');
  assert.match(String(l.json!.message), /sf org login web -o at/);
  assert.equal(readEnv(envFile).SF_ACCESS_TOKEN, vars.SF_ACCESS_TOKEN, 'a stale token is never written');
  const again = caseDir();
  const i = await runCli(['sf-import', '--target-org', 'at'], { cwd: again.cwd });
  assert.equal(i.code, 1, i.stderr);
  assert.equal(i.json!.status, 'signin-required');
  assert.match(String(i.json!.message), /sf org login web -o at/);
  assert.equal(existsSync(again.envFile), false, 'nothing written');
});

test('an alias sf does not know: exit 1 (sf itself exits 2), nothing written; usage: no --target-org → 2', async (t) => {
  if (skip) return t.skip(skip);
  const { cwd, envFile } = caseDir();
  const r = await runCli(['sf-import', '--target-org', 'nobody-knows-me'], { cwd });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.json!.code, 'SF_ORG_UNKNOWN');
  assert.match(String(r.json!.message), /does not know the org "nobody-knows-me"/);
  assert.equal(existsSync(envFile), false);
  const u = await runCli(['sf-import'], { cwd });
  assert.equal(u.code, 2);
  assert.equal(u.stdout, '');
  assert.match(u.stderr, /--target-org ALIAS is required/);
});

test('no sf CLI: SF_CLI_PATH to a missing file, or PATH without sf → exit 2 with how to install it', async (t) => {
  if (skip) return t.skip(skip);
  const { cwd, envFile } = caseDir();
  const missing = await runCli(['sf-import', '--target-org', 'web'], {
    cwd,
    env: { SF_CLI_PATH: path.join(cwd, 'no', 'sf') },
  });
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /npm install --global @salesforce\/cli/);
  const noPath = await runCli(['sf-import', '--target-org', 'web'], { cwd, env: { PATH: '/nonexistent-bin' } });
  assert.equal(noPath.code, 2, noPath.stderr);
  assert.match(noPath.stderr, /not found on PATH/);
  assert.equal(existsSync(envFile), false);
  // login on an sf-cli .env whose token expired, without sf: login failed (1) with the install hint.
  writeFileSync(
    envFile,
    `SF_AUTH=sf-cli\nSF_TARGET_ORG=web\nSF_USERNAME=${WEB.username}\nSF_INSTANCE_URL=${emu.url}\nSF_ACCESS_TOKEN=00D5g000004SfCl!ARexpiredAQ.no.such.session.token.for.tests\n`,
  );
  const l = await runCli(['login'], { cwd, env: { PATH: '/nonexistent-bin' } });
  assert.equal(l.code, 1, l.stderr);
  assert.equal(l.json!.code, 'SF_NOT_FOUND');
  assert.match(String(l.json!.message), /npm install --global @salesforce\/cli/);
});

test('a CLI without `org auth show-access-token`: the org display fallback ([REDACTED] → exit 1; SF_TEMP_SHOW_SECRETS → the token)', async (t) => {
  if (skip) return t.skip(skip);
  const { cwd, envFile } = caseDir();
  const wrapper = path.join(cwd, 'old-sf');
  // The real sf, except that it answers the way sf answers a command it does not have.
  writeFileSync(
    wrapper,
    `#!/bin/sh\nif [ "$1 $2 $3" = "org auth show-access-token" ]; then\n  echo " ›   Warning: org auth show-access-token is not a sf command." >&2\n  exit 127\nfi\nexec '${cli!.sfPath}' "$@"\n`,
  );
  chmodSync(wrapper, 0o755);
  const r = await runCli(['sf-import', '--target-org', 'web', '--verbose'], { cwd, env: { SF_CLI_PATH: wrapper } });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.json!.status, 'signin-required');
  assert.match(String(r.json!.message), /\[REDACTED\].*update it/);
  assert.match(r.stderr, /asking `sf org display`/);
  assert.equal(existsSync(envFile), false);
  const shown = await runCli(['sf-import', '--target-org', 'web'], {
    cwd,
    env: { SF_CLI_PATH: wrapper, SF_TEMP_SHOW_SECRETS: 'true' },
  });
  assert.equal(shown.code, 0, shown.stderr);
  const vars = readEnv(envFile);
  assert.equal(await works(vars), 200);
});

test('canary: no access token in any token-relay output', (t) => {
  if (skip) return t.skip(skip);
  assert.ok(outputs.length > 10 && tokens.size >= 3, `${outputs.length} outputs, ${tokens.size} tokens`);
  const hits = scanForSecrets(
    outputs,
    [...tokens].map((v, i) => [`access token ${i + 1}`, v]),
  );
  assert.deepEqual(hits, []);
  for (const o of outputs) assert.doesNotMatch(o.text, SESSION_ID, o.source);
});
