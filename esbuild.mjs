// Bundles the extension, the CLI and the emulator; heavy libraries go to dist/vendor/* and load lazily.
// Usage: node esbuild.mjs [--production] [--watch]
import * as esbuild from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse((await import('node:fs')).readFileSync(path.join(root, 'package.json'), 'utf8'));
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  absWorkingDir: root,
};

// Every `import * as vscode from 'vscode'` would become __toESM(require("vscode")): a copy of the whole
// ~400-property API object per importing file at load time (24 copies, ~17 ms of activation; see
// docs/benchmarks.md). Resolving `vscode` to one ESM re-export makes it a single shared copy.
const vscodeOnce = {
  name: 'vscode-once',
  setup(b) {
    b.onResolve({ filter: /^vscode$/ }, (a) =>
      a.namespace === 'vscode-once' ? { path: 'vscode', external: true } : { path: 'vscode', namespace: 'vscode-once' },
    );
    b.onLoad({ filter: /.*/, namespace: 'vscode-once' }, () => ({ contents: "export * from 'vscode';", loader: 'js' }));
  },
};

// Our own code: the heavy libraries are NOT bundled in, they are required from ./vendor at first use.
const app = {
  ...common,
  entryPoints: {
    extension: 'src/extension.ts',
    cli: 'src/cli.ts',
    emulator: 'test/servers/emulatorCli.ts',
  },
  outdir: 'dist',
  plugins: [vscodeOnce],
  external: ['./vendor/*'],
  define: { __TOKEN_RELAY_BUNDLED__: 'true', __TOKEN_RELAY_VERSION__: JSON.stringify(pkg.version) },
};

// One bundle per heavy library, so the first use of one does not pay for the others.
const vendorDir = path.join(root, '.tmp', 'vendor-entries');
mkdirSync(vendorDir, { recursive: true });
for (const lib of ['jsforce', 'imapflow', 'mailparser']) {
  writeFileSync(path.join(vendorDir, `${lib}.js`), `module.exports = require(${JSON.stringify(lib)});\n`);
}
const vendor = {
  ...common,
  sourcemap: false,
  minify: true, // always minified: nobody debugs these, and size matters for the .vsix
  entryPoints: Object.fromEntries(['jsforce', 'imapflow', 'mailparser'].map((l) => [l, path.join(vendorDir, `${l}.js`)])),
  outdir: 'dist/vendor',
  legalComments: 'linked',
};

if (watch) {
  const ctx = await esbuild.context(app);
  await esbuild.build(vendor);
  await ctx.watch();
  console.log('esbuild: watching src/ …');
} else {
  await Promise.all([esbuild.build(app), esbuild.build(vendor)]);
  // The CLI and emulator are executables.
  for (const f of ['cli.js', 'emulator.js']) {
    const p = path.join(root, 'dist', f);
    const { readFileSync, chmodSync } = await import('node:fs');
    const src = readFileSync(p, 'utf8');
    if (!src.startsWith('#!')) writeFileSync(p, `#!/usr/bin/env node\n${src}`);
    chmodSync(p, 0o755);
  }
}
