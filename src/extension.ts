/**
 * activate/deactivate: wiring only. What activation creates is small (placeholder commands, the status bar item
 * painted from the settings, the stores, the .env watcher); the command code, the login test, the reset flow,
 * the mailbox and the .env editor are the on-demand bundle (loadImpl(), src/extension/lazyLoader.ts), and
 * jsforce, imapflow and mailparser load on first use (src/lazy.ts). Parts are injected into each other so the
 * host tests can observe them through the test API (TOKEN_RELAY_TEST=1, src/extension/testApi.ts: a bundle of
 * its own that only test mode loads).
 */
import * as vscode from 'vscode';
import { registerCommands } from './extension/commands';
import type { EnvWriter } from './extension/envWriter';
import { EnvWatcher } from './extension/envWatcher';
import { HealthMonitor, type LoginTester } from './extension/healthMonitor';
import { loadImpl, requireBundle } from './extension/lazyLoader';
import { ExtensionLog } from './extension/log';
import type { MailboxTester, ResetRunner } from './extension/mailDeps';
import { ProfileStore } from './extension/profiles';
import { SecretStore } from './extension/secrets';
import type { Services } from './extension/services';
import { shouldOfferImport, shouldOfferSfImport } from './extension/startup';
import { HealthStatusBar } from './extension/statusBar';
import type * as TestApiModule from './extension/testApi';
import type { TokenRelayTestApi } from './extension/testApi';
import { isTrusted } from './extension/trust';
import { Opener, VsCodeUi } from './extension/ui';

// The real implementations, in the on-demand bundle (each loads its heavy library on its first call).
const testLogin: LoginTester = async (profile, secrets, opts) => loadImpl().testLogin(profile, secrets, opts);
const runResetFlow: ResetRunner = async (deps) => loadImpl().runResetFlow(deps);
const testMailbox: MailboxTester = async (cfg, opts) => loadImpl().testMailbox(cfg, opts);

export function activate(context: vscode.ExtensionContext): TokenRelayTestApi | undefined {
  const testMode = process.env.TOKEN_RELAY_TEST === '1';
  const now = () => new Date();
  const log = new ExtensionLog();
  const logger = log.logger;
  const opener = new Opener();
  const realUi = new VsCodeUi(opener);
  const test = testMode
    ? requireBundle<typeof TestApiModule>('./testApi', './extension-test.js').createTestMode(opener, realUi)
    : undefined;
  const ui = test?.ui ?? realUi;
  const profiles = new ProfileStore(logger.child('orgs'));
  const secrets = new SecretStore(context.secrets, logger.child('secrets'));
  const statusBar = new HealthStatusBar(now);
  const monitor = new HealthMonitor({
    profiles,
    secrets,
    statusBar,
    ui,
    log: logger.child('status'),
    tester: testLogin,
    isTrusted,
    now,
    envWriter: () => s.envWriter,
    globalState: context.globalState,
    runCheck: (host, org, opts) => loadImpl().runHealthCheck(host, org, opts),
  });
  let envWriter: EnvWriter | undefined;
  const s: Services = {
    context,
    ui,
    opener,
    log,
    logger,
    profiles,
    secrets,
    statusBar,
    monitor,
    // The .env writer is on-demand code: made when a command (or an outside edit of .env) first needs it.
    get envWriter() {
      return (envWriter ??= loadImpl().createEnvWriter({
        profiles,
        secrets,
        ui,
        log: logger.child('env'),
        state: context.workspaceState,
        isTrusted,
        onExternalChange: () => monitor.onChangeTrigger('.env changed'),
      }));
    },
    tester: testLogin,
    runReset: runResetFlow,
    testMailbox,
    isTrusted,
    now,
  };
  context.subscriptions.push(log, statusBar, profiles, secrets, monitor, ...registerCommands(s));
  // The status bar shows the active org (or "set up") before activate() returns; nothing else has to.
  monitor.refreshView();

  // Right after activate() returns (the first microtask): watchers, the log's first line, registering the known
  // secrets with the redactor, the timer, the first test and the import offer.
  void (async () => {
    await Promise.resolve();
    context.subscriptions.push(
      new EnvWatcher(profiles, (file) => void s.envWriter.onDiskChange(file)),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        logger.info('workspace trusted: automatic tests enabled');
        monitor.refreshView(true);
      }),
    );
    logger.info(
      `activated (${vscode.env.appName} ${vscode.version}, ${vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop'} UI, ${isTrusted() ? 'trusted' : 'Restricted Mode'})`,
    );
    await secrets.registerAll(profiles.list().map((p) => p.id));
    monitor.startTimer();
    if (isTrusted() && profiles.active() && !testMode) void monitor.check({ reason: 'startup' });
    if (!testMode && shouldOfferImport(s)) await loadImpl().offerImportOnStartup(s);
    if (!testMode && shouldOfferSfImport(s)) await loadImpl().offerSfImportOnStartup(s);
  })().catch((err) => logger.error(`startup: ${String(err)}`));

  return test?.createApi(s);
}

export function deactivate(): void {
  /* everything is in context.subscriptions */
}
