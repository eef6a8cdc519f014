/**
 * Login health: the states of CONTRACTS.md ("Health states"), their labels and fixes, and the
 * classification of every way a Salesforce login can fail into one of them.
 *
 * Pure: no jsforce, no vscode. `classifyLoginError` reads the shapes jsforce 3.10.16 throws
 * (salesforce-facts.md §4.3) plus the transport errors of src/salesforce/transport.ts
 * (`UnexpectedResponseError`, Node errors with `.code`). Messages never contain secrets and
 * are passed through `redact` anyway.
 */
import { HEALTH_STATES, type HealthResult, type HealthStatus } from './healthStates';
import { redact } from './redact';
import { isAbortError } from './async';
import { isOAuthError } from './oauth';
import { isBlockedFlowText } from './retirement';
import { lt, type LocalizedArg, type LocalizedText } from './l10n';

export * from './healthStates';

/**
 * Thrown by the login transport when the server answered, but not like Salesforce does: an HTML
 * page (captive portal, proxy login page, maintenance page), an empty or unparseable body, or a
 * redirect on a POST. `code` is one of UnexpectedResponseCode:
 *  - HTML_RESPONSE, UNPARSEABLE_RESPONSE, EMPTY_RESPONSE: the body is not a Salesforce answer;
 *  - REDIRECT: a redirect on a POST, a redirect loop, or a Location that is no URL;
 *  - RESPONSE_TOO_LARGE: a body over the transport's cap (256 KB for a login answer);
 *  - INSECURE_URL: a request to plain http:// on a host that is not loopback (never sent);
 *  - INSECURE_REDIRECT: an https answer redirected to http:// (not followed);
 *  - UNTRUSTED_SERVER_URL: the login answered with a serverUrl / instance_url / identity URL on plain http or on a
 *    host that is not the org's (src/core/resetUrl.ts sessionUrlProblem): the session would leave the org.
 */
export type UnexpectedResponseCode =
  | 'HTML_RESPONSE'
  | 'UNPARSEABLE_RESPONSE'
  | 'EMPTY_RESPONSE'
  | 'REDIRECT'
  | 'RESPONSE_TOO_LARGE'
  | 'INSECURE_URL'
  | 'INSECURE_REDIRECT'
  | 'UNTRUSTED_SERVER_URL';

export class UnexpectedResponseError extends Error {
  override name = 'UnexpectedResponseError';
  constructor(
    message: string,
    public readonly code: UnexpectedResponseCode,
    public readonly statusCode: number,
    public readonly contentType?: string,
  ) {
    super(message);
  }
}

/** An UnexpectedResponseError, also one made by the other extension bundle (matched by name there). */
export function isUnexpectedResponseError(e: unknown): e is UnexpectedResponseError {
  return (
    e instanceof UnexpectedResponseError ||
    (!!e && typeof e === 'object' && (e as { name?: unknown }).name === 'UnexpectedResponseError')
  );
}

export interface Classified {
  status: HealthStatus;
  code: string | null;
  /** English (CLI, log, JSON). */
  message: string;
  /** The same as a translatable text (src/core/l10n.ts), when it is one of ours (not a server's or an error's words). */
  explain?: LocalizedText;
}

/** A Classified whose message is `explain` in English. */
function explained(status: HealthStatus, code: string | null, explain: LocalizedText): Classified {
  return { status, code, message: explain.english, explain };
}

const WAYS_OUT = lt`Or move this org off the password for good: Switch to OAuth (sign in through an External Client App; CLI: token-relay oauth login), or use the sf CLI login (sf org login web, then Import Org from Salesforce CLI; CLI: token-relay sf-import).`;

const SOAP_RETIREMENT = lt`Salesforce is retiring SOAP API login() in the Summer '27 release: it works only up to API version 64.0 and is disabled by default in orgs created in Winter '26 or later. An admin can enable it for now (Setup > User Interface > Enable SOAP API login()). ${WAYS_OUT}`;

const BLOCKED_FLOW = lt`The org blocks the OAuth username-password flow (blocked by default in orgs created in Summer '23 or later; Salesforce switches it off everywhere on 2027-02-20). An admin can allow it for now (Setup > OAuth and OpenID Connect Settings > Allow OAuth Username-Password Flows). ${WAYS_OUT}`;

/** Where a network error happened, as the pieces the messages put in (each '' when unknown). */
interface NetWhere {
  to: LocalizedArg; // " to host:port"
  of: LocalizedArg; // " host:port"
  at: LocalizedArg; // " at host:port"
  paren: LocalizedArg; // " (host:port)"
}

const NETWORK_MESSAGES: Record<string, (w: NetWhere) => LocalizedText> = {
  ECONNREFUSED: (w) =>
    lt`The connection${w.to} was refused: nothing is listening at that address. Check the login URL, or your proxy.`,
  ENOTFOUND: (w) => lt`The host name${w.of} could not be resolved (DNS). Check the login URL and your network.`,
  EAI_AGAIN: (w) => lt`DNS lookup failed temporarily. Check your network connection and try again.${w.paren}`,
  ETIMEDOUT: (w) =>
    lt`Salesforce${w.at} did not answer in time. Check your network, VPN or proxy settings and try again.`,
  ECONNRESET: (w) =>
    lt`The connection${w.to} was reset before Salesforce answered. A proxy, firewall or VPN may be interfering.`,
  EPIPE: (w) =>
    lt`The connection was closed while sending the login. A proxy, firewall or VPN may be interfering.${w.paren}`,
  ENETUNREACH: (w) => lt`The network is unreachable. Check your connection.${w.paren}`,
  EHOSTUNREACH: (w) => lt`The host${w.of} is unreachable. Check your connection, VPN or proxy.`,
  ENETDOWN: (w) => lt`The network is down. Check your connection.${w.paren}`,
  EPROTO: (w) => lt`The TLS handshake failed (protocol error). A proxy may be intercepting HTTPS.${w.paren}`,
  CERT_HAS_EXPIRED: (w) =>
    lt`The server certificate has expired. If a corporate proxy intercepts HTTPS, its certificate may be outdated.${w.paren}`,
  DEPTH_ZERO_SELF_SIGNED_CERT: (w) =>
    lt`The server presented a self-signed certificate. If a corporate proxy intercepts HTTPS, add its CA with NODE_EXTRA_CA_CERTS (CLI) or the proxy settings.${w.paren}`,
  SELF_SIGNED_CERT_IN_CHAIN: (w) =>
    lt`The certificate chain contains a self-signed certificate, which usually means a corporate proxy intercepts HTTPS. Add its CA with NODE_EXTRA_CA_CERTS (CLI) or turn off http.proxyStrictSSL.${w.paren}`,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: (w) =>
    lt`The server's certificate could not be verified. If a corporate proxy intercepts HTTPS, add its CA with NODE_EXTRA_CA_CERTS.${w.paren}`,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: (w) =>
    lt`The certificate's issuer is not trusted on this machine. If a corporate proxy intercepts HTTPS, add its CA with NODE_EXTRA_CA_CERTS.${w.paren}`,
  ERR_TLS_CERT_ALTNAME_INVALID: (w) =>
    lt`The server's certificate does not match the host name. Check the login URL; a proxy may be intercepting HTTPS.${w.paren}`,
  ABORT_ERR: () => lt`The login test was cancelled before Salesforce answered.`,
  PROXY_CONNECT_FAILED: (w) =>
    lt`The proxy refused to open a tunnel to Salesforce. Check the proxy address and its credentials.${w.paren}`,
};

/** Node error codes that mean "we never got a Salesforce answer". */
function networkCode(err: unknown): string | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; errno?: unknown; type?: unknown; name?: unknown; cause?: unknown };
  if (isAbortError(err)) return 'ABORT_ERR';
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (
    code &&
    (/^E[A-Z0-9_]+$/.test(code) ||
      /CERT|SIGNATURE|TLS|SSL|ISSUER/.test(code) ||
      code === 'ABORT_ERR' ||
      code === 'PROXY_CONNECT_FAILED')
  ) {
    return code;
  }
  if (e.cause) return networkCode(e.cause);
  return undefined;
}

/** `host:port` of a Node network error (address/port, or hostname), searched through `cause`. */
function networkTarget(err: unknown, depth = 0): string | undefined {
  if (!err || typeof err !== 'object' || depth > 3) return undefined;
  const e = err as { address?: unknown; port?: unknown; hostname?: unknown; host?: unknown; cause?: unknown };
  const host =
    typeof e.address === 'string'
      ? e.address
      : typeof e.hostname === 'string'
        ? e.hostname
        : typeof e.host === 'string'
          ? e.host
          : undefined;
  if (host)
    return typeof e.port === 'number' || typeof e.port === 'string'
      ? `${host.includes(':') ? `[${host}]` : host}:${e.port}`
      : host;
  return networkTarget(e.cause, depth + 1);
}

function describeNetwork(code: string, err: unknown): LocalizedText {
  const target = code === 'ABORT_ERR' ? undefined : networkTarget(err);
  const known = NETWORK_MESSAGES[code];
  if (known) {
    const w: NetWhere = target
      ? { to: lt` to ${target}`, of: lt` ${target}`, at: lt` at ${target}`, paren: lt` (${target})` }
      : { to: '', of: '', at: '', paren: '' };
    return known(w);
  }
  const detail = err instanceof Error ? err.message : '';
  return detail
    ? lt`The connection to Salesforce failed (${code}): ${detail}. Check your network and proxy settings.`
    : lt`The connection to Salesforce failed (${code}). Check your network and proxy settings.`;
}

/** `CODE: text` (a SOAP faultstring as jsforce throws it); the code is at most 100 characters. */
const FAULT_RE = /^([A-Z][A-Z0-9_]{1,99}):/;

/** Server text quoted in a health message: at most this many characters (a hostile server may send 256 KB). */
export const MAX_QUOTED_CHARS = 300;

/** `text` cut to MAX_QUOTED_CHARS (with an ellipsis), for quoting a server's words in a message. */
export function clipQuoted(text: string): string {
  return text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS)}…` : text;
}

/** The code and text of a SOAP faultstring (`CODE: text`); the text is clipped (clipQuoted). Linear, anchored. */
export function soapFaultParts(message: string): { code: string; text: string } | undefined {
  const trimmed = message.trim();
  const m = FAULT_RE.exec(trimmed);
  if (!m) return undefined;
  return { code: m[1]!, text: clipQuoted(trimmed.slice(m[0].length).trim()) };
}

function looksLikeHtml(text: string): boolean {
  return (
    /^\s*(<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])/i.test(text) ||
    /<\/(html|body|head|title)>/i.test(text.slice(0, 4096))
  );
}

/** A short, secret-free explanation for a SOAP fault / REST error code. */
function fromFaultCode(code: string, text: string, _flow: 'soap' | 'oauth'): Classified {
  const quoted = clipQuoted(text);
  const say = (status: HealthStatus, explain: LocalizedText): Classified => explained(status, code, explain);
  switch (code) {
    case 'INVALID_LOGIN':
      return say(
        'invalid-login',
        lt`Salesforce rejected the username, password or security token (INVALID_LOGIN). If you reset the token recently, use the newest one (each reset invalidates the previous token; a new token can take a few minutes to work). Otherwise reset the token or correct the password. Locked-out users get this same answer.`,
      );
    case 'LOGIN_MUST_USE_SECURITY_TOKEN':
      return say(
        'token-required',
        lt`Salesforce requires a security token for logins from this network (LOGIN_MUST_USE_SECURITY_TOKEN). Reset the token to receive a new one by email, then save it.`,
      );
    case 'INVALID_OPERATION_WITH_EXPIRED_PASSWORD':
    case 'PASSWORD_EXPIRED':
      return say(
        'password-expired',
        lt`The password has expired. Log in to Salesforce in the browser to set a new one, then update the org (the token will be mailed to you again).`,
      );
    case 'PASSWORD_LOCKOUT':
      return say(
        'locked-out',
        lt`The user is locked out after too many failed logins (PASSWORD_LOCKOUT). Wait for the lockout period to end, or ask your Salesforce admin to unlock the user.`,
      );
    case 'INVALID_OPERATION': {
      if (/not available in the API version/i.test(text)) {
        const version = /\(([\d.]+)\)/.exec(text)?.[1] ?? '65.0 or later';
        return say(
          'soap-login-disabled',
          lt`SOAP login() is not available in this API version (${version}). Use API version 64.0 or lower, or switch to OAuth. ${SOAP_RETIREMENT}`,
        );
      }
      if (/SOAP API login\(\) is disabled/i.test(text) || /login\(\)/i.test(text)) {
        return say('soap-login-disabled', lt`SOAP API login() is disabled in this org. ${SOAP_RETIREMENT}`);
      }
      return quoted
        ? say('login-failed', lt`Salesforce refused the operation (INVALID_OPERATION: ${quoted}).`)
        : say('login-failed', lt`Salesforce refused the operation (INVALID_OPERATION: no details).`);
    }
    case 'INSUFFICIENT_ACCESS':
      return say(
        'soap-login-disabled',
        lt`This user may not use SOAP login() (INSUFFICIENT_ACCESS): in new orgs it needs the "Use Any API Auth" permission. ${SOAP_RETIREMENT}`,
      );
    case 'API_DISABLED_FOR_ORG':
    case 'API_CURRENTLY_DISABLED':
      return say(
        'api-disabled',
        lt`The API is not enabled for this org or user (${code}). Ask your Salesforce admin: the API needs an edition that includes it and the "API Enabled" permission.`,
      );
    case 'SERVER_UNAVAILABLE':
      return say(
        'org-unavailable',
        lt`The org cannot be used right now: the server is unavailable (${code}). Try again later.`,
      );
    case 'ORG_LOCKED':
      return say(
        'org-unavailable',
        lt`The org cannot be used right now: the org is locked (${code}). Try again later.`,
      );
    case 'ORG_IN_MAINTENANCE':
      return say(
        'org-unavailable',
        lt`The org cannot be used right now: the org is in maintenance (${code}). Try again later.`,
      );
    case 'TRIAL_EXPIRED':
      return say(
        'org-unavailable',
        lt`The org cannot be used right now: the trial has expired (${code}). Try again later, or contact Salesforce about the trial.`,
      );
    case 'REQUEST_LIMIT_EXCEEDED':
      return say(
        'rate-limited',
        lt`Salesforce is rate-limiting this org or user (REQUEST_LIMIT_EXCEEDED). Try again later.`,
      );
    case 'UNSUPPORTED_API_VERSION':
      return say(
        'login-failed',
        lt`Salesforce does not support this API version (UNSUPPORTED_API_VERSION). Use a current version between 62.0 and 64.0 for SOAP login.`,
      );
    case 'LOGIN_CHALLENGE_ISSUED':
    case 'LOGIN_CHALLENGE_PENDING':
      return say(
        'login-failed',
        lt`Salesforce wants to verify this login (${code}). Log in once in the browser from this network, then test again.`,
      );
    case 'LOGIN_DURING_RESTRICTED_DOMAIN':
    case 'LOGIN_DURING_RESTRICTED_TIME':
      return say(
        'login-failed',
        lt`Your profile does not allow logins from this network or at this time (${code}). Ask your Salesforce admin.`,
      );
    case 'INVALID_SESSION_ID':
      return say(
        'login-failed',
        lt`Salesforce did not accept the session it had just issued (INVALID_SESSION_ID). Try again; see the log for details.`,
      );
    default:
      return quoted
        ? say('login-failed', lt`Salesforce refused the login (${code}: ${quoted}).`)
        : say('login-failed', lt`Salesforce refused the login (${code}).`);
  }
}

/** "name" or "name: description" (an OAuth error as quoted in a message). */
function said(name: string, description: string): string {
  return `${name}${description ? `: ${description}` : ''}`;
}

function fromOAuthError(name: string, description: string): Classified {
  const code = name;
  const full = description;
  description = clipQuoted(description);
  switch (name) {
    case 'invalid_grant':
      if (/hasn't approved|not approved/i.test(description)) {
        return explained(
          'invalid-login',
          code,
          lt`The connected app is not approved for this user (invalid_grant: ${description}). Ask your admin to pre-authorize the app for your profile, or use SOAP login.`,
        );
      }
      if (isBlockedFlowText(description)) {
        return explained(
          'invalid-login',
          code,
          lt`Salesforce refused the username-password OAuth login (invalid_grant: ${description}). ${BLOCKED_FLOW}`,
        );
      }
      return explained(
        'invalid-login',
        code,
        lt`Salesforce refused the username-password OAuth login (${said('invalid_grant', description)}). Either the username, password or security token is wrong, or the org blocks the username-password OAuth flow (blocked by default in orgs created in Summer '23 or later; switched off everywhere on 2027-02-20): Salesforce answers both the same way. Your Login History in Setup tells which ("Username-Password Flow Disabled"). Reset the token, or ask an admin to allow the flow (Setup > OAuth and OpenID Connect Settings). ${WAYS_OUT}`,
      );
    case 'invalid_client_id':
    case 'invalid_client':
    case 'invalid_app_access':
      // CONTRACTS: the app refused (unknown client id, wrong secret, not installed for the user) is
      // `app-not-approved` in every flow; its fix is the org's OAuth settings (the client id and secret).
      return {
        status: 'app-not-approved',
        code,
        message: `Salesforce refused the connected app (${name}${description ? `: ${description}` : ''}). Check the client id and secret (SF_CLIENT_ID / SF_CLIENT_SECRET, or OAuth Settings in the extension); if they are right, ask your Salesforce admin to let this user use the app (its policies: permitted users, the profile or permission set that grants it).`,
      };
    case 'unsupported_grant_type':
    case 'inactive_org':
    case 'inactive_user':
      return explained(
        'login-failed',
        code,
        lt`Salesforce refused the OAuth client (${said(name, description)}). Check the client id and secret (SF_CLIENT_ID / SF_CLIENT_SECRET) and the connected app's policies.`,
      );
    case 'rate_limit_exceeded':
      return explained(
        'rate-limited',
        code,
        lt`Salesforce is limiting logins for this user (${said('rate_limit_exceeded', description)}). Try again later.`,
      );
    default:
      break;
  }
  const http = /^ERROR_HTTP_(\d{3})$/.exec(name);
  if (http) {
    const status = Number(http[1]);
    const httpCode = `HTTP_${status}`;
    if (looksLikeHtml(full)) {
      return explained(
        'unexpected-response',
        httpCode,
        lt`The OAuth token URL answered with an HTML page (HTTP ${status}) instead of Salesforce JSON. A proxy, captive portal or wrong login URL is the usual cause.`,
      );
    }
    if (status === 429)
      return explained('rate-limited', httpCode, lt`Salesforce is rate-limiting logins (HTTP 429). Try again later.`);
    if (status === 503 || status === 502 || status === 504)
      return explained('org-unavailable', httpCode, lt`Salesforce is unavailable (HTTP ${status}). Try again later.`);
    return explained(
      'unexpected-response',
      httpCode,
      lt`The OAuth token URL answered HTTP ${status} with a body that is not Salesforce JSON. Check the login URL and proxy settings.`,
    );
  }
  return explained('login-failed', code, lt`Salesforce refused the OAuth login (${said(name, description)}).`);
}

/**
 * Maps anything a login attempt can throw to a health state. `code` is the raw code for the log:
 * the Salesforce fault code, the OAuth error, or the Node error code for network failures.
 */
export function classifyLoginError(err: unknown, flow: 'soap' | 'oauth'): Classified {
  const c = classifyRaw(err, flow);
  return { ...c, message: redact(c.message) };
}

function classifyRaw(err: unknown, flow: 'soap' | 'oauth'): Classified {
  if (isUnexpectedResponseError(err)) {
    const e = err;
    return { status: 'unexpected-response', code: e.code ?? 'UNEXPECTED_RESPONSE', message: e.message };
  }
  const net = networkCode(err);
  if (net) return explained('network-error', net, describeNetwork(net, err));

  const name = err instanceof Error ? err.name : '';
  const message = err instanceof Error ? err.message : typeof err === 'string' ? err : '';
  const errorCode = err && typeof err === 'object' ? (err as { errorCode?: unknown }).errorCode : undefined;

  if (message === 'Unable to login because the used password has expired.') {
    return { ...fromFaultCode('PASSWORD_EXPIRED', '', flow), code: 'passwordExpired' };
  }
  if (message === 'Request Timeout' || /aborted due to timeout/i.test(message)) {
    return explained('network-error', 'ETIMEDOUT', describeNetwork('ETIMEDOUT', err));
  }
  // REST errors (jsforce HttpApiError: name === errorCode).
  if (typeof errorCode === 'string' && /^[A-Z_]{1,100}$/.test(errorCode))
    return fromFaultCode(errorCode, message, flow);

  // OAuth errors: lower-case `error` names, or ERROR_HTTP_<status>.
  if (/^[a-z_]{1,100}$/.test(name) || /^ERROR_HTTP_\d{3}$/.test(name)) return fromOAuthError(name, message);

  const fault = soapFaultParts(message);
  if (fault) return fromFaultCode(fault.code, fault.text, flow);

  if (message === 'could not extract session information from login response') {
    return explained(
      'unexpected-response',
      'UNPARSEABLE_RESPONSE',
      lt`The login answer did not contain a Salesforce session. A proxy, captive portal or wrong login URL is the usual cause.`,
    );
  }
  if (looksLikeHtml(message)) {
    return explained(
      'unexpected-response',
      'HTML_RESPONSE',
      lt`The server answered with an HTML page instead of a Salesforce response. A proxy, captive portal or wrong login URL is the usual cause.`,
    );
  }
  if (/^<\?xml|<soapenv:|<Envelope/i.test(message.trim()) || message.trim() === '') {
    return explained(
      'unexpected-response',
      'UNPARSEABLE_RESPONSE',
      lt`The login answer could not be understood (no fault code). Check the login URL and proxy settings.`,
    );
  }
  const failed = clipQuoted(message);
  return explained(
    'login-failed',
    name && name !== 'Error' ? name : null,
    failed ? lt`The login failed: ${failed}` : lt`The login failed: unknown error`,
  );
}

/** Builds a HealthResult for a failure (all identity fields null unless given). */
export function failureResult(c: Classified, extra: Partial<HealthResult> = {}): HealthResult {
  return {
    status: c.status,
    label: HEALTH_STATES[c.status].label,
    code: c.code,
    message: redact(c.message),
    ...(c.explain ? { explain: c.explain } : {}),
    organizationId: null,
    username: null,
    instanceUrl: null,
    ...extra,
  };
}

// ---- the web-server flow (SF_AUTH=oauth) -------------------------------------------------------------------------

/** REST answers that mean "this access token is no longer good" (expired, revoked, or never valid). */
export const REFUSED_ACCESS_TOKEN_CODES: readonly string[] = ['INVALID_SESSION_ID', 'Bad_OAuth_Token'];

const SIGN_IN_AGAIN = lt`Sign in again (Switch to OAuth; CLI: token-relay oauth login).`;
const ASK_ADMIN = lt`Check the client id; otherwise ask your Salesforce admin to let this user use the External Client App (its policies: permitted users, the profile or permission set that grants it; an uninstalled app also needs the "Approve Uninstalled Connected Apps" permission).`;

/** An OAuth `error` code of the web-server flow (token, revoke, redirect) as a health state. */
function fromWebServerError(code: string, description: string): Classified {
  const what = said(code, description);
  switch (code) {
    case 'invalid_grant':
      return explained(
        'signin-required',
        code,
        /authentication failure/i.test(description)
          ? lt`Salesforce did not accept the sign-in (${what}): the authorization code was already used or is too old, or the user may not sign in. ${SIGN_IN_AGAIN}`
          : lt`Salesforce refused the refresh token (${what}): it expired, was revoked, or was replaced by a newer one (refresh-token rotation). ${SIGN_IN_AGAIN}`,
      );
    case 'access_denied':
      return explained('signin-required', code, lt`The sign-in was denied in the browser (${what}). ${SIGN_IN_AGAIN}`);
    case 'invalid_client_id':
    case 'invalid_client':
    case 'invalid_app_access':
    case 'OAUTH_APPROVAL_ERROR_GENERIC':
    case 'OAUTH_APP_BLOCKED':
    case 'OAUTH_APP_ACCESS_DENIED':
    case 'OAUTH_EC_APP_NOT_FOUND':
      return explained(
        'app-not-approved',
        code,
        lt`Salesforce refused the External Client App (${what}). ${ASK_ADMIN}`,
      );
    case 'redirect_uri_mismatch':
      return explained(
        'app-not-approved',
        code,
        lt`The External Client App does not list this callback URL (${what}). Add http://localhost:<port>/OauthRedirect for the port in use to its callback URLs (Salesforce matches them exactly), or use the port it lists.`,
      );
    case 'unsupported_grant_type':
      return explained(
        'app-not-approved',
        code,
        lt`The External Client App does not allow this OAuth flow (${what}). Enable the authorization code flow with PKCE in its OAuth settings.`,
      );
    case 'invalid_request':
      return explained(
        'login-failed',
        code,
        lt`Salesforce refused the OAuth request (${what}). Sign in again; if it keeps failing, see the log.`,
      );
    case 'inactive_user':
      return explained('login-failed', code, lt`The Salesforce user is inactive (${what}). Ask your Salesforce admin.`);
    case 'inactive_org':
      return explained(
        'org-unavailable',
        code,
        lt`The org is not active (${what}). Try again later, or ask your Salesforce admin.`,
      );
    case 'rate_limit_exceeded':
      return explained(
        'rate-limited',
        code,
        lt`Salesforce is limiting sign-ins for this user (${what}). Try again later.`,
      );
    case 'INVALID_SESSION_ID':
    case 'Bad_OAuth_Token':
      return explained(
        'signin-required',
        code,
        lt`Salesforce did not accept the access token (${code}): it expired or was revoked. Refresh it; without a refresh token, sign in again (Switch to OAuth; CLI: token-relay oauth login).`,
      );
    default:
      return explained('login-failed', code, lt`Salesforce refused the OAuth sign-in (${what}).`);
  }
}

/**
 * Maps anything the OAuth web-server flow can throw (src/core/oauth.ts OAuthError, the client's transport errors,
 * REST error codes) to a health state: refused or missing refresh tokens and denied consent → `signin-required`;
 * the app refused, blocked, unknown or without this callback URL → `app-not-approved`; network and proxy faults as
 * classifyLoginError. Messages are redacted.
 */
export function classifyOAuthError(err: unknown): Classified {
  const c = classifyOAuthRaw(err);
  return { ...c, message: redact(c.message) };
}

function classifyOAuthRaw(err: unknown): Classified {
  if (isOAuthError(err)) {
    switch (err.kind) {
      case 'refused':
        return fromWebServerError(err.code, err.description ?? '');
      case 'denied':
        return fromWebServerError('access_denied', err.description ?? '');
      case 'timeout':
        return explained('signin-required', err.code, lt`No sign-in arrived in time: ${err.message} ${SIGN_IN_AGAIN}`);
      case 'bad-response':
        return explained(
          'unexpected-response',
          'UNPARSEABLE_RESPONSE',
          lt`${err.message} A proxy, captive portal or wrong login URL is the usual cause.`,
        );
      default:
        // state-mismatch, no-code, bad-url, port-busy: the sign-in did not complete; the message says why.
        return { status: 'login-failed', code: err.code, message: err.message };
    }
  }
  const errorCode = err && typeof err === 'object' ? (err as { errorCode?: unknown }).errorCode : undefined;
  if (typeof errorCode === 'string' && REFUSED_ACCESS_TOKEN_CODES.includes(errorCode))
    return fromWebServerError(errorCode, '');
  return classifyRaw(err, 'oauth');
}
