/**
 * The web-server flow's state, one store per EmulatorState (made on first use, see oauthOf): the External Client
 * Apps, pending authorize requests (login, then consent), authorization codes (single use, 15 min), refresh tokens
 * (rotation per app), access-token lifetimes, and the flow's counters. Pure bookkeeping: the HTTP answers live in
 * ./oauthWeb.ts (authorize, login, consent) and ./oauth.ts (token grants, revoke).
 */
import { createHash, randomBytes } from 'node:crypto';
import { ALNUM, rand, type EmulatorState, type User } from './state';
import type { EmulatorAppInfo, EmulatorAppInit, EmulatorOAuthStats } from './types';

/** A public External Client App for the demo users: PKCE, rotation on, the sf CLI's callback URL. */
export const DEMO_APP: EmulatorAppInit = {
  clientId: '3MVG9TokenRelay.Demo_External_Client_App.for.the.loopback.Salesforce.emulator.only0000',
  name: 'Token Relay Demo (External Client App)',
  callbackUrls: ['http://localhost:1717/OauthRedirect'],
  rotateRefreshTokens: true,
};

/**
 * The sf CLI's own client (`sf org login web`): public, PKCE, no rotation (@salesforce/core keeps the old refresh
 * token), callback http://localhost:1717/OauthRedirect (another port: sfdx-project.json `oauthLocalPort`, then list it
 * in callbackUrls). Not in the default apps: a test adds it (`apps: [DEMO_APP, PLATFORM_CLI_APP]` or addApp).
 */
export const PLATFORM_CLI_APP: EmulatorAppInit = {
  clientId: 'PlatformCLI',
  name: 'Salesforce CLI',
  callbackUrls: ['http://localhost:1717/OauthRedirect'],
  rotateRefreshTokens: false,
};

export const DEFAULT_APP_SCOPES = [
  'api',
  'refresh_token',
  'offline_access',
  'web',
  'openid',
  'id',
  'profile',
  'email',
  'address',
  'phone',
  'full',
];
export const CODE_LIFETIME_MS = 15 * 60_000;
/** How long the login and consent pages of one authorize request stay usable. */
export const REQUEST_LIFETIME_MS = 15 * 60_000;
/** RFC 7636 allows 43–128 characters; Salesforce also takes jsforce's 171-character verifier. */
export const VERIFIER_RE = /^[A-Za-z0-9\-._~]{43,256}$/;
export const APPROVAL_ERROR_TEXT = 'An unexpected error has occurred during authentication. Please try again.';

export interface App {
  clientId: string;
  clientSecret?: string;
  /** Key of the token responses' `signature` (the client secret; a private one for public apps). */
  signingKey: string;
  name: string;
  callbackUrls: string[];
  rotateRefreshTokens: boolean;
  scopes: string[];
  blocked: boolean;
  users?: string[];
  org?: string;
  accessTokenLifetimeMs?: number;
  refreshTokenLifetimeMs?: number;
}

/** One authorize request between the login page and the consent page. */
export interface PendingRequest {
  clientId: string;
  redirectUri: string;
  state: string | null;
  challenge: string;
  scopes: string[];
  expires: number;
  /** Set once the login succeeded (the consent page's nonce is then the key). */
  user?: User;
}

export interface AuthCode {
  clientId: string;
  user: User;
  redirectUri: string;
  challenge: string;
  scopes: string[];
  expires: number;
}

export interface RefreshRecord {
  clientId: string;
  user: User;
  scopes: string[];
  expiresAt?: number;
}

export class OAuthStore {
  readonly apps = new Map<string, App>();
  /** By nonce: the login page's request id, then (after the login) the consent page's. */
  readonly requests = new Map<string, PendingRequest>();
  readonly codes = new Map<string, AuthCode>();
  readonly refreshTokens = new Map<string, RefreshRecord>();
  /** Every access and refresh token the web-server flow issued, by username (canaries: none may be printed). */
  readonly issued = new Map<string, Set<string>>();
  readonly stats: EmulatorOAuthStats = {
    authorizePages: 0,
    webLogins: 0,
    failedWebLogins: 0,
    consents: 0,
    denials: 0,
    codeGrants: 0,
    refreshGrants: 0,
    revocations: 0,
    refusals: 0,
  };

  constructor(readonly state: EmulatorState) {
    for (const a of state.cfg.apps ?? [DEMO_APP]) this.addApp(a);
  }

  addApp(init: EmulatorAppInit): App {
    if (!init.clientId || !Array.isArray(init.callbackUrls))
      throw new Error('emulator: an app needs clientId and callbackUrls');
    const app: App = {
      clientId: init.clientId,
      clientSecret: init.clientSecret,
      signingKey: init.clientSecret ?? randomBytes(24).toString('hex'),
      name: init.name ?? init.clientId.slice(0, 24),
      callbackUrls: [...init.callbackUrls],
      rotateRefreshTokens: !!init.rotateRefreshTokens,
      scopes: [...(init.scopes ?? DEFAULT_APP_SCOPES)],
      blocked: !!init.blocked,
      users: init.users?.map((u) => u.toLowerCase()),
      org: init.org,
      accessTokenLifetimeMs: init.accessTokenLifetimeMs,
      refreshTokenLifetimeMs: init.refreshTokenLifetimeMs,
    };
    this.apps.set(app.clientId, app);
    return app;
  }

  setApp(clientId: string, patch: Partial<Omit<EmulatorAppInit, 'clientId'>>): void {
    const app = this.apps.get(clientId);
    if (!app) throw new Error(`emulator: no app "${clientId}"`);
    if ('clientSecret' in patch) {
      app.clientSecret = patch.clientSecret;
      if (patch.clientSecret) app.signingKey = patch.clientSecret;
    }
    if (patch.name !== undefined) app.name = patch.name;
    if (patch.callbackUrls !== undefined) app.callbackUrls = [...patch.callbackUrls];
    if (patch.rotateRefreshTokens !== undefined) app.rotateRefreshTokens = patch.rotateRefreshTokens;
    if (patch.scopes !== undefined) app.scopes = [...patch.scopes];
    if (patch.blocked !== undefined) app.blocked = patch.blocked;
    if ('users' in patch) app.users = patch.users?.map((u) => u.toLowerCase());
    if ('org' in patch) app.org = patch.org;
    if ('accessTokenLifetimeMs' in patch) app.accessTokenLifetimeMs = patch.accessTokenLifetimeMs;
    if ('refreshTokenLifetimeMs' in patch) app.refreshTokenLifetimeMs = patch.refreshTokenLifetimeMs;
  }

  info(app: App): EmulatorAppInfo {
    return {
      clientId: app.clientId,
      name: app.name,
      confidential: app.clientSecret !== undefined,
      callbackUrls: [...app.callbackUrls],
      rotateRefreshTokens: app.rotateRefreshTokens,
      scopes: [...app.scopes],
      blocked: app.blocked,
    };
  }

  /** Whether the user may use the app (blocked, not pre-authorized, another org): the refusal is OAUTH_APPROVAL_ERROR_GENERIC. */
  mayUse(app: App, u: User): boolean {
    if (app.blocked) return false;
    if (app.users && !app.users.includes(u.username.toLowerCase())) return false;
    if (app.org !== undefined) {
      const org = this.state.orgs.find((o) => o.id === app.org || o.id.slice(0, 15) === app.org || o.name === app.org);
      if (org !== u.org) return false;
    }
    return true;
  }

  newRequest(req: Omit<PendingRequest, 'expires'>): string {
    this.sweep();
    const rid = randomBytes(18).toString('base64url');
    this.requests.set(rid, { ...req, expires: Date.now() + REQUEST_LIFETIME_MS });
    return rid;
  }

  /** Takes (one use) a pending request; undefined when unknown or too old. */
  takeRequest(rid: string): PendingRequest | undefined {
    const r = this.requests.get(rid);
    this.requests.delete(rid);
    return r && r.expires > Date.now() ? r : undefined;
  }

  /** An authorization code shaped like Salesforce's (`aPrx` + base64, ends in `==`). */
  newCode(c: Omit<AuthCode, 'expires'>): string {
    this.sweep();
    const code = `aPrx${randomBytes(60).toString('base64')}`;
    this.codes.set(code, { ...c, expires: Date.now() + CODE_LIFETIME_MS });
    return code;
  }

  /** A refresh token shaped like Salesforce's (`5Aep861` + 80 of [A-Za-z0-9._]). */
  newRefreshToken(app: App, user: User, scopes: string[]): string {
    const token = `5Aep861${rand(80, ALNUM + '._')}`;
    this.noteIssued(user, token);
    this.refreshTokens.set(token, {
      clientId: app.clientId,
      user,
      scopes,
      expiresAt: app.refreshTokenLifetimeMs !== undefined ? Date.now() + app.refreshTokenLifetimeMs : undefined,
    });
    return token;
  }

  /** The live record of a refresh token (an expired one is dropped). */
  refreshRecord(token: string): RefreshRecord | undefined {
    const r = this.refreshTokens.get(token);
    if (r?.expiresAt !== undefined && Date.now() >= r.expiresAt) {
      this.revokeRefreshToken(token);
      return undefined;
    }
    return r;
  }

  /** A web-server-flow access token: a session with the app's (else the org's, else the config's) lifetime. */
  newAccessToken(app: App, user: User, refreshToken: string | undefined): string {
    const sid = this.state.newSession(user, 'oauth');
    const s = this.state.sessions.get(sid)!;
    const life = app.accessTokenLifetimeMs ?? user.org.accessTokenLifetimeMs ?? this.state.cfg.accessTokenLifetimeMs;
    if (life !== undefined) s.expiresAt = Date.now() + life;
    s.clientId = app.clientId;
    s.refreshToken = refreshToken;
    this.noteIssued(user, sid);
    return sid;
  }

  private noteIssued(user: User, token: string): void {
    const key = user.username.toLowerCase();
    let set = this.issued.get(key);
    if (!set) this.issued.set(key, (set = new Set()));
    set.add(token);
  }

  issuedTokens(username?: string): string[] {
    if (username !== undefined) return [...(this.issued.get(username.toLowerCase()) ?? [])];
    return [...this.issued.values()].flatMap((s) => [...s]);
  }

  /** Revokes a refresh token and every access token issued with it. */
  revokeRefreshToken(token: string): boolean {
    const had = this.refreshTokens.delete(token);
    for (const [sid, s] of this.state.sessions) if (s.refreshToken === token) this.state.sessions.delete(sid);
    return had;
  }

  /** Rotation: the access tokens of the old refresh token now belong to the new one (a revoke of it kills them). */
  relink(oldToken: string, newToken: string): void {
    for (const s of this.state.sessions.values()) if (s.refreshToken === oldToken) s.refreshToken = newToken;
  }

  expireAccessTokens(username?: string): number {
    let n = 0;
    const now = Date.now();
    for (const s of this.state.sessions.values()) {
      if (username !== undefined && s.user.username.toLowerCase() !== username.toLowerCase()) continue;
      s.expiresAt = now;
      n++;
    }
    return n;
  }

  revokeRefreshTokens(username?: string): number {
    let n = 0;
    for (const [token, r] of [...this.refreshTokens]) {
      if (username !== undefined && r.user.username.toLowerCase() !== username.toLowerCase()) continue;
      this.revokeRefreshToken(token);
      n++;
    }
    return n;
  }

  refreshTokenCount(username?: string): number {
    let n = 0;
    for (const token of [...this.refreshTokens.keys()]) {
      const r = this.refreshRecord(token);
      if (r && (username === undefined || r.user.username.toLowerCase() === username.toLowerCase())) n++;
    }
    return n;
  }

  /** Drops expired requests and codes (called when new ones are made). */
  private sweep(): void {
    const now = Date.now();
    for (const [k, r] of this.requests) if (r.expires <= now) this.requests.delete(k);
    for (const [k, c] of this.codes) if (c.expires <= now) this.codes.delete(k);
  }
}

/** S256: base64url(SHA-256(verifier)). */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

const stores = new WeakMap<EmulatorState, OAuthStore>();
/** The store of an emulator (made on first use from its config). */
export function oauthOf(state: EmulatorState): OAuthStore {
  let s = stores.get(state);
  if (!s) {
    s = new OAuthStore(state);
    stores.set(state, s);
  }
  return s;
}
