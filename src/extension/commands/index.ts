/**
 * Registers every command as a placeholder (as vscode-eslint does): the handler code is in the on-demand
 * bundle (lazyImpl.ts → commands/handlers.ts), required when a command first runs.
 */
import * as vscode from 'vscode';
import { safeErrorMessage } from '../../core/redact';
import { loadImpl } from '../lazyLoader';
import type { Services } from '../services';
import { ALL_COMMAND_IDS } from '../settings';

export function registerCommands(s: Services): vscode.Disposable[] {
  return ALL_COMMAND_IDS.map((id) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      s.logger.debug(`command ${id}`);
      let impl: ReturnType<typeof loadImpl>;
      try {
        impl = loadImpl();
      } catch (err) {
        // A damaged install (a file missing from dist/): say so instead of failing silently.
        const msg = safeErrorMessage(err);
        s.logger.error(`command ${id}: cannot load Token Relay's command code: ${msg}`);
        void s.ui.message(
          'error',
          vscode.l10n.t('Token Relay could not load its command code ({0}). Reinstall the extension.', msg),
        );
        return undefined;
      }
      return impl.runCommand(id, s, args);
    }),
  );
}
