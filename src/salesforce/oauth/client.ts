/**
 * The HTTP side of the OAuth web-server flow (SF_AUTH=oauth): the token endpoint (authorization_code and
 * refresh_token grants), revoke, and the health test over REST (userinfo + org name + limits).
 *
 * Our own small client over RelayTransport (../transport.ts: proxy + strictSSL, extra CAs, one deadline per call,
 * AbortSignal, captive-portal detection) instead of jsforce's OAuth2: jsforce 3.10.16 sends the PKCE verifier on
 * refreshes too and drops rotated refresh tokens (oauth-facts.md), and these are four form posts / GETs.
 * - Refresh sends NO code_verifier; a returned refresh_token (rotation) replaces the old one in the result.
 * - Every token (access, refresh, code, client secret) is registered with the redactor before anything can log it;
 *   request and response bodies never reach a log line.
 * - A token is sent only to an https URL, or http on a loopback host (validateLoginUrl's rule).
 */
import { performance } from 'node:perf_hooks';
import {
  HEALTH_STATES,
  type HealthResult,
  REFUSED_ACCESS_TOKEN_CODES,
  UnexpectedResponseError,
  classifyOAuthError,
  failureResult,
} from '../../core/health';
import { type Logger, nullLogger } from '../../core/log';
import { OAuthError, type TokenSet, oauthErrorFromBody, parseTokenResponse } from '../../core/oauth';
import { assertSessionUrls } from '../signin/shared';
import { registerSecret, safeErrorMessage } from '../../core/redact';
import { LoginUrlError, validateLoginUrl } from '../../core/resetUrl';
import { RelayTransport, type ProxyOptions, type TransportResponse } from '../transport';

/** How a call is made: what LoginOptions carries (a LoginOptions object can be passed as is). */
export interface RequestOpts {
  signal?: AbortSignal;
  /** One deadline for the whole call (restHealth: all its requests); default 30 000 ms. */
  timeoutMs?: number;
  proxy?: ProxyOptions;
  ca?: string | Buffer | Array<string | Buffer>;
  log?: Logger;
}

export const DEFAULT_OAUTH_TIMEOUT_MS = 30_000;
/** The REST version for limits and the org name query when the profile names none. */
export const DEFAULT_REST_VERSION = '64.0';

function transportFor(opts: RequestOpts, started = performance.now()): RelayTransport {
  const timeoutMs = opts.timeoutMs && opts.timeoutMs > 0 ? opts.timeoutMs : DEFAULT_OAUTH_TIMEOUT_MS;
  return new RelayTransport({
    signal: opts.signal,
    deadline: started + timeoutMs,
    proxy: opts.proxy,
    ca: opts.ca,
    log: opts.log,
  });
}

/** The origin a token may be sent to; OAuthError 'bad-url' otherwise (plain http off loopback, not a URL). */
function safeOrigin(url: string, what: string): string {
  try {
    return validateLoginUrl(url);
  } catch (e) {
    if (e instanceof LoginUrlError)
      throw new OAuthError('bad-url', `The ${what} ${e.message.replace(/^The login URL /, '')}`, 'INVALID_URL');
    throw e;
  }
}

function form(fields: Record<string, string | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== '') p.set(k, v);
  return p.toString();
}

async function tokenRequest(
  loginUrl: string,
  fields: Record<string, string | undefined>,
  grant: string,
  opts: RequestOpts,
): Promise<TokenSet> {
  const origin = safeOrigin(loginUrl, 'login URL');
  const log = opts.log ?? nullLogger;
  log.debug(`OAuth token request (${grant}) to ${origin}`);
  const res = await transportFor(opts).httpRequest({
    method: 'POST',
    url: `${origin}/services/oauth2/token`,
    body: form(fields),
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
  });
  if (res.statusCode >= 400) {
    const err = oauthErrorFromBody(res.body, res.statusCode);
    if (err) {
      log.info(`OAuth token request (${grant}) refused: ${err.code} (HTTP ${res.statusCode})`);
      throw err;
    }
    throw new OAuthError(
      'bad-response',
      `The OAuth token endpoint answered HTTP ${res.statusCode} without an OAuth error.`,
      `HTTP_${res.statusCode}`,
      undefined,
      res.statusCode,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(res.body);
  } catch {
    throw new OAuthError(
      'bad-response',
      'The OAuth token answer is not JSON.',
      'UNPARSEABLE_RESPONSE',
      undefined,
      res.statusCode,
    );
  }
  const tokens = parseTokenResponse(json);
  safeOrigin(tokens.instanceUrl, 'instance URL');
  // The same rule as the password flows: the access token goes only to the org's own hosts (issue 15 item 14).
  assertSessionUrls(origin, tokens.instanceUrl, tokens.idUrl);
  return tokens;
}

/** authorization_code grant: the code from the redirect + the PKCE verifier kept in memory since the authorize URL. */
export function exchangeCode(
  o: { loginUrl: string; clientId: string; clientSecret?: string; redirectUri: string; code: string; verifier: string },
  opts: RequestOpts = {},
): Promise<TokenSet> {
  registerSecret(o.code, { ephemeral: true });
  registerSecret(o.verifier, { ephemeral: true });
  registerSecret(o.clientSecret);
  return tokenRequest(
    o.loginUrl,
    {
      grant_type: 'authorization_code',
      code: o.code,
      client_id: o.clientId,
      client_secret: o.clientSecret,
      redirect_uri: o.redirectUri,
      code_verifier: o.verifier,
    },
    'authorization_code',
    opts,
  );
}

/**
 * refresh_token grant (no code_verifier). The result's refreshToken is the rotated one when Salesforce returned one,
 * else the old one; `rotated` says which. OAuthError 'refused' with code invalid_grant when the refresh token is dead.
 */
export async function refreshTokens(
  o: { loginUrl: string; clientId: string; clientSecret?: string; refreshToken: string },
  opts: RequestOpts = {},
): Promise<TokenSet & { refreshToken: string; rotated: boolean }> {
  registerSecret(o.refreshToken);
  registerSecret(o.clientSecret);
  const t = await tokenRequest(
    o.loginUrl,
    {
      grant_type: 'refresh_token',
      refresh_token: o.refreshToken,
      client_id: o.clientId,
      client_secret: o.clientSecret,
    },
    'refresh_token',
    opts,
  );
  const rotated = !!t.refreshToken && t.refreshToken !== o.refreshToken;
  if (rotated) (opts.log ?? nullLogger).info('Salesforce rotated the refresh token: the new one replaces the old one');
  return { ...t, refreshToken: t.refreshToken ?? o.refreshToken, rotated };
}

/** Revokes a refresh token (and its access tokens) or an access token. OAuthError 'refused' (e.g. invalid_token) on 400. */
export async function revokeToken(o: { loginUrl: string; token: string }, opts: RequestOpts = {}): Promise<void> {
  registerSecret(o.token);
  const origin = safeOrigin(o.loginUrl, 'login URL');
  const res = await transportFor(opts).httpRequest({
    method: 'POST',
    url: `${origin}/services/oauth2/revoke`,
    body: form({ token: o.token }),
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
  });
  if (res.statusCode >= 400) {
    throw (
      oauthErrorFromBody(res.body, res.statusCode) ??
      new OAuthError(
        'refused',
        `Salesforce did not revoke the token (HTTP ${res.statusCode}).`,
        `HTTP_${res.statusCode}`,
        undefined,
        res.statusCode,
      )
    );
  }
  (opts.log ?? nullLogger).info(`token revoked at ${origin}`);
}

/** A REST error answer as something classifyLoginError / classifyOAuthError reads (errorCode + message). */
function restError(res: TransportResponse): Error {
  const body = res.body.trim();
  let code: string | undefined;
  let message = '';
  try {
    const j = JSON.parse(body) as unknown;
    const first = Array.isArray(j)
      ? (j[0] as Record<string, unknown> | undefined)
      : (j as Record<string, unknown> | null);
    if (first && typeof first === 'object') {
      if (typeof first.errorCode === 'string') code = first.errorCode;
      else if (typeof first.error === 'string') code = first.error;
      if (typeof first.message === 'string') message = first.message;
      else if (typeof first.error_description === 'string') message = first.error_description;
    }
  } catch {
    // userinfo answers a refused token with text/plain "Bad_OAuth_Token".
    const m = /^(Bad_OAuth_Token|INVALID_SESSION_ID|[A-Z][A-Z_]{3,})\b/.exec(body);
    if (m) code = m[1];
  }
  if (!code && res.statusCode === 401) code = 'INVALID_SESSION_ID';
  if (!code) {
    const e = new Error(`ERROR_HTTP_${res.statusCode}`);
    e.name = `ERROR_HTTP_${res.statusCode}`;
    e.message = body.slice(0, 200);
    return e;
  }
  return Object.assign(new Error(message.slice(0, 300) || code), { errorCode: code, statusCode: res.statusCode });
}

function isRefusedToken(e: Error): boolean {
  const code = (e as { errorCode?: unknown }).errorCode;
  return typeof code === 'string' && REFUSED_ACCESS_TOKEN_CODES.includes(code);
}

/**
 * The health of an OAuth session over REST: `GET /services/oauth2/userinfo` (who, which org), the org's name
 * (`SELECT Name FROM Organization`; optional), `limits` (DailyApiRequests; unless fetchLimits is false). Never
 * throws. A refused access token (401 INVALID_SESSION_ID, 403 Bad_OAuth_Token: at userinfo or a later call) gives
 * status 'signin-required' with that code: the caller refreshes and tests again. `latencyMs` = the userinfo call.
 */
export async function restHealth(
  o: { instanceUrl: string; accessToken: string; apiVersion?: string; fetchLimits?: boolean; username?: string },
  opts: RequestOpts = {},
): Promise<HealthResult> {
  const log = opts.log ?? nullLogger;
  registerSecret(o.accessToken, { ephemeral: true });
  const started = performance.now();
  const checkedAt = (): string => new Date().toISOString();
  const fail = (e: unknown, latency?: number): HealthResult => {
    const c = classifyOAuthError(e);
    log.info(`REST health failed: ${c.status} (${c.code ?? 'no code'})`);
    log.debug(`REST health detail: ${safeErrorMessage(e)}`);
    return {
      ...failureResult(c),
      username: o.username ?? null,
      instanceUrl: null,
      flow: 'oauth',
      ...(latency !== undefined ? { latencyMs: latency } : {}),
      checkedAt: checkedAt(),
    };
  };
  let origin: string;
  try {
    origin = safeOrigin(o.instanceUrl, 'instance URL');
  } catch (e) {
    return fail(e);
  }
  const transport = transportFor(opts, started);
  const get = async (path: string): Promise<unknown> => {
    const res = await transport.httpRequest({
      method: 'GET',
      url: `${origin}${path}`,
      headers: { authorization: `Bearer ${o.accessToken}`, accept: 'application/json' },
    });
    if (res.statusCode >= 400) throw restError(res);
    try {
      return JSON.parse(res.body) as unknown;
    } catch {
      throw new UnexpectedResponseError(
        `${new URL(origin).host} answered ${path.split('?')[0]} with a body that is not JSON (HTTP ${res.statusCode}).`,
        'UNPARSEABLE_RESPONSE',
        res.statusCode,
        res.headers['content-type'],
      );
    }
  };

  log.info(`REST health check at ${origin}${o.username ? ` for ${o.username}` : ''}`);
  let info: { user_id?: unknown; organization_id?: unknown; preferred_username?: unknown; name?: unknown };
  try {
    info = (await get('/services/oauth2/userinfo')) ?? {};
  } catch (e) {
    return fail(e, Math.round(performance.now() - started));
  }
  const latencyMs = Math.round(performance.now() - started);
  const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
  const result: HealthResult = {
    status: 'ok',
    label: HEALTH_STATES.ok.label,
    code: null,
    message: '',
    organizationId: str(info.organization_id),
    username: str(info.preferred_username) ?? o.username ?? null,
    instanceUrl: origin,
    orgName: null,
    userFullName: str(info.name),
    apiRequestsRemaining: null,
    apiRequestsMax: null,
    latencyMs,
    checkedAt: checkedAt(),
    flow: 'oauth',
  };
  const version = (o.apiVersion ?? DEFAULT_REST_VERSION).replace(/^v/i, '');
  // The extras never turn a success into a failure, except a token that died meanwhile (the caller refreshes).
  try {
    const q = (await get(
      `/services/data/v${version}/query?q=${encodeURIComponent('SELECT Name FROM Organization LIMIT 1')}`,
    )) as { records?: Array<{ Name?: unknown }> };
    result.orgName = str(q?.records?.[0]?.Name);
  } catch (e) {
    if (e instanceof Error && isRefusedToken(e)) return fail(e, latencyMs);
    log.debug(`organization name query failed: ${safeErrorMessage(e)}`);
  }
  if (o.fetchLimits !== false) {
    try {
      const limits = (await get(`/services/data/v${version}/limits`)) as {
        DailyApiRequests?: { Max?: unknown; Remaining?: unknown };
      };
      const d = limits?.DailyApiRequests;
      if (d && typeof d.Remaining === 'number') {
        result.apiRequestsRemaining = d.Remaining;
        result.apiRequestsMax = typeof d.Max === 'number' ? d.Max : null;
      }
    } catch (e) {
      if (e instanceof Error && isRefusedToken(e)) return fail(e, latencyMs);
      log.debug(`limits failed: ${safeErrorMessage(e)}`);
    }
  }
  const who = result.userFullName
    ? `${result.userFullName} (${result.username ?? '?'})`
    : (result.username ?? 'the user');
  const parts = [`Signed in with OAuth as ${who} to ${result.orgName ?? result.organizationId ?? 'the org'}.`];
  if (result.apiRequestsRemaining != null)
    parts.push(
      `API requests left today: ${result.apiRequestsRemaining}${result.apiRequestsMax != null ? ` of ${result.apiRequestsMax}` : ''}.`,
    );
  result.message = parts.join(' ');
  log.info(`REST health ok in ${latencyMs} ms: ${result.organizationId ?? '?'} ${origin}`);
  return result;
}
