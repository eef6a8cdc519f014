/**
 * The test-only API returned by activate() when TOKEN_RELAY_TEST=1 (host tests). Production activation
 * returns nothing. It exposes the extension's parts (our interfaces) and a ScriptedUi that records messages
 * and answers prompts.
 */
import { implLoaded, loadImpl } from './lazyLoader';
import type { Services } from './services';
import type { ScriptedUi, SwitchableUi, Ui } from './ui';

export interface TokenRelayTestApi {
  services: Services;
  /** The scripted UI (installed by `useScriptedUi`). */
  scripted: ScriptedUi;
  /** Installs the scripted UI (default in test mode) or the real one. */
  useScriptedUi(on: boolean): void;
  statusText(): string;
  statusTooltip(): string;
  statusCommand(): string | undefined;
  openedUrls: string[];
  logLines(): string[];
  /** Runs the startup offer to import a workspace .env when no org exists (skipped at activation in test mode). */
  offerImport(): Promise<void>;
  /** Heavy libraries loaded so far (src/lazy.ts): none until the first login test / mailbox use. */
  loadedLibraries(): string[];
  /** Whether the on-demand bundle (commands, login, mail, .env editor) is loaded: not by activation. */
  implLoaded(): boolean;
}

export function createTestApi(s: Services, switchable: SwitchableUi, scripted: ScriptedUi, real: Ui): TokenRelayTestApi {
  return {
    services: s,
    scripted,
    useScriptedUi(on: boolean) {
      switchable.current = on ? scripted : real;
    },
    statusText: () => s.statusBar.item.text,
    statusTooltip: () => {
      const t = s.statusBar.item.tooltip;
      return typeof t === 'string' ? t : (t?.value ?? '');
    },
    statusCommand: () => {
      const c = s.statusBar.item.command;
      return typeof c === 'string' ? c : c?.command;
    },
    openedUrls: s.opener.opened,
    logLines: () => [...s.log.recent],
    offerImport: () => loadImpl().offerImportOnStartup(s),
    // Asking must not load the on-demand bundle: before it is loaded, no library is either.
    loadedLibraries: () => (implLoaded() ? loadImpl().loadedLibraries() : []),
    implLoaded,
  };
}
