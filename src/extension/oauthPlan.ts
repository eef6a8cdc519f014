/**
 * The pure decisions of Switch to OAuth and Sign Out (no `vscode`, unit-tested): the .env values of an OAuth org,
 * which password keys a switch may remove, loopback or paste, the client id check, and the switched profile.
 */
import type { OrgProfile, OrgSecrets } from '../core/profile';

/** The .env values of an org that signs in with OAuth (CONTRACTS "Sign-in methods"); never a password or token. */
export function oauthEnvValues(
  profile: OrgProfile,
  secrets: OrgSecrets,
  names: { username: string; loginUrl: string },
): Record<string, string> {
  const out: Record<string, string> = { SF_AUTH: 'oauth' };
  if (profile.instanceUrl) out.SF_INSTANCE_URL = profile.instanceUrl;
  if (secrets.accessToken) out.SF_ACCESS_TOKEN = secrets.accessToken;
  out[names.username] = profile.username;
  out[names.loginUrl] = profile.loginUrl;
  if (profile.clientId) out.SF_CLIENT_ID = profile.clientId;
  return out;
}

/** The password-login keys present in a .env (`vars` = its parsed values): what a switch offers to remove. */
export function passwordKeysPresent(
  vars: Record<string, string> | undefined,
  names: { password: string; token: string },
): string[] {
  if (!vars) return [];
  return [names.password, names.token].filter((k) => Object.prototype.hasOwnProperty.call(vars, k));
}

export type SignInPath = 'loopback' | 'paste';

/**
 * Loopback (a listener on localhost:<port> the browser is sent back to) unless it cannot work: a remote extension
 * host (`vscode.env.remoteName` set: code-server, Remote-SSH, WSL, Codespaces; the browser's localhost is another
 * machine), or the user asked to paste. A busy port is found out when listening (the caller then pastes too).
 */
export function signInPath(o: {
  remoteName?: string;
  paste?: boolean;
  /** `tokenRelay.oauth.redirect`: `loopback` / `paste` force that path; `auto` (default) decides as above. */
  mode?: 'auto' | 'loopback' | 'paste';
}): SignInPath {
  if (o.paste || o.mode === 'paste') return 'paste';
  if (o.mode === 'loopback') return 'loopback';
  return o.remoteName !== undefined && o.remoteName !== '' ? 'paste' : 'loopback';
}

/** An External Client App's consumer key: printable, no spaces, 20–256 characters. Undefined when fine. */
export function clientIdProblem(v: string): string | undefined {
  const t = v.trim();
  if (!t) return 'Paste the Consumer Key of your External Client App.';
  if (/\s/.test(t)) return 'A consumer key has no spaces.';
  if (!/^[\x21-\x7e]+$/.test(t)) return 'A consumer key has only letters, digits and punctuation.';
  if (t.length < 20 || t.length > 256) return `A consumer key has 20 to 256 characters; this has ${t.length}.`;
  return undefined;
}

/**
 * The profile after a sign-in: `auth: 'oauth'`, the instance URL Salesforce named, the client id, and the user who
 * signed in (another user than the profile's is taken: the tokens are that user's). A new org gets `id`.
 */
export function switchedProfile(
  base: OrgProfile | undefined,
  o: { id: string; loginUrl: string; username: string; instanceUrl: string; clientId: string },
): OrgProfile {
  const out: OrgProfile = base
    ? { ...base }
    : { id: o.id, name: o.username, loginUrl: o.loginUrl, username: o.username };
  out.auth = 'oauth';
  out.instanceUrl = o.instanceUrl;
  out.clientId = o.clientId;
  out.username = o.username;
  delete out.mfaForApi; // OAuth asks for MFA in the browser
  return out;
}
