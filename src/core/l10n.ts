/**
 * Translatable explanations (issue 16 item 5) without vscode in core: a message written as the tagged template
 * lt`Salesforce refused the login (${code}).` is a LocalizedText: its `template` ("Salesforce refused the login
 * ({0}).") is the stable key of l10n/bundle.l10n*.json, its `args` the values (another LocalizedText for a part that
 * is itself translated), and `english` the English sentence (what the CLI, the logs and the JSON show).
 * The extension renders it through vscode.l10n.t (src/extension/explain.ts); test/unit/l10n.test.ts finds every
 * lt`…` in the source and fails when the Japanese bundle lacks its template. Placeholders are `{0}`, `{1}`… as
 * vscode.l10n.t has them; a translation may reorder them.
 *
 * Pure: no imports.
 */
export type LocalizedArg = string | number | LocalizedText;

export interface LocalizedText {
  readonly template: string;
  readonly args: readonly LocalizedArg[];
  readonly english: string;
}

/** A LocalizedText, also one made by the other extension bundle (plain data, matched by shape). */
export function isLocalizedText(x: unknown): x is LocalizedText {
  return (
    !!x &&
    typeof x === 'object' &&
    typeof (x as LocalizedText).template === 'string' &&
    Array.isArray((x as LocalizedText).args) &&
    typeof (x as LocalizedText).english === 'string'
  );
}

/** `{0}`, `{1}`… of `template` replaced by `args` (a placeholder without an argument stays as it is). */
export function fillTemplate(template: string, args: readonly string[]): string {
  return template.replace(/\{(\d+)\}/g, (m, i: string) => args[Number(i)] ?? m);
}

function argEnglish(a: LocalizedArg | null | undefined): string {
  if (a === null || a === undefined) return '';
  return typeof a === 'object' ? a.english : String(a);
}

/** The tag: lt`text ${value} text`. `undefined`/`null` values count as ''. */
export function lt(strings: TemplateStringsArray, ...values: Array<LocalizedArg | null | undefined>): LocalizedText {
  let template = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) template += `{${i}}${strings[i + 1] ?? ''}`;
  const args = values.map((v) => (v === null || v === undefined ? '' : v));
  return { template, args, english: fillTemplate(template, args.map(argEnglish)) };
}

/** A LocalizedText of fixed text (no placeholders). */
export function ltText(text: string): LocalizedText {
  return { template: text, args: [], english: text };
}

/**
 * Renders `t` with `translate(template, renderedArgs)` (vscode.l10n.t in the extension), its LocalizedText args
 * rendered first, the same way. Without `translate`: the English text.
 */
export function renderLocalized(
  t: LocalizedText,
  translate?: (template: string, args: readonly string[]) => string,
): string {
  if (!translate) return t.english;
  const args = t.args.map((a) => (typeof a === 'object' ? renderLocalized(a, translate) : String(a)));
  return translate(t.template, args);
}
