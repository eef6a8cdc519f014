/**
 * Mutators for raw mails. Structural ones rewrite the MIME shape (deep nesting, broken boundaries,
 * huge headers and bodies, odd charsets, line endings); byte-level ones flip, insert and truncate.
 * No mutator ever creates or destroys a CR or LF byte except `lineEndings` (which converts them all
 * consistently), so a header can never turn into body text or the other way round, and none touches
 * the protected substrings that decide the ground truth (see mails.ts).
 */
import type { Prng } from './prng';
import { ALNUM } from './prng';
import type { FuzzMail, Truth } from './mails';

export interface Mutated {
  raw: Buffer;
  mutations: string[];
  truth: Truth;
  /** Contains a 10 MB body or 100k header lines. */
  big: boolean;
}

type Range = [number, number];

function findAll(raw: Buffer, needle: string): number[] {
  const n = Buffer.from(needle, 'utf8');
  const out: number[] = [];
  if (!n.length) return out;
  let i = raw.indexOf(n);
  while (i >= 0) {
    out.push(i);
    i = raw.indexOf(n, i + 1);
  }
  return out;
}

function protectedRanges(raw: Buffer, mail: FuzzMail): Range[] {
  const out: Range[] = [];
  for (const p of mail.protect) {
    const len = Buffer.byteLength(p, 'utf8');
    // +3: also the CRLF and the first byte of the next line (a tab there would fold it into this header)
    for (const i of findAll(raw, p)) out.push([Math.max(0, i - 1), i + len + 3]);
  }
  if (mail.guardPlanted) {
    for (const p of mail.planted) {
      const len = Buffer.byteLength(p, 'utf8');
      for (const i of findAll(raw, p)) out.push([Math.max(0, i - 64), i + len + 64]);
    }
  }
  return out;
}

function inRanges(pos: number, ranges: Range[]): Range | undefined {
  return ranges.find(([a, b]) => pos >= a && pos < b);
}

const CR = 0x0d;
const LF = 0x0a;

/** Splits at the end of the top-level header block (CRLF CRLF, or LF LF). */
function splitHead(s: string): { head: string; sep: string; body: string } | undefined {
  const m = /\r?\n\r?\n/.exec(s);
  if (!m) return undefined;
  return { head: s.slice(0, m.index), sep: m[0], body: s.slice(m.index + m[0].length) };
}

/** Removes Content-Type / Content-Transfer-Encoding (with continuation lines) from a header block. */
function takeContentHeaders(head: string): { rest: string; content: string } {
  const lines = head.split(/\r?\n/);
  const keep: string[] = [];
  const content: string[] = [];
  let target = keep;
  for (const line of lines) {
    if (/^[ \t]/.test(line)) {
      target.push(line);
      continue;
    }
    target = /^content-(type|transfer-encoding)\s*:/i.test(line) ? content : keep;
    target.push(line);
  }
  return { rest: keep.join('\r\n'), content: content.join('\r\n') };
}

// ---------------------------------------------------------------------------------------------
// Structural mutators (work on the latin1 string view, which round-trips every byte)

function deepNest(rng: Prng, s: string, variant?: string): [string, string] {
  const depth = variant ? Number(variant) : rng.chance(0.6) ? 50 : rng.range(2, 60);
  const parts = splitHead(s);
  if (!parts) return [s, 'deep-nest:skipped'];
  const { rest, content } = takeContentHeaders(parts.head);
  let inner = `${content || 'Content-Type: text/plain'}\r\n\r\n${parts.body}`;
  for (let i = 0; i < depth; i++) {
    const b = `nest_${i}_${rng.string(6, ALNUM)}`;
    const sub = rng.pick(['mixed', 'alternative', 'related', 'signed', 'x-unknown']);
    inner = `Content-Type: multipart/${sub}; boundary="${b}"\r\n\r\n--${b}\r\n${inner}\r\n--${b}--\r\n`;
  }
  return [`${rest}\r\nMIME-Version: 1.0\r\n${inner}`, `deep-nest:${depth}`];
}

const TEN_MB = 10 * 1024 * 1024;

export const FILLERS = ['lorem', 'one-line', 'alnum-run', 'bad-labels', 'base64-blob', 'div-soup', 'colons'] as const;
export const HUGE_HEADERS = ['many', 'folded', 'received', 'no-colon'] as const;

function filler(rng: Prng, variant?: string): { part: string; name: string } {
  const kind = (FILLERS as readonly string[]).includes(variant ?? '')
    ? (variant as (typeof FILLERS)[number])
    : rng.pick(FILLERS);
  const fill = (unit: string) => unit.repeat(Math.ceil(TEN_MB / unit.length));
  switch (kind) {
    case 'lorem':
      return {
        name: kind,
        part: `Content-Type: text/plain; charset=utf-8\r\n\r\n${fill('Lorem ipsum dolor sit amet, consectetur adipiscing elit. Username: nobody\r\n')}`,
      };
    case 'one-line':
      return { name: kind, part: `Content-Type: text/plain\r\n\r\n${'a'.repeat(TEN_MB)}` };
    case 'alnum-run':
      return {
        name: kind,
        part: `Content-Type: text/plain\r\n\r\nSecurity token (case-sensitive): ${fill(ALNUM)}\r\n`,
      };
    case 'bad-labels':
      // Label lines with 26-character values: never a token, however many.
      return {
        name: kind,
        part: `Content-Type: text/plain\r\n\r\n${fill('Security token (case-sensitive): ABCDEFGHIJKLMNOPQRSTUVWXYZ\r\nUsername: x@y.example\r\n')}`,
      };
    case 'base64-blob':
      return {
        name: kind,
        part: `Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="blob.bin"\r\n\r\n${fill('QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3\r\n')}`,
      };
    case 'div-soup':
      return { name: kind, part: `Content-Type: text/html\r\n\r\n${fill('<div><span title="a:b">')}` };
    case 'colons':
      return { name: kind, part: `Content-Type: text/plain\r\n\r\n${fill(': : : : : : : : : : : : : : : : ')}` };
  }
}

function bigBody(rng: Prng, s: string, variant?: string): [string, string] {
  const parts = splitHead(s) ?? { head: s, sep: '\r\n\r\n', body: '' };
  const { rest, content } = takeContentHeaders(parts.head);
  const original = `${content || 'Content-Type: text/plain'}\r\n\r\n${parts.body}`;
  const f = filler(rng, variant);
  const b = `big_${rng.string(10, ALNUM)}`;
  const ordered = rng.chance(0.5) ? [original, f.part] : [f.part, original];
  const body = ordered.map((p) => `--${b}\r\n${p}\r\n`).join('') + `--${b}--\r\n`;
  return [`${rest}\r\nContent-Type: multipart/mixed; boundary="${b}"\r\n\r\n${body}`, `big-body:${f.name}`];
}

function hugeHeaders(rng: Prng, s: string, variant?: string): [string, string] {
  const n = 100_000;
  const kind = (HUGE_HEADERS as readonly string[]).includes(variant ?? '')
    ? (variant as (typeof HUGE_HEADERS)[number])
    : rng.pick(HUGE_HEADERS);
  let block: string;
  switch (kind) {
    case 'many':
      block = Array.from({ length: n }, (_, i) => `X-Fuzz-${i}: value ${i}\r\n`).join('');
      break;
    case 'folded':
      block = 'X-Folded: start\r\n' + '\tcontinued: Security token (case-sensitive)\r\n'.repeat(n);
      break;
    case 'received':
      block =
        'Received: from relay.example (relay.example [192.0.2.1]) by mx.example; Thu, 2 May 2024 11:41:52 +0000\r\n'.repeat(
          n,
        );
      break;
    case 'no-colon':
      block = 'X-Junk: x\r\n' + 'X-Broken header without a colon\r\n'.repeat(n);
      break;
  }
  return [block + s, `huge-headers:${kind}`];
}

const ODD_CHARSETS = [
  'utf-7',
  'iso-2022-jp',
  'x-unknown-charset',
  'utf-16le',
  'utf-16',
  'ibm037',
  'gb18030',
  'utf-32',
  'windows-1252',
  'koi8-r',
  'shift_jis',
  'big5',
  '',
  'utf-8"; charset="utf-16',
  'x-mac-cyrillic',
  'iso-8859-8-i',
  'UTF8',
  '../../etc/passwd',
];

function oddCharset(rng: Prng, s: string): [string, string] {
  const cs = rng.pick(ODD_CHARSETS);
  let n = 0;
  const out = s.replace(/charset="?[^";\r\n]*"?/gi, (m) => (rng.chance(0.7) ? (n++, `charset="${cs}"`) : m));
  return [out, `charset:${cs || 'empty'}x${n}`];
}

function breakBoundary(rng: Prng, s: string): [string, string] {
  const bounds = [...s.matchAll(/boundary="?([^";\r\n]+)"?/gi)].map((m) => m[1]!);
  if (!bounds.length) {
    return [s.replace(/\r\n\r\n/, '\r\n\r\n--\r\n'), 'boundary:none-to-break'];
  }
  const b = rng.pick(bounds);
  const kind = rng.int(7);
  switch (kind) {
    case 0:
      return [s.split(`--${b}--`).join(''), 'boundary:no-close'];
    case 1: {
      let seen = 0;
      const target = rng.range(0, 3);
      return [
        s.replace(new RegExp(`--${escapeRe(b)}(?=\\r?\\n)`, 'g'), (m) =>
          seen++ === target ? m + rng.pick(['x', ' ', '-', '\t', '=']) : m,
        ),
        'boundary:near-miss',
      ];
    }
    case 2:
      return [
        s.replace(`boundary="${b}"`, `boundary="${b}X"`).replace(`boundary=${b}`, `boundary=${b}X`),
        'boundary:param-mismatch',
      ];
    case 3:
      return [s.replace(`boundary="${b}"`, 'boundary=""'), 'boundary:empty-param'];
    case 4: {
      const at = s.indexOf(`--${b}`);
      const mid = at >= 0 ? s.indexOf('\r\n\r\n', at) : -1;
      if (mid < 0) return [s, 'boundary:fake-skipped'];
      return [s.slice(0, mid) + `\r\n--${b}--\r\n` + s.slice(mid), 'boundary:early-close'];
    }
    case 5:
      return [s.split(`\r\n--${b}`).join(`--${b}`), 'boundary:glued'];
    default:
      return [s.replace(`boundary="${b}"`, `boundary="${'-'.repeat(rng.range(70, 5000))}"`), 'boundary:overlong-param'];
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function lineEndings(rng: Prng, s: string): [string, string] {
  const kind = rng.weighted([
    [6, 'lf'],
    [1, 'cr'],
    [3, 'mixed'],
  ] as const);
  if (kind === 'lf') return [s.replace(/\r\n/g, '\n'), 'eol:lf'];
  if (kind === 'cr') return [s.replace(/\r\n/g, '\r'), 'eol:cr'];
  return [s.replace(/\r\n/g, () => (rng.chance(0.5) ? '\n' : '\r\n')), 'eol:mixed'];
}

function cteSwap(rng: Prng, s: string): [string, string] {
  const v = rng.pick([
    'base64',
    'quoted-printable',
    'x-uuencode',
    'binary',
    '7bit',
    'BASE64',
    'base64; x=1',
    '',
    'gzip',
  ]);
  let n = 0;
  const target = rng.range(0, 2);
  const out = s.replace(/Content-Transfer-Encoding:[^\r\n]*/gi, (m) =>
    n++ === target ? `Content-Transfer-Encoding: ${v}` : m,
  );
  return [out, `cte:${v || 'empty'}`];
}

function dupHeader(rng: Prng, s: string): [string, string] {
  const line = rng.pick([
    'Content-Type: text/plain; charset=us-ascii',
    'Content-Type: multipart/mixed; boundary="dup"',
    'Content-Transfer-Encoding: base64',
    'Subject: Re: nothing to see',
    'MIME-Version: 2.0',
    'Content-Type: message/rfc822',
  ]);
  const m = /\r?\n/.exec(s);
  if (!m) return [s, 'dup:skipped'];
  return [
    s.slice(0, m.index + m[0].length) + line + m[0] + s.slice(m.index + m[0].length),
    `dup:${line.split(':')[0]}`,
  ];
}

type Structural = (rng: Prng, s: string, variant?: string) => [string, string];
const STRUCTURAL: Array<readonly [number, string, Structural]> = [
  [3, 'deep-nest', deepNest],
  [5, 'break-boundary', breakBoundary],
  [4, 'odd-charset', oddCharset],
  [3, 'line-endings', lineEndings],
  [3, 'cte-swap', cteSwap],
  [2, 'dup-header', dupHeader],
];
const BIG: Array<readonly [number, string, Structural]> = [
  [1, 'big-body', bigBody],
  [1, 'huge-headers', hugeHeaders],
];

// ---------------------------------------------------------------------------------------------
// Byte-level mutators

const JUNK = [
  Buffer.from([0x00]),
  Buffer.from([0xff, 0xfe]),
  Buffer.from([0xc3, 0x28]), // invalid UTF-8
  Buffer.from([0xe0, 0x80, 0x80]), // overlong
  Buffer.from([0xef, 0xbb, 0xbf]), // BOM
  Buffer.from('\u202e', 'utf8'), // right-to-left override
  Buffer.from('\u200b', 'utf8'), // zero-width space
  Buffer.from('=?utf-8?B?', 'latin1'),
  Buffer.from('=', 'latin1'),
  Buffer.from('<!--', 'latin1'),
  Buffer.from('\t', 'latin1'),
];

function flip(rng: Prng, raw: Buffer, ranges: Range[]): [Buffer, string] {
  if (!raw.length) return [raw, 'flip:0'];
  const out = Buffer.from(raw);
  const n = rng.range(1, 16);
  let done = 0;
  for (let tries = 0; tries < n * 8 && done < n; tries++) {
    const pos = rng.int(out.length);
    const old = out[pos]!;
    if (old === CR || old === LF || inRanges(pos, ranges)) continue;
    let v = rng.next() & 0xff;
    if (v === CR || v === LF || v === old) v = 0x21 + rng.int(90);
    if (v === old) continue;
    out[pos] = v;
    done++;
  }
  return [out, `flip:${done}`];
}

function insertJunk(rng: Prng, raw: Buffer, ranges: Range[]): [Buffer, string] {
  const n = rng.range(1, 6);
  let out = raw;
  let done = 0;
  for (let tries = 0; tries < n * 8 && done < n; tries++) {
    const pos = rng.int(out.length + 1);
    if (inRanges(pos, ranges)) continue;
    const j = rng.pick(JUNK);
    out = Buffer.concat([out.subarray(0, pos), j, out.subarray(pos)]);
    // shift ranges after the insertion point
    for (const r of ranges) {
      if (r[0] >= pos) {
        r[0] += j.length;
        r[1] += j.length;
      }
    }
    done++;
  }
  return [out, `junk:${done}`];
}

/** Cuts the mail short, never inside a protected substring. Returns where it cut. */
function truncate(rng: Prng, raw: Buffer, ranges: Range[]): [Buffer, string, number] {
  let cut = rng.int(raw.length + 1);
  const r = inRanges(cut, ranges);
  if (r) cut = r[0];
  return [raw.subarray(0, cut), `truncate:${cut}/${raw.length}`, cut];
}

// ---------------------------------------------------------------------------------------------

/** Names of the structural mutators, for targeted cases (`force`). */
export const STRUCTURAL_NAMES = [...STRUCTURAL, ...BIG].map(([, n]) => n);

export interface MutateOptions {
  /** Allow the 10 MB body / 100k-line header mutators. */
  allowBig: boolean;
  /** Force these structural mutators (names from STRUCTURAL_NAMES, optionally `name:variant`, e.g. `big-body:div-soup`, `deep-nest:50`). */
  force?: string[];
  /** Probability that a case stays unmutated (default 0.25). */
  pristine?: number;
}

export function mutate(rng: Prng, mail: FuzzMail, o: MutateOptions): Mutated {
  const mutations: string[] = [];
  let truth = mail.truth;
  if (!o.force?.length && !o.allowBig && rng.chance(o.pristine ?? 0.25))
    return { raw: mail.raw, mutations, truth, big: false };

  let s = mail.raw.toString('latin1');
  let big = false;
  const all = [...STRUCTURAL, ...BIG];
  const structural: Array<readonly [number, string, Structural, string?]> = o.force?.length
    ? o.force.map((spec) => {
        const [name, variant] = spec.split(':');
        const m = all.find(([, n]) => n === name);
        if (!m) throw new Error(`unknown mutator ${spec}`);
        return [m[0], m[1], m[2], variant] as const;
      })
    : Array.from(
        {
          length: rng.weighted([
            [5, 0],
            [4, 1],
            [2, 2],
          ] as const),
        },
        () => rng.weighted(STRUCTURAL.map((m) => [m[0], m] as const)),
      );
  if (!o.force?.length && o.allowBig) structural.push(rng.pick(BIG));
  for (const [, name, f, variant] of structural) {
    const [next, label] = f(rng, s, variant);
    s = next;
    mutations.push(label);
    if (name === 'big-body' || name === 'huge-headers') big = true;
  }
  let raw: Buffer = Buffer.from(s, 'latin1');

  const byteOps = o.force?.length
    ? 0
    : rng.weighted([
        [3, 0],
        [5, 1],
        [2, 2],
      ] as const);
  for (let i = 0; i < byteOps; i++) {
    const ranges = protectedRanges(raw, mail);
    const op = rng.weighted([
      [6, 'flip'],
      [3, 'junk'],
      [3, 'truncate'],
    ] as const);
    if (op === 'flip') {
      const [r, label] = flip(rng, raw, ranges);
      raw = r;
      mutations.push(label);
    } else if (op === 'junk') {
      const [r, label] = insertJunk(rng, raw, ranges);
      raw = r;
      mutations.push(label);
    } else {
      const fromAt = mail.protect[0] ? raw.indexOf(Buffer.from(mail.protect[0], 'utf8')) : -1;
      const [r, label, cut] = truncate(rng, raw, ranges);
      raw = r;
      mutations.push(label);
      if (fromAt >= 0 && cut <= fromAt && truth.expect !== 'no-token')
        truth = { expect: 'no-token', why: 'From header cut off' };
    }
  }
  if (mutations.length && truth.expect === 'token') truth = { ...truth, expect: 'either' };
  return { raw, mutations, truth, big };
}
