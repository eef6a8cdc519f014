/**
 * The web-server flow's pages: `GET /services/oauth2/authorize` checks the app and the callback URL (unknown client
 * or an unregistered redirect_uri: an error page, never a redirect), then the request (response_type=code, a S256
 * code_challenge, allowed scopes: else a redirect with `error=`), and shows the login page (`prompt=login` or not:
 * the emulator keeps no browser session, so it always asks). The login form posts back to the same path; the
 * consent page (`button#oaapprove` / `button#oadeny`) posts to RemoteAccessAuthorizationPage.apexp, which
 * redirects to `redirect_uri?code=…&state=…` (Deny: `?error=access_denied&error_description=end-user+denied+authorization&state=…`).
 * An app the user may not use (blocked, not pre-authorized, another org): `?error=OAUTH_APPROVAL_ERROR_GENERIC`.
 */
import type { ServerResponse } from 'node:http';
import { htmlEsc, page, send, type RequestContext, type Route } from './http';
import { APPROVAL_ERROR_TEXT, oauthOf, type App, type PendingRequest } from './oauthStore';

export const AUTHORIZE_PATH = '/services/oauth2/authorize';
export const CONSENT_PATH = '/setup/secur/RemoteAccessAuthorizationPage.apexp';

const SCOPE_TEXT: Record<string, string> = {
  api: 'Access and manage your data (api)',
  refresh_token: 'Perform requests on your behalf at any time (refresh_token, offline_access)',
  offline_access: 'Perform requests on your behalf at any time (refresh_token, offline_access)',
  web: 'Provide access to your data via the Web (web)',
  full: 'Full access (full)',
  openid: 'Access unique user identifiers (openid)',
  id: 'Access your basic information (id, profile, email, address, phone)',
  profile: 'Access your basic information (id, profile, email, address, phone)',
  email: 'Access your basic information (id, profile, email, address, phone)',
  address: 'Access your basic information (id, profile, email, address, phone)',
  phone: 'Access your basic information (id, profile, email, address, phone)',
};

/** Salesforce's OAuth error page (RemoteAccessErrorPage): no redirect to the client. */
function errorPage(res: ServerResponse, error: string, description: string, status = 400): void {
  page(
    'OAuth Error',
    `<div class="err"><h1>OAuth Error</h1>
<p>We can't authorize you because of an OAuth error. For more information, contact your Salesforce administrator.</p>
<p id="oauth-error" data-error="${htmlEsc(error)}"><b>${htmlEsc(error)}</b> : ${htmlEsc(description)}</p></div>`,
    'en',
    status,
    res,
  );
}

function expiredPage(res: ServerResponse): void {
  errorPage(
    res,
    'OAUTH_APPROVAL_ERROR_GENERIC',
    `${APPROVAL_ERROR_TEXT} (This sign-in page was already used or is older than 15 minutes: start the sign-in again.)`,
  );
}

/** A 302 to the client's callback with these parameters (added to any query it already has). */
function redirectBack(res: ServerResponse, redirectUri: string, params: Record<string, string | null>): void {
  const to = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== null) to.searchParams.append(k, v);
  const href = to.toString();
  send(
    res,
    302,
    'text/html',
    `<html><body>Redirecting to <a href="${htmlEsc(href)}">${htmlEsc(href)}</a></body></html>`,
    { Location: href },
  );
}

function loginPage(res: ServerResponse, rid: string, app: App, username = '', failed = false): void {
  page(
    'Login',
    `<h1>Log in to Salesforce</h1>
<p class="note">to continue to <b id="app-name">${htmlEsc(app.name)}</b></p>
${failed ? `<div class="err" id="error"><p>Please check your username and password. If you still can't log in, contact your Salesforce administrator.</p></div>` : ''}
<form method="post" action="${AUTHORIZE_PATH}" id="login_form">
  <input type="hidden" name="rid" value="${htmlEsc(rid)}">
  <p><label for="username">Username</label><br><input type="text" id="username" name="username" value="${htmlEsc(username)}" autocomplete="username"></p>
  <p><label for="password">Password</label><br><input type="password" id="password" name="pw" value="" autocomplete="current-password"></p>
  <button class="btn" type="submit" id="Login" name="Login" value="Log In">Log In</button>
</form>`,
    'en',
    200,
    res,
  );
}

function consentPage(res: ServerResponse, rid: string, app: App, r: PendingRequest): void {
  const lines = [...new Set(r.scopes.map((s) => SCOPE_TEXT[s] ?? s))].map((t) => `<li>${htmlEsc(t)}</li>`).join('');
  page(
    'Allow Access?',
    `<h1>Allow Access?</h1>
<p><b id="app-name">${htmlEsc(app.name)}</b> is asking to:</p>
<ul>${lines}</ul>
<p class="note">Signed in as <b id="username">${htmlEsc(r.user!.username)}</b>. Do you want to allow access for ${htmlEsc(r.user!.username)}?</p>
<form method="post" action="${CONSENT_PATH}" id="frm">
  <input type="hidden" name="rid" value="${htmlEsc(rid)}">
  <button class="btn" type="submit" id="oaapprove" name="oaapprove" value="Allow">Allow</button>
  <button class="btn" type="submit" id="oadeny" name="oadeny" value="Deny">Deny</button>
</form>`,
    'en',
    200,
    res,
  );
}

function handleAuthorizeGet({ state, res, url }: RequestContext): void {
  const store = oauthOf(state);
  store.stats.authorizePages++;
  const q = url.searchParams;
  const app = store.apps.get(q.get('client_id') ?? '');
  if (!app) return errorPage(res, 'invalid_client_id', 'client identifier invalid');
  const redirectUri = q.get('redirect_uri') ?? '';
  if (!app.callbackUrls.includes(redirectUri))
    return errorPage(res, 'redirect_uri_mismatch', 'redirect_uri must match configuration');
  const st = q.get('state');
  const back = (error: string, description: string) =>
    redirectBack(res, redirectUri, { error, error_description: description, state: st });
  if (q.get('response_type') !== 'code') return back('unsupported_response_type', 'response type not supported');
  const challenge = q.get('code_challenge');
  if (!challenge) return back('invalid_request', 'missing required code challenge');
  const method = q.get('code_challenge_method');
  if (method !== null && method !== 'S256') return back('invalid_request', 'invalid code challenge method');
  if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) return back('invalid_request', 'invalid code challenge');
  const asked = (q.get('scope') ?? '').split(/\s+/).filter(Boolean);
  if (asked.some((s) => !app.scopes.includes(s))) return back('invalid_scope', 'the requested scope is not allowed');
  const rid = store.newRequest({
    clientId: app.clientId,
    redirectUri,
    state: st,
    challenge,
    scopes: asked.length ? [...new Set(asked)] : [...app.scopes],
  });
  loginPage(res, rid, app);
}

function handleLoginPost({ state, res, body }: RequestContext): void {
  const store = oauthOf(state);
  const form = new URLSearchParams(body);
  const rid = form.get('rid') ?? '';
  const r = store.requests.get(rid);
  const app = r && store.apps.get(r.clientId);
  if (!r || r.user || r.expires <= Date.now() || !app) return expiredPage(res);
  const username = form.get('username') ?? '';
  const u = state.users.get(username.trim().toLowerCase());
  // A browser login needs the password alone (the security token is for API logins).
  if (!u || form.get('pw') !== u.password) {
    store.stats.failedWebLogins++;
    return loginPage(res, rid, app, username, true);
  }
  store.stats.webLogins++;
  store.requests.delete(rid);
  if (!store.mayUse(app, u))
    return redirectBack(res, r.redirectUri, {
      error: 'OAUTH_APPROVAL_ERROR_GENERIC',
      error_description: APPROVAL_ERROR_TEXT,
      state: r.state,
    });
  const consent = { ...r, user: u };
  consentPage(res, store.newRequest(consent), app, consent);
}

function handleConsent({ state, res, method, body }: RequestContext): void {
  if (method !== 'POST') return expiredPage(res);
  const store = oauthOf(state);
  const form = new URLSearchParams(body);
  const r = store.takeRequest(form.get('rid') ?? '');
  const app = r && store.apps.get(r.clientId);
  if (!r?.user || !app) return expiredPage(res);
  if (form.has('oadeny')) {
    store.stats.denials++;
    return redirectBack(res, r.redirectUri, {
      error: 'access_denied',
      error_description: 'end-user denied authorization',
      state: r.state,
    });
  }
  if (!form.has('oaapprove')) return errorPage(res, 'invalid_request', 'neither Allow nor Deny was chosen');
  if (!store.mayUse(app, r.user))
    return redirectBack(res, r.redirectUri, {
      error: 'OAUTH_APPROVAL_ERROR_GENERIC',
      error_description: APPROVAL_ERROR_TEXT,
      state: r.state,
    });
  store.stats.consents++;
  const code = store.newCode({
    clientId: app.clientId,
    user: r.user,
    redirectUri: r.redirectUri,
    challenge: r.challenge,
    scopes: r.scopes,
  });
  redirectBack(res, r.redirectUri, { code, state: r.state });
}

/** Web pages (not API routes): they go before the API fallback, which would take any /services/ path. */
export const oauthWebRoutes: Route[] = [
  {
    path: AUTHORIZE_PATH,
    methods: ['GET', 'HEAD', 'POST'],
    handle: (ctx) => (ctx.method === 'POST' ? handleLoginPost(ctx) : handleAuthorizeGet(ctx)),
  },
  { path: CONSENT_PATH, handle: handleConsent },
];
