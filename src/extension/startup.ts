/**
 * The cheap part of the startup offer to import a workspace .env (commands/importOrgFromEnv.ts
 * offerImportOnStartup): decided in the activation bundle, so a workspace that has an org, or said "Don't Ask
 * Again", never loads the on-demand bundle just to find that out. In Restricted Mode (an untrusted workspace) there is
 * no offer at all: the workspace's .env is not even read (it may be a FIFO or a link to a device, planted to hang
 * or flood the extension host).
 */
import type { Services } from './services';
import { IMPORT_OFFERED_STATE_KEY } from './settings';

export function shouldOfferImport(s: Pick<Services, 'profiles' | 'context' | 'isTrusted'>): boolean {
  return (
    s.isTrusted() && s.profiles.list().length === 0 && !s.context.workspaceState.get<boolean>(IMPORT_OFFERED_STATE_KEY)
  );
}
