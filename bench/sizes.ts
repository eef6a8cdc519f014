/**
 * vsix_bytes / bundle_bytes: the packaged extension (`npm run package`) and dist/ (source maps excluded).
 * `ensureArtifacts` (called by run.ts before anything is measured) runs `npm run package` when the .vsix is
 * missing or when asked to (--rebuild): that also leaves the production build (minified, no maps) in dist/,
 * which is what the activation benchmark then loads.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { FigureSet } from './lib/types';

export function vsixPath(root: string): string {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; version: string };
  return path.join(root, `${pkg.name}-${pkg.version}.vsix`);
}

function newestMtime(dir: string, skip: (p: string) => boolean = () => false): number {
  let newest = 0;
  if (!existsSync(dir)) return 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (skip(p)) continue;
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p, skip));
    else newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function filesUnder(dir: string): Array<{ rel: string; bytes: number }> {
  const out: Array<{ rel: string; bytes: number }> = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push({ rel: path.relative(dir, p), bytes: statSync(p).size });
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort((a, b) => a.rel.localeCompare(b.rel));
}

/**
 * Builds the .vsix (and the production dist/) when it is missing or `force` is set. A .vsix older than src/
 * is measured as it is, with a warning (rebuilding rewrites the shared dist/; pass --rebuild for fresh figures).
 */
export function ensureArtifacts(
  root: string,
  opts: { force: boolean; progress: (m: string) => void },
): { rebuilt?: string; stale?: string } {
  const vsix = vsixPath(root);
  let reason: string | undefined;
  if (opts.force) reason = '--rebuild';
  else if (!existsSync(vsix)) reason = 'no .vsix yet';
  else if (!existsSync(path.join(root, 'dist', 'extension.js'))) reason = 'dist/extension.js is missing';
  if (!reason) {
    const sources = Math.max(newestMtime(path.join(root, 'src')), statSync(path.join(root, 'package.json')).mtimeMs);
    const built = Math.min(statSync(vsix).mtimeMs, statSync(path.join(root, 'dist', 'extension.js')).mtimeMs);
    if (built < sources) {
      const stale =
        'the .vsix or dist/extension.js is older than src/ or package.json: figures describe that older build (use --rebuild)';
      opts.progress(`sizes: WARNING: ${stale}`);
      return { stale };
    }
    return {};
  }
  opts.progress(`sizes: running \`npm run package\` (${reason}) …`);
  const res = spawnSync('npm', ['run', '--silent', 'package'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (res.status !== 0) {
    throw new Error(
      `npm run package failed (exit ${res.status ?? res.signal}):\n${(res.stderr ?? '').trim().split('\n').slice(-15).join('\n')}`,
    );
  }
  if (!existsSync(vsix)) throw new Error(`npm run package succeeded but ${path.basename(vsix)} is not there`);
  return { rebuilt: reason };
}

export function measureSizes(root: string): FigureSet {
  const vsix = vsixPath(root);
  if (!existsSync(vsix)) throw new Error(`${path.basename(vsix)} is missing: run \`npm run package\``);
  const dist = filesUnder(path.join(root, 'dist'));
  const maps = dist.filter((f) => f.rel.endsWith('.map'));
  const counted = dist.filter((f) => !f.rel.endsWith('.map'));
  const bundleBytes = counted.reduce((s, f) => s + f.bytes, 0);
  return {
    figures: { vsix_bytes: statSync(vsix).size, bundle_bytes: bundleBytes },
    details: {
      sizes: {
        vsix: path.basename(vsix),
        bundle_bytes_excludes: `source maps (${maps.length} file(s), ${maps.reduce((s, f) => s + f.bytes, 0)} bytes)`,
        build: /\/\/# sourceMappingURL=\S+\s*$/.test(
          readFileSync(path.join(root, 'dist', 'extension.js'), 'utf8').slice(-300),
        )
          ? 'development (npm run build: linked source maps)'
          : 'production (npm run package: minified, no source maps)',
        dist_files: Object.fromEntries(counted.map((f) => [f.rel, f.bytes])),
      },
    },
  };
}
