/** The command handlers (on-demand bundle): `runCommand` runs one and reports its failure. */
import type { Services } from '../services';
import { CommandIds, type CommandId } from '../settings';
import { addOrg } from './addOrg';
import { checkReadiness } from './checkReadiness';
import { reportError } from './common';
import { editOrg } from './editOrg';
import { enterTokenManually } from './enterTokenManually';
import { importFromSfCli } from './importFromSfCli';
import { importOrgFromEnv } from './importOrgFromEnv';
import { removeOrg } from './removeOrg';
import { resetToken } from './resetToken';
import { setUpMailbox } from './setUpMailbox';
import { showLog } from './showLog';
import { signOut } from './signOut';
import { switchOrg } from './switchOrg';
import { switchToOAuth } from './switchToOAuth';
import { testConnection } from './testConnection';
import { testMailbox } from './testMailbox';
import { writeEnv } from './writeEnv';

const HANDLERS: Record<CommandId, (s: Services, ...args: unknown[]) => unknown> = {
  [CommandIds.resetToken]: resetToken,
  [CommandIds.testConnection]: testConnection,
  [CommandIds.enterTokenManually]: enterTokenManually,
  [CommandIds.addOrg]: addOrg,
  [CommandIds.editOrg]: editOrg,
  [CommandIds.removeOrg]: removeOrg,
  [CommandIds.switchOrg]: switchOrg,
  [CommandIds.importOrgFromEnv]: importOrgFromEnv,
  [CommandIds.setUpMailbox]: setUpMailbox,
  [CommandIds.testMailbox]: testMailbox,
  [CommandIds.writeEnv]: writeEnv,
  [CommandIds.showLog]: showLog,
  [CommandIds.switchToOAuth]: switchToOAuth,
  [CommandIds.signOut]: signOut,
  [CommandIds.checkReadiness]: checkReadiness,
  [CommandIds.importFromSfCli]: importFromSfCli,
};

export async function runCommand(id: CommandId, s: Services, args: unknown[]): Promise<unknown> {
  try {
    return await HANDLERS[id](s, ...args);
  } catch (err) {
    await reportError(s, id, err);
    return undefined;
  }
}
