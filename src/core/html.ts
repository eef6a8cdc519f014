/**
 * HTML → plain text for mail bodies, written as a single forward scan (no backtracking regexes), so
 * hostile input (unclosed comments, millions of `<`, megabytes of attributes) stays linear.
 *
 * - tags are removed; block-level tags (`<br>`, `<p>`, `<div>`, `<tr>`, `<li>`, headings, tables …) become
 *   line breaks, cells (`<td>`, `<th>`) become a space, so `<td>Label:</td><td>value</td>` stays on one line;
 * - `<script>`, `<style>`, `<head>`, `<title>`, `<template>` and comments are dropped with their content;
 * - hidden elements (`hidden` attribute, display:none, visibility:hidden, font-size:0, opacity:0 … inline
 *   or by a <style> rule) are set apart: `htmlToTextParts` returns them as `hidden`, `htmlToText` drops them;
 * - character references are decoded: named (the common set), decimal and hexadecimal; `&nbsp;` is a space;
 * - runs of spaces collapse, lines are trimmed, more than two blank lines collapse.
 */

const BLOCK_TAGS = new Set([
  'br',
  'p',
  'div',
  'tr',
  'li',
  'ul',
  'ol',
  'dl',
  'dt',
  'dd',
  'table',
  'tbody',
  'thead',
  'tfoot',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'pre',
  'hr',
  'section',
  'article',
  'header',
  'footer',
  'center',
  'address',
  'caption',
  'form',
  'fieldset',
  'main',
  'nav',
  'aside',
  'figure',
  'figcaption',
  'body',
  'html',
]);
const CELL_TAGS = new Set(['td', 'th']);
const SKIP_CONTENT_TAGS = new Set(['script', 'style', 'head', 'title', 'template', 'noscript', 'xml']);

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ensp: ' ',
  emsp: ' ',
  thinsp: ' ',
  zwnj: '',
  zwj: '',
  lrm: '',
  rlm: '',
  shy: '',
  ndash: '–',
  mdash: '—',
  hellip: '…',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  bull: '•',
  middot: '·',
  copy: '©',
  reg: '®',
  trade: '™',
  euro: '€',
  pound: '£',
  yen: '¥',
  cent: '¢',
  sect: '§',
  para: '¶',
  deg: '°',
  times: '×',
  divide: '÷',
  colon: ':',
  sol: '/',
  num: '#',
  excl: '!',
  quest: '?',
  lpar: '(',
  rpar: ')',
  comma: ',',
  period: '.',
  semi: ';',
  equals: '=',
  commat: '@',
  lowbar: '_',
  hyphen: '-',
  dash: '-',
  tab: '\t',
  newline: '\n',
  auml: 'ä',
  ouml: 'ö',
  uuml: 'ü',
  Auml: 'Ä',
  Ouml: 'Ö',
  Uuml: 'Ü',
  szlig: 'ß',
  eacute: 'é',
  egrave: 'è',
  ecirc: 'ê',
  euml: 'ë',
  Eacute: 'É',
  Egrave: 'È',
  aacute: 'á',
  agrave: 'à',
  acirc: 'â',
  atilde: 'ã',
  Aacute: 'Á',
  Agrave: 'À',
  Acirc: 'Â',
  Atilde: 'Ã',
  iacute: 'í',
  igrave: 'ì',
  icirc: 'î',
  iuml: 'ï',
  oacute: 'ó',
  ograve: 'ò',
  ocirc: 'ô',
  otilde: 'õ',
  Oacute: 'Ó',
  Ocirc: 'Ô',
  Otilde: 'Õ',
  uacute: 'ú',
  ugrave: 'ù',
  ucirc: 'û',
  Uacute: 'Ú',
  ccedil: 'ç',
  Ccedil: 'Ç',
  ntilde: 'ñ',
  Ntilde: 'Ñ',
  iexcl: '¡',
  iquest: '¿',
  aring: 'å',
  Aring: 'Å',
  aelig: 'æ',
  AElig: 'Æ',
  oslash: 'ø',
  Oslash: 'Ø',
};

/** Decodes `&name;`, `&#123;` and `&#x1F;` references; unknown or malformed ones stay as they are. */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  // Bounded alternatives, no nesting: linear.
  return s.replace(/&(#[xX][0-9A-Fa-f]{1,8}|#[0-9]{1,9}|[A-Za-z][A-Za-z0-9]{1,31});?/g, (m, body: string) => {
    if (body[0] === '#') {
      const hex = body[1] === 'x' || body[1] === 'X';
      const n = parseInt(body.slice(hex ? 2 : 1), hex ? 16 : 10);
      if (!Number.isFinite(n) || n <= 0 || n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) return '\uFFFD';
      if (n === 0xa0) return ' ';
      return String.fromCodePoint(n);
    }
    const v = NAMED_ENTITIES[body] ?? NAMED_ENTITIES[body.toLowerCase()];
    if (v !== undefined && (m.endsWith(';') || body in NAMED_ENTITIES)) return v;
    return m;
  });
}

function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 58;
}

/**
 * Converts HTML to text. `maxChars` caps the input scanned (the rest is ignored); the output is never
 * longer than the input. Hidden content (see `htmlToTextParts`) is left out.
 */
export function htmlToText(html: string, maxChars = 2_000_000): string {
  return htmlToTextParts(html, maxChars).text;
}

const VOID_TAGS = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
  'basefont',
  'frame',
  'keygen',
]);
/** Start tags that close an open element of the same kind (HTML's implied end tags). */
const SELF_CLOSING_PEERS: Record<string, string[]> = {
  p: ['p'],
  li: ['li'],
  td: ['td', 'th'],
  th: ['td', 'th'],
  tr: ['tr', 'td', 'th'],
  option: ['option'],
  dt: ['dt', 'dd'],
  dd: ['dt', 'dd'],
};
/** Attribute sections longer than this are not read: the element counts as hidden (fails closed). */
const MAX_TAG_ATTR_CHARS = 4096;
const MAX_HIDDEN_CHARS = 512 * 1024;
const MAX_STACK = 10_000;

/**
 * Whether CSS declarations hide what they style: display:none, visibility:hidden|collapse, font-size (or
 * the font shorthand) of 0 or under 2px, opacity under 0.1, zero height/width (or max-) with
 * overflow:hidden, mso-hide:all, color:transparent, text-indent or left/top far off screen. A declaration
 * list with a backslash (CSS escapes) counts as hiding: it is not read.
 */
export function cssHides(declarations: string): boolean {
  let d = decodeEntities(declarations.slice(0, MAX_TAG_ATTR_CHARS)).toLowerCase();
  if (d.includes('\\')) return true;
  // CSS comments out (indexOf, linear).
  for (let k = d.indexOf('/*'); k >= 0; k = d.indexOf('/*', k)) {
    const e = d.indexOf('*/', k + 2);
    d = d.slice(0, k) + ' ' + (e < 0 ? '' : d.slice(e + 2));
  }
  const decls = new Map<string, string>();
  for (const part of d.split(';')) {
    const c = part.indexOf(':');
    if (c > 0)
      decls.set(
        part.slice(0, c).trim(),
        part
          .slice(c + 1)
          .replace(/!\s*important/g, '')
          .trim()
          .replace(/\s+/g, ' '),
      );
  }
  const num = (v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const m = /^(-?[0-9]*\.?[0-9]+)([a-z%]*)/.exec(v);
    return m ? Number(m[1]) : undefined;
  };
  if (decls.get('display') === 'none') return true;
  if (/^(hidden|collapse)/.test(decls.get('visibility') ?? '')) return true;
  if (decls.get('mso-hide') === 'all' || decls.get('color') === 'transparent') return true;
  const fs = num(decls.get('font-size'));
  if (fs !== undefined && fs < 2) return true;
  const font = decls.get('font');
  if (font !== undefined) {
    const size = font.split(/[\s/]/).find((t) => /^-?[0-9]*\.?[0-9]+(px|pt|em|rem|%)?$/.test(t));
    if (size !== undefined && Number(/^-?[0-9]*\.?[0-9]+/.exec(size)![0]) < 2) return true;
  }
  const op = num(decls.get('opacity'));
  if (op !== undefined && op < 0.1) return true;
  if (
    decls.get('overflow') === 'hidden' ||
    decls.get('overflow-y') === 'hidden' ||
    decls.get('overflow-x') === 'hidden'
  ) {
    for (const k of ['height', 'max-height', 'width', 'max-width']) {
      const v = num(decls.get(k));
      if (v !== undefined && v <= 1) return true;
    }
  }
  for (const k of ['text-indent', 'left', 'top', 'margin-left', 'margin-top']) {
    const v = num(decls.get(k));
    if (v !== undefined && v <= -500) return true;
  }
  return false;
}

interface HidingRules {
  classes: Set<string>;
  ids: Set<string>;
  tags: Set<string>;
}

/** Class, id and tag selectors that <style> blocks hide (the last simple selector of each rule). */
function styleHidingRules(src: string): HidingRules {
  const rules: HidingRules = { classes: new Set(), ids: new Set(), tags: new Set() };
  let from = 0;
  let total = 0;
  const openRe = /<style/gi;
  const closeRe = /<\/style/gi;
  for (let blocks = 0; blocks < 50; blocks++) {
    openRe.lastIndex = from;
    const o = openRe.exec(src);
    if (!o) break;
    const open = o.index;
    const gt = src.indexOf('>', open);
    if (gt < 0) break;
    closeRe.lastIndex = gt;
    const c = closeRe.exec(src);
    const close = c ? c.index : src.length;
    const css = src.slice(gt + 1, Math.min(close, gt + 1 + 200_000));
    total += css.length;
    for (const chunk of css.split('}')) {
      const brace = chunk.lastIndexOf('{');
      if (brace < 0) continue;
      if (!cssHides(chunk.slice(brace + 1))) continue;
      const before = chunk.slice(0, brace);
      const selectors = before.slice(before.lastIndexOf('{') + 1);
      for (const sel of selectors.split(',')) {
        const last =
          sel
            .trim()
            .split(/[\s>+~]+/)
            .pop() ?? '';
        for (const m of last.matchAll(/([.#])([A-Za-z0-9_-]{1,100})/g))
          (m[1] === '.' ? rules.classes : rules.ids).add(m[2]!.toLowerCase());
        const tag = /^([a-z][a-z0-9]*)/i.exec(last)?.[1];
        if (tag && !/[.#[:]/.test(last)) rules.tags.add(tag.toLowerCase());
        if (last === '*') rules.tags.add('*');
      }
    }
    from = close + 1;
    if (total > 1_000_000) break;
  }
  return rules;
}

const ATTR_RE = /([^\s"'=<>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

/** Whether a start tag's attributes hide the element. */
function tagHides(name: string, attrs: string, rules: HidingRules): boolean {
  if (attrs.length > MAX_TAG_ATTR_CHARS) return true;
  if (rules.tags.has(name) || rules.tags.has('*')) return true;
  if (!attrs.trim()) return false;
  ATTR_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = ATTR_RE.exec(attrs))) {
    const key = m[1]!.toLowerCase();
    const value = m[2] ?? m[3] ?? m[4] ?? '';
    if (key === 'hidden') return true;
    if (key === 'style' && cssHides(value)) return true;
    if (
      key === 'class' &&
      rules.classes.size &&
      decodeEntities(value)
        .toLowerCase()
        .split(/\s+/)
        .some((c) => rules.classes.has(c))
    )
      return true;
    if (key === 'id' && rules.ids.has(decodeEntities(value).trim().toLowerCase())) return true;
    if (key === 'type' && name === 'input') return false;
  }
  return false;
}

/**
 * Converts HTML to text and sets hidden content apart: `text` is what a reader sees, `hidden` the text of
 * elements that are hidden (the `hidden` attribute; display:none, visibility:hidden, font-size:0,
 * opacity:0 … in a style attribute or a <style> rule for a class, id or tag). Elements are tracked on a
 * stack (implied end tags of p/li/td/tr/option/dt/dd honoured); an unclosed hidden element hides the rest.
 */
export function htmlToTextParts(html: string, maxChars = 2_000_000): { text: string; hidden: string } {
  const src = html.length > maxChars ? html.slice(0, maxChars) : html;
  const rules = styleHidingRules(src);
  const out: string[] = [];
  const hiddenOut: string[] = [];
  let hiddenChars = 0;
  let textStart = 0;
  let i = 0;
  const n = src.length;
  const unclosed = new Set<string>();
  const stack: Array<{ name: string; hidden: boolean }> = [];
  let hiddenDepth = 0;
  const emit = (s: string) => {
    if (!hiddenDepth) out.push(s);
    else if (hiddenChars < MAX_HIDDEN_CHARS) {
      hiddenOut.push(s);
      hiddenChars += s.length;
    }
  };
  const flushText = (end: number) => {
    if (end > textStart) emit(decodeEntities(src.slice(textStart, end)));
  };
  const pop = (k: number) => {
    while (stack.length > k) if (stack.pop()!.hidden) hiddenDepth--;
  };
  while (i < n) {
    const lt = src.indexOf('<', i);
    if (lt < 0) break;
    const next = src.charCodeAt(lt + 1);
    // Comment / doctype / CDATA / processing instruction.
    if (next === 33 /* ! */ || next === 63 /* ? */) {
      flushText(lt);
      let end: number;
      if (src.startsWith('<!--', lt)) {
        const close = src.indexOf('-->', lt + 4);
        end = close < 0 ? n : close + 3;
      } else if (src.startsWith('<![CDATA[', lt)) {
        const close = src.indexOf(']]>', lt + 9);
        if (close >= 0) emit(src.slice(lt + 9, close));
        end = close < 0 ? n : close + 3;
      } else {
        const close = src.indexOf('>', lt + 2);
        end = close < 0 ? n : close + 1;
      }
      i = textStart = end;
      continue;
    }
    const closing = next === 47; /* / */
    const nameStart = lt + (closing ? 2 : 1);
    let j = nameStart;
    while (j < n && isNameChar(src.charCodeAt(j))) j++;
    if (j === nameStart) {
      // A lone '<' (e.g. "a < b"): plain text.
      i = lt + 1;
      continue;
    }
    const name = src.slice(nameStart, j).toLowerCase();
    const gt = findTagEnd(src, j);
    flushText(lt);
    if (gt < 0) {
      // Unterminated tag: drop the rest.
      textStart = n;
      break;
    }
    i = textStart = gt + 1;
    const selfClosed = src.charCodeAt(gt - 1) === 47;
    if (!closing && SKIP_CONTENT_TAGS.has(name) && !selfClosed && !unclosed.has(name)) {
      // Skip to the matching close tag (case-insensitive). A <head> that is never closed ends at <body>;
      // any other unclosed element is not skipped at all (its text stays). Failed searches are
      // remembered, so a flood of unclosed <script> tags stays linear.
      const re = new RegExp(`</${name}\\s*>`, 'ig');
      re.lastIndex = i;
      const m = re.exec(src);
      if (m) {
        i = textStart = m.index + m[0].length;
        emit('\n');
        continue;
      }
      unclosed.add(name);
      if (name === 'head') {
        const body = /<body[\s>/]/gi;
        body.lastIndex = i;
        const b = body.exec(src);
        if (b) {
          i = textStart = b.index;
          emit('\n');
          continue;
        }
      }
    }
    if (closing) {
      // Pop to the matching open element (looking a bounded way down the stack; stray end tags are ignored).
      for (let k = stack.length - 1; k >= 0 && k >= stack.length - 200; k--) {
        if (stack[k]!.name === name) {
          pop(k);
          break;
        }
      }
    } else {
      const peers = SELF_CLOSING_PEERS[name];
      if (peers) {
        for (let k = stack.length - 1; k >= 0 && k >= stack.length - 3; k--) {
          if (peers.includes(stack[k]!.name)) {
            pop(k);
            break;
          }
          if (!['td', 'th', 'tr', 'p', 'li', 'dt', 'dd', 'option'].includes(stack[k]!.name)) break;
        }
      }
      if (!VOID_TAGS.has(name) && !selfClosed && stack.length < MAX_STACK) {
        const hidden = tagHides(name, src.slice(j, gt), rules);
        stack.push({ name, hidden });
        if (hidden) hiddenDepth++;
      } else if (
        stack.length >= MAX_STACK &&
        !VOID_TAGS.has(name) &&
        !selfClosed &&
        tagHides(name, src.slice(j, gt), rules)
      ) {
        // Too deep to track: hide the rest rather than show something hidden.
        stack.push({ name, hidden: true });
        hiddenDepth++;
      }
    }
    if (BLOCK_TAGS.has(name)) emit('\n');
    else if (CELL_TAGS.has(name)) emit(' ');
  }
  flushText(n);
  return { text: tidyText(out.join('')), hidden: tidyText(hiddenOut.join('')) };
}

/** Finds the '>' that ends a tag whose name ends at `from`, honouring quoted attribute values. */
function findTagEnd(src: string, from: number): number {
  let quote = 0;
  for (let k = from; k < src.length; k++) {
    const c = src.charCodeAt(k);
    if (quote) {
      if (c === quote) quote = 0;
    } else if (c === 34 || c === 39) {
      // A quote only opens a value right after '=' (possibly with spaces); stray quotes are ignored.
      let p = k - 1;
      while (p >= from && (src.charCodeAt(p) === 32 || src.charCodeAt(p) === 9)) p--;
      if (p >= from && src.charCodeAt(p) === 61) {
        const close = src.indexOf(String.fromCharCode(c), k + 1);
        if (close < 0) return -1;
        k = close;
      }
    } else if (c === 62) {
      return k;
    }
  }
  return -1;
}

/**
 * Normalises line ends and whitespace: CRLF/CR → LF, NBSP and other spaces → ' ', drops invisible
 * characters (zero-width, soft hyphen, bidi marks and embeddings), trims lines.
 */
export function tidyText(text: string): string {
  const lines = normaliseNewlines(text).split('\n');
  const out: string[] = [];
  let blank = 0;
  for (const raw of lines) {
    const line = raw
      .replace(/[\t\f\v \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+/g, ' ')
      .replace(/[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g, '')
      .trim();
    if (!line) {
      if (++blank > 1) continue;
    } else blank = 0;
    out.push(line);
  }
  return out.join('\n').trim();
}

export function normaliseNewlines(text: string): string {
  return text.replace(/\r\n?|[\u2028\u2029\u0085]/g, '\n');
}
