#!/usr/bin/env node
// `npm run package`: the .vsix, offline.
//   1. production bundles (node esbuild.mjs --production: minified, no source maps),
//   2. a load check of dist/extension.js outside VS Code (a missing require fails here, not in a user's editor),
//   3. `vsce package --no-dependencies` (everything the extension needs is bundled; .vscodeignore is a whitelist),
//      with absolute base URLs for README links/images derived from package.json `repository` (vsce rejects
//      relative image links otherwise, and would ask a question without `repository`),
//   4. a check of the archive: only whitelisted files, no source maps, no .env, no TypeScript, no node_modules,
//   5. prints the file list and the .vsix size.
// Usage: node scripts/package.mjs [--out FILE.vsix] [--skip-build]
// Prints the .vsix path as the last stdout line (scripts/vsix-smoke.mjs uses it).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const argValue = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const out = path.resolve(root, argValue('--out') ?? `${pkg.name}-${pkg.version}.vsix`);

function step(msg) {
  process.stderr.write(`package: ${msg}\n`);
}
function fail(msg) {
  process.stderr.write(`package: FAILED: ${msg}\n`);
  process.exit(1);
}
function run(cmd, cmdArgs, opts = {}) {
  const res = spawnSync(cmd, cmdArgs, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (res.error) fail(`${cmd}: ${res.error.message}`);
  if (res.status !== 0) fail(`${cmd} ${cmdArgs.join(' ')} exited with ${res.status ?? res.signal}`);
  return res;
}

// --- 1. bundles --------------------------------------------------------------------------------------------
if (!args.includes('--skip-build')) {
  step('bundling (node esbuild.mjs --production)');
  run(process.execPath, ['esbuild.mjs', '--production']);
}
for (const f of [
  'dist/extension.js',
  'dist/extension-lazy.js',
  'dist/vendor/jsforce.js',
  'dist/vendor/imapflow.js',
  'dist/vendor/mailparser.js',
]) {
  if (!existsSync(path.join(root, f))) fail(`${f} is missing: run node esbuild.mjs --production`);
}

// --- 2. the bundle loads without VS Code and without node_modules ----------------------------------------------
// A child process with a stub `vscode` module: requiring dist/extension.js must not throw (activation is the
// smoke test's job). NODE_PATH is cleared so a require that esbuild left external would fail here too.
{
  const probe = `
    const Module = require('module');
    const orig = Module._resolveFilename;
    Module._resolveFilename = function (req, ...rest) { return req === 'vscode' ? 'vscode' : orig.call(this, req, ...rest); };
    require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: new Proxy({}, { get: () => new Proxy(function () {}, { get: (t, k) => (k === 'prototype' ? {} : undefined) }) }) };
    const m = require(${JSON.stringify(path.join(root, 'dist', 'extension.js'))});
    if (typeof m.activate !== 'function') { console.error('dist/extension.js exports no activate()'); process.exit(1); }
  `;
  const res = spawnSync(process.execPath, ['-e', probe], {
    cwd: '/',
    env: { PATH: process.env.PATH ?? '', NODE_PATH: '' },
    encoding: 'utf8',
  });
  if (res.status !== 0) fail(`dist/extension.js does not load on its own:\n${(res.stderr || '').slice(0, 2000)}`);
  step('dist/extension.js loads without node_modules');
}

// --- 3. vsce ------------------------------------------------------------------------------------------------
const repoUrl = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
if (!repoUrl) fail('package.json has no "repository": vsce would stop and ask a question');
const web = repoUrl
  .replace(/^git\+/, '')
  .replace(/\.git$/, '')
  .replace(/\/$/, '');
if (!/^https:\/\//.test(web)) fail(`package.json repository must be an https URL (got ${repoUrl})`);
if (!pkg.icon) step('warning: package.json has no "icon" (media/icon.png)');
const vsce = require.resolve('@vscode/vsce/vsce');
step(`vsce package --no-dependencies → ${path.relative(root, out)}`);
run(
  process.execPath,
  [
    vsce,
    'package',
    '--no-dependencies',
    '--no-yarn',
    '--baseContentUrl',
    `${web}/blob/HEAD/`,
    '--baseImagesUrl',
    `${web}/raw/HEAD/`,
    '--out',
    out,
  ],
  { env: { ...process.env, VSCE_TELEMETRY: '0' }, stdio: ['ignore', 2, 'inherit'] },
);

// --- 4. what is inside ----------------------------------------------------------------------------------------
const entries = spawnSync('unzip', ['-Z1', out], { encoding: 'utf8' });
let names;
if (entries.status === 0) names = entries.stdout.split('\n').filter(Boolean);
else names = await listZipEntries(out);

const allowed = [
  /^extension\.vsixmanifest$/,
  /^\[Content_Types\]\.xml$/,
  /^extension\/package\.json$/,
  /^extension\/package\.nls(\.[\w-]+)?\.json$/,
  /^extension\/l10n\/bundle\.l10n(\.[\w-]+)?\.json$/,
  /^extension\/readme\.md$/i,
  /^extension\/changelog\.md$/i,
  /^extension\/LICENSE(\.txt)?$/i,
  /^extension\/SECURITY\.md$/i,
  /^extension\/dist\/extension(-lazy)?\.js$/,
  /^extension\/dist\/vendor\/[\w.-]+\.(js|LEGAL\.txt)$/,
  /^extension\/media\/icon\.png$/,
  /^extension\/media\/walkthrough\/[\w./-]+\.(md|png|svg|gif|jpg)$/,
];
const unexpected = names.filter((n) => !allowed.some((re) => re.test(n)));
if (unexpected.length) fail(`unexpected files in the .vsix (fix .vscodeignore):\n  ${unexpected.join('\n  ')}`);
for (const must of [
  'extension/package.json',
  'extension/dist/extension.js',
  'extension/dist/extension-lazy.js',
  'extension/media/icon.png',
]) {
  if (!names.includes(must)) fail(`${must} is missing from the .vsix`);
}
for (const must of [/^extension\/readme\.md$/i, /^extension\/changelog\.md$/i, /^extension\/LICENSE/i]) {
  if (!names.some((n) => must.test(n)))
    step(`warning: no ${must.source.replace(/\\/g, '').replace(/^\^extension\//, '')} in the .vsix`);
}
// A manifest with %placeholders% needs its package.nls.json, or the palette shows "%command.resetToken%".
if (
  /"%[\w.-]+%"/.test(readFileSync(path.join(root, 'package.json'), 'utf8')) &&
  !names.includes('extension/package.nls.json')
) {
  fail('package.json uses %placeholders% but package.nls.json is not in the .vsix (.vscodeignore)');
}
if (pkg.l10n && !names.some((n) => /^extension\/l10n\/bundle\.l10n\.json$/.test(n))) {
  fail(`package.json has "l10n": ${JSON.stringify(pkg.l10n)} but l10n/bundle.l10n.json is not in the .vsix`);
}
for (const lib of ['jsforce', 'imapflow', 'mailparser']) {
  if (!names.includes(`extension/dist/vendor/${lib}.js`)) fail(`dist/vendor/${lib}.js is missing from the .vsix`);
}

const size = statSync(out).size;
const mb = (size / 1024 / 1024).toFixed(2);
process.stderr.write(`${names.map((n) => `  ${n}`).join('\n')}\n`);
step(`${path.relative(root, out)}: ${size} bytes (${mb} MB), ${names.length} entries`);
console.log(out);

/** Central-directory reader (no dependencies) for machines without unzip. */
async function listZipEntries(file) {
  const buf = readFileSync(file);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail(`${file} is not a zip archive`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) fail(`${file}: corrupt central directory`);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    out.push(buf.toString('utf8', p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}
