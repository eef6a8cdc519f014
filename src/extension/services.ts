/**
 * What commands get: the extension's parts, created once in ../extension.ts and injected everywhere
 * (host tests reach them through the test API).
 */
import type * as vscode from 'vscode';
import type { Logger } from '../core/log';
import type { EnvWriter } from './envWriter';
import type { HealthMonitor, LoginTester } from './healthMonitor';
import type { ExtensionLog } from './log';
import type { ProfileStore } from './profiles';
import type { SecretStore } from './secrets';
import type { HealthStatusBar } from './statusBar';
import type { Opener, Ui } from './ui';
import type { ResetRunner, MailboxTester } from './mailDeps';

export interface Services {
  context: vscode.ExtensionContext;
  ui: Ui;
  opener: Opener;
  log: ExtensionLog;
  logger: Logger;
  profiles: ProfileStore;
  secrets: SecretStore;
  statusBar: HealthStatusBar;
  monitor: HealthMonitor;
  envWriter: EnvWriter;
  tester: LoginTester;
  runReset: ResetRunner;
  testMailbox: MailboxTester;
  isTrusted: () => boolean;
  now: () => Date;
  /** The running Reset Token, if any (only one at a time). */
  resetInProgress?: Promise<unknown>;
}
