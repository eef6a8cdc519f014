/**
 * Hostile and huge inputs finish (no catastrophic backtracking, caps respected, no throw).
 * These assert on completion and on the verdict, never on time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyMail, LIMITS } from '../../src/core/tokenMail';
import { htmlToText } from '../../src/core/html';
import { parseAndClassify } from '../../src/mail';

const TOKEN = 'CanaryTok3nAbCdEfGhIjKlMn';
const FROM = { value: [{ address: 'support@salesforce.com', name: 'Salesforce' }] };

test('10 MB text bodies of label-like lines, colons and long lines', () => {
  const bodies = [
    'Label: ' + 'a'.repeat(10 * 1024 * 1024),
    'x:'.repeat(5 * 1024 * 1024),
    'Username: a@b.c\nToken: AAAAAAAAAAAAAAAAAAAAAAAAAA\n'.repeat(200_000),
    ':'.repeat(10 * 1024 * 1024),
    '\n'.repeat(10 * 1024 * 1024),
    ('a'.repeat(399) + ':\n').repeat(25_000),
    'Username:\n'.repeat(1_000_000),
    // Runs that made an earlier forwarded-marker regex (/-{2,}\s*Forwarded message/) backtrack for minutes:
    '-'.repeat(400_000),
    ('-'.repeat(2000) + 'x\n').repeat(200),
    ('----- Forwarded message ' + '-'.repeat(5000) + '\n').repeat(50),
    'Username: a@b.example\n'.repeat(15_000) + ('Token: ' + 'A'.repeat(26) + '\n').repeat(15_000),
    'Security token:\n' + '*'.repeat(400_000) + 'x',
    'Security token:\n' + '“'.repeat(400_000) + 'x\nmore',
    '---------- Forwarded message ---------\n' + ' '.repeat(400_000) + 'From x',
  ];
  for (const text of bodies) {
    const v = classifyMail({ from: FROM, text });
    assert.equal(v.kind, 'none');
  }
  // A real token after megabytes of filler is beyond the cap: not found, with a warning.
  const late = classifyMail({
    from: FROM,
    text: 'filler\n'.repeat(LIMITS.textChars / 7 + 10) + `Username: a@b.example\nToken: ${TOKEN}`,
  });
  assert.equal(late.kind, 'none');
  assert.ok(late.warnings.some((w) => /only its start/.test(w)));
  // …but a token near the start of a huge mail is found.
  const early = classifyMail({
    from: FROM,
    text: `Username: a@b.example\nToken: ${TOKEN}\n` + 'x'.repeat(10 * 1024 * 1024),
  });
  assert.equal(early.token, TOKEN);
});

test('pathological HTML: unclosed comments, tags, quotes, scripts, entities', () => {
  const n = 150_000; // quadratic work at this size would not finish; linear work takes well under a second
  const inputs = [
    '<!--'.repeat(n),
    '<script>'.repeat(n),
    '<head>'.repeat(n),
    '<a href="'.repeat(n),
    "<a b='x' ".repeat(n),
    '<'.repeat(n * 5),
    '<p'.repeat(n * 2),
    '&#'.repeat(n * 2) + '&#x'.repeat(n),
    '&amp'.repeat(n),
    '<![CDATA['.repeat(n),
    '<!'.repeat(n * 2),
    '<a ' + ' "'.repeat(n),
    '<a =' + ' '.repeat(n * 5) + '"',
    '<td>'.repeat(n) + '</td>'.repeat(n),
    '<p>a</p>'.repeat(n),
  ];
  for (const html of inputs) {
    const text = htmlToText(html);
    assert.equal(typeof text, 'string');
    assert.equal(classifyMail({ from: FROM, html }).kind, 'none');
  }
});

test('huge header maps and header values', () => {
  const arr = Array.from({ length: 100_000 }, (_, i) => `mx${i}; dkim=fail header.d=salesforce.com`);
  const headers = new Map<string, unknown>([['authentication-results', arr]]);
  for (let i = 0; i < 100_000; i++) headers.set(`x-filler-${i}`, 'v'.repeat(10));
  headers.set('x-long', 'y'.repeat(5 * 1024 * 1024));
  const v = classifyMail({
    from: FROM,
    headers,
    subject: '['.repeat(100_000) + 'Fwd: x',
    text: `Username: a@b.example\nToken: ${TOKEN}`,
  });
  assert.ok(['token', 'untrusted-sender'].includes(v.kind));
  assert.equal(v.authenticated, false);
});

test('parseAndClassify: 100k header lines finish (mailparser refuses them: none, with a reason)', async () => {
  const lines: string[] = ['From: Salesforce <support@salesforce.com>', 'Subject: Your new Salesforce security token'];
  for (let i = 0; i < 100_000; i++) lines.push(`X-Filler-${i % 50}: value ${i}`);
  const raw = lines.join('\r\n') + `\r\nContent-Type: text/plain\r\n\r\nUsername: a@b.example\r\nToken: ${TOKEN}\r\n`;
  const v = await parseAndClassify(raw, { maxBytes: 4 * 1024 * 1024 });
  assert.equal(v.kind, 'none');
  assert.match(v.reason, /could not parse the mail: .*header/i);
  // 2,000 header lines are fine.
  const fewer =
    lines.slice(0, 2000).join('\r\n') +
    `\r\nContent-Type: text/plain\r\n\r\nUsername: a@b.example\r\nToken: ${TOKEN}\r\n`;
  assert.equal((await parseAndClassify(fewer)).token, TOKEN);
});

test('parseAndClassify: deeply nested multiparts finish', async () => {
  const depth = 2000;
  let raw = 'From: Salesforce <support@salesforce.com>\r\nSubject: x\r\nMIME-Version: 1.0\r\n';
  for (let i = 0; i < depth; i++) raw += `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n`;
  raw += `Content-Type: text/plain\r\n\r\nUsername: a@b.example\r\nToken: ${TOKEN}\r\n`;
  for (let i = depth - 1; i >= 0; i--) raw += `--b${i}--\r\n`;
  const v = await parseAndClassify(raw);
  assert.ok(['token', 'none'].includes(v.kind), v.reason);
});

test('parseAndClassify: sources over maxBytes are cut with a warning', async () => {
  const raw =
    `From: Salesforce <support@salesforce.com>\r\nSubject: x\r\nContent-Type: text/plain\r\n\r\nUsername: a@b.example\r\nToken: ${TOKEN}\r\n` +
    'z'.repeat(10 * 1024 * 1024);
  const v = await parseAndClassify(Buffer.from(raw));
  assert.equal(v.kind, 'token');
  assert.ok(
    v.warnings.some((w) => /larger than 2097152 bytes/.test(w)),
    JSON.stringify(v.warnings),
  );
  const small = await parseAndClassify(raw, { maxBytes: 100 });
  assert.equal(small.kind, 'none');
});

test('parseAndClassify never throws on garbage', async () => {
  const inputs: Array<Buffer | string> = [
    '',
    Buffer.alloc(0),
    Buffer.from([0, 1, 2, 255, 254, 253, 13, 10, 13, 10, 0]),
    'Content-Type: multipart/mixed; boundary=""\r\n\r\n--\r\n--\r\n',
    'Content-Transfer-Encoding: base64\r\n\r\n!!!!====!!!!',
    'Content-Type: text/plain; charset=x-unknown-charset\r\n\r\nhello',
    'From: <<<@@@>>>\r\nSubject: =?UTF-8?B?####?=\r\n\r\n',
    Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7919) % 256)),
  ];
  for (const input of inputs) {
    const v = await parseAndClassify(input);
    assert.equal(v.kind, 'none');
    assert.equal(typeof v.reason, 'string');
  }
});

test('a source cut by the caller to exactly maxBytes is treated as cut (its partial last line is ignored)', async () => {
  const head = `From: Salesforce <support@salesforce.com>\r\nSubject: x\r\nContent-Type: text/plain\r\n\r\nUsername: a@b.example\r\nSecurity token: `;
  const raw = head + TOKEN; // the caller cut the 25-char token's last character off? Here: ends right after the token
  const v = await parseAndClassify(raw.slice(0, -1), { maxBytes: Buffer.byteLength(raw) - 1 });
  assert.equal(v.kind, 'none', 'a 24-char prefix of a cut token must not be taken');
  assert.ok(v.warnings.some((w) => /may be larger/.test(w)));
  const whole = await parseAndClassify(raw + '\r\nThanks\r\n', { maxBytes: 10_000 });
  assert.equal(whole.token, TOKEN);
});
