/** Types of l10n/templates.mjs (the lt`…` template scan). */
export declare const root: string;
/** Map of template (the l10n key) → the files (relative to the repo) that use it. */
export declare function localizedTemplates(srcDir?: string): Map<string, string[]>;
/** The `{n}` placeholders of a template, sorted. */
export declare function placeholders(template: string): string[];
