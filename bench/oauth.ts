/**
 * oauth_refresh_ratio: `token-relay oauth refresh` end to end (a `node dist/cli.js oauth refresh --dotenv …` process:
 * reads the env file, locks the credential-store entry, the refresh_token grant, the REST test of the new token
 * (userinfo + limits, as by default), the atomic .env write) vs a bare `fetch` of the same refresh POST to the same
 * emulator in a tiny `node -e` process. PROCESS START IS INCLUDED IN BOTH: each side is one fresh Node process, timed
 * from spawn to exit. Alternating runs, medians, one emulator, both warmed up first. The app does not rotate refresh
 * tokens (Salesforce's default), so both sides send a refresh token that stays valid: the same POST each time.
 * details.oauth also has the CLI with --no-limits (one REST call fewer) and a bare node:http client of the same POST
 * (Node's global fetch loads undici on first use, which costs the bare fetch process more than the CLI's node:http).
 * No token is ever printed: the bare process gets its refresh token in its environment and prints nothing; the CLI's
 * output is checked for every token the emulator issued (details.oauth.canary_leaks must be 0, else the bench fails).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { authorizeByHttp, startEmulator, type Emulator } from '../src/emulator';
import { challengeOf, makeVerifier } from '../src/core/oauth';
import { alternate, median, round, summarize } from './lib/stats';
import type { BenchContext, FigureSet } from './lib/types';

const CLIENT_ID = '3MVG9BenchOAuthRefresh_public_app_no_rotation_000000';
const USER = { username: 'bench.oauth@acme.example', password: 'Bench-OAuth-Pw-1' };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

interface ProcResult {
  ms: number;
  code: number | null;
  out: string;
}

function timed(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<ProcResult> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    execFile(process.execPath, args, { env, cwd, timeout: 30_000 }, (err, stdout, stderr) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ ms, code: typeof code === 'number' ? code : 1, out: `${stdout}${stderr}` });
    });
  });
}

/** The bare client: one fetch of the refresh POST, nothing else (exit 0 when an access token came back). */
const BARE = `
const r = await fetch(process.env.B_URL, { method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
  body: new URLSearchParams({ grant_type: 'refresh_token', client_id: process.env.B_CLIENT, refresh_token: process.env.B_RT }).toString() });
const j = await r.json();
process.exit(r.status === 200 && typeof j.access_token === 'string' ? 0 : 1);
`;

/** The same POST through node:http (informational: Node's global fetch loads undici on first use, node:http not). */
const BARE_HTTP = `
const http = require(process.env.B_URL.startsWith('https:') ? 'node:https' : 'node:http');
const body = new URLSearchParams({ grant_type: 'refresh_token', client_id: process.env.B_CLIENT, refresh_token: process.env.B_RT }).toString();
const req = http.request(process.env.B_URL, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
  let t = ''; res.on('data', (d) => (t += d)); res.on('end', () => process.exit(res.statusCode === 200 && typeof JSON.parse(t).access_token === 'string' ? 0 : 1));
});
req.on('error', () => process.exit(1));
req.end(body);
`;

/** `token-relay oauth login` once (the emulator's pages over HTTP, the CLI's loopback listener): the CLI's sign-in. */
async function cliLogin(
  cli: string,
  emu: Emulator,
  port: number,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        cli,
        'oauth',
        'login',
        '--no-open',
        '--dotenv',
        '.env',
        '--login-url',
        emu.url,
        '--client-id',
        CLIENT_ID,
        '--callback-port',
        String(port),
      ],
      { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let seen = false;
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /^(https?:\/\/\S+\/services\/oauth2\/authorize\?\S+)$/m.exec(out);
      if (m && !seen) {
        seen = true;
        void authorizeByHttp(m[1]!, USER)
          .then((landed) => fetch(landed).then((r) => r.text()))
          .catch((e: unknown) => {
            child.kill();
            reject(e instanceof Error ? e : new Error(String(e)));
          });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`oauth login exited ${code}`))));
  });
}

/** A refresh token for the bare side: the same app and user, through the authorization-code grant with PKCE. */
async function bareRefreshToken(emu: Emulator, redirectUri: string): Promise<string> {
  const verifier = makeVerifier();
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: redirectUri,
    code_challenge: challengeOf(verifier),
    code_challenge_method: 'S256',
    state: 'bench',
    scope: 'api refresh_token',
  });
  const landed = new URL(await authorizeByHttp(`${emu.url}/services/oauth2/authorize?${q.toString()}`, USER));
  const res = await fetch(`${emu.url}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: landed.searchParams.get('code') ?? '',
      client_id: CLIENT_ID,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    }).toString(),
  });
  const j = (await res.json()) as { refresh_token?: string };
  if (!j.refresh_token) throw new Error(`bench oauth: no refresh token for the bare client (HTTP ${res.status})`);
  return j.refresh_token;
}

export async function benchOAuthRefresh(ctx: BenchContext): Promise<FigureSet> {
  const cli = path.join(ctx.root, 'dist', 'cli.js');
  if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run node esbuild.mjs');
  const port = await freePort();
  const redirectUri = `http://localhost:${port}/OauthRedirect`;
  const emu = await startEmulator({
    orgs: [{ id: '00D5g000004BenchO', name: 'Bench OAuth Org' }],
    users: [{ ...USER, firstName: 'Bench', lastName: 'OAuth' }],
    apps: [{ clientId: CLIENT_ID, callbackUrls: [redirectUri], rotateRefreshTokens: false }],
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'tr-bench-oauth-'));
  const outputs: string[] = [];
  try {
    writeFileSync(path.join(dir, '.env'), 'APP_NAME=bench\n', { mode: 0o600 });
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      TOKEN_RELAY_HOME: path.join(dir, 'store'),
    };
    outputs.push(await cliLogin(cli, emu, port, dir, env));
    const bareEnv: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '',
      B_URL: `${emu.url}/services/oauth2/token`,
      B_CLIENT: CLIENT_ID,
      B_RT: await bareRefreshToken(emu, redirectUri),
    };
    const ours = () => timed([cli, 'oauth', 'refresh', '--dotenv', '.env'], env, dir);
    const oursNoLimits = () => timed([cli, 'oauth', 'refresh', '--dotenv', '.env', '--no-limits'], env, dir);
    const bare = () => timed(['--input-type=module', '-e', BARE], bareEnv, dir);
    const check = (r: ProcResult, what: string) => {
      outputs.push(r.out);
      if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code})`);
      return r.ms;
    };
    for (let i = 0; i < 3; i++) {
      check(await ours(), 'token-relay oauth refresh (warm-up)');
      check(await bare(), 'bare fetch (warm-up)');
    }
    const runs = Math.max(10, Math.round(ctx.runs.login / 15));
    const grantsBefore = emu.oauthStats.refreshGrants;
    const bareHttp = () => timed(['-e', BARE_HTTP], bareEnv, dir);
    const samples = {
      ours: [] as number[],
      ours_no_limits: [] as number[],
      bare: [] as number[],
      bare_http: [] as number[],
    };
    const paired = await alternate(
      runs,
      async () => check(await ours(), 'token-relay oauth refresh'),
      async () => check(await bare(), 'bare fetch'),
      {
        // The --no-limits variant after each pair (informational, not part of the ratio).
        onPair: async (i) => {
          // The informational variants after each pair, in alternating order.
          const a = async () =>
            void samples.ours_no_limits.push(check(await oursNoLimits(), 'oauth refresh --no-limits'));
          const b = async () => void samples.bare_http.push(check(await bareHttp(), 'bare node:http'));
          if (i % 2) await b().then(a);
          else await a().then(b);
        },
      },
    );
    samples.ours = paired.a;
    samples.bare = paired.b;
    const grants = emu.oauthStats.refreshGrants - grantsBefore;
    const tokens = emu.issuedOAuthTokens();
    const seen = outputs.join('\n');
    const leaks = tokens.filter((t) => seen.includes(t)).length;
    if (leaks) throw new Error(`bench oauth: ${leaks} token(s) appeared in the CLI's output`);
    const ratio = median(samples.ours) / median(samples.bare);
    ctx.progress(
      `oauth refresh: ours ${round(median(samples.ours), 1)} ms, --no-limits ${round(median(samples.ours_no_limits), 1)} ms, bare fetch ${round(median(samples.bare), 1)} ms, bare node:http ${round(median(samples.bare_http), 1)} ms`,
    );
    return {
      figures: { oauth_refresh_ratio: round(ratio, 3) },
      details: {
        oauth: {
          process_start: 'included in both (each side is one fresh node process, spawn to exit)',
          ours_ms: summarize(samples.ours),
          ours_no_limits_ms: summarize(samples.ours_no_limits),
          bare_fetch_ms: summarize(samples.bare),
          bare_node_http_ms: summarize(samples.bare_http),
          ratio_no_limits: round(median(samples.ours_no_limits) / median(samples.bare), 3),
          ratio_vs_bare_node_http: round(median(samples.ours) / median(samples.bare_http), 3),
          runs,
          refresh_grants: grants,
          rotation: false,
          canary_leaks: leaks,
          note: 'ours = node dist/cli.js oauth refresh (env file, credential-store lock, refresh POST, userinfo + limits, atomic .env write); bare = node -e with one fetch of the same POST',
        },
      },
    };
  } finally {
    await emu.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}
