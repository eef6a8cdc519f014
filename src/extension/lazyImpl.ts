/**
 * Everything the extension needs only when a command or a login test runs: the command handlers, the login
 * test, the reset flow and mailbox test, and the .env editor. In the package this module is its own bundle,
 * `dist/extension-lazy.js`, required on first use by `loadImpl()` (lazyLoader.ts), so that activation reads and
 * compiles only the small `dist/extension.js` (see docs/benchmarks.md, activation_ms). Modules that both bundles
 * use (the redactor, the profile store, the UI …) exist once: esbuild.mjs makes this bundle take them from
 * `dist/extension.js` instead of carrying copies.
 *
 * Its one export has the type `LazyApi` (lazyApi.ts). Nothing imports this module: lazyLoader.ts requires it by
 * a computed id (a value import from an activation module would pull all of it back into dist/extension.js;
 * esbuild.mjs fails the build if it does).
 */
import { runResetFlow } from '../flow/resetFlow';
import { loadedLibraries } from '../lazy';
import { testMailbox } from '../mail';
import { microsoftRefusalHint, withTokenRenewal } from '../mail/xoauth';
import { testLogin } from '../salesforce/login';
import { runCommand } from './commands/handlers';
import { offerSfImportOnStartup } from './commands/importFromSfCli';
import { offerImportOnStartup } from './commands/importOrgFromEnv';
import { EnvWriter } from './envWriter';
import { runHealthCheck } from './healthCheck';
import type { LazyApi } from './lazyApi';

export const lazyApi: LazyApi = {
  runCommand,
  offerImportOnStartup,
  offerSfImportOnStartup,
  runHealthCheck,
  createEnvWriter: (deps) => new EnvWriter(deps),
  testLogin,
  // A mailbox that signs in with Microsoft: a token IMAP refuses gets one new session, then a clear error
  // (src/mail/xoauth.ts). The reset flow's watcher fails before the page opens, so running it again is safe.
  runResetFlow: (deps) =>
    withTokenRenewal(deps.mailbox, () => runResetFlow(deps), {
      signal: deps.signal,
      log: deps.log,
      hint: microsoftRefusalHint(deps.mailbox.user),
    }),
  testMailbox: (cfg, opts) =>
    withTokenRenewal(cfg, () => testMailbox(cfg, opts), { ...opts, hint: microsoftRefusalHint(cfg.user) }),
  loadedLibraries,
};
