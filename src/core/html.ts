/**
 * HTML → plain text for mail bodies, written as a single forward scan (no backtracking regexes), so
 * hostile input (unclosed comments, millions of `<`, megabytes of attributes) stays linear.
 *
 * - tags are removed; block-level tags (`<br>`, `<p>`, `<div>`, `<tr>`, `<li>`, headings, tables …) become
 *   line breaks, cells (`<td>`, `<th>`) become a space, so `<td>Label:</td><td>value</td>` stays on one line;
 * - `<script>`, `<style>`, `<head>`, `<title>`, `<template>` and comments are dropped with their content;
 * - character references are decoded: named (the common set), decimal and hexadecimal; `&nbsp;` is a space;
 * - runs of spaces collapse, lines are trimmed, more than two blank lines collapse.
 */

const BLOCK_TAGS = new Set([
  'br', 'p', 'div', 'tr', 'li', 'ul', 'ol', 'dl', 'dt', 'dd', 'table', 'tbody', 'thead', 'tfoot', 'h1', 'h2', 'h3',
  'h4', 'h5', 'h6', 'blockquote', 'pre', 'hr', 'section', 'article', 'header', 'footer', 'center', 'address',
  'caption', 'form', 'fieldset', 'main', 'nav', 'aside', 'figure', 'figcaption', 'body', 'html',
]);
const CELL_TAGS = new Set(['td', 'th']);
const SKIP_CONTENT_TAGS = new Set(['script', 'style', 'head', 'title', 'template', 'noscript', 'xml']);

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', ensp: ' ', emsp: ' ', thinsp: ' ',
  zwnj: '', zwj: '', lrm: '', rlm: '', shy: '', ndash: '–', mdash: '—', hellip: '…', lsquo: '‘', rsquo: '’',
  ldquo: '“', rdquo: '”', laquo: '«', raquo: '»', bull: '•', middot: '·', copy: '©', reg: '®', trade: '™',
  euro: '€', pound: '£', yen: '¥', cent: '¢', sect: '§', para: '¶', deg: '°', times: '×', divide: '÷',
  colon: ':', sol: '/', num: '#', excl: '!', quest: '?', lpar: '(', rpar: ')', comma: ',', period: '.',
  semi: ';', equals: '=', commat: '@', lowbar: '_', hyphen: '-', dash: '-', tab: '\t', newline: '\n',
  auml: 'ä', ouml: 'ö', uuml: 'ü', Auml: 'Ä', Ouml: 'Ö', Uuml: 'Ü', szlig: 'ß', eacute: 'é', egrave: 'è',
  ecirc: 'ê', euml: 'ë', Eacute: 'É', Egrave: 'È', aacute: 'á', agrave: 'à', acirc: 'â', atilde: 'ã',
  Aacute: 'Á', Agrave: 'À', Acirc: 'Â', Atilde: 'Ã', iacute: 'í', igrave: 'ì', icirc: 'î', iuml: 'ï',
  oacute: 'ó', ograve: 'ò', ocirc: 'ô', otilde: 'õ', Oacute: 'Ó', Ocirc: 'Ô', Otilde: 'Õ', uacute: 'ú',
  ugrave: 'ù', ucirc: 'û', Uacute: 'Ú', ccedil: 'ç', Ccedil: 'Ç', ntilde: 'ñ', Ntilde: 'Ñ', iexcl: '¡',
  iquest: '¿', aring: 'å', Aring: 'Å', aelig: 'æ', AElig: 'Æ', oslash: 'ø', Oslash: 'Ø',
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
 * longer than the input.
 */
export function htmlToText(html: string, maxChars = 2_000_000): string {
  const src = html.length > maxChars ? html.slice(0, maxChars) : html;
  const out: string[] = [];
  let textStart = 0;
  let i = 0;
  const n = src.length;
  const unclosed = new Set<string>();
  const flushText = (end: number) => {
    if (end > textStart) out.push(decodeEntities(src.slice(textStart, end)));
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
        if (close >= 0) out.push(src.slice(lt + 9, close));
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
      i = textStart = n;
      break;
    }
    i = textStart = gt + 1;
    if (!closing && SKIP_CONTENT_TAGS.has(name) && src.charCodeAt(gt - 1) !== 47 && !unclosed.has(name)) {
      // Skip to the matching close tag (case-insensitive). A <head> that is never closed ends at <body>;
      // any other unclosed element is not skipped at all (its text stays). Failed searches are
      // remembered, so a flood of unclosed <script> tags stays linear.
      const re = new RegExp(`</${name}\\s*>`, 'ig');
      re.lastIndex = i;
      const m = re.exec(src);
      if (m) {
        i = textStart = m.index + m[0].length;
        out.push('\n');
        continue;
      }
      unclosed.add(name);
      if (name === 'head') {
        const body = /<body[\s>\/]/gi;
        body.lastIndex = i;
        const b = body.exec(src);
        if (b) {
          i = textStart = b.index;
          out.push('\n');
          continue;
        }
      }
    }
    if (BLOCK_TAGS.has(name)) out.push('\n');
    else if (CELL_TAGS.has(name)) out.push(' ');
  }
  flushText(n);
  return tidyText(out.join(''));
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
    const line = raw.replace(/[\t\f\v \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+/g, ' ').replace(/[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g, '').trim();
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
