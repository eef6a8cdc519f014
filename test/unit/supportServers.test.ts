/**
 * The support servers beside the product (src/emulator: the Salesforce emulator; src/imapServer: Dovecot or the
 * embedded IMAP server) run the tests, benchmarks and demo, and never ship:
 *  - src/emulator may use src/core and src/lazy; src/imapServer may use src/core, node built-ins, imapflow and
 *    hoodiecrow-imap (a devDependency). Neither imports test/, the other support server, nor the extension, CLI,
 *    mail, Salesforce or flow code;
 *  - nothing of the product imports them (only their own files do), so no product bundle can contain them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const SRC = path.join(ROOT, 'src');
const EMU = path.join(SRC, 'emulator');
const IMAP = path.join(SRC, 'imapServer');
const SUPPORT = [EMU, IMAP];

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}
/** Specifiers of a file's imports (`from '…'`, `import('…')`, `require('…')`, `import '…'`). */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)['"]([^'"]*)['"]/gm)].map(
    (m) => m[1]!,
  );
}
/** Resolved targets of the relative imports of a file. */
function relativeImports(file: string): string[] {
  return specifiers(file)
    .filter((s) => s.startsWith('.'))
    .map((s) => path.resolve(path.dirname(file), s));
}
const inside = (p: string, dir: string) => p === dir || p.startsWith(dir + path.sep);

test('src/emulator imports only itself, src/core and src/lazy', () => {
  const bad: string[] = [];
  for (const f of tsFiles(EMU)) {
    for (const target of relativeImports(f)) {
      const ok = inside(target, EMU) || inside(target, path.join(SRC, 'core')) || target === path.join(SRC, 'lazy');
      if (!ok) bad.push(`${path.relative(ROOT, f)} → ${path.relative(ROOT, target)}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('src/imapServer imports only itself, src/core, node built-ins, imapflow and hoodiecrow-imap', () => {
  const packages = new Set(['imapflow', 'hoodiecrow-imap']);
  const bad: string[] = [];
  const files = tsFiles(IMAP);
  assert.ok(
    files.some((f) => f.endsWith(`${path.sep}index.ts`)),
    'the walk found src/imapServer/index.ts',
  );
  for (const f of files) {
    for (const spec of specifiers(f)) {
      if (spec.startsWith('.')) {
        const target = path.resolve(path.dirname(f), spec);
        if (!inside(target, IMAP) && !inside(target, path.join(SRC, 'core')))
          bad.push(`${path.relative(ROOT, f)} → ${path.relative(ROOT, target)}`);
      } else if (!builtinModules.includes(spec.replace(/^node:/, '')) && !packages.has(spec)) {
        bad.push(`${path.relative(ROOT, f)} → package '${spec}'`);
      }
    }
  }
  assert.deepEqual(bad, []);
});

test('nothing else in src/ imports a support server (src/emulator, src/imapServer)', () => {
  const bad: string[] = [];
  for (const dir of SUPPORT) {
    for (const f of tsFiles(SRC).filter((f) => !inside(f, dir))) {
      for (const target of relativeImports(f))
        if (inside(target, dir)) bad.push(`${path.relative(ROOT, f)} → ${path.relative(ROOT, target)}`);
    }
  }
  assert.deepEqual(bad, []);
});
