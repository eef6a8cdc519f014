/**
 * Checks of a profile's non-secret fields (Add Org, Edit Org, saveProfile in profileEdits.ts). On-demand bundle: activation
 * only reads profiles, so the URL, API-version and sign-in rules (src/core/profile.ts validateProfile) load on first use.
 */
import { ProfileError, validateProfile, type OrgProfile } from '../core/profile';

/** Problems with a profile's non-secret fields, as a user-readable message (undefined when fine). */
export function validateProfileFields(p: Partial<OrgProfile>): string | undefined {
  if (!p.name?.trim()) return 'The org needs a name.';
  if (!p.username?.trim()) return 'The org needs a Salesforce username.';
  try {
    validateProfile({
      ...p,
      id: p.id ?? '',
      name: p.name,
      username: p.username,
      loginUrl: p.loginUrl ?? '',
      apiVersion: p.apiVersion || undefined,
    });
  } catch (e) {
    return e instanceof ProfileError ? e.reason : (e as Error).message;
  }
  return undefined;
}
