/**
 * Connection profiles: what the extension stores per org and what the CLI reads from the env file /
 * environment (CONTRACTS.md: SF_USERNAME, SF_PASSWORD, SF_SECURITY_TOKEN, SF_LOGIN_URL,
 * SF_API_VERSION, SF_CLIENT_ID, SF_CLIENT_SECRET). Secrets live apart from the profile
 * (`OrgSecrets`) so a profile can be shown, logged and saved in settings.
 */
import { registerSecret } from './redact';
import { PRODUCTION_LOGIN_URL, validateLoginUrl } from './resetUrl';

export interface OrgProfile {
  id: string;
  name: string;
  loginUrl: string;
  username: string;
  /** API version for SOAP login; default DEFAULT_API_VERSION. SOAP login() needs ≤ 64.0. */
  apiVersion?: string;
  /** OAuth connected app client id: with a client secret, the OAuth username-password flow is used. */
  clientId?: string;
  /** "Multi-Factor Authentication for API Logins": a TOTP code replaces the token (no mail exists). */
  mfaForApi?: boolean;
  envPath?: string;
}

export interface OrgSecrets {
  password?: string;
  token?: string;
  clientSecret?: string;
  /** The current TOTP code when the profile has mfaForApi (appended to the password instead of the token). */
  mfaCode?: string;
}

export const DEFAULT_API_VERSION = '64.0';
/** The last API version with SOAP login() (salesforce-facts.md §3.1). */
export const MAX_SOAP_LOGIN_VERSION = 64;

export class ProfileError extends Error {
  override name = 'ProfileError';
  constructor(
    message: string,
    /** The env variable (or profile field) at fault. */
    public readonly field: string,
  ) {
    super(message);
  }
}

/** "64", "64.0", "v64.0" → "64.0". Throws ProfileError on anything else. */
export function normalizeApiVersion(v: string | undefined): string {
  if (v === undefined || v.trim() === '') return DEFAULT_API_VERSION;
  const m = /^v?(\d{2,3})(?:\.(\d))?$/i.exec(v.trim());
  if (!m) throw new ProfileError(`SF_API_VERSION "${v.slice(0, 20)}" is not an API version like 64.0.`, 'SF_API_VERSION');
  return `${m[1]}.${m[2] ?? '0'}`;
}

/** Which login flow a profile uses: OAuth username-password when a client id and secret are set. */
export function loginFlow(profile: OrgProfile, secrets: OrgSecrets): 'soap' | 'oauth' {
  return profile.clientId && secrets.clientSecret ? 'oauth' : 'soap';
}

/** The password as Salesforce expects it: password + token (or + TOTP code with MFA for API logins). */
export function loginPassword(profile: OrgProfile, secrets: OrgSecrets): string {
  const suffix = profile.mfaForApi ? (secrets.mfaCode ?? '') : (secrets.token ?? '');
  return (secrets.password ?? '') + suffix;
}

/** Registers every secret of a profile with the process-wide redactor. */
export function registerProfileSecrets(secrets: OrgSecrets): void {
  registerSecret(secrets.password);
  registerSecret(secrets.token);
  registerSecret(secrets.clientSecret);
  registerSecret(secrets.mfaCode);
  if (secrets.password && (secrets.token || secrets.mfaCode)) registerSecret(secrets.password + (secrets.token ?? secrets.mfaCode ?? ''));
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
 * process environment by the caller). Throws ProfileError for a missing SF_USERNAME, a bad
 * SF_LOGIN_URL or SF_API_VERSION. Registers the secrets with the redactor.
 */
export function profileFromEnv(vars: Record<string, string | undefined>): { profile: OrgProfile; secrets: OrgSecrets } {
  const get = (k: string): string | undefined => {
    const v = vars[k];
    return v === undefined || v === '' ? undefined : v;
  };
  const secrets: OrgSecrets = {
    password: get('SF_PASSWORD'),
    token: get('SF_SECURITY_TOKEN'),
    clientSecret: get('SF_CLIENT_SECRET'),
  };
  registerProfileSecrets(secrets);
  const username = get('SF_USERNAME')?.trim();
  if (!username) throw new ProfileError('SF_USERNAME is not set (in the env file or the environment).', 'SF_USERNAME');
  let loginUrl: string;
  try {
    loginUrl = validateLoginUrl(get('SF_LOGIN_URL') ?? PRODUCTION_LOGIN_URL);
  } catch (e) {
    throw new ProfileError(`SF_LOGIN_URL: ${(e as Error).message}`, 'SF_LOGIN_URL');
  }
  const apiVersion = normalizeApiVersion(get('SF_API_VERSION'));
  const clientId = get('SF_CLIENT_ID')?.trim();
  const profile: OrgProfile = {
    id: profileId(loginUrl, username),
    name: username,
    loginUrl,
    username,
    apiVersion,
    ...(clientId ? { clientId } : {}),
  };
  return { profile, secrets };
}

/** Problems that make a login pointless (missing password, SOAP with a v65+ version…); empty when fine. */
export function profileProblems(profile: OrgProfile, secrets: OrgSecrets): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  if (!profile.username) out.push({ field: 'SF_USERNAME', message: 'SF_USERNAME is not set.' });
  if (!secrets.password) out.push({ field: 'SF_PASSWORD', message: 'SF_PASSWORD is not set.' });
  if (profile.clientId && !secrets.clientSecret)
    out.push({ field: 'SF_CLIENT_SECRET', message: 'SF_CLIENT_ID is set but SF_CLIENT_SECRET is not: both are needed for the OAuth flow.' });
  return out;
}
