// Bundles the extension, the CLI and the emulator; heavy libraries go to dist/vendor/* and load lazily.
// Usage: node esbuild.mjs [--production] [--watch] [--extension-only --outdir DIR]
//   --extension-only --outdir DIR   only the two extension bundles, into DIR (test/integration/bundles.test.ts)
import * as esbuild from 'esbuild';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const extensionOnly = process.argv.includes('--extension-only');
const outIdx = process.argv.indexOf('--outdir');
const extOut = outIdx > 0 ? path.resolve(process.argv[outIdx + 1] ?? '') : path.join(root, 'dist');
if (outIdx > 0 && !extensionOnly) throw new Error('--outdir goes with --extension-only');

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

// `import * as vscode from 'vscode'` would become __toESM(require("vscode")) in every importing file: a copy of
// the whole ~400-property API object each (24 copies, ~17 ms of activation; see docs/benchmarks.md). Even one
// copy costs ~1.5 ms here. So `vscode` resolves to a module that reads, once, just the members our sources use
// (`vscode.X` with X a runtime export of the API: a class, enum, namespace or function in @types/vscode), and
// esbuild turns each `vscode.X` into a plain variable. A member this misses would be undefined at run time:
// esbuild warns about it ("will always be undefined"), and the build fails on that warning.
function vscodeMembersUsed() {
  const dts = readFileSync(path.join(root, 'node_modules', '@types', 'vscode', 'index.d.ts'), 'utf8');
  const runtime = new Set(
    [...dts.matchAll(/^\s{1,4}export (?:class|enum|namespace|const|let|function) ([A-Za-z_$][\w$]*)/gm)].map(
      (m) => m[1],
    ),
  );
  const used = new Set();
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts'))
        for (const m of readFileSync(p, 'utf8').matchAll(/\bvscode\.([A-Za-z_$][\w$]*)/g))
          if (runtime.has(m[1])) used.add(m[1]);
    }
  };
  walk(path.join(root, 'src'));
  return [...used].sort();
}
const vscodeOnce = {
  name: 'vscode-once',
  setup(b) {
    b.onResolve({ filter: /^vscode$/ }, (a) =>
      a.namespace === 'vscode-once' ? { path: 'vscode', external: true } : { path: 'vscode', namespace: 'vscode-once' },
    );
    b.onLoad({ filter: /.*/, namespace: 'vscode-once' }, () => ({
      loader: 'js',
      contents: `const api = require('vscode');\nexport const { ${vscodeMembersUsed().join(', ')} } = api;\n`,
    }));
    b.onEnd((r) => {
      const undef = r.warnings.filter(
        (w) => /will always be undefined/.test(w.text) && /vscode/.test(w.text + (w.location?.lineText ?? '')),
      );
      if (undef.length)
        throw new Error(
          `vscode members the vscode-once plugin does not export: ${undef.map((w) => w.text).join('; ')}`,
        );
    });
  },
};

const define = { __TOKEN_RELAY_BUNDLED__: 'true', __TOKEN_RELAY_VERSION__: JSON.stringify(pkg.version) };

// The CLI and the emulator: our own code; the heavy libraries are NOT bundled in, they are required from
// ./vendor at first use.
const app = {
  ...common,
  entryPoints: { cli: 'src/cli.ts', emulator: 'src/emulator/cli.ts' },
  outdir: 'dist',
  external: ['./vendor/*'],
  define,
};

// The extension is two bundles (docs/benchmarks.md, activation_ms), plus one for tests:
//   dist/extension.js       what activation needs: wiring, status bar, stores, .env watcher, placeholder commands;
//   dist/extension-lazy.js  src/extension/lazyImpl.ts: command handlers, health checks, login, reset flow, mail,
//                           .env editor, required on first use by loadImpl() (src/extension/lazyLoader.ts);
//   dist/extension-test.js  src/extension/testApi.ts: the test API and its scripted UI, required by activate()
//                           only under TOKEN_RELAY_TEST=1 (host tests); not in the .vsix.
// A module several use must exist once (one redactor, one class per `instanceof`). So every import in
// dist/extension-lazy.js or dist/extension-test.js of a module that dist/extension.js has becomes a read from a
// table, and dist/extension.js is built with a generated entry that hands exactly those modules' namespaces to
// setSharedModules(); requireBundle() lends the table to the other bundle through a global while requiring it.
const SHARED_KEY = "Symbol.for('tokenRelay.sharedModules')"; // = SHARED_MODULES_KEY in lazyLoader.ts
const extensionCommon = { ...common, external: ['./vendor/*'], define };
// Test-only code: in dist/extension-test.js only.
const TEST_ONLY = [/^src\/extension\/(testApi|scriptedUi)\.ts$/];
// What must never be in dist/extension.js (it is what the split is for).
const NOT_AT_ACTIVATION = [
  /^src\/(salesforce|mail|flow|envfile|sfcli)\//,
  /^src\/lazy\.ts$/,
  /^src\/core\/(tokenMail|html|dotenv|envContent|health|profile|resetUrl|signin)\.ts$/,
  /^src\/core\/mail\//,
  /^src\/extension\/(lazyImpl|envWriter|healthCheck|fixes|profileFields|profileEdits|sfCliSession|sfCliPlan)\.ts$/,
  /^src\/extension\/commands\/(?!index\.ts$)/,
  ...TEST_ONLY,
];
// Names that only test code has: the production bundles must not contain them (checked after every build).
const TEST_ONLY_NAMES = /\b(ScriptedUi|SwitchableUi|testsStarted|maxConcurrent|HealthCounters)\b/;

const rel = (p) => path.relative(root, path.resolve(root, p)).split(path.sep).join('/');

/** The source files dist/extension.js is made of (a dry build of src/extension.ts). */
async function activationInputs() {
  const r = await esbuild.build({
    ...extensionCommon,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    write: false,
    metafile: true,
    plugins: [vscodeOnce],
    logLevel: 'silent',
  });
  return Object.keys(r.metafile.inputs)
    .filter((f) => /^src\/.*\.ts$/.test(f))
    .map(rel)
    .sort();
}

async function buildExtension() {
  const inputs = await activationInputs();
  const bad = inputs.filter((f) => NOT_AT_ACTIVATION.some((re) => re.test(f)));
  if (bad.length) {
    throw new Error(
      `dist/extension.js would carry on-demand or test code: ${bad.join(', ')}. Reach it through loadImpl() (src/extension/lazyLoader.ts) or inject it instead of importing it.`,
    );
  }
  // 1. The on-demand and test bundles, taking every module the activation bundle has from it.
  const inActivation = new Set(inputs);
  const fromActivationBundle = {
    name: 'from-activation-bundle',
    setup(b) {
      b.onResolve({ filter: /^\./ }, async (a) => {
        if (a.pluginData === 'inner' || a.namespace !== 'file') return undefined;
        const r = await b.resolve(a.path, {
          resolveDir: a.resolveDir,
          importer: a.importer,
          kind: a.kind,
          pluginData: 'inner',
        });
        if (r.errors.length) return { errors: r.errors };
        const f = rel(r.path);
        return inActivation.has(f) ? { path: f, namespace: 'activation-bundle' } : { path: r.path };
      });
      b.onLoad({ filter: /.*/, namespace: 'activation-bundle' }, (a) => ({
        loader: 'js',
        contents: `const t = globalThis[${SHARED_KEY}];
if (!t || !(${JSON.stringify(a.path)} in t)) throw new Error('dist/extension-lazy.js and dist/extension-test.js must be loaded by loadImpl()/requireBundle() of the same build of dist/extension.js (${a.path} is missing).');
module.exports = t[${JSON.stringify(a.path)}];`,
      }));
    },
  };
  const sideBundle = async (name, entry) => {
    const r = await esbuild.build({
      ...extensionCommon,
      entryPoints: { [name]: entry },
      outdir: extOut,
      metafile: true,
      plugins: [vscodeOnce, fromActivationBundle],
    });
    const ins = Object.keys(r.metafile.inputs);
    const twice = ins.filter((f) => inActivation.has(rel(f)));
    if (twice.length) throw new Error(`in dist/extension.js and dist/${name}.js: ${twice.join(', ')}`);
    return ins;
  };
  const [lazyInputs, testInputs] = await Promise.all([
    sideBundle('extension-lazy', 'src/extension/lazyImpl.ts'),
    sideBundle('extension-test', 'src/extension/testApi.ts'),
  ]);
  const testInLazy = lazyInputs.filter((f) => TEST_ONLY.some((re) => re.test(rel(f))));
  if (testInLazy.length) throw new Error(`test-only code in dist/extension-lazy.js: ${testInLazy.join(', ')}`);
  // 2. The activation bundle, handing over the modules the other bundles take (and only those).
  const shared = [
    ...new Set(
      [...lazyInputs, ...testInputs]
        .filter((f) => f.startsWith('activation-bundle:'))
        .map((f) => f.slice('activation-bundle:'.length)),
    ),
  ].sort();
  const entry = [
    "import { setSharedModules } from './src/extension/lazyLoader';",
    ...shared.map((f, i) => `import * as m${i} from './${f}';`),
    `setSharedModules({ ${shared.map((f, i) => `${JSON.stringify(f)}: m${i}`).join(', ')} });`,
    "export * from './src/extension';",
  ].join('\n');
  await esbuild.build({
    ...extensionCommon,
    stdin: { contents: entry, resolveDir: root, sourcefile: 'extension-entry.js', loader: 'js' },
    outfile: path.join(extOut, 'extension.js'),
    plugins: [vscodeOnce],
  });
  // 3. No test code in what users get (names survive minification: they are class names and property keys).
  for (const f of ['extension.js', 'extension-lazy.js']) {
    const m = readFileSync(path.join(extOut, f), 'utf8').match(TEST_ONLY_NAMES);
    if (m)
      throw new Error(
        `dist/${f} contains test-only code (${m[0]}): keep it in src/extension/testApi.ts / scriptedUi.ts`,
      );
  }
}

// One bundle per heavy library, so the first use of one does not pay for the others.
const vendorDir = path.join(root, '.tmp', 'vendor-entries');
mkdirSync(vendorDir, { recursive: true });
// jsforce through its core entry, as src/lazy.ts (PACKAGE_ENTRY) loads it unbundled.
const vendorEntry = { jsforce: 'jsforce/lib/core', imapflow: 'imapflow', mailparser: 'mailparser' };
for (const [lib, entry] of Object.entries(vendorEntry)) {
  writeFileSync(path.join(vendorDir, `${lib}.js`), `module.exports = require(${JSON.stringify(entry)});\n`);
}
const vendor = {
  ...common,
  sourcemap: false,
  minify: true, // always minified: nobody debugs these, and size matters for the .vsix
  entryPoints: Object.fromEntries(
    ['jsforce', 'imapflow', 'mailparser'].map((l) => [l, path.join(vendorDir, `${l}.js`)]),
  ),
  outdir: 'dist/vendor',
  legalComments: 'linked',
};

if (watch) {
  await esbuild.build(vendor);
  const ctx = await esbuild.context(app);
  await ctx.watch();
  // The extension's two bundles depend on each other's module lists: rebuild both whenever a source changes.
  const ext = await esbuild.context({
    ...extensionCommon,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    write: false,
    plugins: [
      vscodeOnce,
      {
        name: 'rebuild-extension',
        setup(b) {
          b.onEnd(async (r) => {
            if (r.errors.length) return;
            try {
              await buildExtension();
              console.log(`esbuild: extension rebuilt ${new Date().toLocaleTimeString()}`);
            } catch (err) {
              console.error(`esbuild: ${err.message}`);
            }
          });
        },
      },
    ],
  });
  await ext.watch();
  console.log('esbuild: watching src/ …');
} else if (extensionOnly) {
  await buildExtension();
} else {
  await Promise.all([esbuild.build(app), esbuild.build(vendor), buildExtension()]);
  // The CLI and emulator are executables.
  for (const f of ['cli.js', 'emulator.js']) {
    const p = path.join(root, 'dist', f);
    const src = readFileSync(p, 'utf8');
    if (!src.startsWith('#!')) writeFileSync(p, `#!/usr/bin/env node\n${src}`);
    chmodSync(p, 0o755);
  }
}
