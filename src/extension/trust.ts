/**
 * Workspace trust: in Restricted Mode nothing is written (.env, .gitignore) and no login is tested
 * automatically. Commands that would write say why and offer to manage trust.
 */
import * as vscode from 'vscode';
import type { Ui } from './ui';

export class RestrictedModeError extends Error {
  override name = 'RestrictedModeError';
  constructor(readonly action: string) {
    super(vscode.l10n.t('Token Relay does not {0} in Restricted Mode: this workspace is not trusted.', action));
  }
}

export function isTrusted(): boolean {
  return vscode.workspace.isTrusted;
}

/** Shows why a command is refused in Restricted Mode and offers to manage workspace trust. */
export async function explainRestricted(ui: Ui, action: string): Promise<void> {
  const manage = vscode.l10n.t('Manage Workspace Trust');
  const a = await ui.message(
    'warn',
    vscode.l10n.t(
      'Token Relay does not {0} in Restricted Mode: this workspace is not trusted. Trust the workspace to allow it.',
      action,
    ),
    manage,
  );
  if (a === manage) await vscode.commands.executeCommand('workbench.trust.manage');
}

/** true when trusted; otherwise explains and returns false. */
export function requireTrust(ui: Ui, action: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void explainRestricted(ui, action);
  return false;
}
