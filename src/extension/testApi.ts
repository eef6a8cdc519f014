/**
 * The test-only API returned by activate() when TOKEN_RELAY_TEST=1 (host tests). Production activation
 * returns nothing and never loads this module: bundled, it is `dist/extension-test.js` (with scriptedUi.ts),
 * required by activate() through requireBundle() only in test mode, and not part of the .vsix.
 * It exposes the extension's parts (our interfaces), a ScriptedUi that records messages and answers prompts,
 * and counters of the health monitor's login tests.
 */
import type { HealthMonitor } from './healthMonitor';
import { implLoaded, loadImpl } from './lazyLoader';
import { ScriptedUi, SwitchableUi } from './scriptedUi';
import type { Services } from './services';
import type { Opener, Ui } from './ui';

/** Login tests the health monitor ran (through its probe). */
export interface HealthCounters {
  testsStarted: number;
  concurrent: number;
  maxConcurrent: number;
}

export interface TokenRelayTestApi {
  services: Services;
  /** The scripted UI (installed by `useScriptedUi`). */
  scripted: ScriptedUi;
  /** Installs the scripted UI (default in test mode) or the real one. */
  useScriptedUi(on: boolean): void;
  /** How many login tests the monitor started, ran at once, at most at once ("never more than one at a time"). */
  health: HealthCounters;
  statusText(): string;
  statusTooltip(): string;
  statusCommand(): string | undefined;
  openedUrls: string[];
  logLines(): string[];
  /** Runs the startup offer to import a workspace .env when no org exists (skipped at activation in test mode). */
  offerImport(): Promise<void>;
  /** Runs the startup offer to import the sf project's default org (skipped at activation in test mode). */
  offerSfImport(): Promise<void>;
  /** Heavy libraries loaded so far (src/lazy.ts): none until the first login test / mailbox use. */
  loadedLibraries(): string[];
  /** Whether the on-demand bundle (commands, login, mail, .env editor) is loaded: not by activation. */
  implLoaded(): boolean;
}

/** What activate() gets in test mode: the UI to inject, and the API to return once the services exist. */
export interface TestMode {
  ui: Ui;
  createApi(s: Services): TokenRelayTestApi;
}

function countTests(monitor: HealthMonitor): HealthCounters {
  const c: HealthCounters = { testsStarted: 0, concurrent: 0, maxConcurrent: 0 };
  monitor.probe = {
    started() {
      c.testsStarted++;
      c.concurrent++;
      c.maxConcurrent = Math.max(c.maxConcurrent, c.concurrent);
    },
    finished() {
      c.concurrent--;
    },
  };
  return c;
}

export function createTestMode(opener: Opener, real: Ui): TestMode {
  const scripted = new ScriptedUi(opener, real);
  const switchable = new SwitchableUi(scripted);
  return {
    ui: switchable,
    createApi: (s) => ({
      services: s,
      scripted,
      useScriptedUi(on: boolean) {
        switchable.current = on ? scripted : real;
      },
      health: countTests(s.monitor),
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
      offerSfImport: () => loadImpl().offerSfImportOnStartup(s),
      // Asking must not load the on-demand bundle: before it is loaded, no library is either.
      loadedLibraries: () => (implLoaded() ? loadImpl().loadedLibraries() : []),
      implLoaded,
    }),
  };
}
