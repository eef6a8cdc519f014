/**
 * The pure facts of an org whose login the sf CLI owns (`auth: 'sf-cli'`; no `vscode`, no I/O): the name sf knows it
 * by and its .env values (CONTRACTS "Sign-in methods"). Apart from sfCliSession.ts so the .env writer can use them
 * without importing the sf runner.
 */
import type { OrgProfile, OrgSecrets } from '../core/profile';

/** An org profile of an sf-cli org (`targetOrg` = SF_TARGET_ORG). */
export type SfCliProfile = OrgProfile;

/** The sf alias or username an sf-cli org asks for (`SF_TARGET_ORG`; the username when none was kept). */
export function targetOrgOf(org: SfCliProfile): string {
  return org.targetOrg?.trim() || org.username;
}

/** The .env values of an org the sf CLI signs in: never a password or a security token. */
export function sfCliEnvValues(
  profile: SfCliProfile,
  secrets: OrgSecrets,
  names: { username: string },
): Record<string, string> {
  const out: Record<string, string> = { SF_AUTH: 'sf-cli' };
  if (profile.instanceUrl) out.SF_INSTANCE_URL = profile.instanceUrl;
  if (secrets.accessToken) out.SF_ACCESS_TOKEN = secrets.accessToken;
  out[names.username] = profile.username;
  out.SF_TARGET_ORG = targetOrgOf(profile);
  return out;
}
