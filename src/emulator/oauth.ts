/**
 * OAuth: `POST /services/oauth2/token` (grants by `grant_type`: the username-password flow, and the web-server
 * flow's authorization_code (PKCE S256) and refresh_token (rotation per app)), with Salesforce's error bodies
 * (invalid_grant / invalid_client_id / invalid_client / redirect_uri_mismatch / invalid_request / …),
 * `POST /services/oauth2/revoke`, `GET /services/oauth2/userinfo` (OpenID Connect) and `GET /id/keys` (the JWKS of
 * the id_token). A new grant is one entry of GRANTS; a new OAuth endpoint is one more Route in the route arrays.
 * The authorize pages (login, consent) are in ./oauthWeb.ts; the flow's bookkeeping in ./oauthStore.ts.
 */
import { createHmac, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { TRANSPORT_FAULTS, transportFault } from './faults';
import { send, sendJson, type RequestContext, type Route } from './http';
import { APPROVAL_ERROR_TEXT, VERIFIER_RE, oauthOf, s256, type App, type OAuthStore } from './oauthStore';
import { identity } from './rest';
import type { EmulatorState, User } from './state';
import type { EmulatorFault } from './types';

/** One grant of the token endpoint: `params` is the form body; `err` answers an OAuth error (and counts a failed login). */
type Grant = (
  ctx: RequestContext,
  params: URLSearchParams,
  forced: EmulatorFault | undefined,
  err: (status: number, error: string, description: string) => void,
) => void | Promise<void>;

/** The token endpoint's answer to a forced (non-transport) fault. */
function forcedTokenError(
  { res }: RequestContext,
  f: EmulatorFault,
  err: (status: number, error: string, description: string) => void,
): void {
  if (f === 'REQUEST_LIMIT_EXCEEDED') return err(400, 'rate_limit_exceeded', 'Request limit exceeded');
  if (f === 'ORG_LOCKED' || f === 'TRIAL_EXPIRED') return err(400, 'inactive_org', 'organization is inactive');
  if (f === 'SERVER_UNAVAILABLE' || f === 'ORG_IN_MAINTENANCE')
    return send(res, 503, 'text/html', '<html><body><h1>Service Unavailable</h1></body></html>');
  return err(400, 'invalid_grant', 'authentication failure');
}

const passwordGrant: Grant = (ctx, p, forced, err) => {
  const { state, res } = ctx;
  const clientId = p.get('client_id') ?? '';
  const org = state.orgs.find((o) => o.clients.some((c) => c.clientId === clientId));
  if (!org) return err(400, 'invalid_client_id', 'client identifier invalid');
  if (!org.clients.some((c) => c.clientId === clientId && c.clientSecret === p.get('client_secret')))
    return err(400, 'invalid_client', 'invalid client credentials');
  if (forced) return forcedTokenError(ctx, forced, err);
  const c = state.checkCredentials(p.get('username') ?? '', p.get('password') ?? '');
  if (!c.ok || c.user.org !== org || org.oauthUsernamePasswordBlocked)
    return err(400, 'invalid_grant', 'authentication failure');
  const u = c.user;
  const base = state.base;
  const sid = state.newSession(u, 'oauth');
  const issuedAt = String(Date.now());
  const id = `${base}/id/${u.org.id}/${u.userId}`;
  const signature = createHmac('sha256', org.clients[0]!.clientSecret)
    .update(id + issuedAt)
    .digest('base64');
  sendJson(res, 200, {
    access_token: sid,
    instance_url: base,
    id,
    token_type: 'Bearer',
    issued_at: issuedAt,
    signature,
  });
};

/** The client part of the web-server flow's grants: a known app, and its secret when it is confidential. */
function clientOf(
  store: OAuthStore,
  p: URLSearchParams,
  refuse: (status: number, error: string, description: string) => void,
): App | undefined {
  const app = store.apps.get(p.get('client_id') ?? '');
  if (!app) return void refuse(400, 'invalid_client_id', 'client identifier invalid');
  if (app.clientSecret !== undefined && p.get('client_secret') !== app.clientSecret)
    return void refuse(400, 'invalid_client', 'invalid client credentials');
  return app;
}

/** A forced fault of the user (or the global one): true when it has been answered. */
async function userFault(
  ctx: RequestContext,
  u: User,
  forced: EmulatorFault | undefined,
  err: (status: number, error: string, description: string) => void,
): Promise<boolean> {
  const f = forced ?? ctx.state.faultFor(u.username)?.fault;
  if (!f) return false;
  if (TRANSPORT_FAULTS.has(f)) return transportFault(ctx.state, f, ctx.req, ctx.res); // 'slow' then answers normally
  forcedTokenError(ctx, f, err);
  return true;
}

let signingKey: { privateKey: KeyObject; publicKey: KeyObject; kid: string } | undefined;
/** The id_token key (RSA 2048, made on first use, one per process): its public half is served at /id/keys. */
function idTokenKey(): { privateKey: KeyObject; publicKey: KeyObject; kid: string } {
  signingKey ??= { ...generateKeyPairSync('rsa', { modulusLength: 2048 }), kid: '248' };
  return signingKey;
}

function idToken(state: EmulatorState, app: App, u: User, issuedAt: number): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const iat = Math.floor(issuedAt / 1000);
  const claims = {
    sub: `${state.base}/id/${u.org.id}/${u.userId}`,
    aud: app.clientId,
    iss: state.base,
    exp: iat + 300,
    iat,
    auth_time: iat,
    name: `${u.firstName} ${u.lastName}`,
    preferred_username: u.username,
    email: u.email,
    email_verified: true,
    given_name: u.firstName,
    family_name: u.lastName,
  };
  const key = idTokenKey();
  const input = `${b64({ kid: key.kid, typ: 'JWT', alg: 'RS256' })}.${b64(claims)}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(key.privateKey).toString('base64url')}`;
}

/** Salesforce's token response, in its key order (no expires_in). */
function tokenResponse(
  state: EmulatorState,
  app: App,
  u: User,
  accessToken: string,
  refreshToken: string | undefined,
  scopes: string[],
): Record<string, string> {
  const issuedAt = Date.now();
  const id = `${state.base}/id/${u.org.id}/${u.userId}`;
  const out: Record<string, string> = { access_token: accessToken };
  if (refreshToken) out.refresh_token = refreshToken;
  out.signature = createHmac('sha256', app.signingKey)
    .update(id + String(issuedAt))
    .digest('base64');
  out.scope = scopes.join(' ');
  if (scopes.includes('openid')) out.id_token = idToken(state, app, u, issuedAt);
  out.instance_url = state.base;
  out.id = id;
  out.token_type = 'Bearer';
  out.issued_at = String(issuedAt);
  return out;
}

/**
 * `grant_type=authorization_code`: client, then the code (single use: any exchange attempt uses it up; 15 min),
 * the same redirect_uri as the authorize request, then the PKCE verifier (missing: invalid_grant; malformed or not
 * matching the S256 challenge: invalid_request "invalid code verifier").
 */
const authorizationCodeGrant: Grant = async (ctx, p, forced, err) => {
  const { state, res } = ctx;
  const store = oauthOf(state);
  const refuse = (status: number, error: string, description: string) => {
    store.stats.refusals++;
    err(status, error, description);
  };
  const app = clientOf(store, p, refuse);
  if (!app) return;
  const codeValue = p.get('code') ?? '';
  const code = store.codes.get(codeValue);
  store.codes.delete(codeValue);
  if (!code || code.clientId !== app.clientId) return refuse(400, 'invalid_grant', 'authentication failure');
  if (code.expires <= Date.now()) return refuse(400, 'invalid_grant', 'expired authorization code');
  if ((p.get('redirect_uri') ?? '') !== code.redirectUri)
    return refuse(400, 'redirect_uri_mismatch', 'redirect_uri must match configuration');
  const verifier = p.get('code_verifier');
  if (verifier === null || verifier === '') return refuse(400, 'invalid_grant', 'authentication failure');
  if (!VERIFIER_RE.test(verifier) || s256(verifier) !== code.challenge)
    return refuse(400, 'invalid_request', 'invalid code verifier');
  if (!store.mayUse(app, code.user)) return refuse(400, 'OAUTH_APPROVAL_ERROR_GENERIC', APPROVAL_ERROR_TEXT);
  if (await userFault(ctx, code.user, forced, refuse)) return;
  store.stats.codeGrants++;
  const wantsRefresh = code.scopes.includes('refresh_token') || code.scopes.includes('offline_access');
  const refreshToken = wantsRefresh ? store.newRefreshToken(app, code.user, code.scopes) : undefined;
  const accessToken = store.newAccessToken(app, code.user, refreshToken);
  sendJson(res, 200, tokenResponse(state, app, code.user, accessToken, refreshToken, code.scopes));
};

/**
 * `grant_type=refresh_token`: client, then the refresh token (unknown, revoked, expired or another app's:
 * invalid_grant "expired access/refresh token"). With the app's rotation on, a new refresh token comes back and
 * the old one dies at once; without it, none comes back. A code_verifier sent along (jsforce does) is ignored.
 */
const refreshTokenGrant: Grant = async (ctx, p, forced, err) => {
  const { state, res } = ctx;
  const store = oauthOf(state);
  const refuse = (status: number, error: string, description: string) => {
    store.stats.refusals++;
    err(status, error, description);
  };
  const app = clientOf(store, p, refuse);
  if (!app) return;
  const old = p.get('refresh_token') ?? '';
  const rec = store.refreshRecord(old);
  if (!rec || rec.clientId !== app.clientId) return refuse(400, 'invalid_grant', 'expired access/refresh token');
  if (!store.mayUse(app, rec.user)) return refuse(400, 'OAUTH_APPROVAL_ERROR_GENERIC', APPROVAL_ERROR_TEXT);
  if (await userFault(ctx, rec.user, forced, refuse)) return;
  store.stats.refreshGrants++;
  let current = old;
  let rotated: string | undefined;
  if (app.rotateRefreshTokens) {
    rotated = store.newRefreshToken(app, rec.user, rec.scopes);
    store.relink(old, rotated);
    store.refreshTokens.delete(old);
    current = rotated;
  }
  const accessToken = store.newAccessToken(app, rec.user, current);
  sendJson(res, 200, tokenResponse(state, app, rec.user, accessToken, rotated, rec.scopes));
};

const GRANTS: Record<string, Grant> = {
  password: passwordGrant,
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
};

async function handleToken(ctx: RequestContext): Promise<void> {
  const { state, req, res, body } = ctx;
  state.stats.oauthLogins++;
  const p = new URLSearchParams(body);
  const forced = state.faultFor(p.get('username') ?? '');
  if (forced && TRANSPORT_FAULTS.has(forced.fault)) {
    if (await transportFault(state, forced.fault, req, res)) return;
  }
  const err = (status: number, error: string, description: string) => {
    state.stats.failedLogins++;
    sendJson(res, status, { error, error_description: description });
  };
  const grant = Object.hasOwn(GRANTS, p.get('grant_type') ?? '') ? GRANTS[p.get('grant_type')!] : undefined;
  if (!grant) return err(400, 'unsupported_grant_type', 'grant type not supported');
  return grant(ctx, p, forced && !TRANSPORT_FAULTS.has(forced.fault) ? forced.fault : undefined, err);
}

function handleUserinfo({ state, req, res, url }: RequestContext): void {
  const s = state.sessionOf(req, url);
  if (!s) return send(res, 403, 'text/plain', 'Bad_OAuth_Token');
  const id = identity(state.base, s.user);
  sendJson(res, 200, {
    sub: id.id,
    user_id: s.user.userId,
    organization_id: s.user.org.id,
    preferred_username: s.user.username,
    nickname: id.nick_name,
    name: id.display_name,
    email: s.user.email,
    email_verified: true,
    given_name: s.user.firstName,
    family_name: s.user.lastName,
    zoneinfo: id.timezone,
    photos: id.photos,
    profile: `${state.base}/${s.user.userId}`,
    picture: (id.photos as { picture: string }).picture,
    address: {},
    is_salesforce_integration_user: false,
    urls: id.urls,
    active: true,
    user_type: 'STANDARD',
    language: id.language,
    locale: id.locale,
    utcOffset: id.utcOffset,
    updated_at: '2024-05-02T11:41:52Z',
    is_app_installed: true,
  });
}

/**
 * `POST /services/oauth2/revoke` (form `token=`; also `GET ?token=`): a refresh token dies with every access token
 * issued with it; an access token dies alone. 200 with an empty body; a token it does not know: 400.
 */
function handleRevoke({ state, res, url, method, body }: RequestContext): void {
  const store = oauthOf(state);
  const token = (method === 'POST' ? new URLSearchParams(body).get('token') : null) ?? url.searchParams.get('token');
  if (!token) {
    store.stats.refusals++;
    return sendJson(res, 400, { error: 'invalid_request', error_description: 'missing token parameter' });
  }
  if (store.refreshRecord(token)) {
    store.revokeRefreshToken(token);
    store.stats.revocations++;
    return send(res, 200, 'text/plain', '');
  }
  const s = state.sessions.get(token);
  if (s && (s.expiresAt === undefined || s.expiresAt > Date.now())) {
    state.sessions.delete(token);
    store.stats.revocations++;
    return send(res, 200, 'text/plain', '');
  }
  store.stats.refusals++;
  const shaped = /^00D\w{12,15}!/.test(token) || /^5Aep/.test(token);
  if (shaped) return sendJson(res, 400, { error: 'invalid_token', error_description: 'invalid token' });
  return sendJson(res, 400, { error: 'unsupported_token_type', error_description: 'this token type is not supported' });
}

function handleKeys({ res }: RequestContext): void {
  const k = idTokenKey();
  const jwk = k.publicKey.export({ format: 'jwk' }) as Record<string, string>;
  sendJson(res, 200, { keys: [{ kty: 'RSA', n: jwk.n, e: jwk.e, alg: 'RS256', use: 'sig', kid: k.kid }] });
}

/** OpenID discovery, as Salesforce's `/.well-known/openid-configuration` (the parts the emulator serves). */
function handleDiscovery({ state, res }: RequestContext): void {
  const b = state.base;
  sendJson(res, 200, {
    issuer: b,
    authorization_endpoint: `${b}/services/oauth2/authorize`,
    token_endpoint: `${b}/services/oauth2/token`,
    revocation_endpoint: `${b}/services/oauth2/revoke`,
    userinfo_endpoint: `${b}/services/oauth2/userinfo`,
    jwks_uri: `${b}/id/keys`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'password'],
    code_challenge_methods_supported: ['S256'],
    scopes_supported: [
      'id',
      'api',
      'web',
      'full',
      'refresh_token',
      'offline_access',
      'openid',
      'profile',
      'email',
      'address',
      'phone',
    ],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'none'],
  });
}

/** The token endpoint is a login route: it applies the global ('*') transport fault itself (after counting). */
export const oauthLoginRoutes: Route[] = [{ path: '/services/oauth2/token', methods: ['POST'], handle: handleToken }];
export const oauthApiRoutes: Route[] = [
  { path: '/services/oauth2/userinfo', api: true, handle: handleUserinfo },
  { path: '/services/oauth2/revoke', methods: ['POST', 'GET'], api: true, handle: handleRevoke },
  { path: '/id/keys', methods: ['GET'], api: true, handle: handleKeys },
  { path: '/.well-known/openid-configuration', methods: ['GET'], api: true, handle: handleDiscovery },
];
