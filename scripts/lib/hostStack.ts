/**
 * The servers of the host tests, started by scripts/lib/hostHarness.mjs (for scripts/host-test.mjs and
 * scripts/desktop-test.mjs; Node 20, through tsx) outside code-server: the Salesforce emulator, the IMAP server
 * (Dovecot; embedded only outside CI), and a small control endpoint on 127.0.0.1 through which the tests in the
 * extension host drive the emulator (faults, current token). Their addresses reach the extension host through the
 * payload's `extensionEnvironment`; the fake users below are the ones test/host/*.test.ts sign in with (the tests
 * spell them out themselves: they run in the extension host and import nothing from here).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startEmulator, type Emulator, type EmulatorFault } from '../../src/emulator';
import { startImapServer, type ImapServer } from '../../src/imapServer';
import { startMicrosoftIdentity, type MicrosoftIdentity } from '../../src/emulator/microsoft';
import { prepareHostSfCli } from './hostSfCli';

/** Fake credentials of the test org (canaries: never real, never printed by the product). */
export const HOST_FIXTURE = {
  mailboxUser: 'inbox@mail.test',
  mailboxPassword: 'mailbox-Secret-7731',
  /** A second mailbox (test/host/mailboxes.test.ts): the token mail of `boxB` arrives here, never in the first. */
  mailboxB: { user: 'inbox-b@mail.test', password: 'mailbox-B-Secret-4417' },
  users: {
    reset: { username: 'reset@acme.test', password: 'Reset-Passw0rd-1' },
    manual: { username: 'manual@acme.test', password: 'Manual-Passw0rd-2' },
    faults: { username: 'faults@acme.test', password: 'Faults-Passw0rd-3' },
    mfa: { username: 'mfa@acme.test', password: 'Mfa-Passw0rd-4', mfaCode: '246810' },
    restricted: { username: 'restricted@acme.test', password: 'Restricted-Passw0rd-5' },
    ja: { username: 'yamada@acme.test.dev', password: 'Yamada-Passw0rd-6' },
    /** Switch to OAuth (test/host/oauth.test.ts): signs in on the emulator's authorize page with the demo ECA. */
    oauth: { username: 'oauth@acme.test', password: 'OAuth-Passw0rd-7' },
    /** One mailbox per org (test/host/mailboxes.test.ts): boxA mails to the first mailbox, boxB to mailboxB. */
    boxA: { username: 'boxa@acme.test', password: 'BoxA-Passw0rd-8' },
    boxB: { username: 'boxb@acme.test', password: 'BoxB-Passw0rd-9' },
    /** Import Org from Salesforce CLI (test/host/sfcli.test.ts): the real sf CLI logs in as this user (web login). */
    sfcli: { username: 'sfcli@acme.test', password: 'SfCli-Passw0rd-8' },
  },
  /** test/host/microsoft.test.ts: a mailbox that signs in with Microsoft (XOAUTH2 tokens of the identity emulator). */
  microsoftMailboxUser: 'm365@contoso.test',
} as const;

export interface HostStack {
  emulator: Emulator;
  imap: ImapServer;
  /** The Microsoft identity emulator whose tokens the IMAP server (Dovecot's oauth2 passdb) accepts. */
  microsoft: MicrosoftIdentity;
  controlUrl: string;
  /** Variables for the extension host (extensionEnvironment). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

const OPS = new Set([
  'setFault',
  'currentToken',
  'user',
  'stats',
  'setTokenActivationDelay',
  'outbox',
  'expireAccessTokens',
  'revokeRefreshTokens',
  'oauthStats',
  'apps',
  'addCallbackUrl',
  'authorizeInChromium',
  'msIssueToken',
  'msRefuseAtImap',
  'msStats',
  'deliverToJunk',
  'sfLogin',
]);

interface ChromiumPage {
  goto(url: string, o?: { timeout?: number }): Promise<unknown>;
  locator(sel: string): {
    fill(v: string, o?: { timeout?: number }): Promise<void>;
    click(o?: { timeout?: number }): Promise<void>;
    first(): { click(o?: { timeout?: number }): Promise<void> };
    waitFor(o?: { state?: string; timeout?: number }): Promise<void>;
    innerText(o?: { timeout?: number }): Promise<string>;
  };
  waitForURL(pred: (u: URL) => boolean, o?: { timeout?: number }): Promise<void>;
  url(): string;
}

/**
 * What a user does in a real browser on the emulator's authorize page (headless Chromium, a new one per call): log
 * in, Allow, and let the browser follow the redirect to the callback URL, i.e. to the extension's loopback listener.
 * Returns where it landed (origin + path, never the code) and the text of the page shown there.
 */
async function authorizeInChromium(url: string, username: string, password: string) {
  const mod = (await import(pathToFileURL(path.join(__dirname, 'codeServer.mjs')).href)) as {
    launchChromium(): Promise<{ newPage(): Promise<ChromiumPage>; close(): Promise<void> }>;
  };
  const browser = await mod.launchChromium();
  try {
    const page = await browser.newPage();
    const redirect = new URL(new URL(url).searchParams.get('redirect_uri') ?? 'http://localhost:1717/OauthRedirect');
    await page.goto(url, { timeout: 20_000 });
    await page.locator('#username').fill(username, { timeout: 10_000 });
    await page.locator('#password').fill(password);
    await page.locator('#login_form [type="submit"], #login_form button').first().click({ timeout: 10_000 });
    await page.locator('#oaapprove').click({ timeout: 15_000 });
    await page.waitForURL((u) => u.port === redirect.port && u.pathname === redirect.pathname, { timeout: 20_000 });
    const landed = new URL(page.url());
    const text = (await page.locator('body').innerText({ timeout: 10_000 })).replace(/\s+/g, ' ').trim();
    return { landed: `${landed.origin}${landed.pathname}`, text };
  } finally {
    await browser.close().catch(() => {});
  }
}

export async function startHostStack(log: (line: string) => void = () => {}): Promise<HostStack> {
  // The tests' choice (src/imapServer imapPreference()): TOKEN_RELAY_TEST_IMAP, else Dovecot when it can serve
  // IMAP here (required under CI=true), else the embedded server.
  // Dovecot also takes XOAUTH2 tokens of the Microsoft identity emulator (the embedded server ignores oauth2).
  const microsoft = await startMicrosoftIdentity({
    clients: ['host-tests-app'],
    users: [HOST_FIXTURE.microsoftMailboxUser],
  });
  const imap = await startImapServer({ quiet: true, oauth2: { introspectionUrl: microsoft.introspectionUrl } });
  await imap.addUser(HOST_FIXTURE.mailboxUser, HOST_FIXTURE.mailboxPassword);
  await imap.addUser(HOST_FIXTURE.microsoftMailboxUser, 'unused-M365-pw-9');
  const boxB = HOST_FIXTURE.mailboxB;
  await imap.addUser(boxB.user, boxB.password);
  /** control('deliverToJunk', true): the token mails land in the junk folder (a provider's spam filter). */
  let toJunk = false;
  const f = HOST_FIXTURE.users;
  const emulator = await startEmulator({
    orgs: [{ id: '00D5g000004HostAAA', name: 'Acme Host Tests' }],
    users: [
      { ...f.reset, email: HOST_FIXTURE.mailboxUser, sendVerificationCode: true, firstName: 'Rita' },
      { ...f.manual, email: HOST_FIXTURE.mailboxUser },
      { ...f.faults, email: HOST_FIXTURE.mailboxUser },
      { username: f.mfa.username, password: f.mfa.password, mfaCode: f.mfa.mfaCode, email: HOST_FIXTURE.mailboxUser },
      { ...f.restricted, email: HOST_FIXTURE.mailboxUser },
      { ...f.ja, email: HOST_FIXTURE.mailboxUser, language: 'ja', firstName: '太郎', lastName: '山田' },
      { ...f.oauth, email: HOST_FIXTURE.mailboxUser, firstName: 'Olivia' },
      { ...f.boxA, email: HOST_FIXTURE.mailboxUser, firstName: 'Ada' },
      { ...f.boxB, email: boxB.user, firstName: 'Bea' },
      { ...f.sfcli, email: HOST_FIXTURE.mailboxUser, firstName: 'Sasha' },
    ],
    deliver: async (to, raw) => {
      // Each mail goes to the mailbox of its address; every other address is the first mailbox (as before).
      const user = to.toLowerCase() === boxB.user ? boxB.user : HOST_FIXTURE.mailboxUser;
      await imap.append(user, raw, toJunk ? { folder: imap.junkFolder } : undefined);
    },
    slowMs: 60_000,
    log: (line) => log(`[emulator] ${line}`),
  });
  // The real sf CLI's HOME (logged in on demand by the sf CLI tests: op sfLogin).
  const sf = prepareHostSfCli(log);

  const control = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      void (async () => {
        try {
          const { op, args = [] } = JSON.parse(body || '{}') as { op: string; args?: unknown[] };
          if (!OPS.has(op)) throw new Error(`unknown op ${op}`);
          let result: unknown;
          if (op === 'setFault') emulator.setFault(String(args[0]), (args[1] ?? null) as EmulatorFault | null);
          else if (op === 'currentToken') result = emulator.currentToken(String(args[0]));
          else if (op === 'user') result = emulator.user(String(args[0]));
          else if (op === 'stats') result = emulator.stats;
          else if (op === 'setTokenActivationDelay') emulator.setTokenActivationDelay(Number(args[0]));
          else if (op === 'expireAccessTokens')
            result = emulator.expireAccessTokens(typeof args[0] === 'string' ? args[0] : undefined);
          else if (op === 'revokeRefreshTokens')
            result = emulator.revokeRefreshTokens(typeof args[0] === 'string' ? args[0] : undefined);
          else if (op === 'oauthStats') result = emulator.oauthStats;
          else if (op === 'addCallbackUrl') {
            const app = emulator.apps().find((a) => a.clientId === String(args[0]));
            if (!app) throw new Error(`no app ${String(args[0])}`);
            emulator.setApp(app.clientId, { callbackUrls: [...new Set([...app.callbackUrls, String(args[1])])] });
          } else if (op === 'authorizeInChromium')
            result = await authorizeInChromium(String(args[0]), String(args[1]), String(args[2]));
          else if (op === 'msIssueToken') result = microsoft.issueAccessToken(String(args[0]));
          else if (op === 'msRefuseAtImap')
            microsoft.refuseAtImap(String(args[0]), typeof args[1] === 'number' ? args[1] : undefined);
          else if (op === 'msStats') result = microsoft.stats;
          else if (op === 'deliverToJunk') toJunk = args[0] === true;
          else if (op === 'sfLogin') {
            if (!sf.sfPath && process.env.CI !== 'true') result = { skipped: 'the real sf CLI is not installed' };
            else {
              await sf.login(emulator, f.sfcli, typeof args[0] === 'string' ? args[0] : 'hosttest');
              result = { alias: typeof args[0] === 'string' ? args[0] : 'hosttest' };
            }
          } else if (op === 'apps')
            result = emulator.apps().map((a) => ({
              clientId: a.clientId,
              callbackUrls: a.callbackUrls,
              rotateRefreshTokens: a.rotateRefreshTokens,
            }));
          else if (op === 'outbox')
            result = emulator.outbox.map((m) => ({
              to: m.to,
              kind: m.kind,
              username: m.username,
              delivered: m.delivered,
              error: m.error,
            }));
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ ok: true, result: result ?? null }));
        } catch (e) {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ ok: false, error: (e as Error).message }));
        }
      })();
    });
  });
  await new Promise<void>((r) => control.listen(0, '127.0.0.1', r));
  const controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
  log(
    `[stack] emulator ${emulator.url}; IMAP ${imap.kind} 127.0.0.1:${imap.port} (STARTTLS) / ${imap.imapsPort} (TLS); control ${controlUrl}`,
  );

  return {
    emulator,
    imap,
    microsoft,
    controlUrl,
    env: {
      TOKEN_RELAY_TEST: '1',
      TOKEN_RELAY_TEST_OPENER: 'record',
      TOKEN_RELAY_TEST_EMULATOR_URL: emulator.url,
      TOKEN_RELAY_TEST_IMAP_HOST: '127.0.0.1',
      TOKEN_RELAY_TEST_IMAP_PORT: String(imap.port),
      TOKEN_RELAY_TEST_IMAP_KIND: imap.kind,
      TOKEN_RELAY_TEST_CONTROL_URL: controlUrl,
      ...sf.env,
    },
    async stop() {
      await new Promise<void>((r) => control.close(() => r()));
      control.closeAllConnections?.();
      await emulator.close().catch(() => {});
      await imap.stop().catch(() => {});
      await microsoft.close().catch(() => {});
      sf.cleanup();
    },
  };
}
