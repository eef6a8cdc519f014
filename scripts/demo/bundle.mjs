// Bundles a module that runs inside VS Code's extension host (the demo's setup step, the .vsix smoke suite).
import path from 'node:path';

/** esbuild: one CommonJS file for Node, `vscode` left to the host. Returns the output path. */
export async function bundleHostModule(entry, outfile) {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', target: 'node20',
    outfile: path.resolve(outfile), external: ['vscode'], logLevel: 'error',
  });
  return path.resolve(outfile);
}
