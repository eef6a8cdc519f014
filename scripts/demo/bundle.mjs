// Bundles a module that runs inside VS Code's extension host (the demo's setup step, the .vsix smoke suite).
import path from 'node:path';

/** esbuild: one CommonJS file for Node, `vscode` left to the host. Returns the output path. */
export async function bundleHostModule(entry, outfile) {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: path.resolve(outfile),
    external: ['vscode'],
    logLevel: 'error',
  });
  return path.resolve(outfile);
}

/**
 * The throwaway "demo setup" extension (scripts/demo/host-setup.ts as its activate()), written into `dir`. It is
 * loaded as a second development extension next to this repository and depends on Token Relay, so it runs after it.
 */
export async function makeDemoSetupExtension(dir) {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
  mkdirSync(dir, { recursive: true });
  await bundleHostModule(path.join(root, 'scripts', 'demo', 'host-setup.ts'), path.join(dir, 'index.js'));
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify(
      {
        name: 'token-relay-demo-setup',
        publisher: 'token-relay-demo',
        displayName: 'Token Relay demo setup (npm run demo)',
        description: 'Hands the demo mailbox to Token Relay; made and deleted by npm run demo.',
        version: '0.0.0',
        engines: { vscode: '^1.96.0' },
        main: './index.js',
        activationEvents: ['onStartupFinished'],
        extensionKind: ['workspace'],
        extensionDependencies: ['token-relay.token-relay-salesforce'],
      },
      null,
      2,
    ),
  );
  return path.resolve(dir);
}

/**
 * code-server workbench URL for `folder` with several development extensions (scripts/lib/codeServer.mjs's
 * payloadUrl takes one; the workbench accepts the entry repeatedly).
 */
export function workbenchUrl(base, { folder, extensionDevelopmentPaths = [] }) {
  const payload = extensionDevelopmentPaths.map((p) => ['extensionDevelopmentPath', `vscode-remote://remote${p}`]);
  const q = new URLSearchParams();
  if (folder) q.set('folder', folder);
  if (payload.length) q.set('payload', JSON.stringify(payload));
  return `${base}/?${q.toString()}`;
}

/** Packs the demo setup extension in `dir` into a .vsix (vsce's API, offline). */
export async function packDemoSetupExtension(dir, outVsix) {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(path.join(dir, 'README.md'), '# Token Relay demo setup\n\nMade and deleted by `npm run demo`.\n');
  writeFileSync(path.join(dir, 'LICENSE'), 'MIT\n');
  const { createVSIX } = require('@vscode/vsce');
  const quiet = console.log;
  console.log = () => {}; // vsce prints its file tree; the demo has its own console
  try {
    await createVSIX({
      cwd: dir,
      packagePath: outVsix,
      dependencies: false,
      allowMissingRepository: true,
      skipLicense: true,
      allowStarActivation: true,
    });
  } finally {
    console.log = quiet;
  }
  return outVsix;
}

/**
 * `code-server --install-extension` into the extensions dir of a code-server data dir laid out the way
 * scripts/lib/codeServer.mjs's startCodeServer({ dataDir }) uses it.
 */
export async function installIntoCodeServer(vsix, dataDir) {
  const { ensureCodeServer } = await import('../lib/codeServer.mjs');
  const { spawnSync } = await import('node:child_process');
  const { mkdirSync } = await import('node:fs');
  const { nodeBin, entry } = await ensureCodeServer({ log: (l) => process.stderr.write(`  [code-server] ${l}\n`) });
  const dirs = {
    ext: path.join(dataDir, 'extensions'),
    user: path.join(dataDir, 'user-data'),
    tmp: path.join(dataDir, 'tmp'),
    data: path.join(dataDir, 'xdg-data'),
    config: path.join(dataDir, 'xdg-config'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  const res = spawnSync(
    nodeBin,
    [entry, '--user-data-dir', dirs.user, '--extensions-dir', dirs.ext, '--install-extension', vsix],
    {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, XDG_DATA_HOME: dirs.data, XDG_CONFIG_HOME: dirs.config, TMPDIR: dirs.tmp },
    },
  );
  if (res.status !== 0)
    throw new Error(
      `code-server --install-extension ${path.basename(vsix)} failed (exit ${res.status}):\n${res.stdout}${res.stderr}`,
    );
  return dirs.ext;
}
