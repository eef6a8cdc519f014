// The translatable explanations of src/ (issue 16): every lt`…` tagged template (src/core/l10n.ts), as the key
// vscode.l10n.t looks up: the template's text with `{0}`, `{1}`… for its ${…} parts. Read with the TypeScript
// parser, so nested templates and `${…}` holding backquotes are found exactly. Used by l10n/extract.mjs and
// test/unit/l10n.test.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Every .ts file under `dir`. */
function tsFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Map of template → the files (relative) that use it. */
export function localizedTemplates(srcDir = path.join(root, 'src')) {
  const found = new Map();
  for (const file of tsFiles(srcDir)) {
    const text = readFileSync(file, 'utf8');
    if (!text.includes('lt`')) continue;
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const visit = (node) => {
      if (ts.isTaggedTemplateExpression(node) && ts.isIdentifier(node.tag) && node.tag.text === 'lt') {
        const t = node.template;
        let key;
        if (ts.isNoSubstitutionTemplateLiteral(t)) key = t.text;
        else {
          key = t.head.text;
          t.templateSpans.forEach((span, i) => {
            key += `{${i}}${span.literal.text}`;
          });
        }
        const rel = path.relative(root, file);
        found.set(key, [...(found.get(key) ?? []), rel]);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return found;
}

/** The placeholders of a template, sorted: "{0}", "{1}"… */
export function placeholders(template) {
  return [...template.matchAll(/\{(\d+)\}/g)].map((m) => m[0]).sort();
}
