/**
 * The pure pieces of Salesforce's OAuth 2.0 web-server flow with PKCE (oauth-facts.md "Web-server flow with PKCE";
 * RFC 7636): the code verifier and its S256 challenge, the `state`, the authorize URL, reading the redirect the
 * browser lands on (also a URL the user pastes), reading a token answer, and the refresh schedule.
 *
 * Pure: node:crypto (randomBytes, createHash) and timers' arithmetic only, no I/O. Every token read here is
 * registered with the redactor (access tokens as ephemeral secrets: a new one per refresh). The HTTP side is
 * src/salesforce/oauth/ (client.ts, loopback.ts).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { registerSecret } from './redact';

/** The path of the redirect URI (as the sf CLI's): `http://localhost:<port>/OauthRedirect`. */
export const CALLBACK_PATH = '/OauthRedirect';
/** The sf CLI's port, which External Client Apps usually register. */
export const DEFAULT_CALLBACK_PORT = 1717;
/** How long a sign-in waits for the browser by default. */
export const DEFAULT_SIGNIN_TIMEOUT_MS = 120_000;
/** What we ask for: the REST API and a refresh token. */
export const DEFAULT_SCOPE = 'api refresh_token';

/** The redirect URI for a loopback port: `http://localhost:<port>/OauthRedirect` (Salesforce matches it exactly). */
export function redirectUriFor(port: number): string {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new OAuthError('bad-url', `${String(port).slice(0, 12)} is not a TCP port (1-65535).`);
  return `http://localhost:${port}${CALLBACK_PATH}`;
}

export type OAuthErrorKind =
  /** The redirect's `state` is not the one we sent (another sign-in's redirect, or a forged one). */
  | 'state-mismatch'
  /** The user pressed Deny (`error=access_denied`). */
  | 'denied'
  /** The redirect carries neither `code` nor `error`. */
  | 'no-code'
  /** Not a URL / query we can read, or a URL we will not send a token to. */
  | 'bad-url'
  /** The loopback port is taken. */
  | 'port-busy'
  /** No redirect arrived in time. */
  | 'timeout'
  /** Salesforce refused: an OAuth error at the token or revoke endpoint, or in the redirect (`code` = its `error`). */
  | 'refused'
  /** The token endpoint answered, but not with a token (missing fields, not JSON). */
  | 'bad-response';

/**
 * An OAuth failure that is not a network error. `code` is Salesforce's `error` (invalid_grant, invalid_client_id,
 * redirect_uri_mismatch, OAUTH_APPROVAL_ERROR_GENERIC, …) or a code of ours (STATE_MISMATCH, NO_CODE, …);
 * `description` is Salesforce's `error_description` (never a secret). Messages never contain a token or a code.
 */
export class OAuthError extends Error {
  override name = 'OAuthError';
  readonly code: string;
  constructor(
    public readonly kind: OAuthErrorKind,
    message: string,
    code?: string,
    public readonly description?: string,
    public readonly statusCode?: number,
  ) {
    super(message);
    this.code = code ?? kind.toUpperCase().replace(/-/g, '_');
  }
}

/** An OAuthError, also one made by the other extension bundle (matched by name and kind). */
export function isOAuthError(e: unknown): e is OAuthError {
  if (e instanceof OAuthError) return true;
  if (!e || typeof e !== 'object') return false;
  const x = e as { name?: unknown; kind?: unknown; code?: unknown };
  return x.name === 'OAuthError' && typeof x.kind === 'string' && typeof x.code === 'string';
}

function base64url(buf: Buffer): string {
  return buf.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A PKCE code verifier: 32 random bytes, base64url (43 characters of [A-Za-z0-9_-], RFC 7636 §4.1). */
export function makeVerifier(): string {
  return base64url(randomBytes(32));
}

/** The S256 code challenge of a verifier: base64url(SHA-256(ASCII(verifier))), RFC 7636 §4.2. */
export function challengeOf(verifier: string): string {
  return base64url(createHash('sha256').update(verifier, 'ascii').digest());
}

/** A random `state`: 16 bytes, base64url (22 characters). */
export function makeState(): string {
  return base64url(randomBytes(16));
}

/** Equal states, compared in constant time. */
function sameState(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface AuthorizeUrlOptions {
  loginUrl: string;
  clientId: string;
  redirectUri: string;
  state: string;
  challenge: string;
  /** Default 'api refresh_token'. */
  scope?: string;
  /** Default 'login' (always show the login page: the user may pick another user than the browser's session). */
  prompt?: string;
}

/**
 * `{loginUrl}/services/oauth2/authorize?response_type=code&client_id&redirect_uri&state&code_challenge
 * &code_challenge_method=S256&scope&prompt`. The login URL is used as given (the caller validated it).
 */
export function authorizeUrl(o: AuthorizeUrlOptions): string {
  const u = new URL('/services/oauth2/authorize', o.loginUrl);
  const q = u.searchParams;
  q.set('response_type', 'code');
  q.set('client_id', o.clientId);
  q.set('redirect_uri', o.redirectUri);
  q.set('state', o.state);
  q.set('code_challenge', o.challenge);
  q.set('code_challenge_method', 'S256');
  q.set('scope', o.scope ?? DEFAULT_SCOPE);
  if (o.prompt !== '') q.set('prompt', o.prompt ?? 'login');
  return u.toString();
}

/** The query parameters of a redirect: a whole URL, `?a=b…`, `a=b…`, with whitespace, quotes or `<…>` around it. */
function redirectParams(text: string): URLSearchParams {
  // A URL copied from the address bar may be wrapped by the terminal (line breaks), quoted or put in <…>: URLs
  // carry no raw whitespace, so it all goes.
  let t = text.replace(/\s+/g, '');
  t = t.replace(/^["'<]+|["'>]+$/g, '');
  if (!t)
    throw new OAuthError('bad-url', 'Nothing was pasted: paste the whole address of the page the browser landed on.');
  let query: string;
  let fragment = '';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t)) {
    let u: URL;
    try {
      u = new URL(t);
    } catch {
      throw new OAuthError('bad-url', 'That is not a URL: paste the whole address of the page the browser landed on.');
    }
    query = u.search;
    fragment = u.hash;
  } else {
    const hash = t.indexOf('#');
    if (hash >= 0) {
      fragment = t.slice(hash);
      t = t.slice(0, hash);
    }
    const qm = t.indexOf('?');
    query = qm >= 0 ? t.slice(qm) : t;
    if (!query.includes('='))
      throw new OAuthError('bad-url', 'That is not the address of the sign-in redirect (no code= in it).');
  }
  const params = new URLSearchParams(query.replace(/^\?/, ''));
  // Some pages put the answer in the fragment (#code=…): read it when the query has none.
  if (!params.has('code') && !params.has('error') && fragment.length > 1) {
    const f = new URLSearchParams(fragment.slice(1));
    if (f.has('code') || f.has('error')) return f;
  }
  return params;
}

/**
 * Reads the redirect the browser landed on (`http://localhost:1717/OauthRedirect?code=…&state=…`, or what the user
 * pasted of it) and checks its `state`. Returns the authorization code (registered for redaction).
 * Throws OAuthError: 'state-mismatch' (missing or other state), 'denied' (access_denied), 'refused' (another
 * `error`, code = that error), 'no-code', 'bad-url'.
 */
export function parseRedirect(urlOrQuery: string, expectedState: string): { code: string } {
  const p = redirectParams(urlOrQuery);
  const state = p.get('state');
  const error = p.get('error');
  const code = p.get('code');
  if (state === null ? code !== null : !sameState(state, expectedState)) {
    throw new OAuthError(
      'state-mismatch',
      'The sign-in answer does not belong to this sign-in (its state does not match). Start the sign-in again and use the newest browser tab.',
    );
  }
  if (error !== null) {
    const description = (p.get('error_description') ?? '').slice(0, 300);
    if (error === 'access_denied')
      throw new OAuthError(
        'denied',
        `The sign-in was denied in the browser${description ? ` (${description})` : ''}.`,
        error,
        description,
      );
    throw new OAuthError(
      'refused',
      `Salesforce refused the sign-in (${error}${description ? `: ${description}` : ''}).`,
      error,
      description,
    );
  }
  if (!code)
    throw new OAuthError(
      'no-code',
      'The address has no authorization code: paste the whole address of the page the browser landed on.',
    );
  registerSecret(code, { ephemeral: true });
  return { code };
}

/** What a token answer gives (authorization_code or refresh_token grant). Salesforce sends no `expires_in`. */
export interface TokenSet {
  accessToken: string;
  /** Absent on a refresh without rotation (the client then keeps the old one). */
  refreshToken?: string;
  instanceUrl: string;
  /** The identity URL `…/id/<orgId>/<userId>`. */
  idUrl: string;
  orgId: string;
  userId: string;
  /** `issued_at`: milliseconds since the epoch. */
  issuedAt: number;
  scope?: string;
}

const ID_URL_RE = /\/id\/(00D[A-Za-z0-9]{12,15})\/(005[A-Za-z0-9]{12,15})\/?$/;

function badResponse(what: string): OAuthError {
  return new OAuthError('bad-response', `The OAuth token answer ${what}: this is not a Salesforce token answer.`);
}

/** Checks and reads a token endpoint's JSON answer; registers its tokens for redaction. Throws OAuthError 'bad-response'. */
export function parseTokenResponse(json: unknown): TokenSet {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw badResponse('is not a JSON object');
  const j = json as Record<string, unknown>;
  const str = (k: string): string | undefined => {
    const v = j[k];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const accessToken = str('access_token');
  const refreshToken = str('refresh_token');
  // Register before any check can fail, so that no message about this answer can carry them.
  registerSecret(accessToken, { ephemeral: true });
  registerSecret(refreshToken);
  if (!accessToken) throw badResponse('has no access_token');
  const instanceUrl = str('instance_url');
  if (!instanceUrl) throw badResponse('has no instance_url');
  let instance: URL;
  try {
    instance = new URL(instanceUrl);
  } catch {
    throw badResponse('has an instance_url that is not a URL');
  }
  if (instance.protocol !== 'https:' && instance.protocol !== 'http:')
    throw badResponse('has an instance_url that is not http(s)');
  const idUrl = str('id');
  if (!idUrl) throw badResponse('has no id (identity URL)');
  const m = ID_URL_RE.exec(idUrl.split('?')[0]!);
  if (!m) throw badResponse('has an id that is not an identity URL (/id/<org id>/<user id>)');
  const issued = str('issued_at') ?? (typeof j.issued_at === 'number' ? String(j.issued_at) : undefined);
  const issuedAt = issued && /^\d{1,16}$/.test(issued) ? Number(issued) : NaN;
  const tokenType = str('token_type');
  if (tokenType && tokenType.toLowerCase() !== 'bearer')
    throw badResponse(`has token_type ${tokenType.slice(0, 20)}, not Bearer`);
  return {
    accessToken,
    ...(refreshToken ? { refreshToken } : {}),
    instanceUrl: instance.origin,
    idUrl,
    orgId: m[1]!,
    userId: m[2]!,
    issuedAt: Number.isFinite(issuedAt) ? issuedAt : Date.now(),
    ...(str('scope') ? { scope: str('scope') } : {}),
  };
}

/** An OAuth error body `{"error":…,"error_description":…}` as an OAuthError 'refused'; undefined when it is none. */
export function oauthErrorFromBody(body: string, statusCode?: number): OAuthError | undefined {
  let j: unknown;
  try {
    j = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!j || typeof j !== 'object') return undefined;
  const e = (j as { error?: unknown }).error;
  if (typeof e !== 'string' || !e) return undefined;
  const d = (j as { error_description?: unknown }).error_description;
  const description = typeof d === 'string' ? d.slice(0, 300) : '';
  return new OAuthError(
    'refused',
    `Salesforce refused the request (${e}${description ? `: ${description}` : ''}).`,
    e,
    description,
    statusCode,
  );
}

// ---- the refresh schedule -------------------------------------------------------------------------------------

/**
 * Salesforce's shortest session timeout setting (15 minutes). An access token lives as long as the org's (or the
 * app's) session timeout, which no token answer tells (no `expires_in`). Refreshing before this much has passed
 * keeps a token fresh whatever the org's setting, at the cost of ~4 refreshes an hour.
 */
export const MIN_SESSION_TIMEOUT_MS = 15 * 60_000;

/**
 * What the refresh timer knows about an org's access-token lifetime: the session timeout when it was told, else
 * the shortest one observed (the age of a token that was refused), else MIN_SESSION_TIMEOUT_MS.
 */
export interface LifetimeEstimate {
  lifetimeMs: number;
  /** 'told' (a setting / the org), 'observed' (a token was refused at this age), 'default'. */
  source: 'told' | 'observed' | 'default';
}

export function defaultLifetime(toldMs?: number): LifetimeEstimate {
  return toldMs && toldMs > 0
    ? { lifetimeMs: toldMs, source: 'told' }
    : { lifetimeMs: MIN_SESSION_TIMEOUT_MS, source: 'default' };
}

/**
 * A token issued at `issuedAt` was refused at `refusedAt`: the lifetime is at most its age. Learns only downwards
 * (a token revoked early makes the timer eager, never late); never below 1 s.
 */
export function observeExpiry(est: LifetimeEstimate, issuedAt: number, refusedAt: number): LifetimeEstimate {
  const age = Math.max(1000, refusedAt - issuedAt);
  return age < est.lifetimeMs ? { lifetimeMs: age, source: 'observed' } : est;
}

/**
 * When to refresh a token issued at `issuedAt`, as a delay from `now` (ms, ≥ 0): at 75 % of its lifetime, and at
 * least 60 s before the end when the lifetime is long (so a slow refresh or a sleeping laptop still finishes in
 * time), never later than the end.
 */
export function refreshDelayMs(issuedAt: number, now: number, est: LifetimeEstimate): number {
  const life = est.lifetimeMs;
  const lead = Math.max(life * 0.25, Math.min(60_000, life * 0.5));
  return Math.max(0, Math.round(issuedAt + life - lead - now));
}
