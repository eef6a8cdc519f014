/**
 * A loopback Salesforce emulator (node:http) speaking the real wire formats of salesforce-facts.md §3:
 *
 *  POST /services/Soap/u/<ver> (and /c/)   SOAP login(): LoginResult with userInfo in the real element
 *                                          order; faults as HTTP 500 SOAP faults (faultcode plain,
 *                                          `sf:` or `ns1:` prefixed; faultstring `CODE: text`;
 *                                          sf:LoginFault detail); the v65+ refusal; the SOAP-disabled
 *                                          org text; INSUFFICIENT_ACCESS; passwordExpired=true
 *  POST /services/oauth2/token             password grant; invalid_grant / invalid_client_id / …
 *  GET  /id/<org>/<user>                   identity (oauth_token= or Bearer)
 *  GET  /services/oauth2/userinfo          OpenID Connect userinfo
 *  GET  /services/data/                    versions
 *  GET  /services/data/vXX.X/              resources; /limits (counts DailyApiRequests); /query
 *                                          (SELECT … FROM Organization / User); 401 INVALID_SESSION_ID
 *  GET  /lightning/settings/personal/ResetApiToken/home, /_ui/system/security/ResetApiTokenEdit
 *                                          the reset page: GET never resets; POST with a one-time
 *                                          CSRF nonce resets and mails the token (cfg.deliver)
 *  GET  /?startURL=/path                   redirects to the path (the login-then-go entry)
 *  ANY  /_ui/system/security/ResetApiTokenConfirm
 *                                          403, never resets, counted in stats.confirmHits
 *
 * Users and orgs come from the config (JSON-able) or the API; per-user (or global '*') faults force
 * each failure, plus transport faults for client tests: 'slow', 'hang', 'reset', 'garbage', 'html',
 * 'html-500', 'empty'. A wrong or superseded token gets INVALID_LOGIN, as on Salesforce; a new token
 * can be made to work only after a delay (tokenActivationDelayMs).
 * Test-only code: may import src/core, is never imported by src/.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createHmac, randomBytes, randomInt } from 'node:crypto';
import { composeTokenMail, composeVerificationCodeMail, randomToken, randomVerificationCode, type MailLanguage } from './mailTemplates';
import { xmlEscape, xmlUnescape } from '../../src/core/xml';

export type SoapFaultCode =
  | 'INVALID_LOGIN'
  | 'LOGIN_MUST_USE_SECURITY_TOKEN'
  | 'PASSWORD_LOCKOUT'
  | 'INVALID_OPERATION_WITH_EXPIRED_PASSWORD'
  | 'API_DISABLED_FOR_ORG'
  | 'API_CURRENTLY_DISABLED'
  | 'SERVER_UNAVAILABLE'
  | 'ORG_LOCKED'
  | 'ORG_IN_MAINTENANCE'
  | 'TRIAL_EXPIRED'
  | 'REQUEST_LIMIT_EXCEEDED'
  | 'INSUFFICIENT_ACCESS'
  | 'UNSUPPORTED_API_VERSION'
  | 'LOGIN_CHALLENGE_ISSUED'
  | 'UNKNOWN_EXCEPTION';

/** Faults a user (or '*' = every API request) can be forced into. */
export type EmulatorFault =
  | SoapFaultCode
  | 'passwordExpired' // SOAP: HTTP 200 LoginResult with passwordExpired=true
  | 'SOAP_LOGIN_DISABLED' // INVALID_OPERATION: SOAP API login() is disabled by default in this org…
  | 'slow' // answer normally after cfg.slowMs
  | 'hang' // never answer (until close())
  | 'reset' // destroy the connection without an answer
  | 'garbage' // HTTP 200 text/xml with bytes that are no XML at all
  | 'html' // HTTP 200 text/html: a captive portal page
  | 'html-500' // HTTP 500 text/html: an error page
  | 'empty'; // HTTP 200 with an empty body

export type FaultcodeStyle = 'plain' | 'sf' | 'ns1';

export interface EmulatorOrgInit {
  /** 15- or 18-char id starting 00D; random when absent. */
  id?: string;
  name?: string;
  sandbox?: boolean;
  /** INVALID_OPERATION for SOAP login() (default for orgs created Winter '26+). */
  soapLoginDisabled?: boolean;
  /** OAuth username-password flow blocked (default for orgs created Summer '23+): invalid_grant. */
  oauthUsernamePasswordBlocked?: boolean;
  /** SOAP login() needs the user's useAnyApiAuth, else INSUFFICIENT_ACCESS. */
  requireUseAnyApiAuth?: boolean;
  apiDisabled?: boolean;
  /** DailyApiRequests Max (default 15000). */
  dailyApiRequests?: number;
  /** Connected apps allowed for the OAuth flow. */
  clients?: Array<{ clientId: string; clientSecret: string }>;
  /** ms after a reset before the new token works (overrides the config's). */
  tokenActivationDelayMs?: number;
}

export interface EmulatorUserInit {
  username: string;
  password: string;
  /** Current security token; a random 25-char one when absent. */
  token?: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  /** "First Last": sets firstName/lastName when those are not given. */
  fullName?: string;
  language?: MailLanguage;
  /** Org id or name (default: the first org). */
  org?: string;
  userId?: string;
  fault?: EmulatorFault | null;
  faultcodeStyle?: FaultcodeStyle;
  /** Multi-Factor Authentication for API logins: the password must be followed by this code instead of the token. */
  mfaCode?: string;
  /** Logins without a token are accepted (trusted IP range). */
  trustedNetwork?: boolean;
  useAnyApiAuth?: boolean;
  /** A reset POST first sends a "Verify your identity" code mail. */
  sendVerificationCode?: boolean;
}

export interface EmulatorConfig {
  port?: number;
  host?: string;
  orgs?: EmulatorOrgInit[];
  /** Users (default none: add them with addUser; the CLI uses DEMO_USERS when its config has none). */
  users?: EmulatorUserInit[];
  /** Name of the default org (used when `orgs` is empty; default DEMO_ORG's). */
  orgName?: string;
  /** Delivers a mail (token or verification code) to the user's Email address. */
  deliver?: (to: string, raw: Buffer) => Promise<void>;
  tokenActivationDelayMs?: number;
  /** Delay of the 'slow' fault (default 120 s). */
  slowMs?: number;
  log?: (line: string) => void;
  /** Serve https with this key/cert (PEM) instead of plain http (proxy/CA tests). */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

export interface EmulatorUserInfo {
  username: string;
  password: string;
  token: string;
  email: string;
  orgId: string;
  orgName: string;
  userId: string;
  language: MailLanguage;
  fault: EmulatorFault | null;
}

export interface EmulatorStats {
  requests: number;
  soapLogins: number;
  oauthLogins: number;
  failedLogins: number;
  resets: number;
  mailsSent: number;
  /** Requests to /_ui/system/security/ResetApiTokenConfirm (must stay 0). */
  confirmHits: number;
  resetPageViews: number;
  apiCalls: number;
}

export interface OutboxMail {
  to: string;
  kind: 'token' | 'verification-code';
  username: string;
  raw: Buffer;
  at: Date;
  delivered: boolean;
  error?: string;
}

export interface Emulator {
  url: string;
  port: number;
  stats: EmulatorStats;
  outbox: OutboxMail[];
  close(): Promise<void>;
  addUser(u: EmulatorUserInit): EmulatorUserInfo;
  addOrg(o: EmulatorOrgInit): { id: string; name: string };
  setOrg(idOrName: string, patch: Partial<Omit<EmulatorOrgInit, 'id'>>): void;
  /** username or '*' (every API request); null clears. */
  setFault(username: string, fault: EmulatorFault | null, opts?: { faultcodeStyle?: FaultcodeStyle }): void;
  currentToken(username: string): string;
  /** Resets like the page's POST: new token, old one invalid, mail delivered (unless deliver: false). */
  resetToken(username: string, opts?: { deliver?: boolean }): Promise<string>;
  sendVerificationCode(username: string): Promise<string>;
  setTokenActivationDelay(ms: number): void;
  user(username: string): EmulatorUserInfo | undefined;
  users(): EmulatorUserInfo[];
  /** The reset page URL (Lightning, or Classic), optionally preselecting a user. */
  resetPageUrl(username?: string, opts?: { classic?: boolean }): string;
  /** Number of live sessions (tests). */
  sessionCount(): number;
}

export const DEMO_ORG: EmulatorOrgInit = { id: '00D5g000004XyZ1EAK', name: 'Acme Corp (Emulated)', clients: [{ clientId: 'demo-client-id', clientSecret: 'demo-client-secret' }] };
export const DEMO_USERS: EmulatorUserInit[] = [
  { username: 'jane.doe@acme.example', password: 'Demo-Passw0rd!', email: 'jane.doe@acme.example', firstName: 'Jane', lastName: 'Doe', language: 'en' },
  { username: 'taro.yamada@acme.example', password: 'Demo-Passw0rd!', email: 'taro.yamada@acme.example', firstName: '太郎', lastName: '山田', language: 'ja' },
];

export const LIGHTNING_RESET_PATH = '/lightning/settings/personal/ResetApiToken/home';
export const CLASSIC_RESET_PATH = '/_ui/system/security/ResetApiTokenEdit';
export const CONFIRM_PATH = '/_ui/system/security/ResetApiTokenConfirm';

// ---- Salesforce texts (salesforce-facts.md §3.1, §7; "reconstruction" where no source had the text) ----
const FAULT_TEXT: Record<SoapFaultCode, string> = {
  INVALID_LOGIN: 'Invalid username, password, security token; or user locked out.',
  LOGIN_MUST_USE_SECURITY_TOKEN:
    'Invalid username, password, security token; or user locked out. Are you at a new location? When accessing Salesforce--either via a desktop client or the API--from outside of your company\u2019s trusted networks, you must add a security token to your password to log in. To get your new security token, log in to Salesforce. From your personal settings, enter Reset My Security Token in the Quick Find box, then select Reset My Security Token.',
  PASSWORD_LOCKOUT: 'Your account has been locked out. Contact your administrator.', // reconstruction
  INVALID_OPERATION_WITH_EXPIRED_PASSWORD: 'The users password has expired, you must call SetPassword before attempting any other API operations',
  API_DISABLED_FOR_ORG: 'API is not enabled for this Organization or Partner',
  API_CURRENTLY_DISABLED: 'API is disabled for this User', // reconstruction
  SERVER_UNAVAILABLE: 'Server temporarily unavailable. Please try again later.', // reconstruction
  ORG_LOCKED: 'Your organization is locked. Contact your administrator.', // reconstruction
  ORG_IN_MAINTENANCE: 'Your organization is in maintenance. Please try again later.', // reconstruction
  TRIAL_EXPIRED: 'Your trial has expired.', // reconstruction
  REQUEST_LIMIT_EXCEEDED: 'TotalRequests Limit exceeded.',
  INSUFFICIENT_ACCESS: 'Use of login() requires the Use Any API Auth user permission.', // reconstruction
  UNSUPPORTED_API_VERSION: 'Invalid Api version specified on URL', // reconstruction
  LOGIN_CHALLENGE_ISSUED: 'Verify your identity: a verification code was sent.', // reconstruction
  UNKNOWN_EXCEPTION: 'An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-123456789)',
};
const SOAP_DISABLED_TEXT = 'SOAP API login() is disabled by default in this org. Contact the org administrator to enable SOAP API login().';
const v65Text = (v: string) => `The SOAP Login operation is not available in the API version specified (${v}). Refer to the documentation for supported versions.`;
const LOGIN_FAULTS = new Set<string>(['INVALID_LOGIN', 'LOGIN_MUST_USE_SECURITY_TOKEN', 'PASSWORD_LOCKOUT', 'INVALID_OPERATION_WITH_EXPIRED_PASSWORD', 'LOGIN_CHALLENGE_ISSUED']);

const TRANSPORT_FAULTS = new Set<EmulatorFault>(['slow', 'hang', 'reset', 'garbage', 'html', 'html-500', 'empty']);

// ---- ids ----
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function rand(n: number, alphabet = ALNUM): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}
/** The 3-char case-safe suffix of an 18-char Salesforce id. */
export function id18(id15: string): string {
  const map = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
  let suffix = '';
  for (let i = 0; i < 3; i++) {
    let flags = 0;
    for (let j = 0; j < 5; j++) {
      const c = id15.charAt(i * 5 + j);
      if (c >= 'A' && c <= 'Z') flags += 1 << j;
    }
    suffix += map.charAt(flags);
  }
  return id15 + suffix;
}
function makeId(prefix: string, given?: string): string {
  if (given && /^[a-zA-Z0-9]{15}$/.test(given)) return id18(given);
  if (given && /^[a-zA-Z0-9]{18}$/.test(given)) return given;
  return id18(prefix + '5g' + rand(10, '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'));
}

const htmlEsc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

interface Org {
  id: string;
  name: string;
  sandbox: boolean;
  soapLoginDisabled: boolean;
  oauthUsernamePasswordBlocked: boolean;
  requireUseAnyApiAuth: boolean;
  apiDisabled: boolean;
  dailyMax: number;
  dailyUsed: number;
  clients: Array<{ clientId: string; clientSecret: string }>;
  tokenActivationDelayMs?: number;
}

interface User {
  username: string;
  password: string;
  token: string;
  tokenActiveAt: number;
  email: string;
  firstName: string;
  lastName: string;
  language: MailLanguage;
  org: Org;
  userId: string;
  fault: EmulatorFault | null;
  faultcodeStyle: FaultcodeStyle;
  mfaCode?: string;
  trustedNetwork: boolean;
  useAnyApiAuth: boolean;
  sendVerificationCode: boolean;
}

interface Session {
  user: User;
  passwordExpired: boolean;
  kind: 'soap' | 'oauth';
}

const API_VERSIONS = ['58.0', '59.0', '60.0', '61.0', '62.0', '63.0', '64.0', '65.0', '66.0'];
const RELEASES: Record<string, string> = {
  '58.0': "Summer '23",
  '59.0': "Winter '24",
  '60.0': "Spring '24",
  '61.0': "Summer '24",
  '62.0': "Winter '25",
  '63.0': "Spring '25",
  '64.0': "Summer '25",
  '65.0': "Winter '26",
  '66.0': "Spring '26",
};

export async function startEmulator(cfg: EmulatorConfig = {}): Promise<Emulator> {
  const log = cfg.log ?? (() => {});
  const orgs: Org[] = [];
  const users = new Map<string, User>();
  const sessions = new Map<string, Session>();
  const nonces = new Map<string, { username: string; expires: number }>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const faults = new Map<string, { fault: EmulatorFault; style: FaultcodeStyle }>();
  let activationDelay = cfg.tokenActivationDelayMs ?? 0;
  const slowMs = cfg.slowMs ?? 120_000;
  const stats: EmulatorStats = { requests: 0, soapLogins: 0, oauthLogins: 0, failedLogins: 0, resets: 0, mailsSent: 0, confirmHits: 0, resetPageViews: 0, apiCalls: 0 };
  const outbox: OutboxMail[] = [];
  let base = '';

  function addOrg(o: EmulatorOrgInit): Org {
    const org: Org = {
      id: makeId('00D', o.id),
      name: o.name ?? `Emulated Org ${orgs.length + 1}`,
      sandbox: !!o.sandbox,
      soapLoginDisabled: !!o.soapLoginDisabled,
      oauthUsernamePasswordBlocked: !!o.oauthUsernamePasswordBlocked,
      requireUseAnyApiAuth: !!o.requireUseAnyApiAuth,
      apiDisabled: !!o.apiDisabled,
      dailyMax: o.dailyApiRequests ?? 15000,
      dailyUsed: 0,
      clients: [...(o.clients ?? [])],
      tokenActivationDelayMs: o.tokenActivationDelayMs,
    };
    orgs.push(org);
    return org;
  }
  function findOrg(idOrName?: string): Org {
    if (!idOrName) return orgs[0] ?? addOrg({ ...DEMO_ORG, name: cfg.orgName ?? DEMO_ORG.name });
    const org = orgs.find((o) => o.id === idOrName || o.id.slice(0, 15) === idOrName || o.name === idOrName);
    if (!org) throw new Error(`emulator: no org "${idOrName}"`);
    return org;
  }
  function info(u: User): EmulatorUserInfo {
    return { username: u.username, password: u.password, token: u.token, email: u.email, orgId: u.org.id, orgName: u.org.name, userId: u.userId, language: u.language, fault: u.fault };
  }
  function addUser(init: EmulatorUserInit): EmulatorUserInfo {
    if (!init.username || init.password === undefined) throw new Error('emulator: a user needs username and password');
    const org = findOrg(init.org);
    const u: User = {
      username: init.username,
      password: init.password,
      token: init.token ?? randomToken(),
      tokenActiveAt: 0,
      email: init.email ?? init.username,
      firstName: init.firstName ?? (init.fullName ? init.fullName.trim().split(/\s+/)[0]! : init.username.split('@')[0]!.split('.')[0]!.replace(/^./, (c) => c.toUpperCase())),
      lastName: init.lastName ?? (init.fullName && /\s/.test(init.fullName.trim()) ? init.fullName.trim().split(/\s+/).slice(1).join(' ') : 'User'),
      language: init.language ?? 'en',
      org,
      userId: makeId('005', init.userId),
      fault: init.fault ?? null,
      faultcodeStyle: init.faultcodeStyle ?? 'plain',
      mfaCode: init.mfaCode,
      trustedNetwork: !!init.trustedNetwork,
      useAnyApiAuth: init.useAnyApiAuth ?? true,
      sendVerificationCode: !!init.sendVerificationCode,
    };
    users.set(u.username.toLowerCase(), u);
    return info(u);
  }
  function getUser(username: string): User {
    const u = users.get(username.toLowerCase());
    if (!u) throw new Error(`emulator: no user "${username}"`);
    return u;
  }

  for (const o of cfg.orgs ?? []) addOrg(o);
  if (!orgs.length) addOrg({ ...DEMO_ORG, name: cfg.orgName ?? DEMO_ORG.name });
  for (const u of cfg.users ?? []) addUser(u);

  async function deliver(kind: OutboxMail['kind'], u: User, raw: Buffer): Promise<OutboxMail> {
    const mail: OutboxMail = { to: u.email, kind, username: u.username, raw, at: new Date(), delivered: false };
    outbox.push(mail);
    if (cfg.deliver) {
      try {
        await cfg.deliver(u.email, raw);
        mail.delivered = true;
        stats.mailsSent++;
      } catch (e) {
        mail.error = e instanceof Error ? e.message : String(e);
        log(`emulator: delivering the ${kind} mail to ${u.email} failed: ${mail.error}`);
        throw e;
      }
    }
    return mail;
  }

  async function resetToken(username: string, opts: { deliver?: boolean } = {}): Promise<string> {
    const u = getUser(username);
    u.token = randomToken();
    u.tokenActiveAt = Date.now() + (u.org.tokenActivationDelayMs ?? activationDelay);
    stats.resets++;
    log(`emulator: token reset for ${u.username}`);
    if (opts.deliver !== false) {
      const raw = composeTokenMail({
        to: u.email,
        toName: `${u.firstName} ${u.lastName}`,
        firstName: u.firstName,
        username: u.username,
        token: u.token,
        language: u.language,
        orgId: u.org.id,
        userId: u.userId,
        sandbox: u.org.sandbox,
      });
      await deliver('token', u, raw);
    }
    return u.token;
  }

  async function sendVerificationCode(username: string): Promise<string> {
    const u = getUser(username);
    const code = randomVerificationCode();
    const raw = composeVerificationCodeMail({
      to: u.email,
      toName: `${u.firstName} ${u.lastName}`,
      username: u.username,
      code,
      language: u.language,
      orgId: u.org.id,
      userId: u.userId,
      sandbox: u.org.sandbox,
    });
    await deliver('verification-code', u, raw);
    return code;
  }

  // ---- HTTP helpers ----
  function send(res: http.ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    const buf = Buffer.from(body, 'utf8');
    res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': String(buf.length), 'Cache-Control': 'no-cache,must-revalidate,max-age=0,no-store,private', ...headers });
    res.end(buf);
  }
  const sendJson = (res: http.ServerResponse, status: number, value: unknown) => send(res, status, 'application/json;charset=UTF-8', JSON.stringify(value));
  const sendXml = (res: http.ServerResponse, status: number, xml: string) => send(res, status, 'text/xml; charset=utf-8', xml);
  const invalidSession = (res: http.ServerResponse) => sendJson(res, 401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);

  function wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });
  }

  /** Applies a transport fault; returns true when the request has been dealt with (or must be dropped). */
  async function transportFault(fault: EmulatorFault, req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
    switch (fault) {
      case 'slow':
        await wait(slowMs);
        return res.destroyed;
      case 'hang':
        return true; // never answer; close() destroys the socket
      case 'reset':
        req.socket.destroy();
        return true;
      case 'garbage':
        send(res, 200, 'text/xml', '\u0000\u00ff\u00fe garbage \u0007 ]]> not xml at all {{{');
        return true;
      case 'html':
        send(
          res,
          200,
          'text/html; charset=utf-8',
          '<!DOCTYPE html><html><head><title>Welcome to Hotel Wi-Fi</title></head><body><h1>Please accept the terms to continue</h1><form method="post" action="/portal/accept"><button>Accept</button></form></body></html>',
        );
        return true;
      case 'html-500':
        send(res, 500, 'text/html; charset=utf-8', '<!DOCTYPE html><html><head><title>Internal Server Error</title></head><body><h1>500 Internal Server Error</h1><p>Proxy error.</p></body></html>');
        return true;
      case 'empty':
        send(res, 200, 'text/xml', '');
        return true;
      default:
        return false;
    }
  }

  function faultFor(username: string | undefined): { fault: EmulatorFault; style: FaultcodeStyle } | undefined {
    const global = faults.get('*');
    if (global) return global;
    if (!username) return undefined;
    const u = users.get(username.toLowerCase());
    if (u?.fault) return { fault: u.fault, style: u.faultcodeStyle };
    return undefined;
  }

  // ---- SOAP ----
  function soapFault(code: string, message: string, style: FaultcodeStyle): string {
    const loginFault = LOGIN_FAULTS.has(code);
    const type = loginFault ? 'LoginFault' : code === 'INVALID_OPERATION' ? 'InvalidOperationFault' : 'UnexpectedErrorFault';
    const faultcode =
      style === 'sf'
        ? `<faultcode>sf:${code}</faultcode>`
        : style === 'ns1'
          ? `<faultcode xmlns:ns1="urn:fault.partner.soap.sforce.com">ns1:${code}</faultcode>`
          : `<faultcode>${code}</faultcode>`;
    const detailEl = style === 'ns1' ? 'sf:fault' : `sf:${type}`;
    return (
      '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
      `<soapenv:Body><soapenv:Fault>${faultcode}<faultstring>${xmlEscape(`${code}: ${message}`)}</faultstring>` +
      `<detail><${detailEl} xsi:type="sf:${type}"><sf:exceptionCode>${code}</sf:exceptionCode><sf:exceptionMessage>${xmlEscape(message)}</sf:exceptionMessage></${detailEl}></detail>` +
      '</soapenv:Fault></soapenv:Body></soapenv:Envelope>'
    );
  }

  function newSession(u: User, kind: 'soap' | 'oauth', passwordExpired = false): string {
    const sid = `${u.org.id.slice(0, 15)}!AR${rand(2)}AQ${rand(92, ALNUM + '._')}`;
    sessions.set(sid, { user: u, passwordExpired, kind });
    return sid;
  }

  function loginResult(u: User, version: string, sid: string, passwordExpired: boolean): string {
    const org15 = u.org.id.slice(0, 15);
    const nil = (name: string) => `<${name} xsi:nil="true"/>`;
    const el = (name: string, v: string) => `<${name}>${xmlEscape(v)}</${name}>`;
    const userInfo = [
      el('accessibilityMode', 'false'),
      el('chatterExternal', 'false'),
      el('currencySymbol', '$'),
      el('orgAttachmentFileSizeLimit', '5242880'),
      el('orgDefaultCurrencyIsoCode', 'USD'),
      nil('orgDefaultCurrencyLocale'),
      el('orgDisallowHtmlAttachments', 'false'),
      el('orgHasPersonAccounts', 'false'),
      el('organizationId', u.org.id),
      el('organizationMultiCurrency', 'false'),
      el('organizationName', u.org.name),
      el('profileId', id18('00e5g000000' + u.userId.slice(11, 15))),
      nil('roleId'),
      el('sessionSecondsValid', '7200'),
      nil('userDefaultCurrencyIsoCode'),
      el('userEmail', u.email),
      el('userFullName', u.language === 'ja' ? `${u.lastName} ${u.firstName}` : `${u.firstName} ${u.lastName}`),
      el('userId', u.userId),
      el('userLanguage', u.language === 'ja' ? 'ja' : 'en_US'),
      el('userLocale', u.language === 'ja' ? 'ja_JP' : 'en_US'),
      el('userName', u.username),
      el('userTimeZone', u.language === 'ja' ? 'Asia/Tokyo' : 'America/Los_Angeles'),
      el('userType', 'Standard'),
      el('userUiSkin', 'Theme3'),
    ].join('');
    return (
      '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
      '<soapenv:Body><loginResponse><result>' +
      el('metadataServerUrl', `${base}/services/Soap/m/${version}/${org15}`) +
      el('passwordExpired', String(passwordExpired)) +
      el('sandbox', String(u.org.sandbox)) +
      el('serverUrl', `${base}/services/Soap/u/${version}/${org15}`) +
      el('sessionId', sid) +
      el('userId', u.userId) +
      `<userInfo>${userInfo}</userInfo>` +
      '</result></loginResponse></soapenv:Body></soapenv:Envelope>'
    );
  }

  type Check = { ok: true; user: User } | { ok: false; code: SoapFaultCode; user?: User };
  /** Password (+ token / MFA code) check, exactly as strict as Salesforce: a superseded token is INVALID_LOGIN. */
  function checkCredentials(username: string, password: string): Check {
    const u = users.get(username.toLowerCase());
    if (!u) return { ok: false, code: 'INVALID_LOGIN' };
    if (u.mfaCode !== undefined) return password === u.password + u.mfaCode ? { ok: true, user: u } : { ok: false, code: 'INVALID_LOGIN', user: u };
    if (password === u.password + u.token && Date.now() >= u.tokenActiveAt) return { ok: true, user: u };
    if (password === u.password) return u.trustedNetwork ? { ok: true, user: u } : { ok: false, code: 'LOGIN_MUST_USE_SECURITY_TOKEN', user: u };
    return { ok: false, code: 'INVALID_LOGIN', user: u };
  }

  async function handleSoapLogin(req: http.IncomingMessage, res: http.ServerResponse, version: string, body: string): Promise<void> {
    stats.soapLogins++;
    const username = xmlUnescape(/<(?:\w+:)?username>([^<]*)<\/(?:\w+:)?username>/.exec(body)?.[1] ?? '');
    const password = xmlUnescape(/<(?:\w+:)?password>([^<]*)<\/(?:\w+:)?password>/.exec(body)?.[1] ?? '');
    const forced = faultFor(username);
    const style = forced?.style ?? users.get(username.toLowerCase())?.faultcodeStyle ?? 'plain';
    const fail = (code: string, message: string) => {
      stats.failedLogins++;
      sendXml(res, 500, soapFault(code, message, style));
    };
    if (forced && TRANSPORT_FAULTS.has(forced.fault)) {
      if (await transportFault(forced.fault, req, res)) return;
    }
    const major = Number(version.split('.')[0]);
    if (!/^\d+\.\d$/.test(version) || major < 31) return fail('UNSUPPORTED_API_VERSION', FAULT_TEXT.UNSUPPORTED_API_VERSION);
    if (major >= 65) return fail('INVALID_OPERATION', v65Text(version));
    if (!/<(?:\w+:)?login[\s>]/.test(body) || !username) return fail('INVALID_LOGIN', FAULT_TEXT.INVALID_LOGIN);
    if (forced && !TRANSPORT_FAULTS.has(forced.fault)) {
      const f = forced.fault;
      if (f === 'passwordExpired') {
        const c = checkCredentials(username, password);
        if (!c.ok) return fail(c.code, FAULT_TEXT[c.code]);
        const sid = newSession(c.user, 'soap', true);
        return sendXml(res, 200, loginResult(c.user, version, sid, true));
      }
      if (f === 'SOAP_LOGIN_DISABLED') return fail('INVALID_OPERATION', SOAP_DISABLED_TEXT);
      return fail(f, FAULT_TEXT[f as SoapFaultCode]);
    }
    const c = checkCredentials(username, password);
    if (!c.ok) return fail(c.code, FAULT_TEXT[c.code]);
    const u = c.user;
    if (u.org.soapLoginDisabled) return fail('INVALID_OPERATION', SOAP_DISABLED_TEXT);
    if (u.org.requireUseAnyApiAuth && !u.useAnyApiAuth) return fail('INSUFFICIENT_ACCESS', FAULT_TEXT.INSUFFICIENT_ACCESS);
    if (u.org.apiDisabled) return fail('API_DISABLED_FOR_ORG', FAULT_TEXT.API_DISABLED_FOR_ORG);
    const sid = newSession(u, 'soap');
    sendXml(res, 200, loginResult(u, version, sid, false));
  }

  // ---- OAuth ----
  async function handleOAuthToken(req: http.IncomingMessage, res: http.ServerResponse, body: string): Promise<void> {
    stats.oauthLogins++;
    const p = new URLSearchParams(body);
    const username = p.get('username') ?? '';
    const forced = faultFor(username);
    if (forced && TRANSPORT_FAULTS.has(forced.fault)) {
      if (await transportFault(forced.fault, req, res)) return;
    }
    const err = (status: number, error: string, description: string) => {
      stats.failedLogins++;
      sendJson(res, status, { error, error_description: description });
    };
    if (p.get('grant_type') !== 'password') return err(400, 'unsupported_grant_type', 'grant type not supported');
    const clientId = p.get('client_id') ?? '';
    const org = orgs.find((o) => o.clients.some((c) => c.clientId === clientId));
    if (!org) return err(400, 'invalid_client_id', 'client identifier invalid');
    if (!org.clients.some((c) => c.clientId === clientId && c.clientSecret === p.get('client_secret'))) return err(400, 'invalid_client', 'invalid client credentials');
    if (forced && !TRANSPORT_FAULTS.has(forced.fault)) {
      const f = forced.fault;
      if (f === 'REQUEST_LIMIT_EXCEEDED') return err(400, 'rate_limit_exceeded', 'Request limit exceeded');
      if (f === 'ORG_LOCKED' || f === 'TRIAL_EXPIRED') return err(400, 'inactive_org', 'organization is inactive');
      if (f === 'SERVER_UNAVAILABLE' || f === 'ORG_IN_MAINTENANCE') return send(res, 503, 'text/html', '<html><body><h1>Service Unavailable</h1></body></html>');
      return err(400, 'invalid_grant', 'authentication failure');
    }
    const c = checkCredentials(username, p.get('password') ?? '');
    if (!c.ok || c.user.org !== org || org.oauthUsernamePasswordBlocked) return err(400, 'invalid_grant', 'authentication failure');
    const u = c.user;
    const sid = newSession(u, 'oauth');
    const issuedAt = String(Date.now());
    const id = `${base}/id/${u.org.id}/${u.userId}`;
    const signature = createHmac('sha256', org.clients[0]!.clientSecret).update(id + issuedAt).digest('base64');
    sendJson(res, 200, { access_token: sid, instance_url: base, id, token_type: 'Bearer', issued_at: issuedAt, signature });
  }

  function sessionOf(req: http.IncomingMessage, url: URL): Session | undefined {
    const auth = req.headers['authorization'];
    let sid = typeof auth === 'string' ? /^(?:Bearer|OAuth)\s+(.+)$/i.exec(auth)?.[1] : undefined;
    sid ??= url.searchParams.get('oauth_token') ?? undefined;
    return sid ? sessions.get(sid.trim()) : undefined;
  }

  function identity(u: User): Record<string, unknown> {
    const v = '{version}';
    return {
      id: `${base}/id/${u.org.id}/${u.userId}`,
      asserted_user: true,
      user_id: u.userId,
      organization_id: u.org.id,
      username: u.username,
      nick_name: u.username.split('@')[0],
      display_name: `${u.firstName} ${u.lastName}`,
      email: u.email,
      email_verified: true,
      first_name: u.firstName,
      last_name: u.lastName,
      timezone: u.language === 'ja' ? 'Asia/Tokyo' : 'America/Los_Angeles',
      photos: { picture: `${base}/profilephoto/005/F`, thumbnail: `${base}/profilephoto/005/T` },
      addr_street: null,
      addr_city: null,
      addr_state: null,
      addr_country: null,
      addr_zip: null,
      mobile_phone: null,
      mobile_phone_verified: false,
      is_lightning_login_user: false,
      status: { created_date: null, body: null },
      urls: {
        enterprise: `${base}/services/Soap/c/${v}/${u.org.id}`,
        metadata: `${base}/services/Soap/m/${v}/${u.org.id}`,
        partner: `${base}/services/Soap/u/${v}/${u.org.id}`,
        rest: `${base}/services/data/v${v}/`,
        sobjects: `${base}/services/data/v${v}/sobjects/`,
        search: `${base}/services/data/v${v}/search/`,
        query: `${base}/services/data/v${v}/query/`,
        recent: `${base}/services/data/v${v}/recent/`,
        profile: `${base}/${u.userId}`,
        custom_domain: base,
      },
      active: true,
      user_type: 'STANDARD',
      language: u.language === 'ja' ? 'ja' : 'en_US',
      locale: u.language === 'ja' ? 'ja_JP' : 'en_US',
      utcOffset: u.language === 'ja' ? 32400000 : -28800000,
      last_modified_date: '2024-05-02T11:41:52Z',
      is_app_installed: true,
    };
  }

  function handleRestData(req: http.IncomingMessage, res: http.ServerResponse, url: URL, s: Session): void {
    const m = /^\/services\/data\/v(\d+\.\d)(\/.*)?$/.exec(url.pathname);
    if (!m) return sendJson(res, 404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
    const version = m[1]!;
    const rest = (m[2] ?? '/').replace(/\/+$/, '') || '/';
    const org = s.user.org;
    if (s.passwordExpired) return sendJson(res, 500, [{ errorCode: 'INVALID_OPERATION_WITH_EXPIRED_PASSWORD', message: FAULT_TEXT.INVALID_OPERATION_WITH_EXPIRED_PASSWORD }]);
    if (org.apiDisabled) return sendJson(res, 403, [{ errorCode: 'API_DISABLED_FOR_ORG', message: FAULT_TEXT.API_DISABLED_FOR_ORG }]);
    if (org.dailyUsed >= org.dailyMax) return sendJson(res, 403, [{ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: FAULT_TEXT.REQUEST_LIMIT_EXCEEDED }]);
    org.dailyUsed++;
    stats.apiCalls++;
    const p = `/services/data/v${version}`;
    if (rest === '/') {
      return sendJson(res, 200, {
        tooling: `${p}/tooling`,
        metadata: `${p}/metadata`,
        eclair: `${p}/eclair`,
        folders: `${p}/folders`,
        prechatForms: `${p}/prechatForms`,
        jsonxform: `${p}/jsonxform`,
        chatter: `${p}/chatter`,
        tabs: `${p}/tabs`,
        appMenu: `${p}/appMenu`,
        quickActions: `${p}/quickActions`,
        queryAll: `${p}/queryAll`,
        commerce: `${p}/commerce`,
        wave: `${p}/wave`,
        analytics: `${p}/analytics`,
        search: `${p}/search`,
        identity: `${base}/id/${org.id}/${s.user.userId}`,
        composite: `${p}/composite`,
        parameterizedSearch: `${p}/parameterizedSearch`,
        theme: `${p}/theme`,
        nouns: `${p}/nouns`,
        recent: `${p}/recent`,
        licensing: `${p}/licensing`,
        limits: `${p}/limits`,
        async: `${p}/async`,
        query: `${p}/query`,
        sobjects: `${p}/sobjects`,
      });
    }
    if (rest === '/limits') {
      const remaining = Math.max(0, org.dailyMax - org.dailyUsed);
      return sendJson(res, 200, {
        ConcurrentAsyncGetReportInstances: { Max: 200, Remaining: 200 },
        ConcurrentSyncReportRuns: { Max: 20, Remaining: 20 },
        DailyApiRequests: { Max: org.dailyMax, Remaining: remaining },
        DailyAsyncApexExecutions: { Max: 250000, Remaining: 250000 },
        DailyBulkApiBatches: { Max: 15000, Remaining: 15000 },
        DataStorageMB: { Max: 5, Remaining: 5 },
        FileStorageMB: { Max: 20, Remaining: 20 },
        SingleEmail: { Max: 15, Remaining: 15 },
      });
    }
    if (rest === '/query') {
      const q = url.searchParams.get('q') ?? '';
      const from = /\bfrom\s+(\w+)/i.exec(q)?.[1]?.toLowerCase();
      if (from === 'organization') {
        return sendJson(res, 200, {
          totalSize: 1,
          done: true,
          records: [{ attributes: { type: 'Organization', url: `${p}/sobjects/Organization/${org.id}` }, Id: org.id, Name: org.name, IsSandbox: org.sandbox }],
        });
      }
      if (from === 'user') {
        const u = s.user;
        return sendJson(res, 200, {
          totalSize: 1,
          done: true,
          records: [{ attributes: { type: 'User', url: `${p}/sobjects/User/${u.userId}` }, Id: u.userId, Username: u.username, Name: `${u.firstName} ${u.lastName}`, Email: u.email }],
        });
      }
      return sendJson(res, 400, [{ message: `sObject type '${from ?? ''}' is not supported by the emulator.`, errorCode: 'INVALID_TYPE' }]);
    }
    return sendJson(res, 404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
  }

  // ---- the reset page ----
  function page(title: string, bodyHtml: string, lang = 'en', status = 200, res?: http.ServerResponse): string {
    const html = `<!DOCTYPE html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${htmlEsc(title)} ~ Salesforce - Developer Edition</title>
<style>
  body { margin: 0; font-family: -apple-system, "Segoe UI", Arial, sans-serif; background: #f3f2f2; color: #181818; }
  header { background: #032d60; color: #fff; padding: 10px 20px; font-weight: 600; }
  header small { font-weight: 400; opacity: .8; margin-left: 8px; }
  main { max-width: 760px; margin: 24px auto; background: #fff; border: 1px solid #dddbda; border-radius: 4px; padding: 24px; }
  h1 { font-size: 20px; margin-top: 0; }
  .btn { background: #0176d3; color: #fff; border: 1px solid #0176d3; border-radius: 4px; padding: 8px 16px; font-size: 14px; cursor: pointer; }
  .btn:hover { background: #014486; }
  .note { color: #3e3e3c; font-size: 13px; }
  .ok { border-left: 4px solid #2e844a; padding-left: 12px; }
  .err { border-left: 4px solid #ba0517; padding-left: 12px; }
  select, input[type=text] { font-size: 14px; padding: 6px; }
</style>
</head>
<body>
<header>Salesforce <small>Emulator (loopback, for tests and demos)</small></header>
<main>
${bodyHtml}
</main>
</body>
</html>
`;
    if (res) send(res, status, 'text/html; charset=utf-8', html);
    return html;
  }

  function chooseUserPage(res: http.ServerResponse, path: string): void {
    const options = [...users.values()].map((u) => `<option value="${htmlEsc(u.username)}">${htmlEsc(u.username)} (${htmlEsc(u.org.name)})</option>`).join('');
    page(
      'Log In',
      `<h1>Log in to Salesforce</h1>
<p class="note">This emulator has no real sessions: choose the user you are.</p>
<form method="get" action="${htmlEsc(path)}">
  <label for="user">Username</label>
  <select id="user" name="user">${options}</select>
  <button class="btn" type="submit">Log In</button>
</form>`,
      'en',
      200,
      res,
    );
  }

  function resetPage(res: http.ServerResponse, path: string, u: User): void {
    const nonce = randomBytes(16).toString('hex');
    nonces.set(nonce, { username: u.username, expires: Date.now() + 30 * 60_000 });
    const ja = u.language === 'ja';
    const title = ja ? '私のセキュリティトークンのリセット' : 'Reset My Security Token';
    const button = ja ? 'セキュリティトークンのリセット' : 'Reset Security Token';
    const text = ja
      ? 'セキュリティトークンをリセットすると、古いトークンは使用できなくなります。新しいセキュリティトークンは、個人設定のメールアドレスに送信されます。'
      : "When you reset your security token, your old token can no longer be used in API applications and desktop clients. We'll email the new security token to the address in your personal settings.";
    page(
      title,
      `<h1>${htmlEsc(title)}</h1>
<p>${htmlEsc(text)}</p>
<p class="note">${ja ? 'ユーザ名' : 'Username'}: <b id="username">${htmlEsc(u.username)}</b> · ${ja ? 'メール' : 'Email'}: ${htmlEsc(u.email)}</p>
<form method="post" action="${htmlEsc(path)}">
  <input type="hidden" name="nonce" value="${nonce}">
  <input type="hidden" name="user" value="${htmlEsc(u.username)}">
  <button class="btn" type="submit" id="resetToken" name="reset" value="1" title="Reset Security Token">${htmlEsc(button)}</button>
</form>`,
      ja ? 'ja' : 'en',
      200,
      res,
    );
  }

  async function handleResetPost(res: http.ServerResponse, path: string, body: string): Promise<void> {
    const form = new URLSearchParams(body);
    const nonce = form.get('nonce') ?? '';
    const entry = nonces.get(nonce);
    if (!entry || entry.expires < Date.now() || entry.username.toLowerCase() !== (form.get('user') ?? '').toLowerCase()) {
      page(
        'Page Expired',
        `<div class="err"><h1>This page has expired</h1><p>The form was already used or is too old. <a href="${htmlEsc(path)}">Reload the page</a> and click the button again.</p></div>`,
        'en',
        403,
        res,
      );
      return;
    }
    nonces.delete(nonce);
    const u = getUser(entry.username);
    const ja = u.language === 'ja';
    try {
      if (u.sendVerificationCode) await sendVerificationCode(u.username);
      await resetToken(u.username);
    } catch (e) {
      page(
        'Error',
        `<div class="err"><h1>The email could not be sent</h1><p>Your security token was reset, but the email with the new token could not be delivered: ${htmlEsc(e instanceof Error ? e.message : String(e))}</p></div>`,
        'en',
        500,
        res,
      );
      return;
    }
    page(
      ja ? 'メールを確認してください' : 'Check your email',
      `<div class="ok"><h1>${ja ? 'メールを確認してください' : 'Check your email'}</h1>
<p>${
        ja
          ? `新しいセキュリティトークンを ${htmlEsc(u.email)} に送信しました。`
          : `We've sent your new security token to ${htmlEsc(u.email)}. Your previous token no longer works.`
      }</p></div>`,
      ja ? 'ja' : 'en',
      200,
      res,
    );
  }

  function confirmPage(res: http.ServerResponse): void {
    stats.confirmHits++;
    log('emulator: ResetApiTokenConfirm was requested (refused, counted)');
    page(
      'Forbidden',
      `<div class="err"><h1>ResetApiTokenConfirm must never be opened</h1>
<p>On real Salesforce a plain GET of <code>/_ui/system/security/ResetApiTokenConfirm</code> resets the security token at once, without asking. Token Relay must never open it; it opens <code>${LIGHTNING_RESET_PATH}</code> (or the Classic <code>${CLASSIC_RESET_PATH}</code>) instead.</p>
<p class="note">The emulator did not reset anything. This request was counted (stats.confirmHits) so tests can prove nobody opens this page.</p></div>`,
      'en',
      403,
      res,
    );
  }

  function homePage(res: http.ServerResponse): void {
    const rows = [...users.values()]
      .map((u) => `<li><a href="${LIGHTNING_RESET_PATH}?user=${encodeURIComponent(u.username)}">${htmlEsc(u.username)}</a> (${htmlEsc(u.org.name)})</li>`)
      .join('');
    page('Home', `<h1>Salesforce Emulator</h1><p>Reset page for:</p><ul>${rows}</ul><p class="note">SOAP login: <code>${htmlEsc(base)}/services/Soap/u/64.0</code></p>`, 'en', 200, res);
  }

  // ---- dispatch ----
  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<unknown> {
    stats.requests++;
    const url = new URL(req.url ?? '/', base);
    const method = (req.method ?? 'GET').toUpperCase();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > 1_000_000) {
        send(res, 413, 'text/plain', 'Request too large');
        return;
      }
      chunks.push(c as Buffer);
    }
    const body = Buffer.concat(chunks).toString('utf8');
    const path = url.pathname;

    // Never reset from the Confirm page (nor the Lightning wrapper pointing at it).
    if (/resetapitokenconfirm/i.test(path) || /resetapitokenconfirm/i.test(decodeURIComponent(url.search))) return confirmPage(res);

    const soap = /^\/services\/Soap\/[uc]\/([^/]+)\/?$/.exec(path);
    if (soap) {
      if (method !== 'POST') return send(res, 405, 'text/plain', 'Method Not Allowed');
      return handleSoapLogin(req, res, soap[1]!, body);
    }
    if (path === '/services/oauth2/token') {
      if (method !== 'POST') return send(res, 405, 'text/plain', 'Method Not Allowed');
      return handleOAuthToken(req, res, body);
    }

    // API endpoints: global transport faults apply; then a session is needed.
    const isApi = path.startsWith('/services/') || path.startsWith('/id/');
    if (isApi) {
      const g = faults.get('*');
      if (g && TRANSPORT_FAULTS.has(g.fault) && (await transportFault(g.fault, req, res))) return;
    }
    if (path === '/services/data' || path === '/services/data/') {
      return sendJson(
        res,
        200,
        API_VERSIONS.map((v) => ({ label: RELEASES[v], url: `/services/data/v${v}`, version: v })),
      );
    }
    const idm = /^\/id\/([a-zA-Z0-9]{15,18})\/([a-zA-Z0-9]{15,18})\/?$/.exec(path);
    if (idm) {
      const s = sessionOf(req, url);
      if (!s) return invalidSession(res);
      if (s.user.org.id !== idm[1] || s.user.userId !== idm[2]) return send(res, 403, 'text/plain', 'Bad_Id');
      return sendJson(res, 200, identity(s.user));
    }
    if (path === '/services/oauth2/userinfo') {
      const s = sessionOf(req, url);
      if (!s) return send(res, 403, 'text/plain', 'Bad_OAuth_Token');
      const id = identity(s.user);
      return sendJson(res, 200, {
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
        profile: `${base}/${s.user.userId}`,
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
    if (path.startsWith('/services/data/v')) {
      const s = sessionOf(req, url);
      if (!s) return invalidSession(res);
      return handleRestData(req, res, url, s);
    }
    if (isApi) return sendJson(res, 404, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);

    // Web pages.
    if (path === LIGHTNING_RESET_PATH || path === CLASSIC_RESET_PATH) {
      if (method === 'POST') return handleResetPost(res, path, body);
      if (method !== 'GET' && method !== 'HEAD') return send(res, 405, 'text/plain', 'Method Not Allowed');
      stats.resetPageViews++;
      const who = url.searchParams.get('user');
      if (!who) {
        if (users.size === 1) return resetPage(res, path, [...users.values()][0]!);
        return chooseUserPage(res, path);
      }
      const u = users.get(who.toLowerCase());
      if (!u) return page('Unknown user', `<div class="err"><h1>Unknown user</h1><p>No user ${htmlEsc(who)} in this emulator.</p></div>`, 'en', 404, res);
      return resetPage(res, path, u);
    }
    if (path === '/' && method === 'GET') {
      const start = url.searchParams.get('startURL');
      if (start) {
        if (!start.startsWith('/') || start.startsWith('//')) return page('Bad Request', '<div class="err"><h1>startURL must be a path on this host</h1></div>', 'en', 400, res);
        return send(res, 302, 'text/html', `<html><body>Redirecting to <a href="${htmlEsc(start)}">${htmlEsc(start)}</a></body></html>`, { Location: start });
      }
      return homePage(res);
    }
    if (path === '/favicon.ico') return send(res, 404, 'text/plain', '');
    return page('Not Found', `<div class="err"><h1>Not found</h1><p>${htmlEsc(path)} does not exist in the emulator.</p></div>`, 'en', 404, res);
  }

  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res).catch((e) => {
      log(`emulator: handler error: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent && !res.destroyed) send(res, 500, 'text/plain', 'emulator error');
    });
  };
  const server: http.Server = cfg.tls ? https.createServer({ key: cfg.tls.key, cert: cfg.tls.cert }, listener) : http.createServer(listener);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port ?? 0, cfg.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const hostForUrl = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  base = `${cfg.tls ? 'https' : 'http'}://${hostForUrl}:${addr.port}`;

  let closed = false;
  const emulator: Emulator = {
    url: base,
    port: addr.port,
    stats,
    outbox,
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    addUser,
    addOrg: (o) => {
      const org = addOrg(o);
      return { id: org.id, name: org.name };
    },
    setOrg(idOrName, patch) {
      const org = findOrg(idOrName);
      if (patch.name !== undefined) org.name = patch.name;
      if (patch.sandbox !== undefined) org.sandbox = patch.sandbox;
      if (patch.soapLoginDisabled !== undefined) org.soapLoginDisabled = patch.soapLoginDisabled;
      if (patch.oauthUsernamePasswordBlocked !== undefined) org.oauthUsernamePasswordBlocked = patch.oauthUsernamePasswordBlocked;
      if (patch.requireUseAnyApiAuth !== undefined) org.requireUseAnyApiAuth = patch.requireUseAnyApiAuth;
      if (patch.apiDisabled !== undefined) org.apiDisabled = patch.apiDisabled;
      if (patch.dailyApiRequests !== undefined) org.dailyMax = patch.dailyApiRequests;
      if (patch.clients !== undefined) org.clients = [...patch.clients];
      if (patch.tokenActivationDelayMs !== undefined) org.tokenActivationDelayMs = patch.tokenActivationDelayMs;
    },
    setFault(username, fault, opts = {}) {
      if (username === '*') {
        if (fault) faults.set('*', { fault, style: opts.faultcodeStyle ?? 'plain' });
        else faults.delete('*');
        return;
      }
      const u = getUser(username);
      u.fault = fault;
      if (opts.faultcodeStyle) u.faultcodeStyle = opts.faultcodeStyle;
    },
    currentToken: (username) => getUser(username).token,
    resetToken,
    sendVerificationCode,
    setTokenActivationDelay(ms) {
      activationDelay = ms;
    },
    user(username) {
      const u = users.get(username.toLowerCase());
      return u ? info(u) : undefined;
    },
    users: () => [...users.values()].map(info),
    resetPageUrl(username, opts = {}) {
      const path = opts.classic ? CLASSIC_RESET_PATH : LIGHTNING_RESET_PATH;
      return `${base}${path}${username ? `?user=${encodeURIComponent(username)}` : ''}`;
    },
    sessionCount: () => sessions.size,
  };
  return emulator;
}

/** Reads an emulator config (JSON: { orgs, users, tokenActivationDelayMs, slowMs, port }) and checks its shape. */
export function parseEmulatorConfig(json: string): EmulatorConfig {
  const raw = JSON.parse(json) as Record<string, unknown>;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('the emulator config must be a JSON object');
  const out: EmulatorConfig = {};
  if (raw.port !== undefined) out.port = Number(raw.port);
  if (raw.host !== undefined) out.host = String(raw.host);
  if (raw.tokenActivationDelayMs !== undefined) out.tokenActivationDelayMs = Number(raw.tokenActivationDelayMs);
  if (raw.slowMs !== undefined) out.slowMs = Number(raw.slowMs);
  if (raw.orgs !== undefined) {
    if (!Array.isArray(raw.orgs)) throw new Error('"orgs" must be an array');
    out.orgs = raw.orgs as EmulatorOrgInit[];
  }
  if (raw.users !== undefined) {
    if (!Array.isArray(raw.users)) throw new Error('"users" must be an array');
    for (const [i, u] of (raw.users as Array<Record<string, unknown>>).entries()) {
      if (!u || typeof u.username !== 'string' || typeof u.password !== 'string') throw new Error(`users[${i}] needs "username" and "password" strings`);
    }
    out.users = raw.users as unknown as EmulatorUserInit[];
  }
  return out;
}
