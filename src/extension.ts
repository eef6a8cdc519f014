/**
 * activate/deactivate: wiring only. Everything is created cheaply and at once (commands, status bar item);
 * jsforce, imapflow and mailparser load on first use (src/lazy.ts). Parts are injected into each other so the
 * host tests can observe them through the test API (TOKEN_RELAY_TEST=1).
 */
import * as vscode from 'vscode';
import { registerCommands } from './extension/commands';
import { EnvWriter } from './extension/envWriter';
import { defaultLoginTester, HealthMonitor } from './extension/healthMonitor';
import { ExtensionLog } from './extension/log';
import { defaultMailboxTester, defaultResetRunner } from './extension/mailDeps';
import { ProfileStore } from './extension/profiles';
import { SecretStore } from './extension/secrets';
import type { Services } from './extension/services';
import { loadImpl } from './extension/lazyLoader';
import { shouldOfferImport } from './extension/startup';
import { HealthStatusBar } from './extension/statusBar';
import { createTestApi, type TokenRelayTestApi } from './extension/testApi';
import { isTrusted } from './extension/trust';
import { Opener, ScriptedUi, SwitchableUi, VsCodeUi } from './extension/ui';

export function activate(context: vscode.ExtensionContext): TokenRelayTestApi | undefined {
  const testMode = process.env.TOKEN_RELAY_TEST === '1';
  const now = () => new Date();
  const log = new ExtensionLog();
  const logger = log.logger;
  const opener = new Opener();
  const realUi = new VsCodeUi(opener);
  const scripted = testMode ? new ScriptedUi(opener, realUi) : undefined;
  const ui = new SwitchableUi(scripted ?? realUi);
  const profiles = new ProfileStore(logger.child('orgs'));
  const secrets = new SecretStore(context.secrets, logger.child('secrets'));
  const statusBar = new HealthStatusBar(now);
  const monitor = new HealthMonitor({ profiles, secrets, statusBar, ui, log: logger.child('status'), tester: defaultLoginTester, isTrusted, now });
  const envWriter = new EnvWriter({
    profiles, secrets, ui, log: logger.child('env'), state: context.workspaceState, isTrusted,
    onExternalChange: () => monitor.onChangeTrigger('.env changed'),
  });
  const s: Services = {
    context, ui, opener, log, logger, profiles, secrets, statusBar, monitor, envWriter,
    tester: defaultLoginTester, runReset: defaultResetRunner, testMailbox: defaultMailboxTester, isTrusted, now,
  };
  context.subscriptions.push(log, statusBar, profiles, secrets, monitor, envWriter, ...registerCommands(s));
  context.subscriptions.push(
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      logger.info('workspace trusted: automatic tests enabled');
      monitor.refreshView(true);
    }),
  );

  // After activation returns: register known secrets with the redactor, paint, first test, import offer.
  monitor.refreshView();
  void (async () => {
    await secrets.registerAll(profiles.list().map((p) => p.id));
    monitor.startTimer();
    if (isTrusted() && profiles.active() && !testMode) void monitor.check({ reason: 'startup' });
    if (!testMode && shouldOfferImport(s)) await loadImpl().offerImportOnStartup(s);
  })().catch((err) => logger.error(`startup: ${String(err)}`));
  logger.info(`activated (${vscode.env.appName} ${vscode.version}, ${vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop'} UI, ${isTrusted() ? 'trusted' : 'Restricted Mode'})`);

  return testMode && scripted ? createTestApi(s, ui, scripted, realUi) : undefined;
}

export function deactivate(): void {
  /* everything is in context.subscriptions */
}
