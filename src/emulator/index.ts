/**
 * A loopback Salesforce emulator (node:http) speaking the real wire formats of salesforce-facts.md §3, for tests,
 * the demo, the benchmarks and the `token-relay-emulator` bin. One file per thing it speaks:
 *
 *   soap.ts        POST /services/Soap/u/<ver> (and /c/): SOAP login(), its faults, the v65+ refusal
 *   oauth.ts       POST /services/oauth2/token (password, authorization_code + PKCE, refresh_token), /revoke,
 *                  GET /services/oauth2/userinfo, /id/keys
 *   oauthWeb.ts    GET /services/oauth2/authorize: the login page, the consent page (Allow / Deny), error pages
 *   oauthStore.ts  External Client Apps, pending authorize requests, codes, refresh tokens, token lifetimes
 *   browser.ts     authorizeByHttp: walks login + consent over plain HTTP (tests, demo)
 *   demo.ts        the demo org whose SOAP login is off, and its user (the CLI's default config)
 *   rest.ts        GET /services/data/ (versions), /id/<org>/<user>, /services/data/vXX.X/ (+ /limits, /query)
 *   resetPage.ts   the Lightning/Classic reset page (one-time nonce), /?startURL=, the ResetApiTokenConfirm refusal
 *   mailOut.ts     token reset + verification code: compose (mailTemplates.ts), outbox, cfg.deliver
 *   faults.ts      Salesforce fault texts, transport faults ('slow', 'hang', 'reset', 'garbage', 'html', …)
 *   state.ts       orgs, users, sessions, nonces, faults, stats, outbox (one EmulatorState per emulator)
 *   http.ts        RequestContext, Route, answer helpers;  routes.ts  the route table;  dispatch.ts  the server
 *   cli.ts         `npm run emulator` / dist/emulator.js
 *
 * Users and orgs come from the config (JSON-able) or the API; per-user (or global '*') faults force each failure.
 * A wrong or superseded token gets INVALID_LOGIN, as on Salesforce; a new token can be made to work only after a
 * delay (tokenActivationDelayMs).
 * A support server, not product code of the extension: it may import src/core and src/lazy; nothing else in src/
 * imports it, and it never imports test/.
 */
import type { AddressInfo } from 'node:net';
import { createEmulatorServer } from './dispatch';
import { resetToken, sendVerificationCode } from './mailOut';
import { CLASSIC_RESET_PATH, LIGHTNING_RESET_PATH } from './resetPage';
import { oauthOf } from './oauthStore';
import { EmulatorState } from './state';
import type { Emulator, EmulatorConfig, EmulatorOrgInit } from './types';

export type * from './types';
export { DEMO_ORG, DEMO_USERS, id18 } from './state';
export { LIGHTNING_RESET_PATH, CLASSIC_RESET_PATH, CONFIRM_PATH } from './resetPage';
export { DEMO_APP, PLATFORM_CLI_APP } from './oauthStore';
export { DEMO_SOAP_OFF_ORG, DEMO_SOAP_OFF_USER } from './demo';
export { authorizeByHttp, type AuthorizeByHttpOptions } from './browser';
export {
  composeTokenMail,
  composeVerificationCodeMail,
  randomToken,
  randomVerificationCode,
  encodeQuotedPrintable,
  encodeHeaderWord,
  rfc822Date,
  type MailLanguage,
  type TokenMailOptions,
  type VerificationMailOptions,
} from './mailTemplates';

export async function startEmulator(cfg: EmulatorConfig = {}): Promise<Emulator> {
  const state = new EmulatorState(cfg);
  const server = createEmulatorServer(state);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port ?? 0, cfg.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const hostForUrl = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const base = `${cfg.tls ? 'https' : 'http'}://${hostForUrl}:${addr.port}`;
  state.base = base;
  const oauth = oauthOf(state);

  let closed = false;
  const emulator: Emulator = {
    url: base,
    port: addr.port,
    stats: state.stats,
    outbox: state.outbox,
    async close() {
      if (closed) return;
      closed = true;
      for (const t of state.timers) clearTimeout(t);
      state.timers.clear();
      for (const s of state.sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    addUser: (u) => state.addUser(u),
    addOrg: (o) => {
      const org = state.addOrg(o);
      return { id: org.id, name: org.name };
    },
    setOrg(idOrName, patch) {
      const org = state.findOrg(idOrName);
      if (patch.name !== undefined) org.name = patch.name;
      if (patch.sandbox !== undefined) org.sandbox = patch.sandbox;
      if (patch.soapLoginDisabled !== undefined) org.soapLoginDisabled = patch.soapLoginDisabled;
      if (patch.oauthUsernamePasswordBlocked !== undefined)
        org.oauthUsernamePasswordBlocked = patch.oauthUsernamePasswordBlocked;
      if (patch.requireUseAnyApiAuth !== undefined) org.requireUseAnyApiAuth = patch.requireUseAnyApiAuth;
      if (patch.apiDisabled !== undefined) org.apiDisabled = patch.apiDisabled;
      if (patch.dailyApiRequests !== undefined) org.dailyMax = patch.dailyApiRequests;
      if (patch.clients !== undefined) org.clients = [...patch.clients];
      if (patch.tokenActivationDelayMs !== undefined) org.tokenActivationDelayMs = patch.tokenActivationDelayMs;
      if ('accessTokenLifetimeMs' in patch) org.accessTokenLifetimeMs = patch.accessTokenLifetimeMs;
    },
    setFault(username, fault, opts = {}) {
      if (username === '*') {
        if (fault) state.faults.set('*', { fault, style: opts.faultcodeStyle ?? 'plain' });
        else state.faults.delete('*');
        return;
      }
      const u = state.getUser(username);
      u.fault = fault;
      if (opts.faultcodeStyle) u.faultcodeStyle = opts.faultcodeStyle;
    },
    currentToken: (username) => state.getUser(username).token,
    resetToken: (username, opts) => resetToken(state, username, opts),
    sendVerificationCode: (username) => sendVerificationCode(state, username),
    setTokenActivationDelay(ms) {
      state.activationDelay = ms;
    },
    user(username) {
      const u = state.users.get(username.toLowerCase());
      return u ? state.info(u) : undefined;
    },
    users: () => [...state.users.values()].map((u) => state.info(u)),
    resetPageUrl(username, opts = {}) {
      const path = opts.classic ? CLASSIC_RESET_PATH : LIGHTNING_RESET_PATH;
      return `${base}${path}${username ? `?user=${encodeURIComponent(username)}` : ''}`;
    },
    sessionCount: () => state.sessions.size,
    apps: () => [...oauth.apps.values()].map((a) => oauth.info(a)),
    addApp: (a) => oauth.info(oauth.addApp(a)),
    setApp: (clientId, patch) => oauth.setApp(clientId, patch),
    expireAccessTokens: (username) => oauth.expireAccessTokens(username),
    revokeRefreshTokens: (username) => oauth.revokeRefreshTokens(username),
    refreshTokenCount: (username) => oauth.refreshTokenCount(username),
    issuedOAuthTokens: (username) => oauth.issuedTokens(username),
    oauthStats: oauth.stats,
  };
  return emulator;
}

/** Reads an emulator config (JSON: { orgs, users, apps, tokenActivationDelayMs, accessTokenLifetimeMs, slowMs, port }) and checks its shape. */
export function parseEmulatorConfig(json: string): EmulatorConfig {
  const raw = JSON.parse(json) as Record<string, unknown>;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new Error('the emulator config must be a JSON object');
  const out: EmulatorConfig = {};
  if (raw.port !== undefined) out.port = Number(raw.port);
  if (raw.host !== undefined) {
    if (typeof raw.host !== 'string') throw new Error('"host" must be a string (the address to listen on)');
    out.host = raw.host;
  }
  if (raw.tokenActivationDelayMs !== undefined) out.tokenActivationDelayMs = Number(raw.tokenActivationDelayMs);
  if (raw.slowMs !== undefined) out.slowMs = Number(raw.slowMs);
  if (raw.orgs !== undefined) {
    if (!Array.isArray(raw.orgs)) throw new Error('"orgs" must be an array');
    out.orgs = raw.orgs as EmulatorOrgInit[];
  }
  if (raw.users !== undefined) {
    if (!Array.isArray(raw.users)) throw new Error('"users" must be an array');
    for (const [i, u] of (raw.users as Array<Record<string, unknown>>).entries()) {
      if (!u || typeof u.username !== 'string' || typeof u.password !== 'string')
        throw new Error(`users[${i}] needs "username" and "password" strings`);
    }
    out.users = raw.users;
  }
  if (raw.accessTokenLifetimeMs !== undefined) out.accessTokenLifetimeMs = Number(raw.accessTokenLifetimeMs);
  if (raw.apps !== undefined) {
    if (!Array.isArray(raw.apps)) throw new Error('"apps" must be an array');
    for (const [i, a] of (raw.apps as Array<Record<string, unknown>>).entries()) {
      if (
        !a ||
        typeof a.clientId !== 'string' ||
        !Array.isArray(a.callbackUrls) ||
        !a.callbackUrls.every((c) => typeof c === 'string')
      ) {
        throw new Error(`apps[${i}] needs a "clientId" string and a "callbackUrls" array of strings`);
      }
    }
    out.apps = raw.apps;
  }
  return out;
}
