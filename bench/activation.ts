/**
 * activation_ms / activation_ratio: require + activate() of dist/extension.js in a fresh Node process
 * with a `vscode` stand-in, vs the same with jsforce, imapflow and mailparser (dist/vendor bundles)
 * required eagerly first. Alternating runs, medians.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { alternate, median, round, summarize } from './lib/stats';
import type { BenchContext, FigureSet } from './lib/types';

interface ChildResult {
  ms: number;
  requireMs: number;
  activateMs: number;
  firstCommandMs: number | null;
  lazyBundleLoadedByActivation: boolean;
  loadedAtActivate: string[];
  loadedAfter: string[];
  commands: number;
  missing: string[];
}

function runChild(mode: 'lazy' | 'eager', root: string, workspace: string): Promise<ChildResult> {
  const storage = mkdtempSync(path.join(tmpdir(), 'tr-bench-storage-'));
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(__dirname, 'activation', 'child.cjs'), mode, root, storage],
      // A clean environment: no NODE_OPTIONS (tsx's loader must not be in the measured process).
      {
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TOKEN_RELAY_BENCH_WORKSPACE: workspace },
        timeout: 30_000,
      },
      (err, stdout, stderr) => {
        rmSync(storage, { recursive: true, force: true });
        if (err) return reject(new Error(`activation child (${mode}) failed: ${stderr.trim() || err.message}`));
        try {
          resolve(JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult);
        } catch {
          reject(new Error(`activation child (${mode}) printed no result: ${stdout.slice(0, 200)}`));
        }
      },
    );
  });
}

export async function benchActivation(ctx: BenchContext): Promise<FigureSet> {
  const root = ctx.root;
  const ext = path.join(root, 'dist', 'extension.js');
  for (const f of [
    ext,
    path.join(root, 'dist', 'extension-lazy.js'),
    ...['jsforce', 'imapflow', 'mailparser'].map((l) => path.join(root, 'dist', 'vendor', `${l}.js`)),
  ]) {
    if (!existsSync(f)) throw new Error(`${path.relative(root, f)} is missing: run \`npm run build\` first`);
  }
  const workspace = mkdtempSync(path.join(tmpdir(), 'tr-bench-ws-'));
  let last: ChildResult | undefined;
  const requireMs: number[] = [];
  const activateMs: number[] = [];
  const firstCommandMs: number[] = [];
  try {
    const { a: lazy, b: eager } = await alternate(
      ctx.runs.activation,
      async () => {
        last = await runChild('lazy', root, workspace);
        requireMs.push(last.requireMs);
        activateMs.push(last.activateMs);
        if (last.firstCommandMs !== null) firstCommandMs.push(last.firstCommandMs);
        return last.ms;
      },
      async () => (await runChild('eager', root, workspace)).ms,
      { warmup: 2 },
    );
    const lazyMed = median(lazy);
    const eagerMed = median(eager);
    return {
      figures: { activation_ms: round(lazyMed), activation_ratio: round(lazyMed / eagerMed) },
      details: {
        activation: {
          what: 'require(dist/extension.js) + await activate(ctx) in a fresh node process with a vscode stand-in (Node built-ins the extension host already has are loaded before the clock); eager = the same after requiring dist/vendor/{jsforce,imapflow,mailparser}.js',
          ours_ms: summarize(lazy),
          ours_require_ms: summarize(requireMs.slice(-lazy.length)),
          ours_activate_ms: summarize(activateMs.slice(-lazy.length)),
          // What activation leaves for later: the first command requires dist/extension-lazy.js (Show Log, measured
          // after activation in the same process).
          first_command_ms: firstCommandMs.length ? summarize(firstCommandMs.slice(-lazy.length)) : undefined,
          lazy_bundle_loaded_by_activate: last?.lazyBundleLoadedByActivation,
          activation_bundle_bytes: statSync(ext).size,
          lazy_bundle_bytes: existsSync(path.join(root, 'dist', 'extension-lazy.js'))
            ? statSync(path.join(root, 'dist', 'extension-lazy.js')).size
            : undefined,
          eager_ms: summarize(eager),
          commands_registered: last?.commands,
          heavy_libraries_loaded_by_activate: last?.loadedAtActivate,
          heavy_libraries_loaded_300ms_after_activate: last?.loadedAfter,
          standin_members_missing: last?.missing,
          // esbuild would wrap every `import * as vscode from 'vscode'` in __toESM(require("vscode")), which copies all
          // ~400 properties of the API object into a new object, once per importing file, during require(); the
          // vscode-once plugin in esbuild.mjs reads the members used from one require("vscode") instead (0 copies).
          vscode_namespace_copies_in_bundle: (readFileSync(ext, 'utf8').match(/[\w$]+\(require\("vscode"\)\)/g) ?? [])
            .length,
        },
      },
    };
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}
