/**
 * The demo's servers, all on 127.0.0.1: the Salesforce emulator with a demo org and user, and a mailbox
 * (Dovecot when installed, else the embedded in-process IMAP server). The emulator's reset page mails the new
 * token through `deliver`, which appends it to the demo user's INBOX: the same path a real token mail takes.
 *
 * Loaded by scripts/demo.mjs (and scripts/vsix-smoke.mjs) through tsx; never imported by src/.
 */
import { startEmulator } from '../../src/emulator';
import { startImapServer } from '../../src/imapServer';
import { randomBytes } from 'node:crypto';

export interface DemoStack {
  org: {
    loginUrl: string;
    username: string;
    password: string;
    expiredToken: string;
    orgName: string;
    resetPageUrl: string;
  };
  mailbox: {
    kind: 'dovecot' | 'embedded';
    host: string;
    port: number;
    security: 'starttls';
    user: string;
    password: string;
    caCertPath: string;
  };
  /** The token the emulator accepts right now (the .env must end up holding it). */
  currentToken(): string;
  /** How many token mails the emulator has sent (reset clicks). */
  mailsSent(): number;
  /** The OAuth scene (after the reset): the org turns SOAP login off, the user switches to OAuth. */
  oauth: {
    /** The demo External Client App's consumer key (public app, PKCE, rotating refresh tokens). */
    clientId: string;
    /** Its callback URL (the extension's default, http://localhost:1717/OauthRedirect). */
    callbackUrl: string;
    /** Life of the app's access tokens (short, so the scene sees them expire and .env stay fresh). */
    accessTokenLifetimeMs: number;
    /** "Summer '27": the org's SOAP login() is switched off (INVALID_OPERATION). */
    soapLoginOff(): void;
    /** The emulator expires every OAuth access token of the demo user now; returns how many. */
    expireNow(): number;
    /** Every access and refresh token issued to the demo user (the canary: none may be printed). */
    issuedTokens(): string[];
    stats(): { codeGrants: number; refreshGrants: number; consents: number };
  };
  onEvent(fn: (line: string) => void): void;
  stop(): Promise<void>;
}

export interface DemoStackOptions {
  /**
   * 'auto' = Dovecot when it can serve IMAP here, else embedded. Absent: the tests' choice (TOKEN_RELAY_TEST_IMAP,
   * else 'auto'; scripts/vsix-smoke.mjs relies on it). scripts/demo.mjs passes its --imap (default 'auto').
   */
  imap?: 'auto' | 'dovecot' | 'embedded';
  /** The emulator's port (0 = any free one). */
  emulatorPort?: number;
  /**
   * The emulator's loopback address (default 127.0.0.1). The demo uses 127.0.0.2 with code-server: code-server
   * rewrites http://localhost|127.0.0.1|0.0.0.0:<port> links that an extension opens to its own /proxy/<port>/
   * path, where the reset page's form would post to code-server instead of the org.
   */
  emulatorHost?: string;
}

const ORG_NAME = 'Acme Demo';
/**
 * The OAuth access tokens of the demo live 8 s (Salesforce's shortest session timeout is 15 min): the scene sees one
 * expire within its run. The demo's VS Code is told the same session timeout (tokenRelay.oauth.lifetimeMinutes).
 */
export const DEMO_OAUTH_LIFETIME_MS = 8000;
const USERNAME = 'dev@acme-demo.example';
const MAIL_USER = 'dev';

/** Random but readable demo secrets, so no two runs share one and nothing looks like a real credential. */
function demoSecret(prefix: string): string {
  return `${prefix}${randomBytes(9).toString('base64url').replace(/[-_]/g, 'x')}`;
}

export async function startDemoStack(opts: DemoStackOptions = {}): Promise<DemoStack> {
  const listeners: Array<(line: string) => void> = [];
  const emit = (line: string) => listeners.forEach((fn) => fn(line));
  let sent = 0;

  const imap = await startImapServer({ prefer: opts.imap, quiet: true });
  const mailPassword = demoSecret('mail-');
  const cleanups: Array<() => Promise<void>> = [() => imap.stop()];
  try {
    await imap.addUser(MAIL_USER, mailPassword);
    const emulator = await startEmulator({
      port: opts.emulatorPort ?? 0,
      host: opts.emulatorHost ?? '127.0.0.1',
      orgName: ORG_NAME,
      log: (line: string) => emit(line),
      deliver: async (to: string, raw: Buffer) => {
        await imap.append(MAIL_USER, raw, { internalDate: new Date() });
        sent++;
        emit(`the emulator mailed a new security token for ${USERNAME} to ${to} (delivered to the demo mailbox)`);
      },
    });
    cleanups.unshift(() => emulator.close());
    const password = demoSecret('Demo-');
    emulator.addUser({
      username: USERNAME,
      password,
      email: `${MAIL_USER}@acme-demo.example`,
      fullName: 'Dana Developer',
      language: 'en',
    });
    const valid = emulator.currentToken(USERNAME);
    const app = emulator.apps()[0];
    if (!app) throw new Error('demo: the emulator has no External Client App');
    emulator.setApp(app.clientId, { accessTokenLifetimeMs: DEMO_OAUTH_LIFETIME_MS });
    // The .env gets a token that looks right but is not the current one: "expired" by an earlier reset.
    let expiredToken = demoSecret('old').slice(0, 25).padEnd(25, 'x');
    if (expiredToken === valid) expiredToken = expiredToken.split('').reverse().join('');
    return {
      org: {
        loginUrl: emulator.url,
        username: USERNAME,
        password,
        expiredToken,
        orgName: ORG_NAME,
        resetPageUrl: emulator.resetPageUrl(),
      },
      mailbox: {
        kind: imap.kind,
        host: '127.0.0.1',
        port: imap.port,
        security: 'starttls',
        user: MAIL_USER,
        password: mailPassword,
        caCertPath: imap.caCertPath,
      },
      currentToken: () => emulator.currentToken(USERNAME),
      mailsSent: () => sent,
      oauth: {
        clientId: app.clientId,
        callbackUrl: app.callbackUrls[0] ?? 'http://localhost:1717/OauthRedirect',
        accessTokenLifetimeMs: DEMO_OAUTH_LIFETIME_MS,
        soapLoginOff() {
          emulator.setOrg(ORG_NAME, { soapLoginDisabled: true });
          emit(`Summer '27 in the emulator: SOAP login() is now off for "${ORG_NAME}"`);
        },
        expireNow: () => emulator.expireAccessTokens(USERNAME),
        issuedTokens: () => emulator.issuedOAuthTokens(USERNAME),
        stats: () => {
          const st = emulator.oauthStats;
          return { codeGrants: st.codeGrants, refreshGrants: st.refreshGrants, consents: st.consents };
        },
      },
      onEvent: (fn) => void listeners.push(fn),
      async stop() {
        for (const c of cleanups.splice(0)) await c().catch(() => undefined);
      },
    };
  } catch (err) {
    for (const c of cleanups.splice(0)) await c().catch(() => undefined);
    throw err;
  }
}
