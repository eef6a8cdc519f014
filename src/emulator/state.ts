/**
 * The emulator's shared state: orgs, users, sessions, reset-page nonces, forced faults, stats and the outbox,
 * with the operations every protocol file needs (find a user, check a password, open a session).
 * One object per running emulator; the route files receive it in their RequestContext.
 */
import { randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { randomToken, type MailLanguage } from './mailTemplates';
import { verifyTotp } from '../core/mfa';
import type {
  EmulatorConfig,
  EmulatorFault,
  EmulatorOrgInit,
  EmulatorStats,
  EmulatorUserInfo,
  EmulatorUserInit,
  FaultcodeStyle,
  OutboxMail,
  SoapFaultCode,
} from './types';

export const DEMO_ORG: EmulatorOrgInit = {
  id: '00D5g000004XyZ1EAK',
  name: 'Acme Corp (Emulated)',
  clients: [{ clientId: 'demo-client-id', clientSecret: 'demo-client-secret' }],
};
export const DEMO_USERS: EmulatorUserInit[] = [
  {
    username: 'jane.doe@acme.example',
    password: 'Demo-Passw0rd!',
    email: 'jane.doe@acme.example',
    firstName: 'Jane',
    lastName: 'Doe',
    language: 'en',
  },
  {
    username: 'taro.yamada@acme.example',
    password: 'Demo-Passw0rd!',
    email: 'taro.yamada@acme.example',
    firstName: '太郎',
    lastName: '山田',
    language: 'ja',
  },
];

// ---- ids ----
export const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export function rand(n: number, alphabet = ALNUM): string {
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

export interface Org {
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
  accessTokenLifetimeMs?: number;
}

export interface User {
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
  mfaSecret?: string;
  /** Wrong authenticator codes in a row (mfaSecret users), and the end of the lockout they caused. */
  mfaFailures: number;
  mfaLockedUntil: number;
  trustedNetwork: boolean;
  useAnyApiAuth: boolean;
  sendVerificationCode: boolean;
}

export interface Session {
  user: User;
  passwordExpired: boolean;
  kind: 'soap' | 'oauth';
  /** Epoch ms after which the session (access token) is refused (absent: never). */
  expiresAt?: number;
  /** Web-server flow: the app and the refresh token the access token was issued with (revoking that kills it). */
  clientId?: string;
  refreshToken?: string;
}

/** Salesforce KB 000229860: five wrong authenticator codes lock the user out for an hour. */
const MFA_LOCKOUT_FAILURES = 5;
const MFA_LOCKOUT_MS = 60 * 60 * 1000;

export type CredentialCheck = { ok: true; user: User } | { ok: false; code: SoapFaultCode; user?: User };

export class EmulatorState {
  readonly orgs: Org[] = [];
  /** By lower-cased username. */
  readonly users = new Map<string, User>();
  readonly sessions = new Map<string, Session>();
  /** One-time reset-page form nonces. */
  readonly nonces = new Map<string, { username: string; expires: number }>();
  /** The global ('*') fault; per-user faults live on the User. */
  readonly faults = new Map<string, { fault: EmulatorFault; style: FaultcodeStyle }>();
  readonly sockets = new Set<Socket>();
  readonly timers = new Set<NodeJS.Timeout>();
  readonly stats: EmulatorStats = {
    requests: 0,
    soapLogins: 0,
    oauthLogins: 0,
    failedLogins: 0,
    resets: 0,
    mailsSent: 0,
    confirmHits: 0,
    resetPageViews: 0,
    apiCalls: 0,
  };
  readonly outbox: OutboxMail[] = [];
  readonly log: (line: string) => void;
  readonly slowMs: number;
  activationDelay: number;
  /** `http(s)://host:port`, set once the server listens. */
  base = '';

  constructor(readonly cfg: EmulatorConfig) {
    this.log = cfg.log ?? (() => {});
    this.slowMs = cfg.slowMs ?? 120_000;
    this.activationDelay = cfg.tokenActivationDelayMs ?? 0;
    for (const o of cfg.orgs ?? []) this.addOrg(o);
    if (!this.orgs.length) this.addOrg({ ...DEMO_ORG, name: cfg.orgName ?? DEMO_ORG.name });
    for (const u of cfg.users ?? []) this.addUser(u);
  }

  addOrg(o: EmulatorOrgInit): Org {
    const org: Org = {
      id: makeId('00D', o.id),
      name: o.name ?? `Emulated Org ${this.orgs.length + 1}`,
      sandbox: !!o.sandbox,
      soapLoginDisabled: !!o.soapLoginDisabled,
      oauthUsernamePasswordBlocked: !!o.oauthUsernamePasswordBlocked,
      requireUseAnyApiAuth: !!o.requireUseAnyApiAuth,
      apiDisabled: !!o.apiDisabled,
      dailyMax: o.dailyApiRequests ?? 15000,
      dailyUsed: 0,
      clients: [...(o.clients ?? [])],
      tokenActivationDelayMs: o.tokenActivationDelayMs,
      accessTokenLifetimeMs: o.accessTokenLifetimeMs,
    };
    this.orgs.push(org);
    return org;
  }

  findOrg(idOrName?: string): Org {
    if (!idOrName) return this.orgs[0] ?? this.addOrg({ ...DEMO_ORG, name: this.cfg.orgName ?? DEMO_ORG.name });
    const org = this.orgs.find((o) => o.id === idOrName || o.id.slice(0, 15) === idOrName || o.name === idOrName);
    if (!org) throw new Error(`emulator: no org "${idOrName}"`);
    return org;
  }

  info(u: User): EmulatorUserInfo {
    return {
      username: u.username,
      password: u.password,
      token: u.token,
      email: u.email,
      orgId: u.org.id,
      orgName: u.org.name,
      userId: u.userId,
      language: u.language,
      fault: u.fault,
    };
  }

  addUser(init: EmulatorUserInit): EmulatorUserInfo {
    if (!init.username || init.password === undefined) throw new Error('emulator: a user needs username and password');
    const org = this.findOrg(init.org);
    const u: User = {
      username: init.username,
      password: init.password,
      token: init.token ?? randomToken(),
      tokenActiveAt: 0,
      email: init.email ?? init.username,
      firstName:
        init.firstName ??
        (init.fullName
          ? init.fullName.trim().split(/\s+/)[0]!
          : init.username
              .split('@')[0]!
              .split('.')[0]!
              .replace(/^./, (c) => c.toUpperCase())),
      lastName:
        init.lastName ??
        (init.fullName && /\s/.test(init.fullName.trim())
          ? init.fullName.trim().split(/\s+/).slice(1).join(' ')
          : 'User'),
      language: init.language ?? 'en',
      org,
      userId: makeId('005', init.userId),
      fault: init.fault ?? null,
      faultcodeStyle: init.faultcodeStyle ?? 'plain',
      mfaCode: init.mfaCode,
      mfaSecret: init.mfaSecret,
      mfaFailures: 0,
      mfaLockedUntil: 0,
      trustedNetwork: !!init.trustedNetwork,
      useAnyApiAuth: init.useAnyApiAuth ?? true,
      sendVerificationCode: !!init.sendVerificationCode,
    };
    this.users.set(u.username.toLowerCase(), u);
    return this.info(u);
  }

  getUser(username: string): User {
    const u = this.users.get(username.toLowerCase());
    if (!u) throw new Error(`emulator: no user "${username}"`);
    return u;
  }

  /** The forced fault for a request: the global ('*') one first, else the user's. */
  faultFor(username: string | undefined): { fault: EmulatorFault; style: FaultcodeStyle } | undefined {
    const global = this.faults.get('*');
    if (global) return global;
    if (!username) return undefined;
    const u = this.users.get(username.toLowerCase());
    if (u?.fault) return { fault: u.fault, style: u.faultcodeStyle };
    return undefined;
  }

  /** Password (+ token / MFA code) check, exactly as strict as Salesforce: a superseded token is INVALID_LOGIN. */
  checkCredentials(username: string, password: string): CredentialCheck {
    const u = this.users.get(username.toLowerCase());
    if (!u) return { ok: false, code: 'INVALID_LOGIN' };
    if (u.mfaCode !== undefined)
      return password === u.password + u.mfaCode
        ? { ok: true, user: u }
        : { ok: false, code: 'INVALID_LOGIN', user: u };
    if (u.mfaSecret !== undefined) {
      if (Date.now() < u.mfaLockedUntil) return { ok: false, code: 'PASSWORD_LOCKOUT', user: u };
      const suffix = password.startsWith(u.password) ? password.slice(u.password.length) : undefined;
      if (suffix !== undefined && /^\d{6}$/.test(suffix)) {
        if (verifyTotp(u.mfaSecret, suffix)) {
          u.mfaFailures = 0;
          return { ok: true, user: u };
        }
        if (++u.mfaFailures >= MFA_LOCKOUT_FAILURES) {
          u.mfaFailures = 0;
          u.mfaLockedUntil = Date.now() + MFA_LOCKOUT_MS;
        }
        return { ok: false, code: 'INVALID_LOGIN', user: u };
      }
    }
    if (password === u.password + u.token && Date.now() >= u.tokenActiveAt) return { ok: true, user: u };
    if (password === u.password)
      return u.trustedNetwork ? { ok: true, user: u } : { ok: false, code: 'LOGIN_MUST_USE_SECURITY_TOKEN', user: u };
    return { ok: false, code: 'INVALID_LOGIN', user: u };
  }

  newSession(u: User, kind: 'soap' | 'oauth', passwordExpired = false): string {
    const sid = `${u.org.id.slice(0, 15)}!AR${rand(2)}AQ${rand(92, ALNUM + '._')}`;
    this.sessions.set(sid, { user: u, passwordExpired, kind });
    return sid;
  }

  /** The session of a request's `Authorization: Bearer|OAuth <sid>` header or `oauth_token=` parameter. */
  sessionOf(req: IncomingMessage, url: URL): Session | undefined {
    const auth = req.headers['authorization'];
    let sid = typeof auth === 'string' ? /^(?:Bearer|OAuth)\s+(.+)$/i.exec(auth)?.[1] : undefined;
    sid ??= url.searchParams.get('oauth_token') ?? undefined;
    const s = sid ? this.sessions.get(sid.trim()) : undefined;
    if (s?.expiresAt !== undefined && Date.now() >= s.expiresAt) {
      this.sessions.delete(sid!.trim());
      return undefined;
    }
    return s;
  }

  /** A delay that close() cuts short (its timer is cleared; the promise then never settles). */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }
}
