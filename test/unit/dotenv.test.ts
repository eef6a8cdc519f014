import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';
import { EnvError, parseEnv, scanEnv, setEnvText } from '../../src/core/dotenv';

const FIX = path.join(__dirname, '..', 'fixtures', 'env');
const fixture = (name: string) => readFileSync(path.join(FIX, name), 'utf8');

/** Applies setEnvText and checks the result with dotenv's own parser. */
function set(text: string, values: Record<string, string>): string {
  const before = dotenv.parse(text);
  const out = setEnvText(text, values);
  const after = dotenv.parse(out);
  assert.deepEqual(after, { ...before, ...values }, 'dotenv reads the new values and every old one');
  return out;
}

function throwsCode(fn: () => unknown, code: string): EnvError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof EnvError, `expected EnvError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code);
  return caught;
}

test('parseEnv agrees with dotenv.parse on tricky inputs', () => {
  const inputs = [
    'A=1\nB="x\ny"\n',
    'A:\nB=1', // ":" with a newline as its whitespace: A reads "B=1"
    'A=\n"x"', // quoted alternatives skip newlines
    "export A='a'b'",
    'A="abc',
    'A="a\\nb\\r"',
    "A='a\\nb'",
    'A=foo\u2028B=bar',
    'A="foo"\u2028B=bar',
    '\uFEFFA=1\r\nB=2\rC=3',
    '__proto__=x\nZ=1',
    'constructor=1\ntoString=2',
    "A=1 #c\n#x\nA='2' # d\n",
    'A= #only comment\nB=#x\nC= spaced  value  \n',
    'export\tA=1\nexportB=2\nexport =3\n',
    'A="x" junk\nB=2',
    "A='\\''\nB=`\\``",
    'KEY.with-dots_and-dash=ok',
    '   \n\n\t# c\n  A=1',
    'A = "a"\n B : b \n',
    'A="multi\nline\\nvalue" # comment\nB=2',
    'A="unterminated\nB=2\nC="c"',
    '',
    '\r\n\r\n',
    'A=\u00a0x\u00a0',
    'A=é ✓ 😀',
  ];
  for (const t of inputs) assert.deepEqual(parseEnv(t), dotenv.parse(t), JSON.stringify(t));
  for (const f of readdirSync(FIX)) {
    const buf = readFileSync(path.join(FIX, f));
    assert.deepEqual(parseEnv(buf.toString('utf8')), dotenv.parse(buf), f);
  }
});

test('only the value of the assigned key changes; comments, blanks, order, export, quotes stay', () => {
  const text = fixture('kitchen-sink.env');
  const out = set(text, { SF_USERNAME: 'new@example.com' });
  assert.equal(
    out,
    text.replace('export SF_USERNAME=dev@example.com.sandbox   #', 'export SF_USERNAME=new@example.com   #'),
  );
});

test('the existing quote style is kept when it can hold the value', () => {
  const text = fixture('kitchen-sink.env');
  assert.equal(
    set(text, { SF_PASSWORD: 'n3w p@ss' }),
    text.replace("SF_PASSWORD='old pa$$ #word'", "SF_PASSWORD='n3w p@ss'"),
  );
  assert.equal(set(text, { TICK: 'x "y"' }), text.replace('TICK=`a "b" \'c\'`', 'TICK=`x "y"`'));
  // single quotes cannot hold a single quote: another style is chosen, nothing else moves
  const out = set(text, { SF_PASSWORD: "it's" });
  assert.equal(out, text.replace("SF_PASSWORD='old pa$$ #word'", 'SF_PASSWORD="it\'s"'));
});

test('duplicates: the last occurrence (the one dotenv reads) changes, the others stay byte-identical', () => {
  const text = fixture('kitchen-sink.env');
  const out = set(text, { SF_SECURITY_TOKEN: 'TOKEN123' });
  assert.equal(out, text.replace('SF_SECURITY_TOKEN="second" # the one', 'SF_SECURITY_TOKEN="TOKEN123" # the one'));
  assert.ok(out.includes('SF_SECURITY_TOKEN=first\n'));
  assert.ok(out.includes('abc SF_SECURITY_TOKEN=inside\n'), 'lines inside a multi-line value are untouched');
  assert.ok(out.includes('# SF_SECURITY_TOKEN=commented\n'));
});

test('a missing key is appended; a missing final newline stays missing', () => {
  const text = fixture('kitchen-sink.env');
  assert.ok(!text.endsWith('\n'));
  const out = set(text, { NEW_KEY: 'v' });
  assert.equal(out, text + '\nNEW_KEY=v');
  assert.equal(set('A=1\n', { B: '2' }), 'A=1\nB=2\n');
  assert.equal(set('', { B: '2' }), 'B=2\n');
  assert.equal(set('# only a comment', { B: '2' }), '# only a comment\nB=2');
});

test('appending to a file where every assignment is exported uses export too', () => {
  assert.equal(set('export A=1\nexport B=2\n', { C: '3' }), 'export A=1\nexport B=2\nexport C=3\n');
  assert.equal(set('export A=1\nB=2\n', { C: '3' }), 'export A=1\nB=2\nC=3\n');
});

test('CRLF, BOM and lone CR line ends are kept', () => {
  const crlf = fixture('crlf-bom.env');
  const out = set(crlf, { SF_PASSWORD: 'new pw', NEW: 'a\nb' });
  assert.ok(out.startsWith('\uFEFF# windows\r\n'));
  assert.equal(out, crlf.replace('SF_PASSWORD="p w"', 'SF_PASSWORD="new pw"') + 'NEW="a\\nb"\r\n');
  const ml = set(crlf, { ML: 'p\nq' });
  assert.equal(ml, crlf.replace("ML='x\r\ny'", "ML='p\r\nq'"), "a multi-line value uses the file's line end");
  const cr = fixture('lone-cr.env');
  const out2 = set(cr, { A: '9', C: '3' });
  assert.equal(out2, cr.replace('A=1\r', 'A=9\r') + 'C=3\r');
});

test('empty values, colon separators, spaced assignments and trailing comments', () => {
  const text = fixture('kitchen-sink.env');
  assert.equal(set(text, { EMPTY: 'filled' }), text.replace('EMPTY=\n', 'EMPTY=filled\n'));
  assert.equal(set(text, { COLON: 'v2' }), text.replace('COLON: value with spaces', 'COLON: v2'));
  assert.equal(
    set(text, { SF_LOGIN_URL: 'https://login.salesforce.com' }),
    text.replace('= https://test.salesforce.com', '= https://login.salesforce.com'),
  );
  assert.equal(set('A=#c\n', { A: 'x y' }), "A='x y'#c\n");
  assert.equal(set('A= # c\n', { A: 'v' }), 'A=v # c\n');
  assert.equal(set('A=1 # c\n', { A: '' }), 'A= # c\n');
});

test('setting a key to its current value changes nothing', () => {
  const text = fixture('kitchen-sink.env');
  assert.equal(setEnvText(text, { SF_SECURITY_TOKEN: 'second', LAST: 'no final newline' }), text);
});

test('values with every character a Salesforce password can hold read back exactly', () => {
  const values = [
    ' leading and trailing ',
    '#hash',
    'a # b',
    "it's",
    'say "hi"',
    'back`tick',
    'mix \' and "',
    'dollar $HOME ${X} $(y)',
    'back\\slash\\',
    '\\n literal backslash-n',
    'new\nline',
    'crlf\r\nvalue',
    '\\\nbackslash before newline',
    'tab\there',
    'unicode é ✓ 😀 𝔘',
    '\u2028 separators \u2029',
    '=starts with equals',
    "'quoted'",
    '"dq"',
    '`bt`',
    '',
    ' ',
    '!#$%&()*+,-./:;<=>?@[]^_{|}~',
  ];
  for (const v of values) {
    for (const base of ['', 'K=old\n', "K='old'\n", 'K="old"\n', 'K=`old`\n', 'export K=old # c\n']) {
      const out = set(base, { K: v });
      assert.equal(dotenv.parse(out).K, v, JSON.stringify({ base, v }));
    }
  }
  // the whole printable ASCII set at once, except that it has all three quotes and a # together
  const ascii = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
  throwsCode(() => setEnvText('', { K: ascii }), 'UNREPRESENTABLE');
  assert.equal(dotenv.parse(set('', { K: ascii.replace('#', '') })).K, ascii.replace('#', ''));
  assert.equal(dotenv.parse(set('', { K: ascii.replace('`', '') })).K, ascii.replace('`', ''));
});

test('unrepresentable values are refused with a clear error and no value in the message', () => {
  const secret = 'pa\'ss"wo`rd#1';
  const e = throwsCode(() => setEnvText('A=1\n', { SF_PASSWORD: secret }), 'UNREPRESENTABLE');
  assert.match(e.message, /SF_PASSWORD/);
  assert.ok(!e.message.includes(secret));
  assert.equal(e.key, 'SF_PASSWORD');
  throwsCode(() => setEnvText('', { K: 'nul\0byte' }), 'UNREPRESENTABLE');
  throwsCode(() => setEnvText('', { K: 'lone \ud800 surrogate' }), 'UNREPRESENTABLE');
  // "\n" as two characters together with every quote and a CR: no quoting works
  throwsCode(() => setEnvText('', { K: '\\n\'"`\r' }), 'UNREPRESENTABLE');
});

test('invalid keys are refused', () => {
  for (const k of ['', 'A B', 'A=B', 'É', 'A#', '__proto__', 'a\nb'])
    throwsCode(() => setEnvText('', { [k]: 'v' }), 'INVALID_KEY');
  assert.equal(set('', { 'a.b-c_D9': 'v' }), 'a.b-c_D9=v\n');
});

test('several keys in one call; nothing is changed when one of them is refused', () => {
  const text = 'A=1\nB=2\n';
  assert.equal(set(text, { B: 'two', C: 'three', A: 'one' }), 'A=one\nB=two\nC=three\n');
  throwsCode(() => setEnvText(text, { A: 'ok', B: '\0' }), 'UNREPRESENTABLE');
});

test('Unicode line separators and odd whitespace in other lines survive an edit', () => {
  const text = fixture('unicode-lines.env');
  const out = set(text, { A: 'new', C: 'z', E: 'e' });
  const entries = scanEnv(out);
  assert.deepEqual(
    entries.map((e) => e.key),
    scanEnv(text).map((e) => e.key),
  );
});

test('scanEnv reports quote style, export and line numbers', () => {
  const e = scanEnv('# c\nexport A=\'x\'\nB="y"\nC=z\n');
  assert.deepEqual(
    e.map((x) => [x.key, x.quote, x.exported, x.line]),
    [
      ['A', "'", true, 2],
      ['B', '"', false, 3],
      ['C', '', false, 4],
    ],
  );
});

test('a value that would swallow the next lines is not chosen', () => {
  // An unterminated quote at the end of the file: appending must not close it.
  const text = 'A="open\n';
  const out = set(text, { B: 'x"y' });
  assert.equal(dotenv.parse(out).A, '"open');
});

test('when an earlier line would swallow any appended quote, the new line goes first instead', () => {
  // A ends in a backslash before its closing quote: a later `"` at a line end would close it instead.
  const text = 'A="\'\\"\n';
  const out = set(text, { SF_USERNAME: '#"\n' });
  assert.ok(out.endsWith(text), 'every existing byte stays');
  assert.equal(dotenv.parse(out).SF_USERNAME, '#"\n');
});

test('text that would make dotenv backtrack for ages (huge runs of blank lines) is refused quickly', async () => {
  const { checkParseCost } = await import('../../src/core/dotenv');
  const e = throwsCode(() => setEnvText('A=1\n' + '\n'.repeat(100_000) + 'B=2\n', { A: '2' }), 'INVALID_FILE');
  assert.match(e.message, /very long runs of blank lines or spaces \(up to 100001 characters/);
  throwsCode(() => setEnvText(('\n'.repeat(400) + 'x').repeat(100), { A: '2' }), 'INVALID_FILE');
  // ordinary files, even long ones with indented multi-line values, are far below the budget
  checkParseCost(readFileSync(path.join(FIX, 'kitchen-sink.env'), 'utf8'));
  checkParseCost('K="' + Array.from({ length: 5000 }, () => '    abcdefgh').join('\n') + '"\n\n\n');
});
