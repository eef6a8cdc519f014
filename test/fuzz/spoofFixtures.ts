/**
 * The spoofing fixtures in test/fixtures/spoof/: hostile mails that a phisher could send to plant a
 * token, each with the verdict the recognizer must give. `node --import tsx test/fuzz/spoofFixtures.ts`
 * rewrites the .eml files; test/unit/spoof.test.ts checks the files match and classifies them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Layout } from './mails';
import { buildMail, tokenHtml, tokenText } from './mails';

export const SPOOF_DIR = path.join(__dirname, '..', 'fixtures', 'spoof');

/** Fake tokens: token-shaped, never real. */
export const SPOOF_TOKEN = 'SpoofTok3nPlantedByPhish1';
export const REAL_TOKEN = 'GenuineT0kenFromSalesf0rc';
export const OUR_USER = 'jane.doe@acme.example';

export interface SpoofFixture {
  file: string;
  what: string;
  opts: {
    username?: string;
    requireDkim?: boolean;
    trustForwarded?: boolean;
    authservId?: string;
    forwardedFrom?: string;
  };
  /** Kinds the recognizer may answer; never 'token' for a spoof. */
  allowed: string[];
  raw: () => Buffer;
}

function tokenMail(o: {
  from: string;
  username?: string;
  token?: string;
  headers?: Array<[string, string]>;
  layout?: Layout;
  subject?: string;
  footer?: string;
}): Buffer {
  const body = {
    lang: 'en' as const,
    username: o.username ?? OUR_USER,
    token: o.token ?? SPOOF_TOKEN,
    firstName: 'Jane',
    footer: o.footer,
  };
  return buildMail({
    from: o.from,
    subject: o.subject ?? 'Your new Salesforce security token',
    layout: o.layout ?? 'alt-7bit-qp',
    text: tokenText(body),
    html: tokenHtml(body),
    headers: o.headers,
    seq: 4242,
  }).raw;
}

/** Inserts a header line right after the first line that starts with `after`. */
function insertAfter(raw: Buffer, after: string, line: string): Buffer {
  const s = raw.toString('utf8');
  const i = s.indexOf(`\r\n${after}`);
  if (i < 0) throw new Error(`no ${after} header`);
  const end = s.indexOf('\r\n', i + 2);
  return Buffer.from(s.slice(0, end + 2) + line + '\r\n' + s.slice(end + 2), 'utf8');
}

const NOT_TOKEN = ['untrusted-sender', 'none', 'other-user'];

export const SPOOF_FIXTURES: SpoofFixture[] = [
  {
    file: 'two-from-headers-salesforce-first.eml',
    what: 'two From header fields: Salesforce first, the attacker second (receivers differ in which one DMARC checks)',
    opts: { username: OUR_USER },
    allowed: NOT_TOKEN,
    raw: () =>
      insertAfter(
        tokenMail({ from: 'Salesforce <support@salesforce.com>' }),
        'From:',
        'From: Attacker <attacker@evil.test>',
      ),
  },
  {
    file: 'two-from-headers-attacker-first.eml',
    what: 'two From header fields: the attacker first, Salesforce second',
    opts: { username: OUR_USER },
    allowed: NOT_TOKEN,
    raw: () =>
      insertAfter(
        tokenMail({ from: 'Attacker <attacker@evil.test>' }),
        'From:',
        'From: Salesforce <support@salesforce.com>',
      ),
  },
  {
    file: 'from-two-angle-addresses.eml',
    what: 'one From field with two angle addresses and no comma: mailparser keeps the first, other parsers the last',
    opts: { username: OUR_USER },
    allowed: NOT_TOKEN,
    raw: () => tokenMail({ from: '<support@salesforce.com> <attacker@evil.test>' }),
  },
  {
    file: 'from-two-addresses-comma.eml',
    what: 'one From field naming Salesforce and the attacker',
    opts: {},
    allowed: NOT_TOKEN,
    raw: () => tokenMail({ from: 'support@salesforce.com, attacker@evil.test' }),
  },
  {
    file: 'lookalike-subdomain-of-evil.eml',
    what: 'salesforce.com as a subdomain of the attacker domain',
    opts: { username: OUR_USER },
    allowed: ['untrusted-sender'],
    raw: () => tokenMail({ from: 'Salesforce <support@salesforce.com.evil.test>' }),
  },
  {
    file: 'lookalike-suffix-no-dot.eml',
    what: 'a domain that ends in "salesforce.com" without a dot before it',
    opts: { username: OUR_USER },
    allowed: ['untrusted-sender'],
    raw: () => tokenMail({ from: 'Salesforce <support@evilsalesforce.com>' }),
  },
  {
    file: 'lookalike-idn-homograph.eml',
    what: 'Cyrillic "а" in salesforce.com, raw UTF-8 in the header',
    opts: { username: OUR_USER },
    allowed: ['untrusted-sender'],
    raw: () => tokenMail({ from: 'Salesforce <support@sаlesforce.com>' }),
  },
  {
    file: 'display-name-is-salesforce-address.eml',
    what: 'display name "support@salesforce.com", real address the attacker',
    opts: { username: OUR_USER },
    allowed: ['untrusted-sender'],
    raw: () => tokenMail({ from: '"support@salesforce.com" <attacker@evil.test>' }),
  },
  {
    file: 'display-name-encoded-word.eml',
    what: 'RFC 2047 encoded display name that decodes to "Salesforce <support@salesforce.com>"',
    opts: { username: OUR_USER },
    allowed: ['untrusted-sender'],
    raw: () => tokenMail({ from: '=?UTF-8?B?U2FsZXNmb3JjZSA8c3VwcG9ydEBzYWxlc2ZvcmNlLmNvbT4=?= <attacker@evil.test>' }),
  },
  {
    file: 'sender-and-reply-to-claim-salesforce.eml',
    what: 'From the attacker; Sender, Reply-To and Return-Path claim Salesforce',
    opts: { username: OUR_USER },
    allowed: ['untrusted-sender'],
    raw: () =>
      tokenMail({
        from: 'Salesforce <attacker@evil.test>',
        headers: [
          ['Sender', 'support@salesforce.com'],
          ['Reply-To', 'support@salesforce.com'],
        ],
      }),
  },
  {
    file: 'forwarded-inline-by-user.eml',
    what: 'a genuine-looking token mail forwarded inline by a colleague',
    opts: { username: OUR_USER },
    allowed: ['untrusted-sender'],
    raw: () =>
      buildMail({
        from: 'Colleague <colleague@acme.example>',
        subject: 'Fwd: Your new Salesforce security token',
        layout: 'plain-7bit',
        text: `see below\n\n---------- Forwarded message ---------\nFrom: Salesforce <support@salesforce.com>\nSubject: Your new Salesforce security token\n\n${tokenText({ lang: 'en', username: OUR_USER, token: SPOOF_TOKEN, firstName: 'Jane' })}`,
      }).raw,
  },
  {
    file: 'forwarded-keeps-salesforce-from.eml',
    what: 'From still says Salesforce but the subject says Fwd: (a re-sent copy)',
    opts: { username: OUR_USER },
    allowed: ['untrusted-sender'],
    raw: () =>
      tokenMail({ from: 'Salesforce <support@salesforce.com>', subject: 'Fwd: Your new Salesforce security token' }),
  },
  {
    file: 'resent-by-mailbox.eml',
    what: 'Resent-From / Resent-Date headers: redirected by another mailbox',
    opts: { username: OUR_USER },
    allowed: ['untrusted-sender'],
    raw: () =>
      tokenMail({
        from: 'Salesforce <support@salesforce.com>',
        headers: [
          ['Resent-From', 'someone@acme.example'],
          ['Resent-Date', 'Thu, 2 May 2024 12:00:00 +0000'],
        ],
      }),
  },
  {
    file: 'other-user-sandbox-suffix.eml',
    what: "a genuine token mail for the sandbox user (username + '.uat') while the production user is expected",
    opts: { username: OUR_USER },
    allowed: ['other-user'],
    raw: () =>
      tokenMail({ from: 'Salesforce <support@salesforce.com>', username: `${OUR_USER}.uat`, token: REAL_TOKEN }),
  },
  {
    file: 'other-user-names-ours-in-footer.eml',
    what: "another user's token mail that also names our username in a footer label line",
    opts: { username: OUR_USER },
    allowed: ['other-user'],
    raw: () =>
      tokenMail({
        from: 'Salesforce <support@salesforce.com>',
        username: 'ops.admin@acme.example',
        token: REAL_TOKEN,
        footer: `cc: ${OUR_USER}`,
      }),
  },
  {
    file: 'other-user-garbled-username-ours-in-footer.eml',
    what: "another user's token mail whose username line arrived garbled, and that names our username in a footer (found by npm run fuzz)",
    opts: { username: OUR_USER },
    allowed: ['other-user', 'none'],
    raw: () =>
      tokenMail({
        from: 'Salesforce <support@salesforce.com>',
        username: 'integra\ufffdion.user@globexexample',
        token: REAL_TOKEN,
        footer: `cc: ${OUR_USER}`,
        layout: 'plain-7bit',
      }),
  },
  {
    file: 'other-user-prefix-of-ours.eml',
    what: 'a token mail for a username that is a prefix of ours (jane.doe@acme.exampl)',
    opts: { username: OUR_USER },
    allowed: ['other-user'],
    raw: () =>
      tokenMail({ from: 'Salesforce <support@salesforce.com>', username: 'jane.doe@acme.exampl', token: REAL_TOKEN }),
  },
  {
    file: 'dkim-forged-results-below-receivers.eml',
    what: "the receiver's Authentication-Results (top) says dkim=fail; an attacker-written one below says pass",
    opts: { username: OUR_USER, requireDkim: true, authservId: 'mx.example.org' },
    allowed: ['untrusted-sender'],
    raw: () =>
      tokenMail({
        from: 'Salesforce <support@salesforce.com>',
        headers: [
          [
            'Authentication-Results',
            'mx.example.org; dkim=fail (signature did not verify) header.d=salesforce.com; dmarc=fail header.from=salesforce.com',
          ],
          [
            'Received',
            'from attacker-relay.evil.test (attacker-relay.evil.test [198.51.100.66]) by mx.example.org; Thu, 2 May 2024 11:41:50 +0000',
          ],
          ['Authentication-Results', 'mx.example.org; dkim=pass header.d=salesforce.com'],
        ],
      }),
  },
  {
    file: 'dkim-signature-without-results.eml',
    what: 'a DKIM-Signature header for salesforce.com but no Authentication-Results (a signature is not a verification)',
    opts: { username: OUR_USER, requireDkim: true, authservId: 'mx.example.org' },
    allowed: ['untrusted-sender'],
    raw: () =>
      tokenMail({
        from: 'Salesforce <support@salesforce.com>',
        headers: [
          [
            'DKIM-Signature',
            'v=1; a=rsa-sha256; c=relaxed/relaxed; d=salesforce.com; s=sf112018; h=From:To:Subject; bh=AAAA; b=AAAA',
          ],
        ],
      }),
  },
  {
    file: 'dkim-pass-but-attacker-from.eml',
    what: 'dkim=pass header.d=salesforce.com (e.g. mail relayed for any org through Salesforce) but From is the attacker',
    opts: { username: OUR_USER, requireDkim: true, authservId: 'mx.example.org' },
    allowed: ['untrusted-sender'],
    raw: () =>
      tokenMail({
        from: 'Salesforce <attacker@evil.test>',
        headers: [
          [
            'Authentication-Results',
            'mx.example.org; dkim=pass header.d=salesforce.com; spf=pass smtp.mailfrom=bnc.salesforce.com',
          ],
        ],
      }),
  },
  {
    file: 'dkim-pass-in-comment-only.eml',
    what: '"dkim=pass header.d=salesforce.com" only inside a comment of a failing result',
    opts: { username: OUR_USER, requireDkim: true, authservId: 'mx.example.org' },
    allowed: ['untrusted-sender'],
    raw: () =>
      tokenMail({
        from: 'Salesforce <support@salesforce.com>',
        headers: [
          [
            'Authentication-Results',
            'mx.example.org; dkim=fail (dkim=pass header.d=salesforce.com) header.d=evil.test',
          ],
        ],
      }),
  },
  // Issue 15 item 3: malformed From addresses, refused by core itself (the IMAP pre-filter is off with
  // trustForwarded, and servers parse envelopes differently).
  ...(
    [
      ['from-two-at-signs.eml', 'Salesforce <a@evil.test@salesforce.com>', 'two unquoted @ in the angle address'],
      ['from-two-at-signs-bare.eml', 'a@evil.test@salesforce.com', 'two unquoted @ in a bare address'],
      [
        'from-nul-in-address.eml',
        'Salesforce <support\u0000@salesforce.com>',
        'a NUL inside the address (mail parsers drop it silently)',
      ],
      [
        'from-control-char-in-address.eml',
        'Salesforce <sup\u0001port@salesforce.com>',
        'a control character inside the address',
      ],
      [
        'from-encoded-word-address.eml',
        '<=?utf-8?q?support=40salesforce=2Ecom?=>',
        'an RFC 2047 encoded-word as the whole address',
      ],
      [
        'from-encoded-word-local-part.eml',
        'Salesforce <=?utf-8?q?attacker?=@salesforce.com>',
        'an encoded-word as the local part',
      ],
      [
        'from-encoded-name-hides-address.eml',
        '=?utf-8?q?attacker=40evil=2Etest=2C?= <support@salesforce.com>',
        'an encoded-word display name that decodes to another address and a comma',
      ],
      [
        'from-encoded-name-then-second-address.eml',
        '=?utf-8?q?Salesforce?= <support@salesforce.com> <attacker@evil.test>',
        'an encoded-word display name followed by a second address',
      ],
      ['from-comment-in-address.eml', 'support(x@evil.test)@salesforce.com', 'a comment inside the address'],
      [
        'from-unquoted-address-as-name.eml',
        'attacker@evil.test <support@salesforce.com>',
        'an unquoted address as the display name',
      ],
    ] as const
  ).map(([file, from, what]) => ({
    file,
    what,
    opts: { username: OUR_USER, trustForwarded: true },
    allowed: NOT_TOKEN,
    raw: () => tokenMail({ from }),
  })),
  // Issue 15 item 4: forged Authentication-Results.
  {
    file: 'dkim-forged-other-authserv-on-top.eml',
    what: "a dkim=pass header from another authserv-id on top, the receiver's own (below) says fail",
    opts: { username: OUR_USER, requireDkim: true, authservId: 'mx.example.org' },
    allowed: ['untrusted-sender'],
    raw: () =>
      tokenMail({
        from: 'Salesforce <support@salesforce.com>',
        headers: [
          ['Authentication-Results', 'mx.evil.test; dkim=pass header.d=salesforce.com'],
          ['Authentication-Results', 'mx.example.org; dkim=fail header.d=salesforce.com'],
        ],
      }),
  },
  {
    file: 'dkim-forged-only-other-authserv.eml',
    what: 'only a forged dkim=pass header with a lookalike authserv-id (mx.example.org.evil.test)',
    opts: { username: OUR_USER, requireDkim: true, authservId: 'mx.example.org' },
    allowed: ['untrusted-sender'],
    raw: () =>
      tokenMail({
        from: 'Salesforce <support@salesforce.com>',
        headers: [['Authentication-Results', 'mx.example.org.evil.test; dkim=pass header.d=salesforce.com']],
      }),
  },
  {
    file: 'dkim-forged-no-authserv.eml',
    what: 'a dkim=pass header without an authserv-id (Microsoft 365 style): never counts',
    opts: { username: OUR_USER, requireDkim: true, authservId: 'mx.example.org' },
    allowed: ['untrusted-sender'],
    raw: () =>
      tokenMail({
        from: 'Salesforce <support@salesforce.com>',
        headers: [
          [
            'Authentication-Results',
            'dkim=pass (signature was verified) header.d=salesforce.com;dmarc=pass action=none header.from=salesforce.com',
          ],
        ],
      }),
  },
  {
    file: 'dkim-nested-comment-trick.eml',
    what: 'nested comments and a quoted reason that hide "dkim=pass header.d=salesforce.com" inside a failing result',
    opts: { username: OUR_USER, requireDkim: true, authservId: 'mx.example.org' },
    allowed: ['untrusted-sender'],
    raw: () =>
      tokenMail({
        from: 'Salesforce <support@salesforce.com>',
        headers: [
          [
            'Authentication-Results',
            'mx.example.org; dkim=fail (outer (inner) ; dkim=pass header.d=salesforce.com) reason="x; dkim=pass header.d=salesforce.com" header.d=evil.test',
          ],
        ],
      }),
  },
  // Issue 15 item 5: forwarded forms, and --trust-forwarded without a configured forwarder.
  ...(
    [
      ['forwarded-bracketed-subject.eml', '[Fwd: Your new Salesforce security token]'],
      ['forwarded-trailing-fwd.eml', 'Your new Salesforce security token (fwd)'],
      ['forwarded-fullwidth-subject.eml', 'Ｆｗｄ：Your new Salesforce security token'],
      ['forwarded-tag-before-colon.eml', 'Fwd [EXT]: Your new Salesforce security token'],
    ] as const
  ).map(([file, subject]) => ({
    file,
    what: `subject "${subject}" marks a forwarded copy (From still says Salesforce); trustForwarded alone trusts none`,
    opts: { username: OUR_USER, trustForwarded: true },
    allowed: ['untrusted-sender'],
    raw: () => tokenMail({ from: 'Salesforce <support@salesforce.com>', subject }),
  })),
  {
    file: 'forwarded-fake-block-by-stranger.eml',
    what: 'a stranger "forwards" a fake block From support@salesforce.com; only forwardedFrom may forward',
    opts: { username: OUR_USER, trustForwarded: true, forwardedFrom: OUR_USER },
    allowed: ['untrusted-sender'],
    raw: () =>
      buildMail({
        from: 'IT Helpdesk <helpdesk@evil.test>',
        subject: 'Fwd: Your new Salesforce security token',
        layout: 'plain-7bit',
        text: `FYI\n\n---------- Forwarded message ---------\nFrom: Salesforce <support@salesforce.com>\nSubject: Your new Salesforce security token\n\n${tokenText({ lang: 'en', username: OUR_USER, token: SPOOF_TOKEN, firstName: 'Jane' })}`,
        seq: 4243,
      }).raw,
  },
  {
    file: 'hidden-html-token.eml',
    what: 'the text part shows a token that the HTML part hides (display:none): hidden tokens never count',
    opts: { username: OUR_USER },
    allowed: ['none'],
    raw: () =>
      buildMail({
        from: 'Salesforce <support@salesforce.com>',
        subject: 'Your new Salesforce security token',
        layout: 'alt-7bit-qp',
        text: `Username: ${OUR_USER}\nSecurity token (case-sensitive): ${SPOOF_TOKEN}\n`,
        html: `<html><body><p>Your case was updated.</p><div style="display: none !important">Username: ${OUR_USER}<br>Security token (case-sensitive): ${SPOOF_TOKEN}</div></body></html>`,
        htmlCte: '8bit',
        seq: 4244,
      }).raw,
  },
];

export function writeSpoofFixtures(dir = SPOOF_DIR): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const f of SPOOF_FIXTURES) {
    writeFileSync(path.join(dir, f.file), f.raw());
    written.push(f.file);
  }
  const readme = [
    '# Spoofing fixtures',
    '',
    'Hostile mails that try to plant a security token. None may be accepted as a token mail.',
    'Generated by `node --import tsx test/fuzz/spoofFixtures.ts` (do not edit by hand); checked by `test/unit/spoof.test.ts`.',
    `Tokens in them are fake: \`${SPOOF_TOKEN}\` (planted by a phisher), \`${REAL_TOKEN}\` (another user's).`,
    '',
    '| file | options | allowed verdicts | what |',
    '|---|---|---|---|',
    ...SPOOF_FIXTURES.map((f) => `| ${f.file} | ${JSON.stringify(f.opts)} | ${f.allowed.join(', ')} | ${f.what} |`),
    '',
  ].join('\n');
  writeFileSync(path.join(dir, 'README.md'), readme);
  return written;
}

if (require.main === module) {
  const files = writeSpoofFixtures();
  console.log(`wrote ${files.length} fixtures to ${SPOOF_DIR}`);
}
