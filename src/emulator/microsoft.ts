/**
 * A loopback Microsoft identity platform emulator (support server: tests, demo; never ships): the OAuth 2.0 device
 * authorization grant and the refresh grant of `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/…`, with the
 * platform's answer and error shapes, plus an introspection endpoint so a real IMAP server (Dovecot's `oauth2`
 * passdb) accepts the access tokens it issued, as Exchange Online accepts Entra ID's.
 *
 *   POST /{tenant}/oauth2/v2.0/devicecode   client_id, scope → device_code, user_code, verification_uri, interval …
 *   POST /{tenant}/oauth2/v2.0/token        grant_type=urn:ietf:params:oauth:grant-type:device_code (client_id,
 *                                           device_code) → authorization_pending | slow_down | authorization_declined
 *                                           | expired_token | bad_verification_code | tokens;
 *                                           grant_type=refresh_token (client_id, refresh_token[, scope]) → tokens,
 *                                           the refresh token rotated (the old one is dead at once) | invalid_grant
 *   GET|POST /devicelogin                   the page a user opens: enter the code, pick the account, Continue/Cancel
 *   POST /introspect                        RFC 7662 (token=…) → { active, username, scope, exp } (the IMAP server's call)
 *
 * Errors are HTTP 400 JSON `{ error, error_description: "AADSTSnnnnn: …", error_codes, timestamp, trace_id,
 * correlation_id, error_uri }` as the platform sends them. Tenants: any path segment (`common`, `organizations`,
 * `consumers`, a GUID or a domain); clients: only those registered (`clients`), public clients (no secret), as the
 * CLI's device-code login needs ("Allow public client flows").
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';

export const IMAP_SCOPE = 'https://outlook.office.com/IMAP.AccessAsUser.All';
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface MicrosoftIdentityConfig {
  host?: string;
  port?: number;
  /** Registered app (client) ids; others get `unauthorized_client` / AADSTS700016. */
  clients?: string[];
  /** Accounts that can approve a code (their user principal names, e.g. `alice@contoso.test`). */
  users?: string[];
  /** Access token lifetime (default 3600 s). */
  accessTokenSeconds?: number;
  /** Device code lifetime (default 900 s). */
  deviceCodeSeconds?: number;
  /** Polling interval told to the client (default 5 s; tests use 1). */
  interval?: number;
  /** Rotate refresh tokens on every refresh (default true, as the platform does). */
  rotateRefreshTokens?: boolean;
}

interface DeviceCode {
  deviceCode: string;
  userCode: string;
  clientId: string;
  tenant: string;
  scope: string;
  expiresAt: number;
  state: 'pending' | 'approved' | 'declined' | 'redeemed';
  user?: string;
  lastPoll?: number;
}

interface Grant {
  user: string;
  clientId: string;
  tenant: string;
  scope: string;
}

export interface MicrosoftIdentity {
  readonly url: string;
  readonly port: number;
  /** Where a user approves a code (`verification_uri`). */
  readonly verificationUri: string;
  readonly introspectionUrl: string;
  /** The authority base the CLI takes (TOKEN_RELAY_MICROSOFT_AUTHORITY). */
  readonly authority: string;
  readonly stats: {
    deviceCodes: number;
    polls: number;
    pending: number;
    slowDowns: number;
    tokens: number;
    refreshes: number;
    refused: number;
    introspections: number;
  };
  /** Every access and refresh token issued so far (tests' canary lists). */
  readonly issued: ReadonlySet<string>;
  /** Approves a pending code as `user` would in the browser (same as the /devicelogin page). */
  approve(userCode: string, user?: string): void;
  decline(userCode: string): void;
  /** Expires every device code (the next poll gets `expired_token`). */
  expireDeviceCodes(): void;
  /** Makes every access token issued so far invalid (the IMAP server refuses them). */
  expireAccessTokens(): void;
  /** Revokes every refresh token of `user` (the next refresh gets `invalid_grant`). */
  revokeRefreshTokens(user?: string): void;
  /**
   * Makes the introspection endpoint call the next `count` tokens of `user` inactive (default: every one until
   * reset with 0): the IMAP server refuses them, as Exchange refuses a token without the mailbox's consent.
   */
  refuseAtImap(user: string, count?: number): void;
  /** Answers the next `count` device-code polls with slow_down, whatever the pace. */
  slowDownNext(count: number): void;
  /** An access token for `user` without a device flow (tests of the IMAP side alone). */
  issueAccessToken(user: string, clientId?: string): string;
  /** Live access tokens / refresh tokens (for assertions). */
  liveRefreshTokens(user?: string): number;
  /** The latest pending user code (what the CLI printed). */
  pendingCodes(): string[];
  close(): Promise<void>;
}

function token(prefix: string, bytes = 32): string {
  return prefix + randomBytes(bytes).toString('base64url');
}

/** An RFC 8628 user code: 9 letters/digits without look-alikes, as the platform shows them (e.g. `F7K2MQXRT`). */
function userCodeOf(): string {
  const alphabet = 'BCDFGHJKLMNPQRSTVWXZ23456789';
  const b = randomBytes(9);
  let s = '';
  for (let i = 0; i < 9; i++) s += alphabet[b[i]! % alphabet.length];
  return s;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > 64 * 1024) throw new Error('body too large');
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const ERRORS: Record<string, { code: number; text: string }> = {
  authorization_pending: {
    code: 70016,
    text: 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.',
  },
  slow_down: { code: 70016, text: 'OAuth 2.0 device flow error. Slow down: the client polls too often.' },
  authorization_declined: { code: 70015, text: 'The user declined the authorization request.' },
  expired_token: { code: 70019, text: 'Verification code expired.' },
  bad_verification_code: { code: 70015, text: 'The device code is not valid.' },
  invalid_grant: {
    code: 70000,
    text: 'The provided value for the input parameter refresh_token or assertion is not valid.',
  },
  unauthorized_client: {
    code: 700016,
    text: 'Application with identifier was not found in the directory. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.',
  },
  invalid_request: { code: 900144, text: 'The request body must contain the following parameter.' },
  unsupported_grant_type: { code: 70003, text: 'The app requested an unsupported grant type.' },
  invalid_scope: { code: 70011, text: 'The provided value for the input parameter scope is not valid.' },
};

/** Starts the emulator on a loopback port. */
export async function startMicrosoftIdentity(cfg: MicrosoftIdentityConfig = {}): Promise<MicrosoftIdentity> {
  const host = cfg.host ?? '127.0.0.1';
  const clients = new Set(cfg.clients ?? []);
  const users = cfg.users ?? [];
  const accessSeconds = cfg.accessTokenSeconds ?? 3600;
  const codeSeconds = cfg.deviceCodeSeconds ?? 900;
  const interval = cfg.interval ?? 5;
  const rotate = cfg.rotateRefreshTokens !== false;
  const codes = new Map<string, DeviceCode>(); // by device code
  const access = new Map<string, Grant & { exp: number }>();
  const refresh = new Map<string, Grant>();
  const issued = new Set<string>();
  const stats = {
    deviceCodes: 0,
    polls: 0,
    pending: 0,
    slowDowns: 0,
    tokens: 0,
    refreshes: 0,
    refused: 0,
    introspections: 0,
  };
  let base = '';
  const refuse = new Map<string, number>();
  let forceSlowDown = 0;

  const sendJson = (res: ServerResponse, status: number, v: unknown) => {
    const body = Buffer.from(JSON.stringify(v));
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(body.length),
      'Cache-Control': 'no-store, no-cache',
      Pragma: 'no-cache',
    });
    res.end(body);
  };
  const oauthError = (res: ServerResponse, error: string, extra = '') => {
    const e = ERRORS[error] ?? { code: 90000, text: error };
    const trace = randomUUID();
    sendJson(res, 400, {
      error,
      error_description: `AADSTS${e.code}: ${e.text}${extra}\r\nTrace ID: ${trace}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString().replace('T', ' ')}`,
      error_codes: [e.code],
      timestamp: new Date().toISOString(),
      trace_id: trace,
      correlation_id: randomUUID(),
      error_uri: `${base}/error?code=${e.code}`,
    });
  };
  const sendHtml = (res: ServerResponse, status: number, title: string, body: string) => {
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><h1>${esc(title)}</h1>${body}</body></html>`;
    const buf = Buffer.from(html);
    res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(buf.length) });
    res.end(buf);
  };

  const tokensFor = (g: Grant) => {
    const at = token('eyJ0eXAiOiJKV1QifQ.msat-', 48);
    const rt = token('0.AXoA-msrt-', 64);
    access.set(at, { ...g, exp: Date.now() + accessSeconds * 1000 });
    refresh.set(rt, g);
    issued.add(at);
    issued.add(rt);
    stats.tokens++;
    const idClaims = {
      aud: g.clientId,
      iss: `${base}/${g.tenant}/v2.0`,
      tid: g.tenant,
      preferred_username: g.user,
      name: g.user.split('@')[0],
      oid: randomUUID(),
    };
    const idToken = [
      Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'none' })).toString('base64url'),
      Buffer.from(JSON.stringify(idClaims)).toString('base64url'),
      'emulator',
    ].join('.');
    return {
      token_type: 'Bearer',
      scope: g.scope,
      expires_in: accessSeconds,
      ext_expires_in: accessSeconds,
      access_token: at,
      refresh_token: rt,
      ...(/(^|\s)openid(\s|$)/.test(g.scope) ? { id_token: idToken } : {}),
    };
  };

  /** The scope string granted: what was asked, when it names the IMAP resource scope. */
  const grantedScope = (asked: string): string | undefined => {
    const parts = asked.split(/\s+/).filter(Boolean);
    if (!parts.some((p) => p.toLowerCase() === IMAP_SCOPE.toLowerCase())) return undefined;
    return parts.join(' ');
  };

  const deviceCode = (res: ServerResponse, tenant: string, form: URLSearchParams) => {
    const clientId = form.get('client_id') ?? '';
    const scope = form.get('scope') ?? '';
    if (!clientId) return oauthError(res, 'invalid_request', " 'client_id'.");
    if (!clients.has(clientId)) return oauthError(res, 'unauthorized_client');
    if (!grantedScope(scope)) return oauthError(res, 'invalid_scope');
    const dc: DeviceCode = {
      deviceCode: token('DAQABAAEAAAD-msdc-', 48),
      userCode: userCodeOf(),
      clientId,
      tenant,
      scope,
      expiresAt: Date.now() + codeSeconds * 1000,
      state: 'pending',
    };
    codes.set(dc.deviceCode, dc);
    issued.add(dc.deviceCode);
    stats.deviceCodes++;
    sendJson(res, 200, {
      user_code: dc.userCode,
      device_code: dc.deviceCode,
      verification_uri: `${base}/devicelogin`,
      expires_in: codeSeconds,
      interval,
      message: `To sign in, use a web browser to open the page ${base}/devicelogin and enter the code ${dc.userCode} to authenticate.`,
    });
  };

  const tokenEndpoint = (res: ServerResponse, tenant: string, form: URLSearchParams) => {
    const grant = form.get('grant_type');
    const clientId = form.get('client_id') ?? '';
    if (!clientId) return oauthError(res, 'invalid_request', " 'client_id'.");
    if (!clients.has(clientId)) return oauthError(res, 'unauthorized_client');
    if (grant === DEVICE_CODE_GRANT) {
      stats.polls++;
      const dc = codes.get(form.get('device_code') ?? '');
      if (!dc || dc.clientId !== clientId || dc.state === 'redeemed') return oauthError(res, 'bad_verification_code');
      const now = Date.now();
      if (now > dc.expiresAt) {
        codes.delete(dc.deviceCode);
        return oauthError(res, 'expired_token');
      }
      if (dc.state === 'declined') {
        codes.delete(dc.deviceCode);
        return oauthError(res, 'authorization_declined');
      }
      if (dc.state === 'pending') {
        // RFC 8628 §3.5: polling faster than `interval` earns slow_down (the client adds 5 s).
        const early = forceSlowDown > 0 || (dc.lastPoll !== undefined && now - dc.lastPoll < interval * 1000 - 250);
        if (forceSlowDown > 0) forceSlowDown--;
        dc.lastPoll = now;
        if (early) {
          stats.slowDowns++;
          return oauthError(res, 'slow_down');
        }
        stats.pending++;
        return oauthError(res, 'authorization_pending');
      }
      dc.state = 'redeemed';
      return sendJson(res, 200, tokensFor({ user: dc.user!, clientId, tenant: dc.tenant, scope: dc.scope }));
    }
    if (grant === 'refresh_token') {
      stats.refreshes++;
      const rt = form.get('refresh_token') ?? '';
      const g = refresh.get(rt);
      if (!g || g.clientId !== clientId) {
        stats.refused++;
        return oauthError(res, 'invalid_grant');
      }
      if (rotate) refresh.delete(rt);
      const scope = form.get('scope') || g.scope;
      const out = tokensFor({ ...g, scope });
      if (!rotate) {
        refresh.delete(out.refresh_token);
        return sendJson(res, 200, { ...out, refresh_token: rt });
      }
      return sendJson(res, 200, out);
    }
    if (!grant) return oauthError(res, 'invalid_request', " 'grant_type'.");
    return oauthError(res, 'unsupported_grant_type');
  };

  const findPending = (userCode: string): DeviceCode | undefined => {
    const want = userCode.replace(/[\s-]/g, '').toUpperCase();
    for (const dc of codes.values()) if (dc.userCode === want && dc.state === 'pending') return dc;
    return undefined;
  };
  const approve = (userCode: string, user?: string) => {
    const dc = findPending(userCode);
    if (!dc || Date.now() > dc.expiresAt) throw new Error('no pending sign-in with that code');
    const who = user ?? users[0];
    if (!who || (users.length && !users.includes(who))) throw new Error('unknown account');
    dc.state = 'approved';
    dc.user = who;
  };

  const page = (res: ServerResponse, form: URLSearchParams | undefined) => {
    const accountOptions = users.map((u) => `<option value="${esc(u)}">${esc(u)}</option>`).join('');
    const formHtml = (msg = '') =>
      `${msg ? `<p class="error">${esc(msg)}</p>` : ''}<p>Enter the code displayed on your app or device.</p>
<form method="post" action="/devicelogin"><input name="otc" id="otc" placeholder="Code" autocomplete="off">
<select name="account" id="account">${accountOptions}</select>
<button type="submit" name="action" value="continue" id="continue">Continue</button>
<button type="submit" name="action" value="cancel" id="cancel">Cancel</button></form>`;
    if (!form) return sendHtml(res, 200, 'Enter code', formHtml());
    const code = form.get('otc') ?? '';
    const dc = findPending(code);
    if (!dc || Date.now() > dc.expiresAt)
      return sendHtml(res, 400, 'Enter code', formHtml("That code didn't work. Check the code and try again."));
    if (form.get('action') === 'cancel') {
      dc.state = 'declined';
      return sendHtml(res, 200, 'Sign-in cancelled', '<p>You can close this window.</p>');
    }
    try {
      approve(code, form.get('account') ?? undefined);
    } catch (e) {
      return sendHtml(res, 400, 'Enter code', formHtml((e as Error).message));
    }
    return sendHtml(
      res,
      200,
      'You have signed in',
      `<p id="done">You have signed in to the application on your device. You may now close this window.</p>`,
    );
  };

  const introspect = (res: ServerResponse, form: URLSearchParams) => {
    stats.introspections++;
    const g = access.get(form.get('token') ?? '');
    if (!g || Date.now() > g.exp || !g.scope.toLowerCase().includes(IMAP_SCOPE.toLowerCase()))
      return sendJson(res, 200, { active: false });
    const left = refuse.get(g.user);
    if (left !== undefined && left !== 0) {
      if (left > 0) refuse.set(g.user, left - 1);
      return sendJson(res, 200, { active: false });
    }
    sendJson(res, 200, {
      active: true,
      username: g.user,
      scope: g.scope,
      client_id: g.clientId,
      exp: Math.floor(g.exp / 1000),
    });
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const method = (req.method ?? 'GET').toUpperCase();
        const body = method === 'POST' ? await readBody(req) : '';
        const form = new URLSearchParams(body);
        const m = /^\/([^/]+)\/oauth2\/v2\.0\/(devicecode|token)$/.exec(url.pathname);
        if (m && method === 'POST') {
          if (m[2] === 'devicecode') return deviceCode(res, m[1]!, form);
          return tokenEndpoint(res, m[1]!, form);
        }
        if (url.pathname === '/devicelogin') return page(res, method === 'POST' ? form : undefined);
        if (url.pathname === '/introspect' && method === 'POST') return introspect(res, form);
        sendJson(res, 404, { error: 'not_found' });
      } catch (e) {
        sendJson(res, 500, { error: 'server_error', error_description: (e as Error).message });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  base = `http://${host}:${port}`;

  return {
    url: base,
    port,
    verificationUri: `${base}/devicelogin`,
    introspectionUrl: `${base}/introspect`,
    authority: base,
    stats,
    issued,
    approve,
    decline(userCode) {
      const dc = findPending(userCode);
      if (dc) dc.state = 'declined';
    },
    expireDeviceCodes() {
      for (const dc of codes.values()) dc.expiresAt = 0;
    },
    expireAccessTokens() {
      for (const g of access.values()) g.exp = 0;
    },
    revokeRefreshTokens(user) {
      for (const [rt, g] of refresh) if (!user || g.user === user) refresh.delete(rt);
    },
    refuseAtImap(user, count = -1) {
      refuse.set(user, count);
    },
    slowDownNext(count) {
      forceSlowDown = count;
    },
    issueAccessToken(user, clientId = [...clients][0] ?? 'emulator-client') {
      return tokensFor({ user, clientId, tenant: 'organizations', scope: `${IMAP_SCOPE} offline_access` }).access_token;
    },
    liveRefreshTokens(user) {
      let n = 0;
      for (const g of refresh.values()) if (!user || g.user === user) n++;
      return n;
    },
    pendingCodes() {
      return [...codes.values()].filter((d) => d.state === 'pending').map((d) => d.userCode);
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
