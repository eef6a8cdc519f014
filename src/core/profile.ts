/**
 * Connection profiles: what the extension stores per org and what the CLI reads from the env file /
 * environment (CONTRACTS.md: SF_USERNAME, SF_PASSWORD, SF_SECURITY_TOKEN, SF_LOGIN_URL,
 * SF_API_VERSION, SF_CLIENT_ID, SF_CLIENT_SECRET, SF_AUTH; for SF_AUTH=oauth also SF_INSTANCE_URL, SF_ACCESS_TOKEN and,
 * on opt-in, SF_REFRESH_TOKEN). Secrets live apart from the profile
 * (`OrgSecrets`) so a profile can be shown, logged and saved in settings.
 *
 * A profile is validated once, where it enters (the env file: `profileFromEnv`; settings: the extension's
 * ProfileStore; CLI flags: merged into the env variables before `profileFromEnv`): `validateProfile` gives a
 * `ValidProfile` (login URL normalized to a `LoginUrl`, API version normalized, `auth` a known method), and the
 * login and reset paths trust it. A plain OrgProfile (tests, a hand-edited setting that does not validate) is
 * validated by testLogin itself, which reports the failure as a result.
 */
import { registerSecret } from './redact';
import { PRODUCTION_LOGIN_URL, validateLoginUrl, type LoginUrl } from './resetUrl';
import {
  ALL_SECRET_KINDS,
  AUTH_METHODS,
  authMethodOf,
  parseAuthMethod,
  SIGN_IN_INFO,
  type AuthMethod,
  type SecretKind,
} from './signin';

export type { AuthMethod } from './signin';
export { authMethodOf } from './signin';
export type { LoginUrl } from './resetUrl';

export interface OrgProfile {
  id: string;
  name: string;
  loginUrl: string;
  username: string;
  /** How the org signs in (`SF_AUTH`); absent: `password-oauth` with a client id + secret, else `password`. */
  auth?: AuthMethod;
  /** API version for SOAP login; default DEFAULT_API_VERSION. SOAP login() needs ≤ 64.0. */
  apiVersion?: string;
  /** OAuth connected app client id: with a client secret, the OAuth username-password flow is used. */
  clientId?: string;
  /** "Multi-Factor Authentication for API Logins": a TOTP code replaces the token (no mail exists). */
  mfaForApi?: boolean;
  envPath?: string;
  /** `SF_INSTANCE_URL` (SF_AUTH=oauth / sf-cli): where the access token is used; a refresh tells it anew. */
  instanceUrl?: string;
  /** `SF_TARGET_ORG` (SF_AUTH=sf-cli): the sf CLI's alias or username of the org. */
  targetOrg?: string;
}

export interface OrgSecrets {
  password?: string;
  token?: string;
  clientSecret?: string;
  /** The current TOTP code when the profile has mfaForApi (appended to the password instead of the token). */
  mfaCode?: string;
  /** SF_AUTH=oauth: the refresh token (SecretStorage / the CLI credential store; SF_REFRESH_TOKEN only on opt-in). */
  refreshToken?: string;
  /** SF_AUTH=oauth / sf-cli: the current access token (SF_ACCESS_TOKEN); short-lived, registered as ephemeral. */
  accessToken?: string;
}

// OrgSecrets holds exactly the secret kinds of the sign-in table (./signin.ts).
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _secretKindsMatch: SameKeys<keyof OrgSecrets, SecretKind> = true;
void _secretKindsMatch;

declare const apiVersionBrand: unique symbol;
/** A normalized API version ("64.0"): made only by normalizeApiVersion. */
export type ApiVersion = string & { readonly [apiVersionBrand]: true };

/**
 * A profile checked where it entered: the login URL is a validated, normalized origin, the API version (when set)
 * is normalized, `auth` (when set) is a known method. Made only by validateProfile; testLogin and the reset flow
 * trust it. Its checked fields are readonly: change a copy (`{ ...p }`, a plain OrgProfile again) and validate that.
 */
export interface ValidProfile extends OrgProfile {
  readonly loginUrl: LoginUrl;
  readonly apiVersion?: ApiVersion;
  readonly instanceUrl?: LoginUrl;
}

export const DEFAULT_API_VERSION = '64.0' as ApiVersion;
/** The last API version with SOAP login() (salesforce-facts.md §3.1). */
export const MAX_SOAP_LOGIN_VERSION = 64;

export class ProfileError extends Error {
  override name = 'ProfileError';
  constructor(
    message: string,
    /** The env variable (or profile field) at fault. */
    public readonly field: string,
    /** The problem without the variable's name in front (the message a login result shows). */
    public readonly reason: string = message,
  ) {
    super(message);
  }
}

/** "64", "64.0", "v64.0" → "64.0". Throws ProfileError on anything else. */
export function normalizeApiVersion(v: string | undefined): ApiVersion {
  if (v === undefined || v.trim() === '') return DEFAULT_API_VERSION;
  const m = /^v?(\d{2,3})(?:\.(\d))?$/i.exec(v.trim());
  if (!m)
    throw new ProfileError(`SF_API_VERSION "${v.slice(0, 20)}" is not an API version like 64.0.`, 'SF_API_VERSION');
  return `${m[1]}.${m[2] ?? '0'}` as ApiVersion;
}

/** The objects validateProfile made (a copy made by spreading one is not in it, so it is checked again). */
const validProfiles = new WeakSet<object>();

/** True for a profile made by validateProfile (and so trusted by the login and reset paths). */
export function isValidProfile(p: OrgProfile): p is ValidProfile {
  return validProfiles.has(p);
}

/**
 * Checks the fields of a profile that every path relies on, once, where the profile enters: the login URL (https,
 * except loopback; normalized to its origin), the API version (normalized; optional), `auth` (a known method;
 * optional), the instance URL (as the login URL; optional). Returns a ValidProfile (the same object when it already
 * is one). Throws ProfileError with field SF_LOGIN_URL, SF_API_VERSION, SF_INSTANCE_URL or SF_AUTH (`reason` = the
 * message without the variable's name).
 * Username and secrets are the sign-in method's preconditions (SignInMethod.precheck, src/salesforce/signin/), not checked here.
 */
export function validateProfile(p: OrgProfile): ValidProfile {
  if (isValidProfile(p)) return p;
  let loginUrl: LoginUrl;
  try {
    loginUrl = validateLoginUrl(p.loginUrl);
  } catch (e) {
    const reason = (e as Error).message;
    throw new ProfileError(`SF_LOGIN_URL: ${reason}`, 'SF_LOGIN_URL', reason);
  }
  const out: OrgProfile = { ...p, loginUrl };
  if (p.apiVersion !== undefined) out.apiVersion = normalizeApiVersion(p.apiVersion);
  if (p.instanceUrl !== undefined && p.instanceUrl !== '') {
    // The access token is sent there: https, or http on loopback only (the login URL's rule).
    try {
      out.instanceUrl = validateLoginUrl(p.instanceUrl);
    } catch (e) {
      const reason = (e as Error).message;
      throw new ProfileError(`SF_INSTANCE_URL: ${reason}`, 'SF_INSTANCE_URL', reason);
    }
  } else delete out.instanceUrl;
  if (p.auth !== undefined && parseAuthMethod(p.auth) !== p.auth) {
    const reason = `"${String(p.auth).slice(0, 20)}" is not a sign-in method; use one of ${AUTH_METHODS.join(', ')}.`;
    throw new ProfileError(`SF_AUTH ${reason}`, 'SF_AUTH', reason);
  }
  validProfiles.add(out);
  return out as ValidProfile;
}

/** A profile's login URL: trusted as is for a ValidProfile, else validated here (throws LoginUrlError). */
export function profileLoginUrl(p: OrgProfile): LoginUrl {
  return isValidProfile(p) ? p.loginUrl : validateLoginUrl(p.loginUrl);
}

/** Which login flow a profile uses (HealthResult.flow): that of its sign-in method (./signin.ts). */
export function loginFlow(profile: OrgProfile, secrets: OrgSecrets): 'soap' | 'oauth' {
  return SIGN_IN_INFO[authMethodOf(profile, secrets)]?.flow ?? 'soap';
}

/** The password as Salesforce expects it: password + token (or + TOTP code with MFA for API logins). */
export function loginPassword(profile: OrgProfile, secrets: OrgSecrets): string {
  const suffix = profile.mfaForApi ? (secrets.mfaCode ?? '') : (secrets.token ?? '');
  return (secrets.password ?? '') + suffix;
}

/** Registers every secret of a profile with the process-wide redactor. */
export function registerProfileSecrets(secrets: OrgSecrets): void {
  // An access token lives minutes to hours and a new one comes with every refresh: a bounded, ephemeral entry.
  for (const k of ALL_SECRET_KINDS) registerSecret(secrets[k], k === 'accessToken' ? { ephemeral: true } : undefined);
  if (secrets.password && (secrets.token || secrets.mfaCode))
    registerSecret(secrets.password + (secrets.token ?? secrets.mfaCode ?? ''));
}

/** A stable id for a profile made from a login URL and username. */
export function profileId(loginUrl: string, username: string): string {
  let host = loginUrl;
  try {
    host = new URL(loginUrl).host;
  } catch {
    /* keep as is */
  }
  return `${username.toLowerCase()}@${host.toLowerCase()}`;
}

/**
 * Builds a profile + secrets from env variables (the env file's values already merged over the
 * process environment by the caller; CLI flags such as a future `--login-url` merged over both, under
 * their variable's name). Throws ProfileError for a missing SF_USERNAME, a bad SF_LOGIN_URL,
 * SF_API_VERSION, SF_INSTANCE_URL or SF_AUTH. Reads SF_ACCESS_TOKEN / SF_REFRESH_TOKEN into the secrets when set.
 * Registers the secrets with the redactor. The profile is a ValidProfile.
 * SF_AUTH absent: no `auth` (the method follows from the secrets: signInMethodOf).
 */
export function profileFromEnv(vars: Record<string, string | undefined>): {
  profile: ValidProfile;
  secrets: OrgSecrets;
} {
  const get = (k: string): string | undefined => {
    const v = vars[k];
    return v === undefined || v === '' ? undefined : v;
  };
  const secrets: OrgSecrets = {
    password: get('SF_PASSWORD'),
    token: get('SF_SECURITY_TOKEN'),
    clientSecret: get('SF_CLIENT_SECRET'),
  };
  const refreshToken = get('SF_REFRESH_TOKEN');
  const accessToken = get('SF_ACCESS_TOKEN');
  if (refreshToken) secrets.refreshToken = refreshToken;
  if (accessToken) secrets.accessToken = accessToken;
  registerProfileSecrets(secrets);
  const clientId = get('SF_CLIENT_ID')?.trim();
  const authText = get('SF_AUTH')?.trim();
  // An unknown value is kept as written, for validateProfile to refuse (ProfileError on SF_AUTH).
  const auth = authText ? (parseAuthMethod(authText) ?? (authText as AuthMethod)) : undefined;
  const targetOrg = get('SF_TARGET_ORG')?.trim();
  // SF_AUTH=sf-cli: the sf CLI's alias (SF_TARGET_ORG) names the org when SF_USERNAME is not written yet.
  const username = get('SF_USERNAME')?.trim() || (auth === 'sf-cli' && targetOrg ? '' : undefined);
  if (username === undefined)
    throw new ProfileError('SF_USERNAME is not set (in the env file or the environment).', 'SF_USERNAME');
  const profile = validateProfile({
    id: '',
    name: username || targetOrg || '',
    loginUrl: get('SF_LOGIN_URL') ?? PRODUCTION_LOGIN_URL,
    username,
    apiVersion: get('SF_API_VERSION') ?? DEFAULT_API_VERSION,
    ...(clientId ? { clientId } : {}),
    ...(auth ? { auth } : {}),
    ...(get('SF_INSTANCE_URL') ? { instanceUrl: get('SF_INSTANCE_URL')!.trim() } : {}),
    ...(targetOrg ? { targetOrg } : {}),
  });
  // The id comes from the normalized login URL; the object stays the validated one.
  (profile as OrgProfile).id = profileId(profile.loginUrl, username || targetOrg || '');
  return { profile, secrets };
}

/** Problems that make a login pointless (missing password, SOAP with a v65+ version…); empty when fine. */
export function profileProblems(profile: OrgProfile, secrets: OrgSecrets): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  const method = SIGN_IN_INFO[authMethodOf(profile, secrets)];
  if (!profile.username && !(method?.id === 'sf-cli' && profile.targetOrg))
    out.push({ field: 'SF_USERNAME', message: 'SF_USERNAME is not set.' });
  if (method?.secretKeys.includes('password') !== false && !secrets.password)
    out.push({ field: 'SF_PASSWORD', message: 'SF_PASSWORD is not set.' });
  if (profile.clientId && !secrets.clientSecret && (method?.id === 'password' || method?.id === 'password-oauth'))
    out.push({
      field: 'SF_CLIENT_SECRET',
      message: 'SF_CLIENT_ID is set but SF_CLIENT_SECRET is not: both are needed for the OAuth flow.',
    });
  return out;
}
