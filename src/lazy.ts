/**
 * Lazy loaders for the heavy libraries (jsforce, imapflow, mailparser).
 *
 * In the bundles (dist/extension.js, dist/cli.js) each library lives in its own file under
 * dist/vendor/ and is required only on first use, so activation and `--help` stay instant.
 * Under tsx (tests, scripts) the packages are required from node_modules as usual.
 * Only src/salesforce and src/mail may call these; src/core never does.
 */
import type * as JsforceNs from 'jsforce/lib/core';
import type * as ImapflowNs from 'imapflow';
import type * as MailparserNs from 'mailparser';

declare const __TOKEN_RELAY_BUNDLED__: boolean | undefined;
const bundled = typeof __TOKEN_RELAY_BUNDLED__ !== 'undefined' && __TOKEN_RELAY_BUNDLED__;

/**
 * jsforce is loaded through its core entry (Connection, OAuth2, …) without the nine API modules the package entry
 * adds (analytics, apex, bulk, bulk2, chatter, metadata, soap, streaming, tooling): a health check needs only core
 * Connection methods (SOAP/OAuth login, identity, query, limits). Each of those modules would also hang a lazy
 * getter on every new Connection (~25 µs and most of a login's garbage, measured), and load ~85 ms of code.
 * esbuild.mjs bundles the same entry into dist/vendor/jsforce.js.
 */
export const PACKAGE_ENTRY: Partial<Record<'jsforce' | 'imapflow' | 'mailparser', string>> = {
  jsforce: 'jsforce/lib/core',
};

let jsforceMod: typeof JsforceNs | undefined;
let imapflowMod: typeof ImapflowNs | undefined;
let mailparserMod: typeof MailparserNs | undefined;

/**
 * `module.require` with a computed id: esbuild leaves it alone, so the bundles never inline a heavy library;
 * bundled code resolves ./vendor/<lib>.js next to dist/extension.js or dist/cli.js.
 */
function load<T>(lib: 'jsforce' | 'imapflow' | 'mailparser'): T {
  const id = bundled ? `./vendor/${lib}.js` : (PACKAGE_ENTRY[lib] ?? lib);
  return module.require(id) as T;
}

export function loadJsforce(): typeof JsforceNs {
  return (jsforceMod ??= load<typeof JsforceNs>('jsforce'));
}

export function loadImapflow(): typeof ImapflowNs {
  return (imapflowMod ??= load<typeof ImapflowNs>('imapflow'));
}

export function loadMailparser(): typeof MailparserNs {
  return (mailparserMod ??= load<typeof MailparserNs>('mailparser'));
}

/** Which heavy libraries are loaded so far (for tests and benchmarks of lazy loading). */
export function loadedLibraries(): string[] {
  const out: string[] = [];
  if (jsforceMod) out.push('jsforce');
  if (imapflowMod) out.push('imapflow');
  if (mailparserMod) out.push('mailparser');
  return out;
}
