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
  message: string;
}

const WAYS_OUT =
  'Or move this org off the password for good: Switch to OAuth (sign in through an External Client App; CLI: ' +
  'token-relay oauth login), or use the sf CLI login (sf org login web, then Import Org from Salesforce CLI; ' +
  'CLI: token-relay sf-import).';

const SOAP_RETIREMENT =
  "Salesforce is retiring SOAP API login() in the Summer '27 release: it works only up to API version 64.0 and is " +
  "disabled by default in orgs created in Winter '26 or later. An admin can enable it for now (Setup > User Interface > " +
  `Enable SOAP API login()). ${WAYS_OUT}`;

const BLOCKED_FLOW =
  "The org blocks the OAuth username-password flow (blocked by default in orgs created in Summer '23 or later; " +
  'Salesforce switches it off everywhere on 2027-02-20). An admin can allow it for now (Setup > OAuth and OpenID ' +
  `Connect Settings > Allow OAuth Username-Password Flows). ${WAYS_OUT}`;

const NETWORK_MESSAGES: Record<string, string> = {
  ECONNREFUSED:
    'The connection{to} was refused: nothing is listening at that address. Check the login URL, or your proxy.',
  ENOTFOUND: 'The host name{of} could not be resolved (DNS). Check the login URL and your network.',
  EAI_AGAIN: 'DNS lookup failed temporarily. Check your network connection and try again.',
  ETIMEDOUT: 'Salesforce{at} did not answer in time. Check your network, VPN or proxy settings and try again.',
  ECONNRESET: 'The connection{to} was reset before Salesforce answered. A proxy, firewall or VPN may be interfering.',
  EPIPE: 'The connection was closed while sending the login. A proxy, firewall or VPN may be interfering.',
  ENETUNREACH: 'The network is unreachable. Check your connection.',
  EHOSTUNREACH: 'The host{of} is unreachable. Check your connection, VPN or proxy.',
  ENETDOWN: 'The network is down. Check your connection.',
  EPROTO: 'The TLS handshake failed (protocol error). A proxy may be intercepting HTTPS.',
  CERT_HAS_EXPIRED:
    'The server certificate has expired. If a corporate proxy intercepts HTTPS, its certificate may be outdated.',
  DEPTH_ZERO_SELF_SIGNED_CERT:
    'The server presented a self-signed certificate. If a corporate proxy intercepts HTTPS, add its CA with NODE_EXTRA_CA_CERTS (CLI) or the proxy settings.',
  SELF_SIGNED_CERT_IN_CHAIN:
    'The certificate chain contains a self-signed certificate, which usually means a corporate proxy intercepts HTTPS. Add its CA with NODE_EXTRA_CA_CERTS (CLI) or turn off http.proxyStrictSSL.',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    "The server's certificate could not be verified. If a corporate proxy intercepts HTTPS, add its CA with NODE_EXTRA_CA_CERTS.",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    "The certificate's issuer is not trusted on this machine. If a corporate proxy intercepts HTTPS, add its CA with NODE_EXTRA_CA_CERTS.",
  ERR_TLS_CERT_ALTNAME_INVALID:
    "The server's certificate does not match the host name. Check the login URL; a proxy may be intercepting HTTPS.",
  ABORT_ERR: 'The login test was cancelled before Salesforce answered.',
  PROXY_CONNECT_FAILED:
    'The proxy refused to open a tunnel to Salesforce. Check the proxy address and its credentials.',
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

function describeNetwork(code: string, err: unknown): string {
  const target = code === 'ABORT_ERR' ? undefined : networkTarget(err);
  const known = NETWORK_MESSAGES[code];
  if (known) {
    if (!known.includes('{')) return target ? `${known} (${target})` : known;
    return known
      .replace('{to}', target ? ` to ${target}` : '')
      .replace('{of}', target ? ` ${target}` : '')
      .replace('{at}', target ? ` at ${target}` : '');
  }
  const detail = err instanceof Error ? err.message : '';
  return `The connection to Salesforce failed (${code})${detail ? `: ${detail}` : ''}. Check your network and proxy settings.`;
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
function fromFaultCode(code: string, text: string, flow: 'soap' | 'oauth'): Classified {
  const quoted = clipQuoted(text);
  const say = (status: HealthStatus, message: string): Classified => ({ status, code, message });
  switch (code) {
    case 'INVALID_LOGIN':
      return say(
        'invalid-login',
        'Salesforce rejected the username, password or security token (INVALID_LOGIN). If you reset the token recently, use the newest one (each reset invalidates the previous token; a new token can take a few minutes to work). Otherwise reset the token or correct the password. Locked-out users get this same answer.',
      );
    case 'LOGIN_MUST_USE_SECURITY_TOKEN':
      return say(
        'token-required',
        'Salesforce requires a security token for logins from this network (LOGIN_MUST_USE_SECURITY_TOKEN). Reset the token to receive a new one by email, then save it.',
      );
    case 'INVALID_OPERATION_WITH_EXPIRED_PASSWORD':
    case 'PASSWORD_EXPIRED':
      return say(
        'password-expired',
        'The password has expired. Log in to Salesforce in the browser to set a new one, then update the org (the token will be mailed to you again).',
      );
    case 'PASSWORD_LOCKOUT':
      return say(
        'locked-out',
        'The user is locked out after too many failed logins (PASSWORD_LOCKOUT). Wait for the lockout period to end, or ask your Salesforce admin to unlock the user.',
      );
    case 'INVALID_OPERATION': {
      if (/not available in the API version/i.test(text)) {
        return say(
          'soap-login-disabled',
          `SOAP login() is not available in this API version (${/\(([\d.]+)\)/.exec(text)?.[1] ?? '65.0 or later'}). Use API version 64.0 or lower, or switch to OAuth. ${SOAP_RETIREMENT}`,
        );
      }
      if (/SOAP API login\(\) is disabled/i.test(text) || /login\(\)/i.test(text)) {
        return say('soap-login-disabled', `SOAP API login() is disabled in this org. ${SOAP_RETIREMENT}`);
      }
      return say('login-failed', `Salesforce refused the operation (INVALID_OPERATION: ${quoted || 'no details'}).`);
    }
    case 'INSUFFICIENT_ACCESS':
      return say(
        'soap-login-disabled',
        `This user may not use SOAP login() (INSUFFICIENT_ACCESS): in new orgs it needs the "Use Any API Auth" permission. ${SOAP_RETIREMENT}`,
      );
    case 'API_DISABLED_FOR_ORG':
    case 'API_CURRENTLY_DISABLED':
      return say(
        'api-disabled',
        `The API is not enabled for this org or user (${code}). Ask your Salesforce admin: the API needs an edition that includes it and the "API Enabled" permission.`,
      );
    case 'SERVER_UNAVAILABLE':
    case 'ORG_LOCKED':
    case 'ORG_IN_MAINTENANCE':
    case 'TRIAL_EXPIRED': {
      const why: Record<string, string> = {
        SERVER_UNAVAILABLE: 'the server is unavailable',
        ORG_LOCKED: 'the org is locked',
        ORG_IN_MAINTENANCE: 'the org is in maintenance',
        TRIAL_EXPIRED: 'the trial has expired',
      };
      return say(
        'org-unavailable',
        `The org cannot be used right now: ${why[code]} (${code}). Try again later${code === 'TRIAL_EXPIRED' ? ', or contact Salesforce about the trial' : ''}.`,
      );
    }
    case 'REQUEST_LIMIT_EXCEEDED':
      return say(
        'rate-limited',
        'Salesforce is rate-limiting this org or user (REQUEST_LIMIT_EXCEEDED). Try again later.',
      );
    case 'UNSUPPORTED_API_VERSION':
      return say(
        'login-failed',
        `Salesforce does not support this API version (UNSUPPORTED_API_VERSION). Use a current version between 62.0 and 64.0 for SOAP login.`,
      );
    case 'LOGIN_CHALLENGE_ISSUED':
    case 'LOGIN_CHALLENGE_PENDING':
      return say(
        'login-failed',
        `Salesforce wants to verify this login (${code}). Log in once in the browser from this network, then test again.`,
      );
    case 'LOGIN_DURING_RESTRICTED_DOMAIN':
    case 'LOGIN_DURING_RESTRICTED_TIME':
      return say(
        'login-failed',
        `Your profile does not allow logins from this network or at this time (${code}). Ask your Salesforce admin.`,
      );
    case 'INVALID_SESSION_ID':
      return say(
        'login-failed',
        'Salesforce did not accept the session it had just issued (INVALID_SESSION_ID). Try again; see the log for details.',
      );
    default:
      return say(
        'login-failed',
        `Salesforce refused the login (${code}${quoted ? `: ${quoted}` : ''}).${flow === 'soap' ? '' : ''}`,
      );
  }
}

function fromOAuthError(name: string, description: string): Classified {
  const code = name;
  const full = description;
  description = clipQuoted(description);
  switch (name) {
    case 'invalid_grant':
      if (/hasn't approved|not approved/i.test(description)) {
        return {
          status: 'invalid-login',
          code,
          message: `The connected app is not approved for this user (invalid_grant: ${description}). Ask your admin to pre-authorize the app for your profile, or use SOAP login.`,
        };
      }
      if (isBlockedFlowText(description)) {
        return {
          status: 'invalid-login',
          code,
          message: `Salesforce refused the username-password OAuth login (invalid_grant: ${description}). ${BLOCKED_FLOW}`,
        };
      }
      return {
        status: 'invalid-login',
        code,
        message:
          `Salesforce refused the username-password OAuth login (invalid_grant${description ? `: ${description}` : ''}). ` +
          "Either the username, password or security token is wrong, or the org blocks the username-password OAuth flow (blocked by default in orgs created in Summer '23 or later; switched off everywhere on 2027-02-20): " +
          'Salesforce answers both the same way. Your Login History in Setup tells which ("Username-Password Flow Disabled"). Reset the token, or ask an admin to allow the flow (Setup > OAuth and OpenID Connect Settings). ' +
          WAYS_OUT,
      };
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
      return {
        status: 'login-failed',
        code,
        message: `Salesforce refused the OAuth client (${name}${description ? `: ${description}` : ''}). Check the client id and secret (SF_CLIENT_ID / SF_CLIENT_SECRET) and the connected app's policies.`,
      };
    case 'rate_limit_exceeded':
      return {
        status: 'rate-limited',
        code,
        message: `Salesforce is limiting logins for this user (rate_limit_exceeded${description ? `: ${description}` : ''}). Try again later.`,
      };
    default:
      break;
  }
  const http = /^ERROR_HTTP_(\d{3})$/.exec(name);
  if (http) {
    const status = Number(http[1]);
    if (looksLikeHtml(full)) {
      return {
        status: 'unexpected-response',
        code: `HTTP_${status}`,
        message: `The OAuth token URL answered with an HTML page (HTTP ${status}) instead of Salesforce JSON. A proxy, captive portal or wrong login URL is the usual cause.`,
      };
    }
    if (status === 429)
      return {
        status: 'rate-limited',
        code: `HTTP_${status}`,
        message: 'Salesforce is rate-limiting logins (HTTP 429). Try again later.',
      };
    if (status === 503 || status === 502 || status === 504)
      return {
        status: 'org-unavailable',
        code: `HTTP_${status}`,
        message: `Salesforce is unavailable (HTTP ${status}). Try again later.`,
      };
    return {
      status: 'unexpected-response',
      code: `HTTP_${status}`,
      message: `The OAuth token URL answered HTTP ${status} with a body that is not Salesforce JSON. Check the login URL and proxy settings.`,
    };
  }
  return {
    status: 'login-failed',
    code,
    message: `Salesforce refused the OAuth login (${name}${description ? `: ${description}` : ''}).`,
  };
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
  if (net) return { status: 'network-error', code: net, message: describeNetwork(net, err) };

  const name = err instanceof Error ? err.name : '';
  const message = err instanceof Error ? err.message : typeof err === 'string' ? err : '';
  const errorCode = err && typeof err === 'object' ? (err as { errorCode?: unknown }).errorCode : undefined;

  if (message === 'Unable to login because the used password has expired.') {
    return { ...fromFaultCode('PASSWORD_EXPIRED', '', flow), code: 'passwordExpired' };
  }
  if (message === 'Request Timeout' || /aborted due to timeout/i.test(message)) {
    return { status: 'network-error', code: 'ETIMEDOUT', message: describeNetwork('ETIMEDOUT', err) };
  }
  // REST errors (jsforce HttpApiError: name === errorCode).
  if (typeof errorCode === 'string' && /^[A-Z_]{1,100}$/.test(errorCode))
    return fromFaultCode(errorCode, message, flow);

  // OAuth errors: lower-case `error` names, or ERROR_HTTP_<status>.
  if (/^[a-z_]{1,100}$/.test(name) || /^ERROR_HTTP_\d{3}$/.test(name)) return fromOAuthError(name, message);

  const fault = soapFaultParts(message);
  if (fault) return fromFaultCode(fault.code, fault.text, flow);

  if (message === 'could not extract session information from login response') {
    return {
      status: 'unexpected-response',
      code: 'UNPARSEABLE_RESPONSE',
      message:
        'The login answer did not contain a Salesforce session. A proxy, captive portal or wrong login URL is the usual cause.',
    };
  }
  if (looksLikeHtml(message)) {
    return {
      status: 'unexpected-response',
      code: 'HTML_RESPONSE',
      message:
        'The server answered with an HTML page instead of a Salesforce response. A proxy, captive portal or wrong login URL is the usual cause.',
    };
  }
  if (/^<\?xml|<soapenv:|<Envelope/i.test(message.trim()) || message.trim() === '') {
    return {
      status: 'unexpected-response',
      code: 'UNPARSEABLE_RESPONSE',
      message: 'The login answer could not be understood (no fault code). Check the login URL and proxy settings.',
    };
  }
  return {
    status: 'login-failed',
    code: name && name !== 'Error' ? name : null,
    message: `The login failed: ${clipQuoted(message) || 'unknown error'}`,
  };
}

/** Builds a HealthResult for a failure (all identity fields null unless given). */
export function failureResult(c: Classified, extra: Partial<HealthResult> = {}): HealthResult {
  return {
    status: c.status,
    label: HEALTH_STATES[c.status].label,
    code: c.code,
    message: redact(c.message),
    organizationId: null,
    username: null,
    instanceUrl: null,
    ...extra,
  };
}

// ---- the web-server flow (SF_AUTH=oauth) -------------------------------------------------------------------------

/** REST answers that mean "this access token is no longer good" (expired, revoked, or never valid). */
export const REFUSED_ACCESS_TOKEN_CODES: readonly string[] = ['INVALID_SESSION_ID', 'Bad_OAuth_Token'];

const SIGN_IN_AGAIN = 'Sign in again (Switch to OAuth; CLI: token-relay oauth login).';
const ASK_ADMIN =
  'Check the client id; otherwise ask your Salesforce admin to let this user use the External Client App (its policies: permitted users, the profile or permission set that grants it; an uninstalled app also needs the "Approve Uninstalled Connected Apps" permission).';

/** An OAuth `error` code of the web-server flow (token, revoke, redirect) as a health state. */
function fromWebServerError(code: string, description: string): Classified {
  const said = `${code}${description ? `: ${description}` : ''}`;
  switch (code) {
    case 'invalid_grant':
      return {
        status: 'signin-required',
        code,
        message: /authentication failure/i.test(description)
          ? `Salesforce did not accept the sign-in (${said}): the authorization code was already used or is too old, or the user may not sign in. ${SIGN_IN_AGAIN}`
          : `Salesforce refused the refresh token (${said}): it expired, was revoked, or was replaced by a newer one (refresh-token rotation). ${SIGN_IN_AGAIN}`,
      };
    case 'access_denied':
      return {
        status: 'signin-required',
        code,
        message: `The sign-in was denied in the browser (${said}). ${SIGN_IN_AGAIN}`,
      };
    case 'invalid_client_id':
    case 'invalid_client':
    case 'invalid_app_access':
    case 'OAUTH_APPROVAL_ERROR_GENERIC':
    case 'OAUTH_APP_BLOCKED':
    case 'OAUTH_APP_ACCESS_DENIED':
    case 'OAUTH_EC_APP_NOT_FOUND':
      return {
        status: 'app-not-approved',
        code,
        message: `Salesforce refused the External Client App (${said}). ${ASK_ADMIN}`,
      };
    case 'redirect_uri_mismatch':
      return {
        status: 'app-not-approved',
        code,
        message: `The External Client App does not list this callback URL (${said}). Add http://localhost:<port>/OauthRedirect for the port in use to its callback URLs (Salesforce matches them exactly), or use the port it lists.`,
      };
    case 'unsupported_grant_type':
      return {
        status: 'app-not-approved',
        code,
        message: `The External Client App does not allow this OAuth flow (${said}). Enable the authorization code flow with PKCE in its OAuth settings.`,
      };
    case 'invalid_request':
      return {
        status: 'login-failed',
        code,
        message: `Salesforce refused the OAuth request (${said}). Sign in again; if it keeps failing, see the log.`,
      };
    case 'inactive_user':
      return {
        status: 'login-failed',
        code,
        message: `The Salesforce user is inactive (${said}). Ask your Salesforce admin.`,
      };
    case 'inactive_org':
      return {
        status: 'org-unavailable',
        code,
        message: `The org is not active (${said}). Try again later, or ask your Salesforce admin.`,
      };
    case 'rate_limit_exceeded':
      return {
        status: 'rate-limited',
        code,
        message: `Salesforce is limiting sign-ins for this user (${said}). Try again later.`,
      };
    case 'INVALID_SESSION_ID':
    case 'Bad_OAuth_Token':
      return {
        status: 'signin-required',
        code,
        message: `Salesforce did not accept the access token (${code}): it expired or was revoked. Refresh it; without a refresh token, ${SIGN_IN_AGAIN.charAt(0).toLowerCase()}${SIGN_IN_AGAIN.slice(1)}`,
      };
    default:
      return { status: 'login-failed', code, message: `Salesforce refused the OAuth sign-in (${said}).` };
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
        return {
          status: 'signin-required',
          code: err.code,
          message: `No sign-in arrived in time: ${err.message} ${SIGN_IN_AGAIN}`,
        };
      case 'bad-response':
        return {
          status: 'unexpected-response',
          code: 'UNPARSEABLE_RESPONSE',
          message: `${err.message} A proxy, captive portal or wrong login URL is the usual cause.`,
        };
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
