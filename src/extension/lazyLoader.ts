/**
 * `loadImpl()`: the on-demand half of the extension (lazyImpl.ts, typed by lazyApi.ts), required on first use;
 * `requireBundle()`: the same mechanism for the test-only half (testApi.ts, only under TOKEN_RELAY_TEST=1).
 *
 * Bundled, they are `dist/extension-lazy.js` and `dist/extension-test.js`. Those bundles do not carry their own
 * copies of the modules dist/extension.js already has (one redactor, one set of classes for `instanceof`):
 * esbuild.mjs replaces each of their imports of such a module with a read from the table `setSharedModules()`
 * received, which this loader lends them through a global for the duration of the synchronous require, and
 * removes again. Under tsx (tests, scripts) it is an ordinary require and Node's module cache does the sharing.
 *
 * Import this module only from wiring (src/extension.ts, commands/index.ts, testApi.ts): modules that
 * services.ts names get what they need from the on-demand half injected instead (no import cycle).
 */
import type { LazyApi } from './lazyApi';

declare const __TOKEN_RELAY_BUNDLED__: boolean | undefined;
const bundled = typeof __TOKEN_RELAY_BUNDLED__ !== 'undefined' && __TOKEN_RELAY_BUNDLED__;

/** The global under which the shared modules are lent to the other bundles while they load (esbuild.mjs reads the same key). */
export const SHARED_MODULES_KEY = Symbol.for('tokenRelay.sharedModules');

let shared: Record<string, unknown> | undefined;
let impl: LazyApi | undefined;

/** Called once by the bundle's generated entry (esbuild.mjs) with the namespaces of its own modules. */
export function setSharedModules(modules: Record<string, unknown>): void {
  shared = modules;
}

/**
 * Requires another half of the extension: `source` (a module beside this one) under tsx, the bundle `file`
 * (beside dist/extension.js) when bundled.
 */
export function requireBundle<T>(source: string, file: string): T {
  if (!bundled) return module.require(source) as T;
  if (!shared)
    throw new Error(
      'Token Relay is damaged: dist/extension.js was built without its shared module table. Reinstall the extension.',
    );
  const g = globalThis as Record<symbol, unknown>;
  g[SHARED_MODULES_KEY] = shared;
  try {
    // A computed id: esbuild leaves it alone, so the other bundle stays out of dist/extension.js.
    return module.require(file) as T;
  } finally {
    delete g[SHARED_MODULES_KEY];
  }
}

export function loadImpl(): LazyApi {
  return (impl ??= requireBundle<{ lazyApi: LazyApi }>('./lazyImpl', './extension-lazy.js').lazyApi);
}

/** Whether the on-demand half is loaded yet (host tests check that activation does not load it). */
export function implLoaded(): boolean {
  return impl !== undefined;
}
