/**
 * testLogin: one Salesforce login with jsforce 3.10.16 (loaded lazily), mapped to a health state.
 *
 * - SOAP login() (API ≤ 64.0; default 64.0), or the OAuth username-password flow when the profile
 *   has a client id and the secrets a client secret.
 * - Org name and user come from the SOAP LoginResult's userInfo (no extra call); with OAuth from
 *   identity() plus a one-row query of Organization. DailyApiRequests from limits() when
 *   fetchLimits is not false. These extras never turn a successful login into a failure.
 * - Every request goes through RelayTransport (./transport.ts): one deadline per attempt
 *   (timeoutMs, default 30 s), AbortSignal, proxy + strictSSL, captive-portal detection.
 * - INVALID_LOGIN can be retried with exponential backoff (retryInvalidLogin), for the minutes after
 *   a reset during which Salesforce may not accept the new token yet.
 * Never throws; every secret (password, token, client secret, session id) is registered for redaction.
 */
import type { Logger } from '../core/log';
import { nullLogger } from '../core/log';
import { HEALTH_STATES, HealthResult, classifyLoginError, failureResult } from '../core/health';
import { OrgProfile, OrgSecrets, DEFAULT_API_VERSION, loginFlow, loginPassword, registerProfileSecrets, normalizeApiVersion } from '../core/profile';
import { registerSecret, safeErrorMessage } from '../core/redact';
import { xmlUnescape } from '../core/xml';
import { sleep } from '../core/async';
import { loginUrlAdvice, validateLoginUrl } from '../core/resetUrl';
import { loadJsforce } from '../lazy';
import { OAUTH_TOKEN_PATH, ProxyOptions, RelayTransport, TransportRequest, TransportResponse } from './transport';

export interface LoginOptions {
  signal?: AbortSignal;
  /** Deadline for one login attempt including its follow-up calls; default 30 000 ms. */
  timeoutMs?: number;
  /** Also read DailyApiRequests from limits() (one API call); default true. */
  fetchLimits?: boolean;
  /**
   * Right after a reset: `attempts` = total login attempts while Salesforce answers INVALID_LOGIN
   * (1 = no retry); waits delayMs, 2×delayMs, 4×delayMs … between them (each wait ≤ 60 s). Abortable.
   */
  retryInvalidLogin?: { attempts: number; delayMs: number };
  /** Proxy (the extension passes http.proxy / http.proxyStrictSSL; the CLI uses proxyFromEnv()). */
  proxy?: ProxyOptions;
  /** Extra trusted CA certificates (PEM), besides Node's store and NODE_EXTRA_CA_CERTS. */
  ca?: string | Buffer | Array<string | Buffer>;
  log?: Logger;
  /** Called before each retry (attempt number starting at 2, and the wait in ms). */
  onRetry?: (attempt: number, delayMs: number, last: HealthResult) => void;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

interface SoapUserInfo {
  organizationId?: string;
  organizationName?: string;
  userFullName?: string;
  userName?: string;
  userEmail?: string;
  sandbox?: boolean;
}


/**
 * The LoginResult fields we read, `<name>text</name>` with any namespace prefix, in one pass over the body
 * (one regex per field scanned the ~2 KB body seven times per login). sessionId, serverUrl and sandbox are
 * the first of their name anywhere; the others count only inside userInfo.
 */
const SOAP_FIELDS_RE =
  /<(?:\w+:)?(sessionId|serverUrl|sandbox|organizationId|organizationName|userFullName|userName|userEmail)(?:\s[^>]*)?>([^<]*)<\/(?:\w+:)?\1>/g;
const SOAP_USER_INFO_RE = /<(?:\w+:)?userInfo(?:\s[^>]*)?>([\s\S]*?)<\/(?:\w+:)?userInfo>/;
const SOAP_TOP_LEVEL_FIELDS = new Set(['sessionId', 'serverUrl', 'sandbox']);
const SOAP_LOGIN_PATH = /\/services\/Soap\/[uc]\//;

/** Reads the userInfo of a SOAP LoginResult (and registers its sessionId as a secret). */
export function parseSoapLoginResult(body: string): SoapUserInfo & { sessionId?: string; serverUrl?: string } {
  const ui = SOAP_USER_INFO_RE.exec(body);
  const uiStart = ui ? ui.index + ui[0].indexOf('>') + 1 : -1;
  const uiEnd = ui ? uiStart + ui[1]!.length : -1;
  const found: Record<string, string> = {};
  SOAP_FIELDS_RE.lastIndex = 0;
  for (let m = SOAP_FIELDS_RE.exec(body); m; m = SOAP_FIELDS_RE.exec(body)) {
    const name = m[1]!;
    if (name in found) continue;
    if (SOAP_TOP_LEVEL_FIELDS.has(name) || (m.index >= uiStart && m.index + m[0].length <= uiEnd)) found[name] = xmlUnescape(m[2]!);
  }
  const sessionId = found.sessionId;
  registerSecret(sessionId, { ephemeral: true });
  return {
    sessionId,
    serverUrl: found.serverUrl,
    sandbox: found.sandbox === 'true',
    organizationId: found.organizationId,
    organizationName: found.organizationName,
    userFullName: found.userFullName,
    userName: found.userName,
    userEmail: found.userEmail,
  };
}

type Jsforce = ReturnType<typeof loadJsforce>;

function abortedResult(flow: 'soap' | 'oauth'): HealthResult {
  const err = Object.assign(new Error('aborted'), { name: 'AbortError', code: 'ABORT_ERR' });
  return { ...failureResult(classifyLoginError(err, flow)), flow, checkedAt: new Date().toISOString() };
}

export async function testLogin(profile: OrgProfile, secrets: OrgSecrets, opts: LoginOptions = {}): Promise<HealthResult> {
  registerProfileSecrets(secrets);
  const flow = loginFlow(profile, secrets);
  const log = (opts.log ?? nullLogger).child('salesforce');
  try {
    const pre = precheck(profile, secrets, flow);
    if (pre) {
      log.warn(`login not attempted: ${pre.message}`);
      return pre;
    }
    const attempts = Math.max(1, Math.floor(opts.retryInvalidLogin?.attempts ?? 1));
    const baseDelay = Math.max(0, opts.retryInvalidLogin?.delayMs ?? 0);
    let last: HealthResult | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (opts.signal?.aborted) return abortedResult(flow);
      last = await attemptLogin(profile, secrets, flow, opts, log);
      if (last.status !== 'invalid-login' || attempt === attempts) break;
      const delay = Math.min(60_000, baseDelay * 2 ** (attempt - 1));
      log.info(`INVALID_LOGIN on attempt ${attempt}/${attempts}; a new token can take a while to work: retrying in ${Math.round(delay / 100) / 10} s`);
      opts.onRetry?.(attempt + 1, delay, last);
      if (!(await sleep(delay, opts.signal).then(() => true, () => false))) return abortedResult(flow);
    }
    return last!;
  } catch (e) {
    // Defensive: attemptLogin catches everything; this only guards against bugs.
    log.error(`unexpected failure in testLogin: ${safeErrorMessage(e)}`);
    return { ...failureResult({ status: 'login-failed', code: 'INTERNAL', message: `The login test failed unexpectedly: ${safeErrorMessage(e)}` }), flow };
  }
}

function precheck(profile: OrgProfile, secrets: OrgSecrets, flow: 'soap' | 'oauth'): HealthResult | undefined {
  const fail = (code: string, message: string): HealthResult => ({
    ...failureResult({ status: 'login-failed', code, message }),
    username: profile.username || null,
    flow,
  });
  try {
    validateLoginUrl(profile.loginUrl);
  } catch (e) {
    return fail('INVALID_LOGIN_URL', (e as Error).message);
  }
  try {
    normalizeApiVersion(profile.apiVersion);
  } catch (e) {
    return fail('INVALID_API_VERSION', (e as Error).message);
  }
  if (!profile.username) return fail('MISSING_USERNAME', 'No username is set for this org. Edit the org and enter the Salesforce username.');
  if (!secrets.password) return fail('MISSING_PASSWORD', 'No password is stored for this org. Edit the org and enter the password.');
  if (profile.mfaForApi && !secrets.mfaCode)
    return fail('MFA_CODE_REQUIRED', 'This user has Multi-Factor Authentication for API logins: enter the current code from your authenticator app (it replaces the security token).');
  return undefined;
}

async function attemptLogin(
  profile: OrgProfile,
  secrets: OrgSecrets,
  flow: 'soap' | 'oauth',
  opts: LoginOptions,
  log: Logger,
): Promise<HealthResult> {
  const loginUrl = validateLoginUrl(profile.loginUrl);
  const version = normalizeApiVersion(profile.apiVersion ?? DEFAULT_API_VERSION);
  const timeoutMs = opts.timeoutMs && opts.timeoutMs > 0 ? opts.timeoutMs : DEFAULT_TIMEOUT_MS;
  const started = performance.now();
  let soapInfo: ReturnType<typeof parseSoapLoginResult> | undefined;
  const transport = new RelayTransport({
    signal: opts.signal,
    deadline: started + timeoutMs,
    proxy: opts.proxy,
    ca: opts.ca,
    log,
    onResponse: (req: TransportRequest, res: TransportResponse) => {
      if (res.statusCode < 300 && SOAP_LOGIN_PATH.test(req.url)) soapInfo = parseSoapLoginResult(res.body);
      if (res.statusCode < 300 && OAUTH_TOKEN_PATH.test(req.url)) {
        try {
          const j = JSON.parse(res.body) as { access_token?: string; refresh_token?: string };
          registerSecret(j.access_token, { ephemeral: true });
          registerSecret(j.refresh_token, { ephemeral: true });
        } catch {
          /* checked by the transport */
        }
      }
    },
  });

  log.info(`${flow === 'soap' ? `SOAP login() (API ${version})` : 'username-password OAuth login'} at ${loginUrl} as ${profile.username}`);
  let conn: InstanceType<Jsforce['Connection']>;
  try {
    conn = new (loadJsforce().Connection)({
      loginUrl,
      version,
      ...(flow === 'oauth' ? { oauth2: { loginUrl, clientId: profile.clientId!, clientSecret: secrets.clientSecret! } } : {}),
    });
    // Our transport replaces jsforce's node-fetch one (see transport.ts for why).
    (conn as unknown as { _transport: unknown })._transport = transport;
    (conn.oauth2 as unknown as { _transport: unknown })._transport = transport;
    await conn.login(profile.username, loginPassword(profile, secrets));
  } catch (e) {
    const c = classifyLoginError(e, flow);
    log.info(`login failed: ${c.status} (${c.code ?? 'no code'})`);
    log.debug(`login error detail: ${safeErrorMessage(e)}`);
    return {
      ...failureResult(c),
      username: profile.username,
      flow,
      latencyMs: Math.round(performance.now() - started),
      checkedAt: new Date().toISOString(),
    };
  }
  const latencyMs = Math.round(performance.now() - started);
  registerSecret(conn.accessToken, { ephemeral: true });
  // A health check must not log in again behind our back on a 401.
  (conn as unknown as { _refreshDelegate?: unknown })._refreshDelegate = undefined;

  const result: HealthResult = {
    status: 'ok',
    label: HEALTH_STATES.ok.label,
    code: null,
    message: '',
    organizationId: conn.userInfo?.organizationId ?? null,
    username: profile.username,
    instanceUrl: conn.instanceUrl || null,
    orgName: null,
    userFullName: null,
    apiRequestsRemaining: null,
    apiRequestsMax: null,
    latencyMs,
    checkedAt: new Date().toISOString(),
    flow,
  };

  if (soapInfo) {
    result.organizationId = soapInfo.organizationId ?? result.organizationId;
    result.orgName = soapInfo.organizationName ?? null;
    result.userFullName = soapInfo.userFullName ?? null;
    result.username = soapInfo.userName ?? result.username;
  }
  if (!result.orgName || !result.userFullName) {
    try {
      const id = (await conn.identity()) as { username?: string; display_name?: string; organization_id?: string };
      result.username = id.username ?? result.username;
      result.userFullName = id.display_name ?? result.userFullName;
      result.organizationId = id.organization_id ?? result.organizationId;
    } catch (e) {
      log.debug(`identity() failed after login: ${safeErrorMessage(e)}`);
    }
  }
  if (!result.orgName) {
    try {
      const q = (await conn.request(`/services/data/v${version}/query?q=${encodeURIComponent('SELECT Name FROM Organization LIMIT 1')}`)) as {
        records?: Array<{ Name?: string }>;
      };
      result.orgName = q.records?.[0]?.Name ?? null;
    } catch (e) {
      log.debug(`organization name query failed: ${safeErrorMessage(e)}`);
    }
  }
  if (opts.fetchLimits !== false) {
    try {
      const limits = (await conn.limits()) as unknown as { DailyApiRequests?: { Max?: number; Remaining?: number } };
      const d = limits.DailyApiRequests;
      if (d && typeof d.Remaining === 'number') {
        result.apiRequestsRemaining = d.Remaining;
        result.apiRequestsMax = typeof d.Max === 'number' ? d.Max : null;
      }
    } catch (e) {
      log.debug(`limits() failed after login: ${safeErrorMessage(e)}`);
    }
  }

  const who = result.userFullName ? `${result.userFullName} (${result.username})` : result.username;
  const org = result.orgName ?? result.organizationId ?? 'the org';
  const parts = [`Logged in as ${who} to ${org}.`];
  if (result.apiRequestsRemaining != null) parts.push(`API requests left today: ${result.apiRequestsRemaining}${result.apiRequestsMax != null ? ` of ${result.apiRequestsMax}` : ''}.`);
  const advice = loginUrlAdvice(loginUrl, result.instanceUrl);
  if (advice) parts.push(advice);
  if (flow === 'soap') log.info("SOAP login() is retired in Summer '27; plan a move to OAuth (SF_CLIENT_ID / SF_CLIENT_SECRET).");
  result.message = parts.join(' ');
  log.info(`login ok in ${latencyMs} ms: ${result.organizationId ?? '?'} ${result.instanceUrl ?? ''}`);
  return result;
}
