/**
 * src/emulator is a support server beside the product: it may use src/core and src/lazy, never test/ nor the
 * extension, CLI, mail, Salesforce or flow code; and nothing of the product imports it (only its own files do).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const SRC = path.join(ROOT, 'src');
const EMU = path.join(SRC, 'emulator');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}
/** Resolved targets of the relative imports (`from '…'`, `import('…')`, `require('…')`) of a file. */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)['"](\.[^'"]*)['"]/gm)].map((m) => path.resolve(path.dirname(file), m[1]!));
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

test('nothing else in src/ imports src/emulator', () => {
  const bad: string[] = [];
  for (const f of tsFiles(SRC).filter((f) => !inside(f, EMU))) {
    for (const target of relativeImports(f)) if (inside(target, EMU)) bad.push(`${path.relative(ROOT, f)} → ${path.relative(ROOT, target)}`);
  }
  assert.deepEqual(bad, []);
});
