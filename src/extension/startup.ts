/**
 * The cheap part of the startup offer to import a workspace .env (commands/importOrgFromEnv.ts
 * offerImportOnStartup): decided in the activation bundle, so a workspace that has an org, or said "Don't Ask
 * Again", never loads the on-demand bundle just to find that out.
 */
import type { Services } from './services';
import { IMPORT_OFFERED_STATE_KEY } from './settings';

export function shouldOfferImport(s: Pick<Services, 'profiles' | 'context'>): boolean {
  return s.profiles.list().length === 0 && !s.context.workspaceState.get<boolean>(IMPORT_OFFERED_STATE_KEY);
}
