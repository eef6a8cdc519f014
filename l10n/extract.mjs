// Regenerates l10n/bundle.l10n.json (the English source bundle) from every vscode.l10n.t('…') literal in
// src/extension/** and src/extension.ts, plus the health-state labels and the reset flow's status lines
// (passed through vscode.l10n.t at runtime), plus the lt`…` explanations of src/ (l10n/templates.mjs).
// Reports strings missing from the Japanese bundle.
//   node l10n/extract.mjs
import { readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { localizedTemplates } from './templates.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const files = [];
const walk = (d) => {
  for (const e of readdirSync(d)) {
    const p = path.join(d, e);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts')) files.push(p);
  }
};
walk(path.join(root, 'src', 'extension'));
files.push(path.join(root, 'src', 'extension.ts'));

const strings = new Set();
const re = /vscode\.l10n\.t\(\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")/g;
for (const f of files) {
  const src = readFileSync(f, 'utf8');
  for (const m of src.matchAll(re)) {
    const lit = m[1];
    const body = lit.slice(1, -1).replace(/\\'/g, "'").replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    strings.add(body);
  }
}
// Dynamic keys: health labels (src/core/healthStates.ts) and the flow's status lines (src/flow/resetFlow.ts).
for (const src of [readFileSync(path.join(root, 'src/core/healthStates.ts'), 'utf8')]) {
  for (const m of src.matchAll(/label: '([^']+)'/g)) strings.add(m[1]);
}
const flow = path.join(root, 'src/flow/resetFlow.ts');
if (existsSync(flow)) {
  const src = readFileSync(flow, 'utf8');
  for (const m of src.matchAll(/status\('([^']+)'\)/g)) strings.add(m[1]);
  for (const m of src.matchAll(/^\s+(?:'[a-z-]+'|[a-z]+): '([^']+)',$/gm)) strings.add(m[1]);
}
// The explanations of core, the mailbox and the .env code: every lt`…` template (src/core/l10n.ts).
for (const t of localizedTemplates().keys()) strings.add(t);
const bundle = Object.fromEntries([...strings].sort().map((s) => [s, s]));
writeFileSync(path.join(root, 'l10n', 'bundle.l10n.json'), `${JSON.stringify(bundle, null, 2)}\n`);
const jaPath = path.join(root, 'l10n', 'bundle.l10n.ja.json');
const ja = existsSync(jaPath) ? JSON.parse(readFileSync(jaPath, 'utf8')) : {};
const missing = [...strings].filter((s) => !(s in ja));
const stale = Object.keys(ja).filter((k) => !strings.has(k));
console.log(
  `l10n: ${strings.size} strings; ja: ${Object.keys(ja).length - stale.length} translated, ${missing.length} untranslated (English shown), ${stale.length} stale`,
);
if (process.argv.includes('--missing')) for (const s of missing) console.log(`  ${JSON.stringify(s)}`);
