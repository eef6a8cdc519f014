/**
 * The Microsoft identity platform client of the CLI's mailbox sign-in (issue 16 item 1): the OAuth 2.0 device
 * authorization grant (RFC 8628) at `{authority}/{tenant}/oauth2/v2.0/devicecode` + `/token`, and the refresh grant
 * (refresh tokens rotate: the answer's new one replaces the old). Public client: the user's own app registration
 * ("Allow public client flows" on), no secret. Tokens are registered with the redactor the moment they arrive;
 * errors carry the platform's error code and the first line of its description (AADSTSnnnnn: …), never a token.
 */
import { registerSecret, redact } from '../core/redact';
import { sleep } from '../core/async';

export const MICROSOFT_AUTHORITY = 'https://login.microsoftonline.com';
export const MICROSOFT_IMAP_SCOPE = 'https://outlook.office.com/IMAP.AccessAsUser.All';
export const MICROSOFT_IMAP_HOST = 'outlook.office365.com';
/** What the CLI asks for: IMAP, a refresh token, and the account's name (id token). */
export const MICROSOFT_CLI_SCOPES = ['openid', 'profile', 'offline_access', MICROSOFT_IMAP_SCOPE];
export const DEFAULT_TENANT = 'organizations';
const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const MAX_BODY = 256 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;

export class MicrosoftIdentityError extends Error {
  override name = 'MicrosoftIdentityError';
  constructor(
    /** The OAuth error (`invalid_grant`, `expired_token`, `authorization_declined` …) or a transport code. */
    readonly code: string,
    message: string,
  ) {
    super(redact(message));
  }
}

export function isMicrosoftIdentityError(e: unknown): e is MicrosoftIdentityError {
  return e instanceof MicrosoftIdentityError || (e instanceof Error && e.name === 'MicrosoftIdentityError');
}

export interface MicrosoftEndpoint {
  /** `https://login.microsoftonline.com` (or a loopback emulator). */
  authority: string;
  /** `organizations` (default), `common`, `consumers`, a tenant id or domain. */
  tenant: string;
  clientId: string;
}

export interface MicrosoftTokens {
  accessToken: string;
  refreshToken?: string;
  /** Seconds. */
  expiresIn: number;
  scope?: string;
  /** The signed-in account (`preferred_username` of the id token), when one came. */
  username?: string;
}

export interface DeviceCodeStart {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  /** Seconds the code lives. */
  expiresIn: number;
  /** Seconds between polls. */
  interval: number;
  message?: string;
}

/**
 * The authority to use: `TOKEN_RELAY_MICROSOFT_AUTHORITY` (a sovereign cloud such as login.microsoftonline.us, or a
 * loopback emulator) else login.microsoftonline.com. https only, except loopback hosts.
 */
export function authorityFrom(env: Record<string, string | undefined>): string {
  const raw = env.TOKEN_RELAY_MICROSOFT_AUTHORITY?.trim();
  if (!raw) return MICROSOFT_AUTHORITY;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new MicrosoftIdentityError('invalid_authority', `TOKEN_RELAY_MICROSOFT_AUTHORITY is not a URL.`);
  }
  const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i.test(u.hostname);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback))
    throw new MicrosoftIdentityError(
      'invalid_authority',
      'TOKEN_RELAY_MICROSOFT_AUTHORITY must be an https:// URL (plain http only for loopback hosts).',
    );
  return u.origin + u.pathname.replace(/\/+$/, '');
}

/** A tenant name the URL path can carry. */
export function checkTenant(tenant: string): string {
  const t = tenant.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,253}$/.test(t))
    throw new MicrosoftIdentityError(
      'invalid_tenant',
      `"${tenant}" is not a tenant: use organizations, common, consumers, your tenant id or its domain.`,
    );
  return t;
}

function endpointUrl(ep: MicrosoftEndpoint, what: 'devicecode' | 'token'): string {
  return `${ep.authority}/${encodeURIComponent(checkTenant(ep.tenant))}/oauth2/v2.0/${what}`;
}

interface Answer {
  status: number;
  json: Record<string, unknown>;
}

async function post(url: string, form: Record<string, string>, signal?: AbortSignal): Promise<Answer> {
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  const sig = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams(form).toString(),
      signal: sig,
      redirect: 'error',
    });
  } catch (e) {
    if (signal?.aborted) throw e;
    const cause = (e as { cause?: { code?: string } })?.cause?.code;
    throw new MicrosoftIdentityError(
      cause ?? (timeout.aborted ? 'ETIMEDOUT' : 'network'),
      `Could not reach ${new URL(url).host} (${cause ?? (timeout.aborted ? 'timed out' : 'network error')}). Check the network or proxy.`,
    );
  }
  const text = await res.text();
  if (text.length > MAX_BODY)
    throw new MicrosoftIdentityError('unexpected-response', `${new URL(url).host} sent an oversized answer.`);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new MicrosoftIdentityError(
      'unexpected-response',
      `${new URL(url).host} answered HTTP ${res.status} without JSON (a proxy or captive portal?).`,
    );
  }
  if (!json || typeof json !== 'object') throw new MicrosoftIdentityError('unexpected-response', 'Not a JSON object.');
  for (const k of ['access_token', 'refresh_token', 'id_token', 'device_code']) {
    if (typeof json[k] === 'string') registerSecret(json[k]);
  }
  return { status: res.status, json };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** The platform's error as a MicrosoftIdentityError: code + the description's first line (AADSTS…). */
function platformError(a: Answer): MicrosoftIdentityError {
  const code = str(a.json.error) ?? `http-${a.status}`;
  const desc = (str(a.json.error_description) ?? '').split(/\r?\n/)[0]!.slice(0, 400);
  return new MicrosoftIdentityError(code, `${code}${desc ? `: ${desc}` : ` (HTTP ${a.status})`}`);
}

/** The `preferred_username` of an id token (read, not verified: it came over TLS from the token endpoint). */
export function usernameFromIdToken(idToken: string | undefined): string | undefined {
  if (!idToken) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    return str(payload.preferred_username) ?? str(payload.upn) ?? str(payload.email);
  } catch {
    return undefined;
  }
}

function tokensOf(a: Answer): MicrosoftTokens {
  const accessToken = str(a.json.access_token);
  if (!accessToken) throw new MicrosoftIdentityError('unexpected-response', 'The token answer holds no access token.');
  const expiresIn = Number(a.json.expires_in);
  const username = usernameFromIdToken(str(a.json.id_token));
  const refreshToken = str(a.json.refresh_token);
  const scope = str(a.json.scope);
  return {
    accessToken,
    expiresIn: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 3600,
    ...(refreshToken ? { refreshToken } : {}),
    ...(scope ? { scope } : {}),
    ...(username ? { username } : {}),
  };
}

/** Step 1: asks for a device code and the user code the user types at `verificationUri`. */
export async function startDeviceCode(
  ep: MicrosoftEndpoint,
  scopes: readonly string[] = MICROSOFT_CLI_SCOPES,
  signal?: AbortSignal,
): Promise<DeviceCodeStart> {
  const a = await post(endpointUrl(ep, 'devicecode'), { client_id: ep.clientId, scope: scopes.join(' ') }, signal);
  if (a.status !== 200) throw platformError(a);
  const deviceCode = str(a.json.device_code);
  const userCode = str(a.json.user_code);
  const verificationUri = str(a.json.verification_uri) ?? str(a.json.verification_url);
  if (!deviceCode || !userCode || !verificationUri)
    throw new MicrosoftIdentityError('unexpected-response', 'The device code answer is incomplete.');
  const interval = Number(a.json.interval);
  const expiresIn = Number(a.json.expires_in);
  return {
    deviceCode,
    userCode,
    verificationUri,
    interval: Number.isFinite(interval) && interval >= 1 ? Math.min(interval, 60) : 5,
    expiresIn: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 900,
    ...(str(a.json.message) ? { message: str(a.json.message) } : {}),
  };
}

/**
 * Step 2: polls the token endpoint every `interval` seconds (RFC 8628 §3.5: `slow_down` adds 5 s for good) until
 * the user approves (tokens), declines (`authorization_declined`), or the code expires (`expired_token`).
 */
export async function pollDeviceCode(
  ep: MicrosoftEndpoint,
  start: DeviceCodeStart,
  opts: { signal?: AbortSignal; onSlowDown?: (intervalS: number) => void; now?: () => number } = {},
): Promise<MicrosoftTokens> {
  const now = opts.now ?? Date.now;
  const deadline = now() + start.expiresIn * 1000;
  let interval = start.interval;
  for (;;) {
    await sleep(interval * 1000, opts.signal);
    const a = await post(
      endpointUrl(ep, 'token'),
      { grant_type: DEVICE_CODE_GRANT, client_id: ep.clientId, device_code: start.deviceCode },
      opts.signal,
    );
    if (a.status === 200) return tokensOf(a);
    const e = platformError(a);
    if (e.code === 'authorization_pending') {
      if (now() > deadline) throw new MicrosoftIdentityError('expired_token', 'The sign-in code expired.');
      continue;
    }
    if (e.code === 'slow_down') {
      interval += 5;
      opts.onSlowDown?.(interval);
      continue;
    }
    throw e;
  }
}

/** A new access token from a refresh token; the answer's refresh token (rotated) replaces the old one. */
export async function refreshMicrosoftToken(
  ep: MicrosoftEndpoint,
  refreshToken: string,
  scopes: readonly string[] = MICROSOFT_CLI_SCOPES,
  signal?: AbortSignal,
): Promise<MicrosoftTokens> {
  registerSecret(refreshToken);
  const a = await post(
    endpointUrl(ep, 'token'),
    { grant_type: 'refresh_token', client_id: ep.clientId, refresh_token: refreshToken, scope: scopes.join(' ') },
    signal,
  );
  if (a.status !== 200) throw platformError(a);
  return tokensOf(a);
}
