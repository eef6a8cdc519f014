/** The emulator's public types (re-exported by ./index.ts): configuration, users and orgs, stats, outbox. */
import type { MailLanguage } from './mailTemplates';

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
  | 'empty' // HTTP 200 with an empty body
  | HostileFault;

/** Issue 15's hostile answers (huge and endless bodies, session URLs off the org, redirects): ./hostile.ts. */
export type HostileFault =
  | 'huge-body'
  | 'deep-nesting'
  | 'userinfo-repeat'
  | 'drip'
  | 'server-url-http'
  | 'server-url-foreign'
  | 'server-url-alias'
  | 'redirect-foreign'
  | 'redirect-http'
  | 'redirect-downgrade';

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
  /** Life of an access token (a session) of this org, in ms (overrides the config's; an app's overrides this). */
  accessTokenLifetimeMs?: number;
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
  /** External Client Apps for the web-server flow (PKCE). Absent: the demo ECA (DEMO_APP); [] none. */
  apps?: EmulatorAppInit[];
  /** Life of an OAuth access token in ms (absent: no expiry; an org's or app's setting overrides it). */
  accessTokenLifetimeMs?: number;
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
  /** The External Client Apps (web-server flow with PKCE). */
  apps(): EmulatorAppInfo[];
  addApp(app: EmulatorAppInit): EmulatorAppInfo;
  setApp(clientId: string, patch: Partial<Omit<EmulatorAppInit, 'clientId'>>): void;
  /** Every OAuth access token (session) of the user (all users when absent) expires now; returns how many. */
  expireAccessTokens(username?: string): number;
  /** Revokes the user's (every) refresh token and the access tokens issued with it; returns how many refresh tokens. */
  revokeRefreshTokens(username?: string): number;
  /** Live refresh tokens of the user (all users when absent). */
  refreshTokenCount(username?: string): number;
  /** Every access and refresh token the web-server flow issued to the user (all users when absent): canaries. */
  issuedOAuthTokens(username?: string): string[];
  /** Counters of the web-server flow (authorize pages, logins, consents, grants, revocations). */
  oauthStats: EmulatorOAuthStats;
}

/** An External Client App (or a connected app) for the web-server flow. PKCE (S256) is always required. */
export interface EmulatorAppInit {
  /** The consumer key. */
  clientId: string;
  /** A confidential app: the token endpoint then needs it (client_secret). Absent: a public app. */
  clientSecret?: string;
  name?: string;
  /** Registered callback URLs; redirect_uri must equal one exactly. */
  callbackUrls: string[];
  /** Refresh token rotation: each refresh returns a new refresh token and the old one dies at once. */
  rotateRefreshTokens?: boolean;
  /** Scopes the app may grant (default: api refresh_token offline_access web openid id profile email address phone full). */
  scopes?: string[];
  /** Blocked by the admin: OAUTH_APPROVAL_ERROR_GENERIC for everybody. */
  blocked?: boolean;
  /** "Admin approved users are pre-authorized": only these usernames may use it (absent: everybody). */
  users?: string[];
  /** Only users of this org (id or name) may use it (absent: every org of the emulator). */
  org?: string;
  /** Life of the access tokens this app issues, in ms (overrides the org's and the config's). */
  accessTokenLifetimeMs?: number;
  /** Life of its refresh tokens in ms (absent: until revoked). */
  refreshTokenLifetimeMs?: number;
}

export interface EmulatorAppInfo {
  clientId: string;
  name: string;
  confidential: boolean;
  callbackUrls: string[];
  rotateRefreshTokens: boolean;
  scopes: string[];
  blocked: boolean;
}

export interface EmulatorOAuthStats {
  authorizePages: number;
  webLogins: number;
  failedWebLogins: number;
  consents: number;
  denials: number;
  codeGrants: number;
  refreshGrants: number;
  revocations: number;
  /** Token-endpoint and revoke refusals of the web-server flow (invalid_grant, invalid_request, …). */
  refusals: number;
}
