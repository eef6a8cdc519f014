/**
 * Issue 15 item 6: a mail over the 2 MB download cap is read by part (BODYSTRUCTURE → header + text parts), so a
 * token on the text part's last line before (or after) a big attachment is found, and what is downloaded stays
 * within the cap. Against Dovecot (or the embedded server outside CI). Also the pure planner/assembler
 * (src/mail/parts.ts) on its own.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ImapServer } from '../servers/imap';
import { startImapServer } from '../servers/imap';
import { watchForToken, parseAndClassify, DEFAULT_MAX_MESSAGE_BYTES, type ParseOptions } from '../../src/mail';
import { planTextParts, assembleTextParts, MAX_TEXT_PARTS } from '../../src/mail/parts';
import type { MailVerdict } from '../../src/core/tokenMail';

let imap: ImapServer;
let n = 0;
const SF_USER = 'jane.doe@acme.example';

before(async () => {
  imap = await startImapServer();
});
after(async () => {
  await imap?.stop();
});

async function user() {
  const name = `parts${++n}`;
  const pass = `parts-${n}-secret`;
  await imap.addUser(name, pass);
  return { name, pass };
}

const CRLF = '\r\n';

function attachment(bytes: number, name: string): string {
  const b64 = Buffer.alloc(bytes, 7).toString('base64').replace(/.{76}/g, `$&${CRLF}`);
  return [
    `Content-Type: application/pdf; name="${name}"`,
    `Content-Disposition: attachment; filename="${name}"`,
    'Content-Transfer-Encoding: base64',
    '',
    b64,
  ].join(CRLF);
}

/** The token mail's text; its LAST line carries the token (no closing words after it). */
function tokenText(token: string, filler = 0): string {
  return [
    `Hi Jane,`,
    '',
    'You requested a new security token.',
    ...Array.from({ length: filler }, (_, i) => `Filler line ${i} ${'-'.repeat(60)}`),
    '',
    `Username: ${SF_USER}`,
    `Security token (case-sensitive): ${token}`,
  ].join(CRLF);
}

function tokenHtml(token: string): string {
  return `<html><body><p>Hi Jane,</p><p>You requested a new security token.</p><p>Username: ${SF_USER}</p><p>Security token (case-sensitive): ${token}</p></body></html>`;
}

function header(subject: string, boundary: string): string {
  return [
    'From: Salesforce <support@salesforce.com>',
    `To: Jane Doe <${SF_USER}>`,
    `Subject: ${subject}`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${subject.replace(/\W/g, '')}.${Date.now()}@sfdc.net>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
  ].join(CRLF);
}

/** text/plain + text/html (alternative), then a `attach`-byte PDF; or the PDF first with `attachFirst`. */
function bigTokenMail(
  token: string,
  o: { attach: number; attachFirst?: boolean; filler?: number; qp?: boolean },
): string {
  const alt = [
    'Content-Type: multipart/alternative; boundary="alt"',
    '',
    '--alt',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Transfer-Encoding: ${o.qp ? 'quoted-printable' : '7bit'}`,
    '',
    tokenText(token, o.filler),
    '--alt',
    'Content-Type: text/html; charset=utf-8',
    '',
    tokenHtml(token),
    '--alt--',
    '',
  ].join(CRLF);
  const parts = o.attachFirst ? [attachment(o.attach, 'first.pdf'), alt] : [alt, attachment(o.attach, 'big.pdf')];
  return (
    header(`Your new Salesforce security token ${token.slice(0, 6)}`, 'mix') +
    CRLF +
    parts.map((p) => `--mix${CRLF}${p}${CRLF}`).join('') +
    `--mix--${CRLF}`
  );
}

function recorder() {
  const seen: Array<{ bytes: number; verdict: MailVerdict }> = [];
  const classify = async (src: Buffer, o: ParseOptions) => {
    const verdict = await parseAndClassify(src, o);
    seen.push({ bytes: src.length, verdict });
    return verdict;
  };
  return { seen, classify };
}

test("over the cap: the token on the text part's last line, before or after a 3 MB attachment, is found", {
  timeout: 60_000,
}, async () => {
  const cases = [
    { token: 'LastLineTokenAbcdefghijk', o: { attach: 3 * 1024 * 1024 } },
    { token: 'AfterAttachTokenAbcdefgh', o: { attach: 3 * 1024 * 1024, attachFirst: true } },
    { token: 'QuotedPrintableTokenAbcd', o: { attach: 2 * 1024 * 1024 + 5000, qp: true } },
  ];
  for (const c of cases) {
    const u = await user();
    const raw = bigTokenMail(c.token, c.o);
    assert.ok(raw.length > DEFAULT_MAX_MESSAGE_BYTES);
    await imap.append(u.name, raw);
    const rec = recorder();
    const found = await watchForToken({
      mailbox: imap.mailboxConfig(u.name, u.pass),
      since: new Date(Date.now() - 60_000),
      username: SF_USER,
      classify: rec.classify,
    });
    assert.equal(found.token, c.token, JSON.stringify(c.o));
    assert.equal(rec.seen.length, 1);
    assert.ok(
      rec.seen[0]!.bytes < 64 * 1024,
      `only the header and text parts were downloaded (${rec.seen[0]!.bytes} bytes)`,
    );
    assert.ok(
      found.warnings.some((w) => /text parts were read/.test(w)),
      found.warnings.join('; '),
    );
  }
});

test('over the cap with a text part larger than the budget: the part is cut at a line end, the token before it found', {
  timeout: 60_000,
}, async () => {
  const u = await user();
  // The token first, then ~2.5 MB of filler lines in the same text part (the text itself is over the cap).
  const token = 'HugeTextTokenAbcdefghijk';
  const body = [
    `Username: ${SF_USER}`,
    `Security token (case-sensitive): ${token}`,
    '',
    ...Array.from({ length: 36_000 }, (_, i) => `Filler ${i} ${'='.repeat(60)}`),
  ].join(CRLF);
  const raw =
    header('Your new Salesforce security token', 'mix') +
    CRLF +
    `--mix${CRLF}Content-Type: text/plain; charset=utf-8${CRLF}${CRLF}${body}${CRLF}--mix${CRLF}${attachment(100_000, 'x.pdf')}${CRLF}--mix--${CRLF}`;
  assert.ok(raw.length > DEFAULT_MAX_MESSAGE_BYTES);
  await imap.append(u.name, raw);
  const rec = recorder();
  const found = await watchForToken({
    mailbox: imap.mailboxConfig(u.name, u.pass),
    since: new Date(Date.now() - 60_000),
    username: SF_USER,
    classify: rec.classify,
  });
  assert.equal(found.token, token);
  assert.ok(rec.seen[0]!.bytes <= DEFAULT_MAX_MESSAGE_BYTES, `the cap holds: ${rec.seen[0]!.bytes} bytes`);
});

test('planTextParts: text parts first, attachments and attached messages skipped, the budget kept', () => {
  const tree = {
    type: 'multipart/mixed',
    childNodes: [
      {
        part: '1',
        type: 'multipart/alternative',
        childNodes: [
          { part: '1.1', type: 'text/html', size: 500 },
          { part: '1.2', type: 'text/plain', size: 300 },
        ],
      },
      { part: '2', type: 'application/pdf', size: 9_000_000, disposition: 'attachment' },
      { part: '3', type: 'text/plain', size: 100, disposition: 'attachment' },
      { part: '4', type: 'message/rfc822', size: 5000 },
    ],
  };
  const plan = planTextParts(tree, 2 * 1024 * 1024)!;
  assert.deepEqual(
    plan.parts.map((p) => p.part),
    ['1.2', '1.1'],
    'text/plain before text/html',
  );
  assert.equal(plan.skipped, 3);
  assert.deepEqual(plan.query[0], { key: 'HEADER', maxLength: plan.headerBytes });
  const total = plan.query.reduce((s, q) => s + (q.maxLength ?? 0), 0);
  assert.ok(total <= 2 * 1024 * 1024, `planned ${total} bytes`);
  // Not multipart, no text part, a cap too small to plan in: no plan (the prefix read is used).
  assert.equal(planTextParts({ type: 'text/plain', size: 5_000_000 }, 2 * 1024 * 1024), undefined);
  assert.equal(
    planTextParts(
      { type: 'multipart/mixed', childNodes: [{ part: '1', type: 'image/png', size: 5e6 }] },
      2 * 1024 * 1024,
    ),
    undefined,
  );
  assert.equal(planTextParts(tree, 2000), undefined);
  // A budget smaller than the parts: the first part is cut, later ones dropped.
  const many = {
    type: 'multipart/mixed',
    childNodes: Array.from({ length: MAX_TEXT_PARTS + 4 }, (_, i) => ({
      part: String(i + 1),
      type: 'text/plain',
      size: 200_000,
    })),
  };
  const tight = planTextParts(many, 1024 * 1024)!;
  assert.ok(tight.parts.length < MAX_TEXT_PARTS && tight.skipped >= 4);
  assert.ok(
    tight.parts.reduce((s, p) => s + p.take, 0) + tight.headerBytes + tight.parts.length * tight.mimeBytes <=
      1024 * 1024,
  );
});

test('assembleTextParts: one parseable mail; a part cut by the budget loses only its partial last line', async () => {
  const plan = planTextParts(
    {
      type: 'multipart/mixed',
      childNodes: [
        { part: '1', type: 'text/plain', size: 10_000, encoding: '7bit', parameters: { charset: 'utf-8' } },
        { part: '2', type: 'text/html', size: 40 },
      ],
    },
    2 * 1024 * 1024,
  )!;
  const head = Buffer.from(
    `From: Salesforce <support@salesforce.com>\r\nTo: <${SF_USER}>\r\nSubject: token\r\nContent-Type: multipart/mixed;\r\n boundary="orig"\r\nContent-Transfer-Encoding: 7bit\r\n\r\n`,
  );
  const text = Buffer.from(`Username: ${SF_USER}\r\nSecurity token (case-sensitive): AssembledTokenAbcdefghij`);
  const parts = new Map([
    ['1', text],
    ['2', Buffer.from('<p>no token here</p>')],
    ['2.mime', Buffer.from('Content-Type: text/html\r\n\r\n')],
  ]);
  const mail = assembleTextParts(head, parts, plan)!;
  assert.equal(mail.cut, false);
  assert.doesNotMatch(mail.source.toString('latin1'), /boundary="orig"/);
  const v = await parseAndClassify(mail.source, { username: SF_USER });
  assert.equal(v.kind, 'token', v.reason);
  assert.equal(v.token, 'AssembledTokenAbcdefghij');
  // Cut: the plan took fewer bytes than the part has; the half line at the end goes.
  const partial = Buffer.from(`line one\r\nline two is cut in the midd`);
  const cutPlan = { ...plan, parts: [{ ...plan.parts[0]!, size: 10_000, take: partial.length }] };
  const cutMail = assembleTextParts(head, new Map([['1', partial]]), cutPlan)!;
  assert.equal(cutMail.cut, true);
  assert.match(cutMail.source.toString('latin1'), /line one\r\n\r\n--/);
  assert.doesNotMatch(cutMail.source.toString('latin1'), /midd/);
  assert.equal(assembleTextParts(undefined, parts, plan), undefined, 'no header, no mail');
});
