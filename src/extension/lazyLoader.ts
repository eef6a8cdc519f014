/**
 * `loadImpl()`: the on-demand half of the extension (lazyImpl.ts), required on first use.
 *
 * Bundled, it is `dist/extension-lazy.js`. That bundle does not carry its own copies of the modules
 * dist/extension.js already has (one redactor, one set of classes for `instanceof`): esbuild.mjs replaces
 * each of its imports of such a module with a read from the table `setSharedModules()` received, which this
 * loader lends it through a global for the duration of the synchronous require, and removes again.
 * Under tsx (tests, scripts) it is an ordinary require and Node's module cache does the sharing.
 */
import type * as Impl from './lazyImpl';

declare const __TOKEN_RELAY_BUNDLED__: boolean | undefined;
const bundled = typeof __TOKEN_RELAY_BUNDLED__ !== 'undefined' && __TOKEN_RELAY_BUNDLED__;

/** The global under which the shared modules are lent to dist/extension-lazy.js while it loads (esbuild.mjs reads the same key). */
export const SHARED_MODULES_KEY = Symbol.for('tokenRelay.sharedModules');

let shared: Record<string, unknown> | undefined;
let impl: typeof Impl | undefined;

/** Called once by the bundle's generated entry (esbuild.mjs) with the namespaces of its own modules. */
export function setSharedModules(modules: Record<string, unknown>): void {
  shared = modules;
}

export function loadImpl(): typeof Impl {
  if (impl) return impl;
  if (!bundled) return (impl = module.require('./lazyImpl') as typeof Impl);
  if (!shared) throw new Error('Token Relay is damaged: dist/extension.js was built without its shared module table. Reinstall the extension.');
  const g = globalThis as Record<symbol, unknown>;
  g[SHARED_MODULES_KEY] = shared;
  try {
    // A computed id: esbuild leaves it alone, so the on-demand code stays out of dist/extension.js.
    const id = './extension-lazy.js';
    impl = module.require(id) as typeof Impl;
  } finally {
    delete g[SHARED_MODULES_KEY];
  }
  return impl;
}

/** Whether the on-demand half is loaded yet (host tests check that activation does not load it). */
export function implLoaded(): boolean {
  return impl !== undefined;
}
