/**
 * env_fresh_misses: with the extension host running (code-server + headless Chromium, the extension from this
 * repository, as the host tests and the demo start it), an org signed in with Switch to OAuth against the emulator
 * whose access tokens live LIFETIME_MS (3 s; the extension is told that session timeout through
 * tokenRelay.oauth.lifetimeMinutes = 0.05, its lower bound). Then nothing drives the extension any more: its keeper
 * alone refreshes. The bench watches .env from outside every POLL_MS (as an app would read it) and asks the emulator
 * whether the token there is still accepted (GET /services/data/v64.0/limits). It runs until EXPIRIES access tokens
 * have expired (each token the emulator issued to the user whose expiry time has passed), and counts a miss for each
 * stretch of more than 1 s during which .env held a token the emulator refused.
 * details.envfresh has the refreshes, the worst refused stretch, and the time of each phase.
 * About 2 minutes: ~25-60 s code-server start and sign-in, then 50 × 3 s × 0.75 (the keeper refreshes at 75 %).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseEnv } from '../src/core/dotenv';
import { startEmulator } from '../src/emulator';
import { round } from './lib/stats';
import type { BenchContext, FigureSet } from './lib/types';

const LIFETIME_MS = 3000;
const EXPIRIES = 50;
const POLL_MS = 100;
const MISS_MS = 1000;
const CLIENT_ID = '3MVG9BenchEnvFresh_public_app_rotating_0000000000';
const USER = { username: 'bench.fresh@acme.example', password: 'Bench-Fresh-Pw-2' };

interface BundleModule {
  bundleHostModule(entry: string, outfile: string): Promise<string>;
  packDemoSetupExtension(dir: string, outVsix: string): Promise<string>;
  installIntoCodeServer(vsix: string, dataDir: string): Promise<string>;
  workbenchUrl(base: string, o: { folder: string; extensionDevelopmentPaths: string[] }): string;
}
interface CodeServer {
  url: string;
  output(): string;
  stop(): Promise<void>;
}
interface CodeServerModule {
  startCodeServer(o: {
    dataDir: string;
    env: Record<string, string>;
    settings: Record<string, unknown>;
  }): Promise<CodeServer>;
  launchChromium(): Promise<{
    newPage(): Promise<{ goto(url: string, o: { timeout: number }): Promise<unknown> }>;
    close(): Promise<void>;
  }>;
}

const load = async <T>(root: string, rel: string): Promise<T> =>
  (await import(pathToFileURL(path.join(root, rel)).href)) as T;

export async function benchEnvFresh(ctx: BenchContext): Promise<FigureSet> {
  const root = ctx.root;
  const progress = (m: string) => ctx.progress(m);
  for (const f of ['dist/extension.js', 'dist/extension-lazy.js', 'dist/extension-test.js'])
    if (!existsSync(path.join(root, f))) throw new Error(`${f} is missing: run node esbuild.mjs`);
  const bundle = await load<BundleModule>(root, 'scripts/demo/bundle.mjs');
  const cs = await load<CodeServerModule>(root, 'scripts/lib/codeServer.mjs');
  const emu = await startEmulator({
    orgs: [{ id: '00D5g000004BenchF', name: 'Bench Fresh Org' }],
    users: [{ ...USER, firstName: 'Bench', lastName: 'Fresh' }],
    apps: [
      {
        clientId: CLIENT_ID,
        callbackUrls: ['http://localhost:1717/OauthRedirect'],
        rotateRefreshTokens: true,
        accessTokenLifetimeMs: LIFETIME_MS,
      },
    ],
  });
  const tmp = mkdtempSync(path.join(tmpdir(), 'tr-bench-fresh-'));
  const cleanups: Array<() => Promise<unknown>> = [() => emu.close()];
  const t0 = Date.now();
  const phases: Record<string, number> = {};
  const lap = (name: string) => (phases[name] = Math.round((Date.now() - t0) / 100) / 10);
  try {
    const ws = path.join(tmp, 'workspace');
    mkdirSync(ws);
    const envPath = path.join(ws, '.env');
    writeFileSync(envPath, 'APP_NAME=bench\n', { mode: 0o600 });
    writeFileSync(path.join(ws, '.gitignore'), '.env\n');
    // The driver: a throwaway extension depending on Token Relay (installed: code-server loads one development
    // extension, this repository).
    const extDir = path.join(tmp, 'driver');
    mkdirSync(extDir);
    await bundle.bundleHostModule(path.join(__dirname, 'envFresh', 'driver.ts'), path.join(extDir, 'index.js'));
    writeFileSync(
      path.join(extDir, 'package.json'),
      JSON.stringify({
        name: 'token-relay-bench-fresh',
        publisher: 'token-relay-bench',
        version: '0.0.0',
        engines: { vscode: '^1.96.0' },
        main: './index.js',
        activationEvents: ['onStartupFinished'],
        extensionKind: ['workspace'],
        extensionDependencies: ['token-relay.token-relay-salesforce'],
      }),
    );
    writeFileSync(path.join(extDir, '.vscodeignore'), '*.map\n');
    const dataDir = path.join(tmp, 'code-server');
    await bundle.installIntoCodeServer(
      await bundle.packDemoSetupExtension(extDir, path.join(tmp, 'driver.vsix')),
      dataDir,
    );
    lap('driver_installed_s');
    const statusFile = path.join(tmp, 'status.json');
    const server = await cs.startCodeServer({
      dataDir,
      env: {
        TOKEN_RELAY_TEST: '1',
        TOKEN_RELAY_TEST_OPENER: 'record',
        TOKEN_RELAY_BENCH_FRESH: JSON.stringify({
          loginUrl: emu.url,
          clientId: CLIENT_ID,
          username: USER.username,
          password: USER.password,
          statusFile,
        }),
      },
      settings: {
        'tokenRelay.oauth.lifetimeMinutes': LIFETIME_MS / 60_000,
        'workbench.welcomePage.walkthroughs.openOnInstall': false,
        'chat.disableAIFeatures': true,
      },
    });
    cleanups.unshift(() => server.stop());
    const browser = await cs.launchChromium();
    cleanups.unshift(() => browser.close());
    const page = await browser.newPage();
    await page.goto(bundle.workbenchUrl(server.url, { folder: ws, extensionDevelopmentPaths: [root] }), {
      timeout: 60_000,
    });
    lap('workbench_s');
    progress('envfresh: code-server up; signing in with Switch to OAuth …');
    const until = Date.now() + 120_000;
    let status: { ok?: boolean; error?: string; messages?: string[]; status?: string } | undefined;
    while (!status && Date.now() < until) {
      try {
        status = JSON.parse(readFileSync(statusFile, 'utf8')) as typeof status;
      } catch {
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    if (!status?.ok)
      throw new Error(
        `Switch to OAuth in the extension host failed: ${status ? (status.error ?? JSON.stringify(status.messages)) : 'no report within 120 s'}`,
      );
    lap('signed_in_s');
    progress(
      `envfresh: signed in (${status.status ?? ''}); watching .env over ${EXPIRIES} expiries of ${LIFETIME_MS} ms tokens`,
    );

    // ---- the watch ----
    const accepted = async (instance: string, token: string) => {
      const res = await fetch(`${instance}/services/data/v64.0/limits`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(5000),
      }).catch(() => undefined);
      await res?.text().catch(() => undefined);
      return res?.status === 200;
    };
    /** When each token was first seen in .env (its issue time is ≤ that). */
    const firstSeen = new Map<string, number>();
    let misses = 0;
    let refusedSince: number | undefined;
    let countedThisStretch = false;
    let worstRefusedMs = 0;
    let checks = 0;
    const grantsBefore = emu.oauthStats.refreshGrants;
    const watchStart = Date.now();
    const expired = () => [...firstSeen.values()].filter((t) => Date.now() - t > LIFETIME_MS).length;
    const deadline = Date.now() + EXPIRIES * LIFETIME_MS * 1.5 + 30_000;
    while (expired() < EXPIRIES && Date.now() < deadline) {
      const vars = parseEnv(readFileSync(envPath, 'utf8'));
      const token = vars.SF_ACCESS_TOKEN;
      const instance = vars.SF_INSTANCE_URL;
      if (token && !firstSeen.has(token)) firstSeen.set(token, Date.now());
      const ok = !!token && !!instance && (await accepted(instance, token));
      checks++;
      if (ok) {
        refusedSince = undefined;
        countedThisStretch = false;
      } else {
        refusedSince ??= Date.now();
        const stretch = Date.now() - refusedSince;
        worstRefusedMs = Math.max(worstRefusedMs, stretch);
        if (stretch > MISS_MS && !countedThisStretch) {
          misses++;
          countedThisStretch = true;
        }
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const seenExpired = expired();
    if (seenExpired < EXPIRIES) throw new Error(`only ${seenExpired} of ${EXPIRIES} expiries seen before the deadline`);
    lap('watched_s');
    // The canary: no token the emulator issued in code-server's output (the extension host's console included).
    const out = server.output();
    const leaks = emu.issuedOAuthTokens().filter((t) => out.includes(t)).length;
    if (leaks) throw new Error(`${leaks} token(s) appeared in code-server's output`);
    const refreshes = emu.oauthStats.refreshGrants - grantsBefore;
    progress(
      `envfresh: ${misses} misses over ${seenExpired} expiries; ${refreshes} refreshes; worst refused stretch ${worstRefusedMs} ms`,
    );
    return {
      figures: { env_fresh_misses: misses },
      details: {
        envfresh: {
          what: 'code-server extension host + Chromium; Switch to OAuth (paste path, scripted test UI); then only the keeper',
          token_lifetime_ms: LIFETIME_MS,
          told_session_timeout_minutes: LIFETIME_MS / 60_000,
          expiries: seenExpired,
          tokens_seen_in_env: firstSeen.size,
          refresh_grants: refreshes,
          worst_refused_stretch_ms: worstRefusedMs,
          miss_threshold_ms: MISS_MS,
          poll_ms: POLL_MS,
          checks,
          watch_s: round((Date.now() - watchStart) / 1000, 3),
          phases_s: phases,
          canary_leaks: leaks,
        },
      },
    };
  } finally {
    for (const c of cleanups) await c().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  }
}
