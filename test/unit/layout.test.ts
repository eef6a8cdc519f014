/**
 * The layout rules (DEVELOPERS.md "Layout and arrows"), checked on the sources:
 *  (a) core does no I/O: no file under src/core imports fs, child_process, net, http(s), tls (with or without
 *      `node:`), vscode, jsforce, imapflow or mailparser;
 *  (b) nothing that ships or measures imports test code: no file in src/, bench/, scripts/ or esbuild.mjs
 *      imports from test/ (esbuild.mjs: an entry point under test/ counts too);
 *  (c) no import cycle among the files of src/ (relative imports, `import type` included).
 * The checker reads a file list (path + text), so the last tests can feed it bad files without touching src/.
 * TypeScript 7 has no JS API, so imports are found by a small scanner that skips comments, template text and
 * regular-expression literals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

// (b) has no allowlist: the support servers live in src/emulator and src/imapServer, and the host-test runner in
// scripts/lib (hostHarness.mjs, hostStack.ts). What (b) forbids is importing a MODULE from test/ (a static or
// dynamic import, a re-export, a require). A test runner may still NAME files under test/ as data: paths it gives
// esbuild to bundle (scripts/lib/hostHarness.mjs builds test/host/*.test.ts, scripts/vsix-smoke.mjs
// test/vsix/suite.ts) or hands to a spawned process (scripts/test.mjs runs test/**/*.test.ts): that code runs in
// the extension host or a child process, never inside the runner. esbuild.mjs is stricter: it builds what ships,
// so an entry point under test/ counts as an import there.

const CORE_FORBIDDEN = ['fs', 'fs/promises', 'child_process', 'net', 'http', 'https', 'tls'];
const CORE_FORBIDDEN_PACKAGES = ['vscode', 'jsforce', 'imapflow', 'mailparser'];

export interface SourceFile {
  /** Relative to the repository root, with `/`. */
  path: string;
  text: string;
}

/**
 * The code of a JS/TS file with comments blanked, template-literal text blanked (the `${…}` code kept) and
 * regular-expression literals blanked; string literals are kept (they hold the module specifiers).
 */
export function codeOnly(src: string): string {
  let out = '';
  let i = 0;
  const n = src.length;
  let depth = 0;
  const templateDepths: number[] = [];
  let prev = ''; // last significant character of code
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  while (i < n) {
    const c = src[i]!;
    const d = src[i + 1];
    if (c === '/' && d === '/') {
      const e = src.indexOf('\n', i);
      const end = e < 0 ? n : e;
      out += blank(src.slice(i, end));
      i = end;
      continue;
    }
    if (c === '/' && d === '*') {
      const e = src.indexOf('*/', i + 2);
      const end = e < 0 ? n : e + 2;
      out += blank(src.slice(i, end));
      i = end;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && src[j] !== c && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j + 1;
      prev = 'a';
      continue;
    }
    if (c === '`' || (c === '}' && templateDepths.length && templateDepths[templateDepths.length - 1] === depth)) {
      if (c === '}') templateDepths.pop();
      let j = i + 1;
      while (j < n && src[j] !== '`' && !(src[j] === '$' && src[j + 1] === '{')) j += src[j] === '\\' ? 2 : 1;
      out += c + blank(src.slice(i + 1, j));
      if (j >= n || src[j] === '`') {
        out += j < n ? '`' : '';
        i = j + 1;
        prev = 'a';
      } else {
        out += '${';
        templateDepths.push(depth);
        i = j + 2;
        prev = '{';
      }
      continue;
    }
    if (
      c === '/' &&
      (prev === '' ||
        '(,=:[!&|?{};+-*%<>~^'.includes(prev) ||
        /\b(?:return|typeof|case|of|in|void|yield|await)$/.test(out.trimEnd()))
    ) {
      let j = i + 1;
      let inClass = false;
      while (j < n && src[j] !== '\n') {
        const ch = src[j]!;
        if (ch === '\\') {
          j += 2;
          continue;
        }
        if (inClass) {
          if (ch === ']') inClass = false;
        } else if (ch === '[') inClass = true;
        else if (ch === '/') break;
        j++;
      }
      out += blank(src.slice(i, j + 1));
      i = j + 1;
      prev = 'a';
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') depth--;
    out += c;
    if (!/\s/.test(c)) prev = c;
    i++;
  }
  return out;
}

/** Every module specifier a file imports: static imports and re-exports (type-only too), import(), require(). */
export function importsOf(text: string): string[] {
  const code = codeOnly(text);
  const out: string[] = [];
  const patterns = [
    /(?:^|[;}\n])\s*(?:import|export)\s[^;'"`]*?\bfrom\s*(['"])([^'"\n]+)\1/g,
    /(?:^|[;}\n])\s*import\s*(['"])([^'"\n]+)\1/g,
    /\b(?:import|require)\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) out.push(m[2]!);
  return [...new Set(out)];
}

/** Entry points given to esbuild as plain strings (`'test/servers/x.ts'`): they import like an import does. */
function pathStringsOf(text: string): string[] {
  return [...codeOnly(text).matchAll(/(['"])((?:\.\/)?[A-Za-z0-9_.-]+\/[^'"\n]*\.(?:ts|mjs|js))\1/g)].map((m) => m[2]!);
}

/**
 * Computed imports (`import(path.join(root, 'test', 'x.ts'))`, `require(base + '/test/x')`) whose argument names
 * test/ in a string: the scanner cannot resolve them, so a `'test'` or `'…test/…'` string inside the parentheses
 * counts as an import of test/ (one level of nested calls is read).
 */
function computedTestImportsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of codeOnly(text).matchAll(/\b(?:import|require)\s*\(((?:[^()]|\([^()]*\))*)\)/g)) {
    const arg = m[1]!.trim();
    if (/^(['"])[^'"]*\1$/.test(arg)) continue; // a plain literal: importsOf() resolves it
    if (/(['"])(?:(?:\.{1,2}\/)*test|[^'"\n]*\/test)(?:\/[^'"\n]*)?\1/.test(arg))
      out.push(`test/ (computed: import(${arg}))`);
  }
  return out;
}

const EXTENSIONS = ['', '.ts', '.tsx', '.mts', '.mjs', '.js', '.cjs', '/index.ts', '/index.mjs', '/index.js'];

/** The repository path a relative specifier names (resolved against `known` files when they exist). */
export function resolveRelative(from: string, spec: string, known: ReadonlySet<string>): string {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  for (const ext of EXTENSIONS) if (known.has(base + ext)) return base + ext;
  if (/\.js$/.test(base) && known.has(base.replace(/\.js$/, '.ts'))) return base.replace(/\.js$/, '.ts');
  return base;
}

function bareName(spec: string): string {
  return spec.replace(/^node:/, '');
}

/** Strongly connected components with more than one file (or a file importing itself): Tarjan. */
export function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}

/** Checks the three rules on a list of files; returns one message per violation (empty = fine). */
export function checkLayout(files: readonly SourceFile[]): string[] {
  const known = new Set(files.map((f) => f.path));
  const problems: string[] = [];
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const specs = importsOf(f.text);
    // (a)
    if (f.path.startsWith('src/core/')) {
      for (const spec of specs) {
        const name = bareName(spec);
        const pkg = name.split('/')[0]!;
        if (CORE_FORBIDDEN.includes(name) || CORE_FORBIDDEN.includes(pkg) || CORE_FORBIDDEN_PACKAGES.includes(pkg)) {
          problems.push(
            `rule (a) "src/core does no I/O and uses no host or heavy library": ${f.path} imports '${spec}'. Move the I/O to src/envfile, src/mail or src/salesforce, and keep the pure part in core.`,
          );
        }
      }
    }
    // (b)
    if (/^(src|bench|scripts)\//.test(f.path) || f.path === 'esbuild.mjs') {
      const refs = specs.filter((s) => s.startsWith('.')).map((s) => resolveRelative(f.path, s, known));
      if (f.path === 'esbuild.mjs') refs.push(...pathStringsOf(f.text).map((s) => path.posix.normalize(s)));
      const bad = [
        ...new Set([...refs.filter((r) => r === 'test' || r.startsWith('test/')), ...computedTestImportsOf(f.text)]),
      ];
      if (bad.length) {
        problems.push(
          `rule (b) "src/, bench/, scripts/ and esbuild.mjs never import test/": ${f.path} imports ${bad.join(', ')}. Give the code a home outside test/.`,
        );
      }
    }
    // (c): the graph of src/ files
    if (f.path.startsWith('src/')) {
      const deps = specs
        .filter((s) => s.startsWith('.'))
        .map((s) => resolveRelative(f.path, s, known))
        .filter((r) => r.startsWith('src/') && known.has(r));
      graph.set(f.path, [...new Set(deps)]);
    }
  }
  for (const cycle of cyclesOf(graph)) {
    problems.push(
      `rule (c) "no import cycle in src/": these ${cycle.length} files import each other in a loop: ${cycle.join(', ')}. Break it by moving the shared part (often a type) to a file both sides import.`,
    );
  }
  return problems;
}

function walk(dir: string, exts: RegExp, out: SourceFile[]): void {
  let entries;
  try {
    entries = readdirSync(path.join(root, dir), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) walk(rel, exts, out);
    else if (exts.test(e.name) && !e.name.endsWith('.d.ts'))
      out.push({ path: rel, text: readFileSync(path.join(root, rel), 'utf8') });
  }
}

function repositoryFiles(): SourceFile[] {
  const out: SourceFile[] = [];
  walk('src', /\.tsx?$/, out);
  walk('bench', /\.(ts|mts|mjs|js|cjs)$/, out);
  walk('scripts', /\.(ts|mts|mjs|js|cjs)$/, out);
  out.push({ path: 'esbuild.mjs', text: readFileSync(path.join(root, 'esbuild.mjs'), 'utf8') });
  return out;
}

test('the sources follow the layout rules (core does no I/O, nothing imports test/, no import cycle in src/)', () => {
  const files = repositoryFiles();
  assert.ok(
    files.some((f) => f.path === 'src/core/tokenMail.ts') && files.some((f) => f.path.startsWith('bench/')),
    'the walk found the sources',
  );
  const problems = checkLayout(files);
  assert.deepEqual(problems, [], `\n${problems.join('\n')}`);
});

test('the import scanner sees every form of import and nothing in comments, strings or templates', () => {
  const text = [
    "import type { A } from './a';",
    "import {\n  b,\n  c,\n} from './b';",
    "export { d } from './d';",
    "export * as e from './e';",
    "import './f';",
    "const g = await import('./g');",
    "const h = require('node:h');",
    "// import x from './comment';",
    "/* import y from './block'; */",
    "const s = 'from ./string';",
    "const t = `import z from './template' ${require('./in-template')}`;",
    "const r = /import q from '.\\/regex'/;",
    "const half = a / 2; import k from './after-division';",
  ].join('\n');
  assert.deepEqual(
    importsOf(text).sort(),
    ['./a', './after-division', './b', './d', './e', './f', './g', './in-template', 'node:h'].sort(),
  );
});

test('rule (a) fires on an I/O or host import under src/core, and only there', () => {
  for (const spec of [
    'node:fs',
    'fs',
    'fs/promises',
    'node:fs/promises',
    'child_process',
    'node:child_process',
    'node:net',
    'http',
    'node:https',
    'tls',
    'vscode',
    'jsforce',
    'jsforce/lib/core',
    'imapflow',
    'mailparser',
  ]) {
    const bad = { path: 'src/core/bad.ts', text: `import x from '${spec}';\nexport const y = x;\n` };
    const problems = checkLayout([bad]);
    assert.equal(problems.length, 1, spec);
    assert.match(problems[0]!, /rule \(a\)/);
    assert.ok(problems[0]!.includes('src/core/bad.ts') && problems[0]!.includes(spec), problems[0]);
  }
  assert.deepEqual(
    checkLayout([
      { path: 'src/core/fine.ts', text: "import path from 'node:path';\nimport { createHash } from 'node:crypto';\n" },
    ]),
    [],
  );
  assert.deepEqual(
    checkLayout([{ path: 'src/envfile/io.ts', text: "import * as fsp from 'node:fs/promises';\n" }]),
    [],
  );
  // Dynamic and type-only imports count too.
  assert.equal(
    checkLayout([{ path: 'src/core/dyn.ts', text: "export const f = () => import('node:child_process');\n" }]).length,
    1,
  );
  assert.equal(checkLayout([{ path: 'src/core/t.ts', text: "import type * as vscode from 'vscode';\n" }]).length, 1);
});

test('rule (b) fires on an import of test/ from src, bench, scripts or esbuild.mjs', () => {
  const cases: SourceFile[] = [
    { path: 'src/cli/bad.ts', text: "import { startEmulator } from '../../test/servers/emulator';\n" },
    { path: 'bench/bad.ts', text: "import type { ImapServer } from '../test/servers/imap';\n" },
    { path: 'scripts/demo/bad.mjs', text: "const m = await import('../../test/servers/emulator.ts');\n" },
    { path: 'esbuild.mjs', text: "const app = { entryPoints: { emulator: 'test/servers/emulatorCli.ts' } };\n" },
    {
      path: 'scripts/lib/bad.mjs',
      text: "const { s } = await import(path.join(root, 'test', 'servers', 'stack.ts'));\n",
    },
    { path: 'bench/bad2.ts', text: "const m = require(root + '/test/servers/imap');\n" },
  ];
  for (const f of cases) {
    const problems = checkLayout([f]);
    assert.equal(problems.length, 1, f.path);
    assert.match(problems[0]!, /rule \(b\)/);
    assert.ok(problems[0]!.includes(f.path) && /test\/servers\/|'test', 'servers'/.test(problems[0]!), problems[0]);
  }
  // A runner may name files under test/ as data (esbuild entry points, a spawned process), and compute other imports.
  assert.deepEqual(
    checkLayout([
      {
        path: 'scripts/lib/runner.mjs',
        text: "const entries = readdirSync(path.join(root, 'test', 'host')).map((f) => path.join(root, 'test', 'host', f));\nawait esbuild.build({ entryPoints: entries });\nspawn(process.execPath, ['--test', 'test/unit/x.test.ts']);\nconst mod = await import(pathToFileURL(path.join(here, 'stack.ts')).href);\n",
      },
    ]),
    [],
  );
  // Tests may import tests; src may import src.
  assert.deepEqual(checkLayout([{ path: 'test/unit/x.test.ts', text: "import '../servers/emulator';\n" }]), []);
  assert.deepEqual(checkLayout([{ path: 'src/cli/ok.ts', text: "import { x } from '../core/x';\n" }]), []);
});

test('rule (c) fires on an import cycle in src/ (type-only imports too) and names its files', () => {
  const files: SourceFile[] = [
    { path: 'src/a/one.ts', text: "import { two } from './two';\nexport const one = 1;\n" },
    { path: 'src/a/two.ts', text: "import type { Three } from '../b/three';\nexport const two = 2;\n" },
    { path: 'src/b/three.ts', text: "import { one } from '../a/one';\nexport type Three = number;\n" },
    { path: 'src/b/index.ts', text: "export * from './three';\n" },
    { path: 'src/c/free.ts', text: "import { one } from '../a/one';\nimport { x } from '../b';\n" },
  ];
  const problems = checkLayout(files);
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.match(problems[0]!, /rule \(c\)/);
  assert.ok(problems[0]!.includes('src/a/one.ts, src/a/two.ts, src/b/three.ts'), problems[0]);
  assert.ok(!problems[0]!.includes('free.ts'));
  // A self-import is a cycle.
  assert.equal(checkLayout([{ path: 'src/self.ts', text: "import './self';\n" }]).length, 1);
});
