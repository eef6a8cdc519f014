/**
 * Property tests of the .env editor against dotenv's own parser.
 * FC_RUNS raises the number of runs (default 1,000); FC_SEED replays a failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import dotenv from 'dotenv';
import { EnvError, parseEnv, parseEnvFast, scanEnv, setEnvText } from '../../src/core/dotenv';

const RUNS = Number(process.env.FC_RUNS) > 0 ? Number(process.env.FC_RUNS) : 1000;
const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
const params = { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}) };

const KEYS = ['A', 'B', 'SF_PASSWORD', 'SF_SECURITY_TOKEN', 'x.y', 'k-1'];
const NEW_KEYS = [...KEYS, 'NEW', 'SF_USERNAME'];

const SPECIALS = [
  ...'\'"`#$\\ =:\t{}()!&|;<>*?~%@^[],./-_+',
  '\n',
  '\r',
  '\r\n',
  '\u2028',
  '\u2029',
  '\u00a0',
  '\ufeff',
  'é',
  '😀',
  '𝔘',
  'n',
  'r',
  'a',
  'Z',
  '0',
];

/** Values a password (or worse) can hold: printable ASCII, Unicode incl. astral, quotes, #, $, \, spaces, newlines. */
const valueArb = fc.oneof(
  fc.string({ unit: fc.constantFrom(...SPECIALS), maxLength: 24 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 24 }),
  fc.string({ unit: 'grapheme', maxLength: 16 }),
  fc.string({
    unit: fc.oneof(fc.constantFrom(...SPECIALS), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })),
    maxLength: 24,
  }),
);

const safeText = (forbid: RegExp, max = 12) =>
  fc
    .string({ unit: fc.constantFrom(...'abcXYZ019 _-.@$!%,;:/+=\\é😀'.match(/./gu)!), maxLength: max })
    .filter((s) => !forbid.test(s));

/** One line (or a multi-line quoted value) of a realistic .env file, without its line end. */
const lineArb = fc.oneof(
  { weight: 2, arbitrary: safeText(/[\r\n]/, 20).map((t) => '#' + t) }, // comment
  { weight: 2, arbitrary: fc.constantFrom('', ' ', '\t', '  ') }, // blank
  {
    weight: 6,
    arbitrary: fc
      .record({
        exp: fc.boolean(),
        indent: fc.constantFrom('', ' ', '  '),
        key: fc.constantFrom(...KEYS),
        sep: fc.constantFrom('=', ' = ', '= ', ': '),
        value: fc.oneof(
          safeText(/^\s|\s$|[#'"`]|^$/), // unquoted
          // (a backslash right before the closing quote makes dotenv's reading depend on what follows;
          // such files are covered by the "garbled text" property below)
          safeText(/'|\\$/).map((v) => `'${v}'`),
          safeText(/"|\\$/).map((v) => `"${v}"`),
          safeText(/`|\\$/).map((v) => `\`${v}\``),
          fc.tuple(safeText(/['\n]/), safeText(/['\n]|\\$/)).map(([a, b]) => `'${a}\n${b}'`), // multi-line
          fc.tuple(safeText(/["\n]/), safeText(/["\n]/)).map(([a, b]) => `"${a}\n${b}\\n"`),
          fc.constant(''),
        ),
        comment: fc.oneof(
          fc.constant(''),
          safeText(/[\r\n]/).map((c) => ' # ' + c),
        ),
      })
      .map((r) => `${r.indent}${r.exp ? 'export ' : ''}${r.key}${r.sep}${r.value}${r.comment}`),
  },
);

const fileArb = fc
  .record({
    lines: fc.array(lineArb, { maxLength: 12 }),
    eol: fc.constantFrom('\n', '\r\n'),
    bom: fc.boolean(),
    finalNewline: fc.boolean(),
  })
  .map(({ lines, eol, bom, finalNewline }) => {
    // a multi-line value's inner line end follows the file's
    let t = lines.map((l) => l.replace(/\n/g, eol)).join(eol);
    if (finalNewline && lines.length) t += eol;
    return (bom ? '\uFEFF' : '') + t;
  });

const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A necessary condition for "no quoting can hold this value here". Each quoted form has its own
 * `\q` escape in dotenv's regex, so a value ending in a backslash may be readable or not depending
 * on the lines that follow; such values count as possibly unrepresentable.
 */
function mayBeUnrepresentable(v: string): boolean {
  if (v.includes('\0') || LONE.test(v)) return true;
  const endsBs = v.endsWith('\\');
  const single = !v.includes("'") && !v.includes('\r') && !endsBs;
  const tick = !v.includes('`') && !v.includes('\r') && !endsBs;
  const double = !v.includes('"') && !/\\[nr]/.test(v) && !endsBs;
  const plain = !/[\r\n#]/.test(v) && v.trim() === v && !/^['"`]/.test(v);
  return !(single || tick || double || plain);
}

/** Sets one key and checks: dotenv reads the new value and every other value unchanged, and every
 * byte outside the edited value (or before the appended line) is unchanged. */
function checkOne(text: string, key: string, value: string): string | undefined {
  const before = dotenv.parse(text);
  let out: string;
  try {
    out = setEnvText(text, { [key]: value });
  } catch (e) {
    assert.ok(e instanceof EnvError && e.code === 'UNREPRESENTABLE', String(e));
    // (a quoted value ending in a backslash, which our own earlier writes may produce, makes any
    // later quote of the right kind close it: then refusal can depend on the file, not the value)
    assert.ok(
      mayBeUnrepresentable(value) || /\\['"`]/.test(text),
      `refused a representable value ${JSON.stringify(value)} in ${JSON.stringify(text)}`,
    );
    return undefined;
  }
  assert.deepEqual(dotenv.parse(out), { ...before, [key]: value });
  // dotenv's opt-in `fast` parser reads it the same way
  assert.deepEqual(dotenv.parse(out, { fast: true }), { ...dotenv.parse(text, { fast: true }), [key]: value });
  const entries = scanEnv(text);
  const last = [...entries].reverse().find((e) => e.key === key);
  if (last) {
    assert.ok(out.startsWith(text.slice(0, last.valueStart)), 'bytes before the value are unchanged');
    assert.ok(out.endsWith(text.slice(last.valueEnd)), 'bytes after the value are unchanged');
    assert.ok(out.length >= last.valueStart + text.length - last.valueEnd);
  } else if (!out.startsWith(text)) {
    // the last-resort placement: first line of the file (after a BOM), everything else unchanged
    const bom = text.startsWith('\uFEFF') ? 1 : 0;
    assert.ok(
      out.startsWith(text.slice(0, bom)) && out.endsWith(text.slice(bom)),
      'inserting keeps every existing byte',
    );
    assert.match(out.slice(bom, out.length - (text.length - bom)), /^(export )?[\w.-]+=.*(\r\n|\n|\r)$/s);
  } else {
    assert.ok(out.startsWith(text), 'appending keeps every existing byte');
    const added = out.slice(text.length);
    const endsWithBreak = /[\r\n]$/.test(text);
    if (text !== '' && !endsWithBreak) assert.match(added, /^(\r\n|\n|\r)/);
    const eolAtEnd = /(\r\n|\n|\r)$/.test(added);
    assert.equal(eolAtEnd, text === '' || endsWithBreak, 'a missing final newline stays missing');
  }
  return out;
}

test('property: editing random .env files keeps every other byte and dotenv reads exactly the new values', () => {
  fc.assert(
    fc.property(
      fileArb,
      fc.array(fc.tuple(fc.constantFrom(...NEW_KEYS), valueArb), { minLength: 1, maxLength: 3 }),
      (text, sets) => {
        const values: Record<string, string> = {};
        for (const [k, v] of sets) values[k] = v;
        // one key at a time, checked byte by byte
        let seq: string | undefined = text;
        for (const [k, v] of Object.entries(values)) {
          const next = checkOne(seq, k, v);
          if (next === undefined) {
            seq = undefined;
            break;
          }
          seq = next;
        }
        // all at once: the same result, or the same refusal with nothing changed
        let all: string | undefined;
        try {
          all = setEnvText(text, values);
        } catch (e) {
          assert.ok(e instanceof EnvError && e.code === 'UNREPRESENTABLE');
        }
        assert.equal(all, seq);
      },
    ),
    params,
  );
});

test('property: parseEnv (and parseEnvFast) agree with dotenv.parse (and its fast mode) on arbitrary text', () => {
  const unit = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...SPECIALS, 'export ', 'A', 'B', '=', '="', "='", '=`', '#', ': ') },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
  );
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit, maxLength: 60 }), fileArb), (text) => {
      assert.deepEqual(parseEnv(text), dotenv.parse(text));
      assert.deepEqual(parseEnvFast(text), dotenv.parse(text, { fast: true }));
    }),
    params,
  );
});

test('property: edits of arbitrary (even garbled) text never corrupt what dotenv reads', () => {
  const unit = fc.constantFrom(...SPECIALS, 'export ', 'A', 'B', 'SF_PASSWORD', '=', '="', "='", '=`', '#', ': ');
  fc.assert(
    fc.property(fc.string({ unit, maxLength: 50 }), fc.constantFrom('A', 'B', 'NEW'), valueArb, (text, key, value) => {
      const before = dotenv.parse(text);
      let out: string;
      try {
        out = setEnvText(text, { [key]: value });
      } catch (e) {
        assert.ok(e instanceof EnvError && e.code === 'UNREPRESENTABLE');
        return;
      }
      assert.deepEqual(dotenv.parse(out), { ...before, [key]: value });
    }),
    params,
  );
});
