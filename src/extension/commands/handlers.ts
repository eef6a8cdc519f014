/** The command handlers (on-demand bundle): `runCommand` runs one and reports its failure. */
import * as vscode from 'vscode';
import type { Services } from '../services';
import { CommandIds, type CommandId } from '../settings';
import { addOrg } from './addOrg';
import { checkReadiness } from './checkReadiness';
import { reportError } from './common';
import { editOrg } from './editOrg';
import { enterTokenManually } from './enterTokenManually';
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
  // Until the sf CLI import (issue 14 item 1, branch h14ext) is merged, which replaces this entry: the CLI steps.
  [CommandIds.importFromSfCli]: (s) =>
    s.ui.message(
      'info',
      vscode.l10n.t(
        'Log the org in with the Salesforce CLI (sf org login web --alias ALIAS), then run token-relay sf-import --target-org ALIAS in a terminal.',
      ),
    ),
};

export async function runCommand(id: CommandId, s: Services, args: unknown[]): Promise<unknown> {
  try {
    return await HANDLERS[id](s, ...args);
  } catch (err) {
    await reportError(s, id, err);
    return undefined;
  }
}
