/** activate/deactivate: wiring only. The real wiring lands with the extension issue (#5). */
import * as vscode from 'vscode';

const COMMANDS = [
  'resetToken', 'testConnection', 'enterTokenManually', 'addOrg', 'editOrg', 'removeOrg', 'switchOrg',
  'importOrgFromEnv', 'setUpMailbox', 'testMailbox', 'writeEnv', 'showLog',
];

export function activate(context: vscode.ExtensionContext): void {
  for (const id of COMMANDS) {
    context.subscriptions.push(
      vscode.commands.registerCommand(`tokenRelay.${id}`, () =>
        vscode.window.showInformationMessage('Token Relay: this command is not configured yet.'),
      ),
    );
  }
}

export function deactivate(): void {}
