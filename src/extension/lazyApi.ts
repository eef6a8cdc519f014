/**
 * The interface of the extension's on-demand half: what `loadImpl()` (lazyLoader.ts) returns and what lazyImpl.ts
 * provides. Declared here, on its own, so that neither side imports the other: activation-time modules name
 * these types, never lazyImpl.ts (whose value import would pull the command code into dist/extension.js).
 * Types only.
 */
import type { HealthResult } from '../core/healthStates';
import type { OrgProfile } from '../core/profile';
import type { EnvWriter, EnvWriterDeps } from './envWriter';
import type { CheckHost, CheckOptions, LoginTester } from './healthMonitor';
import type { MailboxTester, ResetRunner } from './mailDeps';
import type { Services } from './services';
import type { CommandId } from './settings';

export interface LazyApi {
  /** Runs a command's handler and reports its failure (commands/handlers.ts). */
  runCommand(id: CommandId, s: Services, args: unknown[]): Promise<unknown>;
  /** The startup offer to import a workspace .env (commands/importOrgFromEnv.ts). */
  offerImportOnStartup(s: Services): Promise<void>;
  /** The startup offer to import the sf project's default org from the Salesforce CLI (commands/importFromSfCli.ts). */
  offerSfImportOnStartup(s: Services): Promise<void>;
  /** One login test started by the health monitor (healthCheck.ts). */
  runHealthCheck(host: CheckHost, org: OrgProfile, opts: CheckOptions): Promise<HealthResult | undefined>;
  /** The .env writer behind `Services.envWriter` (envWriter.ts). */
  createEnvWriter(deps: EnvWriterDeps): EnvWriter;
  /** src/salesforce/login.ts testLogin (loads jsforce on its first call). */
  testLogin: LoginTester;
  /** src/flow/resetFlow.ts runResetFlow. */
  runResetFlow: ResetRunner;
  /** src/mail/watch.ts testMailbox (loads imapflow on its first call). */
  testMailbox: MailboxTester;
  /** Heavy libraries loaded so far (src/lazy.ts). */
  loadedLibraries(): string[];
}
