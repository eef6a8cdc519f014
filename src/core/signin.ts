/**
 * Sign-in methods (CONTRACTS.md "Sign-in methods"): the facts of each way an org signs in, in one table.
 *
 * `SIGN_IN_INFO[method]` says what a method is and owns: its `SF_AUTH` value, label, health `flow`, the .env keys it
 * writes (and removes when the org moves to another method), the secrets it keeps (registered with the redactor), whether
 * it can refresh, its retirement date, and its preconditions (what must be set before a login is worth trying).
 * Pure: no I/O, no jsforce. The implementations (test a login, refresh) live in src/salesforce/signin/, one module per
 * method, and are listed in `SIGN_IN_METHODS` there. A new method = its entry here + its module + one entry there.
 *
 * Which method a profile uses: its `auth` (`SF_AUTH`) when set, else today's rule: `password-oauth` when a client id
 * and a client secret are both present, else `password` (SOAP login()).
 */

/** The `SF_AUTH` values (CONTRACTS). */
export type AuthMethod = 'password' | 'password-oauth' | 'oauth' | 'sf-cli';
export const AUTH_METHODS: readonly AuthMethod[] = ['password', 'password-oauth', 'oauth', 'sf-cli'];

/** The kinds of secret an org can have (the keys of OrgSecrets in ./profile.ts). */
export type SecretKind = 'password' | 'token' | 'clientSecret' | 'mfaCode' | 'refreshToken' | 'accessToken';

/**
 * The env-file variable of each secret kind (mfaCode is asked for each time and never stored). SF_REFRESH_TOKEN is
 * written only on an explicit opt-in (CLI `--save-refresh-token`); SF_ACCESS_TOKEN is what a local app reads.
 */
export const SECRET_ENV_KEYS: Readonly<Record<SecretKind, string | undefined>> = {
  password: 'SF_PASSWORD',
  token: 'SF_SECURITY_TOKEN',
  clientSecret: 'SF_CLIENT_SECRET',
  mfaCode: undefined,
  refreshToken: 'SF_REFRESH_TOKEN',
  accessToken: 'SF_ACCESS_TOKEN',
};

export interface SignInInfo {
  id: AuthMethod;
  label: string;
  /** HealthResult.flow of its results: SOAP login() or an OAuth token. */
  flow: 'soap' | 'oauth';
  /** The .env keys this method owns: it writes them, and they go when the org switches to another method. */
  envKeys: readonly string[];
  /** The secrets it uses (registered with the redactor; kept in SecretStorage / the env file). */
  secretKeys: readonly SecretKind[];
  /** Can get a fresh access token without the user (refresh token, sf CLI). */
  canRefresh: boolean;
  /**
   * Salesforce is switching it off: the date (ISO, or a release name) and one sentence for the user. The day
   * arithmetic (ISO dates, days left, the notice of a given day) is src/core/retirement.ts.
   */
  retirement?: { date: string; notice: string };
}

const PASSWORD_KEYS = [
  'SF_AUTH',
  'SF_USERNAME',
  'SF_PASSWORD',
  'SF_SECURITY_TOKEN',
  'SF_LOGIN_URL',
  'SF_API_VERSION',
] as const;

export const SIGN_IN_INFO: Readonly<Record<AuthMethod, SignInInfo>> = {
  password: {
    id: 'password',
    label: 'Password and security token (SOAP login)',
    flow: 'soap',
    envKeys: PASSWORD_KEYS,
    secretKeys: ['password', 'token', 'mfaCode'],
    canRefresh: false,
    retirement: {
      date: "Summer '27",
      notice:
        "Salesforce switches SOAP API login() off in the Summer '27 release: Switch to OAuth or use the sf CLI login before then.",
    },
  },
  'password-oauth': {
    id: 'password-oauth',
    label: 'Password through a connected app (OAuth username-password flow)',
    flow: 'oauth',
    envKeys: [...PASSWORD_KEYS, 'SF_CLIENT_ID', 'SF_CLIENT_SECRET'],
    secretKeys: ['password', 'token', 'clientSecret', 'mfaCode'],
    canRefresh: false,
    retirement: {
      date: '2027-02-20',
      notice:
        'Salesforce switches the OAuth username-password flow off on 2027-02-20: Switch to OAuth or use the sf CLI login before then.',
    },
  },
  oauth: {
    id: 'oauth',
    label: 'OAuth (web-server flow with PKCE)',
    flow: 'oauth',
    envKeys: ['SF_AUTH', 'SF_INSTANCE_URL', 'SF_ACCESS_TOKEN', 'SF_USERNAME', 'SF_LOGIN_URL', 'SF_CLIENT_ID'],
    // The client secret only for a confidential app; the refresh token lives in SecretStorage / the CLI credential
    // store (the env file only on opt-in, SF_REFRESH_TOKEN); the access token is the one .env carries.
    secretKeys: ['clientSecret', 'refreshToken', 'accessToken'],
    canRefresh: true,
  },
  'sf-cli': {
    id: 'sf-cli',
    label: 'Salesforce CLI login',
    flow: 'oauth',
    envKeys: ['SF_AUTH', 'SF_INSTANCE_URL', 'SF_ACCESS_TOKEN', 'SF_USERNAME', 'SF_TARGET_ORG'],
    secretKeys: [],
    canRefresh: true,
  },
};

/** `SF_AUTH` text → method; undefined for an unknown value (absent/empty is the caller's default). */
export function parseAuthMethod(v: string | undefined): AuthMethod | undefined {
  const t = v?.trim().toLowerCase();
  return (AUTH_METHODS as readonly string[]).includes(t ?? '') ? (t as AuthMethod) : undefined;
}

/** The method a profile signs in with: its `auth`, else `password-oauth` with a client id + secret, else `password`. */
export function authMethodOf(
  profile: { auth?: AuthMethod; clientId?: string },
  secrets: { clientSecret?: string },
): AuthMethod {
  if (profile.auth) return profile.auth;
  return profile.clientId && secrets.clientSecret ? 'password-oauth' : 'password';
}

/** Every secret kind some method keeps (what a profile's secrets can hold). */
export const ALL_SECRET_KINDS: readonly SecretKind[] = [
  ...new Set(AUTH_METHODS.flatMap((m) => SIGN_IN_INFO[m].secretKeys)),
];

/** The env-file variables that hold secrets, over all methods (registered with the redactor when a file is read). */
export const SECRET_ENV_VARS: readonly string[] = ALL_SECRET_KINDS.map((k) => SECRET_ENV_KEYS[k]).filter(
  (k): k is string => !!k,
);
