/**
 * Reading and editing `.env` text exactly the way npm `dotenv` (v18, its default `parse()`) reads it.
 *
 * `parseEnv` is a faithful port of dotenv's parser: the same LINE regular expression, the same
 * CR/CRLF normalisation, the same trim / quote stripping / `\n` `\r` expansion in double quotes, and
 * "the last assignment of a key wins". It must agree with `dotenv.parse` on every input (the property
 * tests compare them).
 *
 * `setEnvText` edits text surgically: for each key it replaces only the value of the assignment that
 * dotenv reads (the last one), or appends a line when the key is missing. Every other byte stays:
 * comments, blank lines, order, `export ` prefixes, other keys' quotes, trailing comments, CRLF/LF/CR,
 * a BOM, a missing final newline, earlier duplicates. The new value is rendered in the existing quote
 * style when that style can hold it, else in the first style that works; every candidate is checked by
 * re-parsing the whole edited text, and accepted only if every assignment in the file still reads the
 * same (only the target changes). When no quoting works the edit is refused (EnvError UNREPRESENTABLE).
 */

import { lt, type LocalizedText } from './l10n';
export type EnvErrorCode =
  | 'UNREPRESENTABLE' // no dotenv quoting returns exactly this value
  | 'INVALID_KEY' // not a dotenv key ([A-Za-z0-9_.-]+), or one dotenv drops (__proto__)
  | 'READ_ONLY' // the file (or its directory, or the file system) is not writable
  | 'IO' // any other read/write failure
  | 'SYMLINK_OUTSIDE' // a symlinked .env points outside the allowed root and the user did not confirm
  | 'INVALID_FILE'; // the existing file is not an editable UTF-8 env file (binary, UTF-16, too large)

export class EnvError extends Error {
  override name = 'EnvError';
  /** The message as a translatable text (src/core/l10n.ts); `message` is its English. */
  readonly explain?: LocalizedText;
  constructor(
    readonly code: EnvErrorCode,
    message: string | LocalizedText,
    /** The key concerned (never its value). */
    readonly key?: string,
  ) {
    super(typeof message === 'string' ? message : message.english);
    if (typeof message !== 'string') this.explain = message;
  }
}

/** dotenv v18's LINE regex, verbatim, plus the `d` flag (match indices; matching is unchanged). */
const LINE =
  /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/dgm;

const KEY_RE = /^[\w.-]+$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export type QuoteStyle = '' | "'" | '"' | '`';

/** One assignment as dotenv matches it. Offsets are in the ORIGINAL text (before CR normalisation). */
export interface EnvEntry {
  key: string;
  value: string;
  /** The whole match (may include leading blank lines and a trailing comment). */
  start: number;
  end: number;
  /** The raw value as written, trimmed (quotes included); an empty span where the value is missing. */
  valueStart: number;
  valueEnd: number;
  quote: QuoteStyle;
  exported: boolean;
  /** 1-based line of the key (for messages). */
  line: number;
}

/** dotenv's value post-processing, verbatim. */
function cookValue(raw: string): { value: string; quote: QuoteStyle } {
  let v = raw.trim();
  const c = v[0];
  v = v.replace(/^(['"`])([\s\S]*)\1$/gm, '$2');
  if (c === '"') v = v.replace(/\\n/g, '\n').replace(/\\r/g, '\r');
  const t = raw.trim();
  const quote: QuoteStyle = t.length >= 2 && (c === "'" || c === '"' || c === '`') && t[t.length - 1] === c ? c : '';
  return { value: v, quote };
}

/** Every assignment dotenv sees, in file order (duplicates included). */
export function scanEnv(text: string): EnvEntry[] {
  const src = String(text);
  const hasCR = src.includes('\r');
  const norm = hasCR ? src.replace(/\r\n?/g, '\n') : src;
  // Map from normalised offsets to original offsets (only needed when CRs were folded).
  let map: Int32Array | undefined;
  if (hasCR) {
    map = new Int32Array(norm.length + 1);
    let j = 0;
    for (let i = 0; i < src.length; i++) {
      map[j++] = i;
      if (src.charCodeAt(i) === 13 && src.charCodeAt(i + 1) === 10) i++;
    }
    map[j] = src.length;
  }
  const orig = (i: number) => (map ? map[i]! : i);
  const entries: EnvEntry[] = [];
  const re = new RegExp(LINE.source, LINE.flags);
  let m: RegExpExecArray | null;
  let lineNo = 1;
  let lineScanPos = 0;
  while ((m = re.exec(norm)) !== null) {
    const key = m[1]!;
    const [ks, ke] = m.indices![1]!;
    let vs: number;
    let ve: number;
    if (m[2] !== undefined) {
      const [gs, ge] = m.indices![2]!;
      const raw = m[2];
      const lead = raw.length - raw.trimStart().length;
      if (lead === raw.length) {
        vs = ve = gs; // whitespace only: insert right after the separator
      } else {
        vs = gs + lead;
        ve = ge - (raw.length - raw.trimEnd().length);
      }
    } else {
      // No value: the insertion point is the end of the separator (`\s*=` with a lazy `\s*?` of 0,
      // or `:` plus exactly one whitespace character).
      const sep = /\s*=|:\s/y;
      sep.lastIndex = ke;
      const sm = sep.exec(norm);
      vs = ve = sm ? ke + sm[0].length : ke;
    }
    const { value, quote } = cookValue(m[2] ?? '');
    for (let i = lineScanPos; i < ks; i++) if (norm.charCodeAt(i) === 10) lineNo++;
    lineScanPos = ks;
    const before = norm.slice(m.index, ks);
    entries.push({
      key,
      value,
      start: orig(m.index),
      end: orig(m.index + m[0].length),
      valueStart: orig(vs),
      valueEnd: orig(ve),
      quote,
      exported: /export\s+$/.test(before),
      line: lineNo,
    });
  }
  return entries;
}

/** Reads `.env` text exactly like `dotenv.parse` (v18, default parser). */
export function parseEnv(text: string): Record<string, string> {
  // A plain object, like dotenv's: a `__proto__` key is therefore dropped exactly as dotenv drops it.
  const out: Record<string, string> = {};
  for (const e of scanEnv(text)) out[e.key] = e.value;
  return out;
}

// dotenv 18 also ships an opt-in hand-written parser (`parse(src, { fast: true })`, or DOTENV_FAST=true
// for config()). It reads most files like the default one but not all. It is ported here only so the
// editor can prefer, among the renderings the default parser reads back, one that this parser reads
// back too.
const KEY_CHAR = new Uint8Array(256);
for (let c = 48; c <= 57; c++) KEY_CHAR[c] = 1;
for (let c = 65; c <= 90; c++) KEY_CHAR[c] = 1;
for (let c = 97; c <= 122; c++) KEY_CHAR[c] = 1;
KEY_CHAR[45] = KEY_CHAR[46] = KEY_CHAR[95] = 1;
function isWs(c: number): boolean {
  return c <= 32
    ? c === 32 || (c >= 9 && c <= 13)
    : c >= 160 &&
        (c === 160 ||
          c === 5760 ||
          (c >= 8192 && c <= 8202) ||
          c === 8232 ||
          c === 8233 ||
          c === 8239 ||
          c === 8287 ||
          c === 12288 ||
          c === 65279);
}
function isNl(c: number): boolean {
  return c === 10 || c === 8232 || c === 8233;
}

/* eslint-disable @typescript-eslint/no-unused-expressions, no-useless-assignment -- a line-for-line port of dotenv 18's
   fast parser: its comma expressions and its one dead store stay as upstream has them, so the two can be diffed. */
/** Port of dotenv 18's `fast` parser (verbatim logic). */
export function parseEnvFast(src: string): Record<string, string> {
  const out: Record<string, string> = {};
  let t = String(src);
  if (t.indexOf('\r') !== -1) t = t.replace(/\r\n?/g, '\n');
  const r = t.length;
  let o = 0;
  while (o < r) {
    let i = t.charCodeAt(o);
    while (o < r && isWs(i)) o++, (i = t.charCodeAt(o));
    if (o >= r) break;
    if (i === 35) {
      while (o < r && !isNl(t.charCodeAt(o))) o++;
      continue;
    }
    let c = -1;
    if (
      i === 101 &&
      o + 6 < r &&
      t.charCodeAt(o + 1) === 120 &&
      t.charCodeAt(o + 2) === 112 &&
      t.charCodeAt(o + 3) === 111 &&
      t.charCodeAt(o + 4) === 114 &&
      t.charCodeAt(o + 5) === 116
    ) {
      const u = t.charCodeAt(o + 6);
      if (isWs(u)) {
        let s = o + 7;
        while (s < r && isWs(t.charCodeAt(s))) s++;
        if (KEY_CHAR[t.charCodeAt(s)]) (c = o + 6), (o = s);
      } else i = t.charCodeAt(o);
    }
    const E = o;
    let p = 0;
    while (o < r && ((p = t.charCodeAt(o)), KEY_CHAR[p])) o++;
    if (o === E) {
      while (o < r && !isNl(t.charCodeAt(o))) o++;
      continue;
    }
    const k = t.slice(E, o);
    const D = o;
    if (o >= r) p = 0;
    if (isWs(p)) {
      do {
        o++;
        p = o < r ? t.charCodeAt(o) : 0;
      } while (isWs(p));
    }
    if (p === 61) o++;
    else if (p === 58 && o === D && o + 1 < r && isWs(t.charCodeAt(o + 1))) o += 2;
    else {
      for (o = c === -1 ? D : c; o < r && !isNl(t.charCodeAt(o)); ) o++;
      continue;
    }
    const d = o;
    let l = o;
    while (l < r && isWs(t.charCodeAt(l))) l++;
    const C = t.charCodeAt(l);
    let a = '';
    let q = false;
    if (C === 39 || C === 34 || C === 96) {
      const u = t[l]!;
      let s = t.indexOf(u, l + 1);
      let f = -1;
      let h = -1;
      while (s !== -1) {
        const x = t.charCodeAt(s - 1) === 92;
        let w = s + 1;
        while (w < r && !isNl(t.charCodeAt(w)) && isWs(t.charCodeAt(w))) w++;
        if (w === r || isNl(t.charCodeAt(w)) || t.charCodeAt(w) === 35) (f = s), (h = w);
        if (!x) break;
        s = t.indexOf(u, s + 1);
      }
      if (f !== -1) {
        a = t.slice(l + 1, f);
        o = h;
        if (t.charCodeAt(o) === 35) while (o < r && !isNl(t.charCodeAt(o))) o++;
        q = true;
      }
    }
    if (!q) {
      let u = t.indexOf('\n', d);
      if (u === -1) u = r;
      let s: number;
      if (r < 4096) {
        s = t.indexOf('#', d);
        if (s === -1 || s > u) s = u;
      } else for (s = d; s < u && t.charCodeAt(s) !== 35; ) s++;
      let f = d;
      let h = s;
      while (f < h && isWs(t.charCodeAt(f))) f++;
      while (h > f && isWs(t.charCodeAt(h - 1))) h--;
      const x = t.charCodeAt(f);
      a = t.slice(f, h);
      if (a.includes('\u2028') || a.includes('\u2029')) a = a.replace(/^(['"`])([\s\S]*)\1$/gm, '$2');
      else if (h - f >= 2 && (x === 39 || x === 34 || x === 96) && t.charCodeAt(h - 1) === x) a = t.slice(f + 1, h - 1);
      o = s;
      if (s < u) while (o < r && !isNl(t.charCodeAt(o))) o++;
    }
    if (C === 34 && (q || l < o) && a.indexOf('\\') !== -1) a = a.replace(/\\n/g, '\n').replace(/\\r/g, '\r');
    out[k] = a;
  }
  return out;
}
/* eslint-enable @typescript-eslint/no-unused-expressions, no-useless-assignment */

export function isValidKey(key: string): boolean {
  return KEY_RE.test(key) && key !== '__proto__';
}

/** Conservative set of characters that need no quotes in dotenv, shells or docker compose. */
const PLAIN = /^[A-Za-z0-9_\-./:@+,%=^~]*$/;

function eolOf(text: string): string {
  const crlf = (text.match(/\r\n/g) ?? []).length;
  const lf = (text.match(/\n/g) ?? []).length - crlf;
  const cr = (text.match(/\r/g) ?? []).length - crlf;
  if (crlf > 0 && crlf >= lf && crlf >= cr) return '\r\n';
  if (cr > lf) return '\r';
  return '\n';
}

type Style = 'plain' | "'" | '"' | '"literal' | '`';
/** A style plus whether it must be "clean": quotes that hold no quote of their own kind, so that
 * shells and other env parsers read the line the same way. Unclean forms that only dotenv's regex
 * reads back (e.g. `'it's'`) are last resorts. */
type Candidate = [Style, boolean];

function render(value: string, [style, clean]: Candidate, eol: string): string | undefined {
  switch (style) {
    case 'plain':
      if (/[\r\n]/.test(value)) return undefined;
      if (clean && /[\s'"`#\\]/.test(value)) return undefined;
      return value;
    case "'":
    case '`':
      if (value.includes('\r')) return undefined; // dotenv folds every CR into LF
      if (clean && value.includes(style)) return undefined;
      return style + value.replace(/\n/g, eol) + style;
    case '"':
      if (clean && value.includes('"')) return undefined;
      return '"' + value.replace(/\r/g, '\\r').replace(/\n/g, '\\n') + '"';
    case '"literal':
      if (value.includes('\r')) return undefined;
      if (clean && value.includes('"')) return undefined;
      return '"' + value.replace(/\n/g, eol) + '"';
  }
}

function candidates(value: string, existing: QuoteStyle | undefined): Candidate[] {
  const order: Style[] = [];
  if (existing !== undefined) {
    order.push(existing === '' ? 'plain' : existing);
    if (existing === '"' && value.includes('\n')) order.push('"literal');
  }
  if (PLAIN.test(value)) order.push('plain');
  if (/[\r\n]/.test(value)) order.push('"', "'", '`', '"literal');
  else order.push("'", '"', '`');
  order.push('plain', '"literal');
  const uniq = [...new Set(order)];
  return [...uniq.map((s): Candidate => [s, true]), ...uniq.map((s): Candidate => [s, false])];
}

function sameEntries(a: EnvEntry[], b: Array<{ key: string; value: string }>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.key !== b[i]!.key || a[i]!.value !== b[i]!.value) return false;
  return true;
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!Object.prototype.hasOwnProperty.call(b, k) || a[k] !== b[k]) return false;
  return true;
}

/**
 * Why no quoting works, for the error message. For a value without line breaks the first case is exact (checked
 * against dotenv over random values): it cannot be written exactly when it has a `#` and every quote kind is
 * unusable: `'` or `` ` `` when the value has that quote without a backslash right before it, `"` likewise or when
 * the value holds the text `\n` or `\r` (which dotenv turns into a line break inside double quotes).
 */
function describeValueProblem(value: string): LocalizedText {
  const has = (c: string) => value.includes(c);
  // A quote character that is not right after a backslash ends a value quoted with that character.
  const bare = (q: string) =>
    value
      .split(q)
      .slice(0, -1)
      .some((before) => !before.endsWith('\\'));
  const escapes = /\\[nr]/.test(value);
  if (has('#') && !/[\r\n]/.test(value) && bare("'") && bare('`') && (bare('"') || escapes)) {
    const dq = bare('"') ? '' : lt` (and the text \\n or \\r, which dotenv turns into a line break inside "…")`;
    return lt`it contains a # together with ', " and \`, each without a backslash before it${dq}. dotenv reads a # outside quotes as the start of a comment, so the value must be quoted; but a value in '…', "…" or \`…\` ends at the first quote of the same kind, and dotenv has no escape for it (a backslash before the quote is kept as part of the value)`;
  }
  if (has('\r') && has('\\'))
    return lt`it contains a carriage return together with backslash sequences dotenv would rewrite`;
  return lt`dotenv cannot read it back unchanged with any quoting`;
}

/** Checks one key/value pair before any edit; throws EnvError. */
export function checkAssignment(key: string, value: string): void {
  if (!isValidKey(key)) {
    throw new EnvError(
      'INVALID_KEY',
      key === '__proto__'
        ? lt`The key "__proto__" cannot be used: dotenv drops it.`
        : lt`Invalid key "${printableKey(key)}": dotenv keys use only letters, digits, "_", "." and "-".`,
      key,
    );
  }
  if (typeof value !== 'string') throw new EnvError('UNREPRESENTABLE', lt`The value for ${key} is not a string.`, key);
  if (value.includes('\0')) {
    throw new EnvError(
      'UNREPRESENTABLE',
      lt`The value for ${key} contains a NUL character, which no environment variable can hold.`,
      key,
    );
  }
  if (LONE_SURROGATE.test(value)) {
    throw new EnvError(
      'UNREPRESENTABLE',
      lt`The value for ${key} contains an unpaired UTF-16 surrogate, which cannot be written as UTF-8.`,
      key,
    );
  }
}

function printableKey(key: string): string {
  const k = key.length > 60 ? key.slice(0, 60) + '…' : key;
  return k.replace(
    // eslint-disable-next-line no-control-regex -- control characters are exactly what it escapes for display
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function setOne(text: string, key: string, value: string): string {
  const entries = scanEnv(text);
  const eol = eolOf(text);
  let last = -1;
  for (let i = entries.length - 1; i >= 0; i--) {
    if (entries[i]!.key === key) {
      last = i;
      break;
    }
  }
  if (last >= 0 && entries[last]!.value === value) return text; // already set: leave every byte alone

  // Every candidate text must read, with dotenv's default parser, exactly as `expected`. Among those,
  // the first one that dotenv's `fast` parser also reads right wins; else the first one.
  const fastExpected = { ...parseEnvFast(text), [key]: value };
  let fallback: string | undefined;
  const consider = (next: string, expected: Array<{ key: string; value: string }>): boolean => {
    if (!sameEntries(scanEnv(next), expected)) return false;
    if (sameRecord(parseEnvFast(next), fastExpected)) return true;
    fallback ??= next;
    return false;
  };

  if (last >= 0) {
    const e = entries[last]!;
    const expected = entries.map((x, i) => (i === last ? { key, value } : x));
    for (const style of candidates(value, e.quote)) {
      const repr = render(value, style, eol);
      if (repr === undefined) continue;
      const next = text.slice(0, e.valueStart) + repr + text.slice(e.valueEnd);
      if (consider(next, expected)) return next;
    }
  } else {
    const endsWithBreak = text === '' || /[\r\n]$/.test(text);
    const exported = entries.length > 0 && entries.every((x) => x.exported);
    const expected = [...entries, { key, value }];
    const sep = endsWithBreak ? '' : eol;
    // Keep the file's habit: a file without a final newline stays without one.
    const tail = text === '' || endsWithBreak ? eol : '';
    for (const style of candidates(value, undefined)) {
      const repr = render(value, style, eol);
      if (repr === undefined) continue;
      const next = text + sep + (exported ? 'export ' : '') + key + '=' + repr + tail;
      if (consider(next, expected)) return next;
    }
    // Last resort: an earlier line can make any appended quote close it (a quoted value ending in a
    // backslash reads on until a later quote). Then the line goes first in the file (after a BOM),
    // where nothing before it can reach into it; the order of assignments is still as dotenv reads it.
    if (fallback === undefined && entries.length > 0) {
      const bom = text.startsWith('\uFEFF') ? 1 : 0;
      const expectedFirst = [{ key, value }, ...entries];
      for (const style of candidates(value, undefined)) {
        const repr = render(value, style, eol);
        if (repr === undefined) continue;
        const next = text.slice(0, bom) + (exported ? 'export ' : '') + key + '=' + repr + eol + text.slice(bom);
        if (consider(next, expectedFirst)) return next;
      }
    }
  }
  if (fallback !== undefined) return fallback;
  throw new EnvError(
    'UNREPRESENTABLE',
    lt`The value for ${key} cannot be written to a .env file: ${describeValueProblem(value)}. The file was left untouched; store this value elsewhere or change it.`,
    key,
  );
}

/**
 * dotenv's regex backtracks through runs of whitespace (blank lines, spaces) once per line start in the
 * run: its time grows with the square of each run's length. A file with huge runs would hang dotenv and
 * us alike, so such text is refused (no real .env comes anywhere near this budget).
 */
export const MAX_WHITESPACE_COST = 1 << 22;

/** Throws EnvError INVALID_FILE when dotenv's parser would take too long on `text`. */
export function checkParseCost(text: string, what: string | LocalizedText = lt`The env text`): void {
  let cost = 0;
  let longest = 0;
  for (const m of text.matchAll(/\s{2,}/g)) {
    const n = m[0].length;
    cost += n * n;
    if (n > longest) longest = n;
  }
  if (cost > MAX_WHITESPACE_COST) {
    throw new EnvError(
      'INVALID_FILE',
      lt`${what} contains very long runs of blank lines or spaces (up to ${longest} characters in a row); dotenv would take too long to read it. Remove the extra blank space and try again.`,
    );
  }
}

/**
 * Sets `values` in `.env` text; returns the new text (identical when nothing changes).
 * Throws EnvError INVALID_KEY / UNREPRESENTABLE / INVALID_FILE (see checkParseCost), before anything changes.
 */
export function setEnvText(text: string, values: Record<string, string>): string {
  const pairs = Object.entries(values);
  for (const [k, v] of pairs) checkAssignment(k, v);
  checkParseCost(String(text));
  let out = String(text);
  for (const [k, v] of pairs) out = setOne(out, k, v);
  return out;
}

/** The end of the line holding `pos`, with its line break (CRLF, LF or CR) when there is one. */
function lineEndWithBreak(text: string, pos: number): { end: number; hasBreak: boolean } {
  let i = pos;
  while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
  if (i >= text.length) return { end: i, hasBreak: false };
  return { end: text[i] === '\r' && text[i + 1] === '\n' ? i + 2 : i + 1, hasBreak: true };
}

/**
 * Removes every assignment of `keys` from `.env` text (all occurrences: dotenv reads the last one, so leaving an
 * earlier one would bring an old value back); returns the new text (identical when none of the keys is there).
 * Only the lines of those assignments go (a multi-line quoted value with all its lines, a trailing comment on the
 * same line with it); every other byte stays, comments above a removed line included. A file without a final line
 * break keeps that habit. The result is checked by re-parsing: every other assignment must still read the same, in
 * the same order, else EnvError UNREPRESENTABLE and nothing changes. Throws EnvError INVALID_KEY / INVALID_FILE too.
 */
export function removeEnvKeys(text: string, keys: readonly string[]): string {
  const src = String(text);
  for (const k of keys) {
    if (!isValidKey(k)) throw new EnvError('INVALID_KEY', lt`Invalid key "${printableKey(k)}".`, k);
  }
  checkParseCost(src);
  const drop = new Set(keys);
  const entries = scanEnv(src);
  const spans: Array<[number, number]> = [];
  for (const e of entries) {
    if (!drop.has(e.key)) continue;
    // The match may begin with blank lines (dotenv's leading \s*): the key's own line starts after the last break
    // before its first non-blank character.
    let p = e.start;
    while (p < src.length && /\s/.test(src[p]!)) p++;
    let lineStart = p;
    while (lineStart > e.start && src[lineStart - 1] !== '\n' && src[lineStart - 1] !== '\r') lineStart--;
    if (lineStart === 0 && src.charCodeAt(0) === 0xfeff) lineStart = 1; // a BOM stays (JS's \s matches it)
    // The match may end on a later line (a comment line swallowed by its trailing \s*#.*): cut at the value's line.
    const { end, hasBreak } = lineEndWithBreak(src, Math.max(e.valueEnd, p));
    let start = lineStart;
    if (!hasBreak && start > 0) {
      // The last line has no break: take the previous line's break instead, so the file still ends without one.
      start -= src[start - 1] === '\n' && src[start - 2] === '\r' ? 2 : 1;
    }
    spans.push([start, end]);
  }
  if (spans.length === 0) return src;
  let out = '';
  let at = 0;
  for (const [s, e] of spans.sort((a, b) => a[0] - b[0])) {
    const from = Math.max(s, at);
    out += src.slice(at, from);
    at = Math.max(at, e);
  }
  out += src.slice(at);
  const expected = entries.filter((e) => !drop.has(e.key));
  if (!sameEntries(scanEnv(out), expected)) {
    throw new EnvError(
      'UNREPRESENTABLE',
      lt`Removing ${[...drop].filter((k) => entries.some((e) => e.key === k)).join(', ')} would change how other lines of the file read; the file was left untouched. Remove the line(s) by hand.`,
    );
  }
  return out;
}
