/**
 * What the sign-in methods share: the result shapes (precondition failure, abort), the INVALID_LOGIN retry, and one
 * password login through jsforce 3.10.16 (loaded lazily) over RelayTransport, followed by the extras that never turn
 * a success into a failure (identity, org name, DailyApiRequests) and the ok message.
 *
 * - Every request goes through RelayTransport (../transport.ts): one deadline per attempt (timeoutMs, default 30 s),
 *   AbortSignal, proxy + strictSSL, captive-portal detection.
 * - INVALID_LOGIN can be retried with exponential backoff (retryInvalidLogin), for the minutes after a reset during
 *   which Salesforce may not accept the new token yet.
 */
import { MFA_CODE_REJECTED, classifyMfa } from '../../core/mfa';
import type { Logger } from '../../core/log';
import { nullLogger } from '../../core/log';
import {
  HEALTH_STATES,
  type HealthResult,
  UnexpectedResponseError,
  classifyLoginError,
  failureResult,
} from '../../core/health';
import { type OrgSecrets, type ValidProfile, DEFAULT_API_VERSION, loginPassword } from '../../core/profile';
import { registerSecret, safeErrorMessage } from '../../core/redact';
import { isGenericLoginHost, loginUrlAdvice, sessionUrlProblem } from '../../core/resetUrl';
import { abortError, sleep } from '../../core/async';
import { loadJsforce } from '../../lazy';
import { RelayTransport, type TransportRequest, type TransportResponse } from '../transport';
import type { LoginOptions, SignInProblem } from './types';

export const DEFAULT_TIMEOUT_MS = 30_000;

type Flow = 'soap' | 'oauth';

/** The preconditions of the two password methods (codes of DEVELOPERS.md "src/salesforce/login.ts"), in this order. */
export function passwordPrecheck(
  profile: ValidProfile,
  secrets: OrgSecrets,
  oauth: boolean,
): SignInProblem | undefined {
  if (!profile.username)
    return {
      code: 'MISSING_USERNAME',
      field: 'SF_USERNAME',
      message: 'No username is set for this org. Edit the org and enter the Salesforce username.',
    };
  if (!secrets.password)
    return {
      code: 'MISSING_PASSWORD',
      field: 'SF_PASSWORD',
      message: 'No password is stored for this org. Edit the org and enter the password.',
    };
  if (oauth && !profile.clientId)
    return {
      code: 'MISSING_CLIENT_ID',
      field: 'SF_CLIENT_ID',
      message: "SF_AUTH is password-oauth but no client id is set: enter the connected app's client id (SF_CLIENT_ID).",
    };
  if (oauth && !secrets.clientSecret)
    return {
      code: 'MISSING_CLIENT_SECRET',
      field: 'SF_CLIENT_SECRET',
      message:
        "SF_AUTH is password-oauth but no client secret is stored: enter the connected app's client secret (SF_CLIENT_SECRET).",
    };
  if (profile.mfaForApi && !secrets.mfaCode)
    return {
      code: 'MFA_CODE_REQUIRED',
      field: 'mfaCode',
      message:
        'This user has Multi-Factor Authentication for API logins: enter the current code from your authenticator app (it replaces the security token).',
    };
  return undefined;
}

/** A login that was not attempted: `login-failed` with the precondition's code (DEVELOPERS.md "src/salesforce/login.ts"). */
export function preconditionResult(
  username: string | undefined,
  flow: Flow,
  code: string,
  message: string,
): HealthResult {
  return { ...failureResult({ status: 'login-failed', code, message }), username: username || null, flow };
}

export function abortedResult(flow: Flow): HealthResult {
  return { ...failureResult(classifyLoginError(abortError(), flow)), flow, checkedAt: new Date().toISOString() };
}

/** true after `ms`, false as soon as `signal` aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<boolean> {
  return sleep(ms, signal).then(
    () => true,
    () => false,
  );
}

/** Runs `attempt` until it answers something else than INVALID_LOGIN or opts.retryInvalidLogin's attempts are used up. */
export async function withInvalidLoginRetry(
  attempt: () => Promise<HealthResult>,
  opts: LoginOptions,
  flow: Flow,
  log: Logger,
): Promise<HealthResult> {
  const attempts = Math.max(1, Math.floor(opts.retryInvalidLogin?.attempts ?? 1));
  const baseDelay = Math.max(0, opts.retryInvalidLogin?.delayMs ?? 0);
  let last: HealthResult | undefined;
  for (let i = 1; i <= attempts; i++) {
    if (opts.signal?.aborted) return abortedResult(flow);
    last = await attempt();
    // A rejected authenticator code is never retried: the same code again, and five wrong ones lock the user out.
    if (last.status !== 'invalid-login' || last.code === MFA_CODE_REJECTED || i === attempts) break;
    const delay = Math.min(60_000, baseDelay * 2 ** (i - 1));
    log.info(
      `INVALID_LOGIN on attempt ${i}/${attempts}; a new token can take a while to work: retrying in ${Math.round(delay / 100) / 10} s`,
    );
    opts.onRetry?.(i + 1, delay, last);
    if (!(await pause(delay, opts.signal))) return abortedResult(flow);
  }
  return last!;
}

/** How one password method logs in (soap.ts, passwordOAuth.ts). Made per attempt: it may keep what it saw. */
export interface PasswordLoginSpec {
  flow: Flow;
  /** The log line's words for the attempt, e.g. "SOAP login() (API 64.0)". */
  describe: string;
  /** jsforce Connection options besides loginUrl and version (the OAuth client). */
  connection?: Record<string, unknown>;
  /** Sees every transport response (read the LoginResult, register tokens). */
  onResponse?: (req: TransportRequest, res: TransportResponse) => void;
  /** Fills what the login answer already told (SOAP: userInfo), before the extra calls. */
  enrich?(result: HealthResult): void;
  /** Last words on a success, before the ok line (a retirement reminder). */
  afterOk?(log: Logger): void;
}

type Jsforce = ReturnType<typeof loadJsforce>;

/**
 * Throws UNTRUSTED_SERVER_URL unless the URLs jsforce took from the login answer may carry the session (issue 15):
 * the instance URL (SOAP serverUrl / OAuth instance_url) by sessionUrlProblem, the identity URL (OAuth `id`) the
 * same way or on https://login.salesforce.com / test.salesforce.com. Checked on what jsforce will use, before any
 * request with the session goes out.
 */
export function assertSessionUrls(loginUrl: string, instanceUrl: string | undefined, idUrl: string | undefined): void {
  const instanceProblem = sessionUrlProblem(loginUrl, instanceUrl);
  if (instanceProblem) throw untrusted('instance URL (serverUrl / instance_url)', instanceProblem);
  if (idUrl === undefined) return;
  let genericId = false;
  try {
    const u = new URL(idUrl);
    genericId = u.protocol === 'https:' && !u.port && isGenericLoginHost(u.hostname);
  } catch {
    /* reported below */
  }
  const idProblem = genericId ? undefined : sessionUrlProblem(loginUrl, idUrl);
  if (idProblem) throw untrusted('identity URL', idProblem);
}

function untrusted(what: string, problem: string): UnexpectedResponseError {
  return new UnexpectedResponseError(
    `The login answer's ${what} was refused: ${problem}. The session was not used; the answer did not come from your org as it should (a proxy or a wrong login URL is the usual cause).`,
    'UNTRUSTED_SERVER_URL',
    200,
  );
}

/** One username + password login (SOAP or OAuth username-password), then identity / org name / limits. Never throws. */
export async function passwordLogin(
  profile: ValidProfile,
  secrets: OrgSecrets,
  opts: LoginOptions,
  spec: PasswordLoginSpec,
): Promise<HealthResult> {
  const log = opts.log ?? nullLogger;
  const { flow } = spec;
  const loginUrl = profile.loginUrl;
  const version = profile.apiVersion ?? DEFAULT_API_VERSION;
  const timeoutMs = opts.timeoutMs && opts.timeoutMs > 0 ? opts.timeoutMs : DEFAULT_TIMEOUT_MS;
  const started = performance.now();
  const transport = new RelayTransport({
    signal: opts.signal,
    deadline: started + timeoutMs,
    proxy: opts.proxy,
    ca: opts.ca,
    log,
    onResponse: spec.onResponse,
  });

  log.info(`${spec.describe} at ${loginUrl} as ${profile.username}`);
  let conn: InstanceType<Jsforce['Connection']>;
  try {
    conn = new (loadJsforce().Connection)({ loginUrl, version, ...spec.connection });
    // Our transport replaces jsforce's node-fetch one (see transport.ts for why).
    (conn as unknown as { _transport: unknown })._transport = transport;
    (conn.oauth2 as unknown as { _transport: unknown })._transport = transport;
    await conn.login(profile.username, loginPassword(profile, secrets));
    registerSecret(conn.accessToken, { ephemeral: true });
    assertSessionUrls(loginUrl, conn.instanceUrl, (conn.userInfo as { url?: string } | undefined)?.url);
  } catch (e) {
    const c = classifyMfa(classifyLoginError(e, flow), {
      usedCode: !!profile.mfaForApi && !!secrets.mfaCode,
      hadToken: !profile.mfaForApi && !!secrets.token,
    });
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
  spec.enrich?.(result);
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
      const q = await conn.request<{ records?: Array<{ Name?: string }> }>(
        `/services/data/v${version}/query?q=${encodeURIComponent('SELECT Name FROM Organization LIMIT 1')}`,
      );
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
  if (result.apiRequestsRemaining != null)
    parts.push(
      `API requests left today: ${result.apiRequestsRemaining}${result.apiRequestsMax != null ? ` of ${result.apiRequestsMax}` : ''}.`,
    );
  const advice = loginUrlAdvice(loginUrl, result.instanceUrl);
  if (advice) parts.push(advice);
  spec.afterOk?.(log);
  result.message = parts.join(' ');
  log.info(`login ok in ${latencyMs} ms: ${result.organizationId ?? '?'} ${result.instanceUrl ?? ''}`);
  return result;
}
