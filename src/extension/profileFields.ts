/**
 * Checks of a profile's non-secret fields (Add Org, Edit Org, saveProfile in profileEdits.ts). On-demand bundle: activation
 * only reads profiles, so the URL and API-version rules (src/core/resetUrl.ts, profile.ts) load on first use.
 */
import { normalizeApiVersion, type OrgProfile } from '../core/profile';
import { validateLoginUrl } from '../core/resetUrl';

/** Problems with a profile's non-secret fields, as a user-readable message (undefined when fine). */
export function validateProfileFields(p: Partial<OrgProfile>): string | undefined {
  if (!p.name?.trim()) return 'The org needs a name.';
  if (!p.username?.trim()) return 'The org needs a Salesforce username.';
  try {
    validateLoginUrl(p.loginUrl ?? '');
  } catch (e) {
    return (e as Error).message;
  }
  if (p.apiVersion) {
    try {
      normalizeApiVersion(p.apiVersion);
    } catch (e) {
      return (e as Error).message;
    }
  }
  return undefined;
}
