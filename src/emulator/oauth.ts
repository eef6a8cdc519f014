/**
 * OAuth: `POST /services/oauth2/token` (grants by `grant_type`, today the username-password flow, with
 * invalid_grant / invalid_client_id / invalid_client / …) and `GET /services/oauth2/userinfo` (OpenID Connect).
 * A new grant is one entry of GRANTS; a new OAuth endpoint is one more Route in oauthRoutes.
 */
import { createHmac } from 'node:crypto';
import { TRANSPORT_FAULTS, transportFault } from './faults';
import { send, sendJson, type RequestContext, type Route } from './http';
import { identity } from './rest';
import type { EmulatorFault } from './types';

/** One grant of the token endpoint: `params` is the form body; `err` answers an OAuth error (and counts a failed login). */
type Grant = (ctx: RequestContext, params: URLSearchParams, forced: EmulatorFault | undefined, err: (status: number, error: string, description: string) => void) => void | Promise<void>;

const passwordGrant: Grant = ({ state, res }, p, forced, err) => {
  const clientId = p.get('client_id') ?? '';
  const org = state.orgs.find((o) => o.clients.some((c) => c.clientId === clientId));
  if (!org) return err(400, 'invalid_client_id', 'client identifier invalid');
  if (!org.clients.some((c) => c.clientId === clientId && c.clientSecret === p.get('client_secret'))) return err(400, 'invalid_client', 'invalid client credentials');
  if (forced) {
    const f = forced;
    if (f === 'REQUEST_LIMIT_EXCEEDED') return err(400, 'rate_limit_exceeded', 'Request limit exceeded');
    if (f === 'ORG_LOCKED' || f === 'TRIAL_EXPIRED') return err(400, 'inactive_org', 'organization is inactive');
    if (f === 'SERVER_UNAVAILABLE' || f === 'ORG_IN_MAINTENANCE') return send(res, 503, 'text/html', '<html><body><h1>Service Unavailable</h1></body></html>');
    return err(400, 'invalid_grant', 'authentication failure');
  }
  const c = state.checkCredentials(p.get('username') ?? '', p.get('password') ?? '');
  if (!c.ok || c.user.org !== org || org.oauthUsernamePasswordBlocked) return err(400, 'invalid_grant', 'authentication failure');
  const u = c.user;
  const base = state.base;
  const sid = state.newSession(u, 'oauth');
  const issuedAt = String(Date.now());
  const id = `${base}/id/${u.org.id}/${u.userId}`;
  const signature = createHmac('sha256', org.clients[0]!.clientSecret).update(id + issuedAt).digest('base64');
  sendJson(res, 200, { access_token: sid, instance_url: base, id, token_type: 'Bearer', issued_at: issuedAt, signature });
};

const GRANTS: Record<string, Grant> = { password: passwordGrant };

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

/** The token endpoint is a login route: it applies the global ('*') transport fault itself (after counting). */
export const oauthLoginRoutes: Route[] = [{ path: '/services/oauth2/token', methods: ['POST'], handle: handleToken }];
export const oauthApiRoutes: Route[] = [{ path: '/services/oauth2/userinfo', api: true, handle: handleUserinfo }];
