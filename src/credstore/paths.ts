/**
 * Where the CLI credential store lives and how an entry is named (CONTRACTS "Sign-in methods"): the directory
 * `$TOKEN_RELAY_HOME`, else `$XDG_CONFIG_HOME/token-relay`, else `~/.config/token-relay`; one file per login URL +
 * client id + username, named by a hash of the three (so a file name tells nothing about the org or the user).
 */
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import path from 'node:path';

/** What identifies one stored sign-in. */
export interface CredentialKey {
  /** Salesforce: the login URL. Microsoft: the authority with the tenant (`https://login.microsoftonline.com/organizations`). */
  loginUrl: string;
  clientId: string;
  username: string;
  /** The entry kind: absent = a Salesforce `oauth` sign-in; `microsoft` = a mailbox sign-in (XOAUTH2, issue 16). */
  provider?: 'microsoft';
}

/** The store's directory for this environment (absolute). */
export function credentialHome(env: Record<string, string | undefined>, home: () => string = homedir): string {
  const own = env.TOKEN_RELAY_HOME?.trim();
  if (own) return path.resolve(own);
  const xdg = env.XDG_CONFIG_HOME?.trim();
  // XDG: a relative value is invalid and must be ignored.
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'token-relay');
  return path.join(home(), '.config', 'token-relay');
}

/** The login URL as one origin (lower-case host, no trailing slash), so equivalent spellings share an entry. */
export function normalizeLoginUrl(loginUrl: string): string {
  try {
    return new URL(loginUrl.trim()).origin.toLowerCase();
  } catch {
    return loginUrl.trim().replace(/\/+$/, '').toLowerCase();
  }
}

/** A Microsoft authority with its tenant: origin + path, lower case, no trailing slash (the tenant is part of it). */
export function normalizeAuthority(authority: string): string {
  try {
    const u = new URL(authority.trim());
    return (u.origin + u.pathname).replace(/\/+$/, '').toLowerCase();
  } catch {
    return authority.trim().replace(/\/+$/, '').toLowerCase();
  }
}

/** The key in canonical form: origin, client id as is (Salesforce client ids are case-sensitive), username lower-case. */
export function canonicalKey(k: CredentialKey): CredentialKey {
  if (k.provider === 'microsoft')
    return {
      provider: 'microsoft',
      loginUrl: normalizeAuthority(k.loginUrl),
      // Entra ID application ids are GUIDs: case does not matter.
      clientId: k.clientId.trim().toLowerCase(),
      username: k.username.trim().toLowerCase(),
    };
  return {
    loginUrl: normalizeLoginUrl(k.loginUrl),
    clientId: k.clientId.trim(),
    username: k.username.trim().toLowerCase(),
  };
}

/** The entry's file stem: 32 hex characters of SHA-256 over the canonical key. */
export function entryName(k: CredentialKey): string {
  const c = canonicalKey(k);
  return createHash('sha256')
    .update(
      `token-relay credential v1\n${c.provider ? `provider ${c.provider}\n` : ''}${c.loginUrl}\n${c.clientId}\n${c.username}`,
    )
    .digest('hex')
    .slice(0, 32);
}
