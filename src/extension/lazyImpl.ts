/**
 * Everything the extension needs only when a command or a login test runs: the command handlers, the login
 * test, the reset flow and mailbox test, and the .env editor. In the package this module is its own bundle,
 * `dist/extension-lazy.js`, required on first use by `loadImpl()` (lazyLoader.ts), so that activation reads and
 * compiles only the small `dist/extension.js` (see docs/benchmarks.md, activation_ms). Modules that both bundles
 * use (the redactor, the profile store, the UI …) exist once: esbuild.mjs makes this bundle take them from
 * `dist/extension.js` instead of carrying copies.
 *
 * Only lazyLoader.ts may name this module, and only as a type import plus `loadImpl()`; a value import from
 * an activation module would pull all of it back into dist/extension.js (esbuild.mjs fails the build if it does).
 */
export { runCommand } from './commands/handlers';
export { offerImportOnStartup } from './commands/importOrgFromEnv';
export { testLogin } from '../salesforce/login';
export { runResetFlow } from '../flow/resetFlow';
export { testMailbox } from '../mail';
export { parseEnv, setEnvText } from '../core/dotenv';
export { readEnvFile, writeEnvFile } from '../envfile';
export { isGitIgnored } from '../envfile';
export { loadedLibraries } from '../lazy';
