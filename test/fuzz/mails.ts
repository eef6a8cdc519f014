/**
 * Seeded builders of Salesforce token mails, their lookalikes and hostile variants. Every builder
 * returns the raw message plus its ground truth, decided by construction:
 *  - `token`:    a trusted token mail for the expected user; the recognizer must report `token`.
 *  - `no-token`: not a trusted token mail (untrusted sender, another user, a lookalike…); the
 *                recognizer must never report `token` for it, whatever mutations are applied.
 *  - `either`:   a trusted token mail that mutations may have damaged; `token` is allowed, not required.
 * `protect` lists substrings that mutators must leave intact (the From line, Authentication-Results
 * lines when DKIM is required, planted lookalike lines): they decide the ground truth.
 */
import { domainToASCII } from 'node:url';
import type { Prng } from './prng';
import { randomToken, ALNUM } from './prng';
import type { Cte, Part } from './mime';
import { CRLF, encodedWord, javamailBoundary, renderMessage, renderMultipart, renderPart } from './mime';
import { NON_TOKEN_MAILS, fill, renderNonToken } from './nonTokenCorpus';

export interface FuzzOptions {
  username?: string;
  requireDkim?: boolean;
  authservId?: string;
  imapHost?: string;
  trustForwarded?: boolean;
  forwardedFrom?: string;
}

export type Truth =
  | { expect: 'token'; token: string; username: string }
  | { expect: 'either'; token: string; username: string }
  | { expect: 'no-token'; why: string };

export interface FuzzMail {
  family: string;
  variant: string;
  raw: Buffer;
  opts: FuzzOptions;
  truth: Truth;
  /** Every 20+ char secret-like value planted in the mail (must never appear in reason/warnings). */
  planted: string[];
  /** Substrings mutators must not touch (they carry the ground truth). */
  protect: string[];
  /** Also keep mutators 64 bytes away from every planted value (lookalikes whose truth a flip could change). */
  guardPlanted?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Senders

export const TRUSTED_SENDERS = [
  'Salesforce <support@salesforce.com>',
  'support@salesforce.com',
  '"support@emea.salesforce.com" <support@emea.salesforce.com>',
  'Salesforce <noreply@salesforce.com>',
  '"Salesforce" <support@salesforce.com>',
];

/** From header values whose real address is not Salesforce's, however they look. */
export function lookalikeSenders(): Array<{ from: string; why: string; extra?: Array<[string, string]> }> {
  const cyr = domainToASCII('sаlesforce.com'); // Cyrillic а
  const greek = domainToASCII('salesforce.cοm'); // Greek ο
  return [
    { from: 'Salesforce <support@salesforce.com.evil.test>', why: 'salesforce.com as a subdomain of another domain' },
    { from: 'Salesforce <support@mail.salesforce.com.evil.test>', why: 'deep lookalike subdomain' },
    { from: 'Salesforce <support@evilsalesforce.com>', why: 'ends with "salesforce.com" without a dot' },
    { from: 'Salesforce <support@my-salesforce.com>', why: 'hyphenated lookalike' },
    { from: 'Salesforce <support@salesforce-security.com>', why: 'hyphenated lookalike' },
    { from: 'Salesforce <support@salesforce.co>', why: 'wrong TLD' },
    { from: 'Salesforce <support@sales-force.com>', why: 'typo domain' },
    { from: 'Salesforce <support@salesforce.com-verify.test>', why: 'domain continues after .com' },
    { from: `Salesforce <support@${cyr}>`, why: 'IDN homograph (Cyrillic a), punycode' },
    { from: `Salesforce <support@${greek}>`, why: 'IDN homograph (Greek o), punycode' },
    { from: '"support@salesforce.com" <attacker@evil.test>', why: 'display name is the Salesforce address' },
    {
      from: '"Salesforce <support@salesforce.com>" <attacker@evil.test>',
      why: 'display name holds a full Salesforce mailbox',
    },
    { from: 'attacker@evil.test (support@salesforce.com)', why: 'Salesforce address in a comment' },
    { from: `${encodedWord('support@salesforce.com')} <attacker@evil.test>`, why: 'encoded-word display name' },
    {
      from: `${encodedWord('Salesforce <support@salesforce.com>')} <attacker@evil.test>`,
      why: 'encoded-word display name with brackets',
    },
    { from: '"support@salesforce.com"@evil.test', why: 'quoted local part holds the Salesforce address' },
    { from: 'support@salesforce.com@evil.test', why: 'double @' },
    { from: 'Salesforce <support@salesforce.comevil.test>', why: 'no dot after salesforce.com' },
    { from: 'Salesforce <attacker@evil.test>', why: 'display name only' },
    {
      from: 'Salesforce <attacker@evil.test>',
      why: 'Sender header claims Salesforce',
      extra: [['Sender', 'support@salesforce.com']],
    },
    {
      from: 'Salesforce <attacker@evil.test>',
      why: 'Reply-To claims Salesforce',
      extra: [['Reply-To', 'support@salesforce.com']],
    },
    {
      from: 'Salesforce <attacker@evil.test>',
      why: 'Return-Path/X-Sender claim Salesforce',
      extra: [['X-Sender', 'postmaster@salesforce.com']],
    },
    { from: 'salesforce.com', why: 'no address at all' },
    { from: '', why: 'empty From' },
    { from: 'undisclosed-recipients:;', why: 'empty group' },
    // issue 15 item 3: malformed addresses that mail parsers read as salesforce.com
    { from: 'Salesforce <a@evil.test@salesforce.com>', why: 'two unquoted @ in the angle address' },
    { from: 'a@evil.test@salesforce.com', why: 'two unquoted @ in a bare address' },
    { from: 'Salesforce <support\u0000@salesforce.com>', why: 'NUL inside the address' },
    { from: 'Salesforce <sup\u0001port@salesforce.com>', why: 'control character inside the address' },
    { from: '<=?utf-8?q?support=40salesforce=2Ecom?=>', why: 'encoded-word as the address' },
    { from: 'Salesforce <=?utf-8?q?attacker?=@salesforce.com>', why: 'encoded-word as the local part' },
    {
      from: '=?utf-8?q?attacker=40evil=2Etest=2C?= <support@salesforce.com>',
      why: 'encoded display name that decodes to another address',
    },
    { from: 'support(x@evil.test)@salesforce.com', why: 'comment inside the address' },
    { from: 'attacker@evil.test <support@salesforce.com>', why: 'unquoted address as the display name' },
  ];
}

// ---------------------------------------------------------------------------------------------
// Bodies

export type Lang = 'en' | 'legacy' | 'ja';

export interface TokenBodyOptions {
  lang: Lang;
  username: string;
  token: string;
  firstName: string;
  /** Extra text lines appended near the end (e.g. a footer that names another user). */
  footer?: string;
}

export function tokenText(o: TokenBodyOptions): string {
  const footer = o.footer ? `\n${o.footer}\n` : '';
  if (o.lang === 'ja') {
    return (
      '最近パスワードが変更されたかセキュリティトークンのリセットが要求されたため、新しい Salesforce セキュリティトークンを送信いたしました。' +
      'API またはデスクトップクライアントでセキュリティトークンが必要な場合は、この更新されたセキュリティトークンを使用してください。\n\n' +
      `ユーザ名: ${o.username}\nセキュリティトークン (大文字と小文字を区別): ${o.token}\n\n` +
      'セキュリティトークンの使用方法についての詳細は、https://help.salesforce.com/HTViewHelpDoc?id=user_security_token.htm の「セキュリティトークンのリセット」を参照してください。\n' +
      footer
    );
  }
  if (o.lang === 'legacy') {
    return (
      `Dear ${o.firstName},\n\nYour security token has changed. Use this security token when you log in to salesforce.com through the API ` +
      'or a desktop client from a network that is not trusted by your organization.\n\n' +
      `Username: ${o.username}\nSecurity token (case-sensitive): ${o.token}\n\nThank you,\nsalesforce.com\n` +
      footer
    );
  }
  return (
    `Hi ${o.firstName},\n\nBecause you recently changed your password or requested to reset your security token, we're sending you ` +
    'your new Salesforce security token. Use this updated security token whenever a security token is required for API or desktop client access.\n\n' +
    `Username: ${o.username}\nSecurity token (case-sensitive): ${o.token}\n\n` +
    'For more information on using your security token, see "Reset Your Security Token" in the Salesforce Help: ' +
    'https://help.salesforce.com/HTViewHelpDoc?id=user_security_token.htm\n\nThanks,\nSalesforce\n' +
    footer
  );
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function tokenHtml(o: TokenBodyOptions): string {
  const footer = o.footer ? `<p style="font-size:11px;color:#777">${escapeHtml(o.footer)}</p>` : '';
  const labels =
    o.lang === 'ja'
      ? {
          user: 'ユーザ名',
          token: 'セキュリティトークン (大文字と小文字を区別)',
          hi: '',
          intro:
            '最近パスワードが変更されたかセキュリティトークンのリセットが要求されたため、新しい Salesforce セキュリティトークンを送信いたしました。',
        }
      : {
          user: 'Username',
          token: 'Security token (case-sensitive)',
          hi: `<p>Hi ${escapeHtml(o.firstName)},</p>`,
          intro:
            'Because you recently changed your password or requested to reset your security token, we&#39;re sending you your new Salesforce security token.',
        };
  return (
    '<html lang="en">\n<head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><title>Your new Salesforce security token</title></head>\n' +
    '<body style="margin:0;padding:0;background-color:#f3f3f3;">\n<table role="presentation" width="600" cellpadding="24"><tr><td>\n' +
    `${labels.hi}\n<p>${labels.intro}</p>\n` +
    `<p>${labels.user}: <a href="mailto:${escapeHtml(o.username)}" style="color:#0070d2;">${escapeHtml(o.username)}</a><br>\n` +
    `${labels.token}: <b>${escapeHtml(o.token)}</b></p>\n` +
    '<p>For more information, see <a href="https://help.salesforce.com/HTViewHelpDoc?id=user_security_token.htm">Reset Your Security Token</a>.</p>\n' +
    `<p>Thanks,<br>Salesforce</p>${footer}\n</td></tr></table>\n</body>\n</html>\n`
  );
}

export function verificationText(username: string, code: string, extra = ''): string {
  return (
    "You recently logged in to Salesforce from a browser or app that we don't recognize.\n\n" +
    `Browser: Chrome\nOperating System: Windows 10\nUsername: ${username}\n\n` +
    "To ensure your account's security, we need to verify your identity. Enter the following code where prompted by Salesforce.\n\n" +
    `Verification Code: ${code}\n\n${extra}` +
    "If you didn't recently log in to Salesforce, contact your Salesforce administrator.\n\nThanks,\nSalesforce\n"
  );
}

// ---------------------------------------------------------------------------------------------
// Whole messages

export type Layout =
  | 'alt-7bit-qp'
  | 'alt-base64'
  | 'plain-7bit'
  | 'plain-qp-break'
  | 'html-only-qp'
  | 'mixed-alt'
  | 'plain-8bit-latin1';
export const LAYOUTS: Layout[] = [
  'alt-7bit-qp',
  'alt-base64',
  'plain-7bit',
  'plain-qp-break',
  'html-only-qp',
  'mixed-alt',
  'plain-8bit-latin1',
];

export interface BuildOptions {
  from: string;
  to?: string;
  subject: string;
  date?: Date;
  layout: Layout;
  text: string;
  html?: string;
  headers?: Array<[string, string]>;
  /** Offset (in text bytes) of a forced QP soft break (plain-qp-break). */
  qpBreakAt?: number;
  seq?: number;
  /** Transfer encoding of the HTML part in multipart layouts (default quoted-printable). */
  htmlCte?: Cte;
}

/** Renders a Salesforce-style mail (headers modelled on fixture 01) in one of several MIME layouts. */
export function buildMail(o: BuildOptions): { raw: Buffer; fromLine: string } {
  const seq = o.seq ?? 48213;
  const date = (o.date ?? new Date(Date.UTC(2024, 4, 2, 11, 41, 52))).toUTCString().replace('GMT', '+0000');
  const fromLine = `From: ${o.from}`;
  const headers: Array<[string, string]> = [
    ['Return-Path', '<support=salesforce.com__0-8k2mzq1x4w7r.example@bnc.salesforce.com>'],
    [
      'Received',
      `from smtp01-ia4-sp3.mta.salesforce.com (smtp01-ia4-sp3.mta.salesforce.com [13.110.0.1])${CRLF}\tby mx.example.org with ESMTPS id 4Zx1A2b3C4;${CRLF}\t${date}`,
    ],
    ...(o.headers ?? []),
    ['From', o.from],
    ['To', o.to ?? 'Jane Doe <jane.doe@acme.example>'],
    ['Subject', o.subject],
    ['Date', `${date} (GMT)`],
    ['Message-ID', `<Qm3Zx${'0'.repeat(45)}SCT${seq}@sfdc.net>`],
    ['X-SFDC-LK', '00D5g000004XyZ1'],
    ['X-SFDC-User', '0055g00000AbCdE'],
    ['X-Sender', 'postmaster@salesforce.com'],
  ];
  const b1 = javamailBoundary(seq, 1193650211);
  const b2 = javamailBoundary(seq + 1, 1193650212);
  const html = o.html ?? `<html><body><pre>${escapeHtml(o.text)}</pre></body></html>`;
  const textPart = (cte: Cte): Part => ({
    contentType: 'text/plain; charset="UTF-8"',
    cte,
    body: o.text,
    qpBreakAt: o.qpBreakAt,
  });
  const htmlPart = (cte: Cte): Part => ({
    contentType: 'text/html; charset="UTF-8"',
    cte: cte === 'quoted-printable' && o.htmlCte ? o.htmlCte : cte,
    body: html,
  });
  let ct: string;
  let cte: Cte | undefined;
  let body: string;
  switch (o.layout) {
    case 'alt-7bit-qp': {
      const mp = renderMultipart('alternative', b1, [
        renderPart(textPart('8bit')),
        renderPart(htmlPart('quoted-printable')),
      ]);
      ({ contentType: ct, body } = mp);
      break;
    }
    case 'alt-base64': {
      const mp = renderMultipart('alternative', b1, [renderPart(textPart('base64')), renderPart(htmlPart('base64'))]);
      ({ contentType: ct, body } = mp);
      break;
    }
    case 'mixed-alt': {
      const alt = renderMultipart('alternative', b2, [
        renderPart(textPart('8bit')),
        renderPart(htmlPart('quoted-printable')),
      ]);
      const mixed = renderMultipart('mixed', b1, [`Content-Type: ${alt.contentType}${CRLF}${CRLF}${alt.body}`]);
      ({ contentType: ct, body } = mixed);
      break;
    }
    case 'plain-7bit':
      ct = 'text/plain; charset="UTF-8"';
      cte = '8bit';
      body = o.text.replace(/\r?\n/g, CRLF);
      break;
    case 'plain-8bit-latin1': {
      // Labelled ISO-8859-1 like the legacy mails; the text is written as UTF-8, so a non-ASCII first name
      // arrives as mojibake (as from a broken sender) while the label lines stay ASCII.
      ct = 'text/plain; charset=ISO-8859-1';
      cte = '7bit';
      body = o.text.replace(/\r?\n/g, CRLF);
      break;
    }
    case 'plain-qp-break': {
      ct = 'text/plain; charset="UTF-8"';
      cte = 'quoted-printable';
      body = renderPart(textPart('quoted-printable'))
        .split(CRLF + CRLF)
        .slice(1)
        .join(CRLF + CRLF);
      break;
    }
    case 'html-only-qp':
      ct = 'text/html; charset="UTF-8"';
      cte = 'quoted-printable';
      body = renderPart(htmlPart('quoted-printable'))
        .split(CRLF + CRLF)
        .slice(1)
        .join(CRLF + CRLF);
      break;
  }
  const { raw } = renderMessage(headers, ct, cte, body);
  return { raw, fromLine };
}

const FIRST_NAMES = ['Jane', 'Bill', 'Ana', 'Kenji', 'Zoë', "O'Brien"];
const OUR_USERS = [
  'jane.doe@acme.example',
  'admin@initech.example',
  'jane.doe@acme.example.uat',
  'dev+ci@example.com.dev1',
  'ops_team@sub.example.org',
];
const OTHER_USERS = [
  'ops.admin@acme.example',
  'integration.user@globex.example',
  'compliance-bcc@acme.example',
  'someone.else@initech.example.full',
];

function caseVariant(rng: Prng, s: string): string {
  const r = rng.int(3);
  if (r === 0) return s;
  if (r === 1) return s.toUpperCase();
  return s.replace(/[a-z]/g, (c) => (rng.chance(0.3) ? c.toUpperCase() : c));
}

function tokenSubject(rng: Prng): string {
  return rng.pick([
    'Your new Salesforce security token',
    'Sandbox: Your new Salesforce security token',
    'salesforce.com security token confirmation',
    '[EXTERNAL] Your new Salesforce security token',
    '(External Email) Sandbox: Your new Salesforce security token',
    encodedWord('Your new Salesforce security token'),
  ]);
}

function pickLang(rng: Prng): Lang {
  return rng.weighted([
    [6, 'en'],
    [2, 'legacy'],
    [2, 'ja'],
  ] as const);
}

/** The body of a token mail with everything a builder needs. */
function tokenMail(
  rng: Prng,
  from: string,
  username: string,
  token: string,
  opts: { footer?: string; headers?: Array<[string, string]>; layout?: Layout; lang?: Lang } = {},
) {
  const lang = opts.lang ?? pickLang(rng);
  let layout = opts.layout ?? rng.pick(LAYOUTS);
  if (lang === 'ja' && layout === 'plain-8bit-latin1') layout = 'plain-7bit';
  const body: TokenBodyOptions = { lang, username, token, firstName: rng.pick(FIRST_NAMES), footer: opts.footer };
  const text = tokenText(body);
  const tokenOffset = Buffer.byteLength(text.slice(0, text.indexOf(token)), 'utf8');
  const built = buildMail({
    from,
    subject: tokenSubject(rng),
    layout,
    text,
    html: tokenHtml(body),
    headers: opts.headers,
    qpBreakAt: tokenOffset + rng.range(1, token.length - 1),
    seq: rng.range(1000, 99999),
  });
  return { ...built, variant: `${lang}/${layout}` };
}

// ---------------------------------------------------------------------------------------------
// Families

type Builder = (rng: Prng) => FuzzMail;

const trustedToken: Builder = (rng) => {
  const username = rng.pick(OUR_USERS);
  const token = randomToken(rng);
  const from = rng.pick(TRUSTED_SENDERS);
  const optUser = rng.chance(0.6) ? caseVariant(rng, username) : undefined;
  const m = tokenMail(rng, from, username, token);
  return {
    family: 'trusted-token',
    variant: m.variant,
    raw: m.raw,
    opts: optUser ? { username: optUser } : {},
    truth: { expect: 'token', token, username },
    planted: [token],
    protect: [m.fromLine],
  };
};

const otherUser: Builder = (rng) => {
  const ours = rng.pick(OUR_USERS);
  const theirs = rng.pick(OTHER_USERS);
  const token = randomToken(rng);
  // Half of them also name our user elsewhere in the mail, to catch a naive `text.includes(username)`.
  const footer = rng.chance(0.5)
    ? rng.pick([`This message was sent to ${ours}.`, `Copy for the compliance archive of ${ours}`, `cc: ${ours}`])
    : undefined;
  const m = tokenMail(rng, rng.pick(TRUSTED_SENDERS), theirs, token, { footer });
  return {
    family: 'other-user',
    variant: `${m.variant}${footer ? '+names-ours' : ''}`,
    raw: m.raw,
    opts: { username: caseVariant(rng, ours) },
    truth: { expect: 'no-token', why: `token of ${theirs}, expected ${ours}` },
    planted: [token],
    protect: [m.fromLine],
  };
};

const untrustedPerfect: Builder = (rng) => {
  const s = rng.pick(lookalikeSenders());
  const username = rng.pick(OUR_USERS);
  const token = randomToken(rng);
  const m = tokenMail(rng, s.from, username, token, { headers: s.extra });
  return {
    family: 'untrusted-sender',
    variant: `${m.variant} ${s.why}`,
    raw: m.raw,
    opts: { ...(rng.chance(0.5) ? { username } : {}), ...(rng.chance(0.3) ? { trustForwarded: true } : {}) },
    truth: { expect: 'no-token', why: `untrusted sender: ${s.why}` },
    planted: [token],
    protect: [m.fromLine, ...(s.extra ?? []).map(([k, v]) => `${k}: ${v}`)],
  };
};

/** Forwarded subjects, including the forms issue 15 item 5 lists. */
const FORWARD_SUBJECTS = [
  'Fwd: Your new Salesforce security token',
  '[Fwd: Your new Salesforce security token]',
  'Your new Salesforce security token (fwd)',
  'Ｆｗｄ：Your new Salesforce security token',
  'Fwd [EXT]: Your new Salesforce security token',
  'WG: Your new Salesforce security token',
  '[EXTERNAL] [Fwd: Your new Salesforce security token]',
  'RE: FW: Your new Salesforce security token',
];

const forwarded: Builder = (rng) => {
  const username = rng.pick(OUR_USERS);
  const token = randomToken(rng);
  const inner = tokenText({ lang: 'en', username, token, firstName: 'Jane' });
  const fwdFrom = rng.pick([
    'Jane Doe <jane.doe@acme.example>',
    'IT Helpdesk <helpdesk@acme.example>',
    '"Salesforce via Helpdesk" <helpdesk@acme.example>',
  ]);
  const style = rng.int(3);
  let raw: Buffer;
  let fromLine: string;
  let variant: string;
  if (style < 2) {
    const quote =
      style === 0
        ? `---------- Forwarded message ---------\nFrom: Salesforce <support@salesforce.com>\nDate: Thu, May 2, 2024 at 11:41 AM\nSubject: Your new Salesforce security token\nTo: Jane Doe <jane.doe@acme.example>\n\n${inner}`
        : inner
            .split('\n')
            .map((l) => `> ${l}`)
            .join('\n');
    ({ raw, fromLine } = buildMail({
      from: fwdFrom,
      subject: rng.pick(FORWARD_SUBJECTS),
      layout: rng.pick(LAYOUTS),
      text: `FYI, see below.\n\n${quote}`,
      seq: rng.range(1000, 99999),
    }));
    variant = style === 0 ? 'inline' : 'quoted';
  } else {
    const original = tokenMail(rng, 'Salesforce <support@salesforce.com>', username, token, {
      layout: 'alt-7bit-qp',
      lang: 'en',
    }).raw.toString('utf8');
    const b = javamailBoundary(rng.range(1, 9999), 77);
    const mp = renderMultipart('mixed', b, [
      renderPart({ contentType: 'text/plain; charset="UTF-8"', body: 'Forwarding the token mail as an attachment.\n' }),
      `Content-Type: message/rfc822${CRLF}Content-Disposition: attachment; filename="token.eml"${CRLF}${CRLF}${original}`,
    ]);
    fromLine = `From: ${fwdFrom}`;
    raw = renderMessage(
      [
        ['From', fwdFrom],
        ['To', 'jane.doe@acme.example'],
        ['Subject', 'Fwd: Your new Salesforce security token'],
        ['Date', 'Thu, 2 May 2024 12:00:00 +0000'],
      ],
      mp.contentType,
      undefined,
      mp.body,
    ).raw;
    variant = 'attached-rfc822';
  }
  // trustForwarded alone trusts no forward; a forwardedFrom that is not the forwarder neither.
  const trust = rng.pick([
    {},
    { trustForwarded: true },
    { trustForwarded: true, forwardedFrom: 'someone.else@acme.example' },
  ]);
  return {
    family: 'forwarded',
    variant,
    raw,
    opts: { ...(rng.chance(0.5) ? { username } : {}), ...trust },
    truth: { expect: 'no-token', why: `forwarded, not by a configured forwardedFrom (${JSON.stringify(trust)})` },
    planted: [token],
    protect: [fromLine],
  };
};

const verification: Builder = (rng) => {
  const username = rng.pick(OUR_USERS);
  const code = String(rng.range(100000, 999999));
  const { raw, fromLine } = buildMail({
    from: rng.pick(TRUSTED_SENDERS),
    subject: rng.pick([
      'Verify your identity in Salesforce',
      'Sandbox: Verify your identity in Salesforce',
      "Here's your verification code",
    ]),
    layout: rng.pick(LAYOUTS),
    text: verificationText(username, code),
    seq: rng.range(1000, 99999),
  });
  return {
    family: 'verification-code',
    variant: 'code',
    raw,
    opts: rng.chance(0.5) ? { username } : {},
    truth: { expect: 'no-token', why: 'identity verification mail' },
    planted: [],
    protect: [fromLine],
  };
};

const passwordReset: Builder = (rng) => {
  const username = rng.pick(OUR_USERS);
  const key = rng.string(25, ALNUM);
  const text =
    `Hi Jane,\n\nFinish resetting your Salesforce password by clicking the link below.\n\nUsername: ${username}\n` +
    `Reset link: https://acme.my.salesforce.com/secur/forgotpassword.jsp?r=${key}\n\nThanks,\nSalesforce\n`;
  const { raw, fromLine } = buildMail({
    from: rng.pick(TRUSTED_SENDERS),
    subject: 'Finish resetting your Salesforce password',
    layout: rng.pick(LAYOUTS),
    text,
    seq: rng.range(1000, 99999),
  });
  return {
    family: 'password-reset',
    variant: 'link',
    raw,
    opts: rng.chance(0.5) ? { username } : {},
    truth: { expect: 'no-token', why: 'password reset mail' },
    planted: [key],
    protect: [fromLine],
    guardPlanted: true,
  };
};

/** Trusted Salesforce mails that are not token mails but carry a token-shaped value somewhere a token does not belong. */
const lookalikePosition: Builder = (rng) => {
  const username = rng.pick(OUR_USERS);
  const fake = randomToken(rng);
  const code = String(rng.range(100000, 999999));
  const where = rng.pick([
    'subject',
    'x-header',
    'url',
    'html-attr',
    'too-long',
    'too-short',
    'symbols',
    'no-label',
    'label-in-prose',
  ] as const);
  let subject = 'Verify your identity in Salesforce';
  let headers: Array<[string, string]> = [];
  let extra = '';
  let html: string | undefined;
  let planted = fake;
  let protect: string[] = [];
  switch (where) {
    case 'subject':
      subject = `Security token (case-sensitive): ${fake}`;
      protect = [`Subject: ${subject}`];
      break;
    case 'x-header':
      headers = [['X-Security-Token', fake]];
      protect = [`X-Security-Token: ${fake}`];
      break;
    case 'url':
      extra = `Details: https://help.salesforce.com/s/articleView?id=${fake}&token=${fake}\n\n`;
      protect = [extra.trim()];
      break;
    case 'html-attr':
      html = `<html><body><p>Username: ${username}</p><img alt="Security token (case-sensitive): ${fake}" src="cid:x"><p data-token="${fake}">Verification Code: ${code}</p></body></html>`;
      protect = [html];
      break;
    case 'too-long':
      planted = fake.padEnd(25, 'x') + rng.string(rng.range(1, 15), ALNUM); // 26+ characters
      extra = `Security token (case-sensitive): ${planted}\n\n`;
      protect = [extra.trim()];
      break;
    case 'too-short':
      planted = fake.slice(0, rng.range(16, 23));
      extra = `Security token (case-sensitive): ${planted}\n\n`;
      protect = [extra.trim()];
      break;
    case 'symbols': {
      const i = rng.range(1, fake.length - 2);
      planted = fake.slice(0, i) + rng.pick(['-', '_', '.', '/', '+', '=', '!', 'é', 'Ａ']) + fake.slice(i + 1);
      extra = `Security token (case-sensitive): ${planted}\n\n`;
      protect = [extra.trim()];
      break;
    }
    case 'no-label':
      extra = `${fake}\n\n`;
      protect = [fake];
      break;
    case 'label-in-prose':
      extra = `Your security token is not included in this message for security reasons; reference ${fake} if you contact support.\n\n`;
      protect = [extra.trim()];
      break;
  }
  const { raw, fromLine } = buildMail({
    from: rng.pick(TRUSTED_SENDERS),
    subject,
    layout: where === 'html-attr' ? 'alt-7bit-qp' : rng.pick(['plain-7bit', 'alt-7bit-qp', 'mixed-alt'] as const),
    text: verificationText(username, code, extra),
    html,
    headers,
    seq: rng.range(1000, 99999),
    htmlCte: '8bit', // QP would split the planted values; mutators keep a margin around every occurrence
  });
  return {
    family: 'lookalike-position',
    variant: where,
    raw,
    opts: rng.chance(0.5) ? { username } : {},
    truth: { expect: 'no-token', why: `token-shaped value in ${where}` },
    planted: [planted],
    protect: [fromLine, ...protect],
    guardPlanted: true,
  };
};

export const DKIM_VARIANTS: Array<{ name: string; headers: string[]; trusted: boolean | 'maybe' }> = [
  {
    name: 'pass',
    headers: [
      'mx.example.org; dkim=pass header.d=salesforce.com header.s=sf112018 header.b=AbCdEf12; spf=pass smtp.mailfrom=bnc.salesforce.com',
    ],
    trusted: true,
  },
  { name: 'pass-subdomain', headers: ['mx.example.org; dkim=pass header.d=emea.salesforce.com'], trusted: 'maybe' },
  { name: 'missing', headers: [], trusted: false },
  {
    name: 'fail',
    headers: ['mx.example.org; dkim=fail (signature did not verify) header.d=salesforce.com'],
    trusted: false,
  },
  { name: 'none', headers: ['mx.example.org; dkim=none'], trusted: false },
  { name: 'other-domain', headers: ['mx.example.org; dkim=pass header.d=evil.test'], trusted: false },
  {
    name: 'lookalike-domain',
    headers: ['mx.example.org; dkim=pass header.d=salesforce.com.evil.test'],
    trusted: false,
  },
  { name: 'suffix-domain', headers: ['mx.example.org; dkim=pass header.d=evilsalesforce.com'], trusted: false },
  {
    name: 'pass-in-comment',
    headers: ['mx.example.org; dkim=fail (forged: dkim=pass header.d=salesforce.com) header.d=evil.test'],
    trusted: false,
  },
  {
    name: 'softfail-spf-only',
    headers: ['mx.example.org; spf=pass smtp.mailfrom=salesforce.com; dkim=neutral header.d=salesforce.com'],
    trusted: false,
  },
  // issue 15 item 4: only the receiver's authserv-id counts; RFC 8601 comments and quoted strings
  { name: 'other-authserv', headers: ['mx.evil.test; dkim=pass header.d=salesforce.com'], trusted: false },
  {
    name: 'lookalike-authserv',
    headers: ['mx.example.org.evil.test; dkim=pass header.d=salesforce.com'],
    trusted: false,
  },
  {
    name: 'no-authserv',
    headers: [
      'dkim=pass (signature was verified) header.d=salesforce.com;dmarc=pass action=none header.from=salesforce.com',
    ],
    trusted: false,
  },
  {
    name: 'forged-below-receiver',
    headers: ['mx.example.org; dkim=fail header.d=salesforce.com', 'mx.example.org; dkim=pass header.d=salesforce.com'],
    trusted: false,
  },
  {
    name: 'forged-on-top-other-id',
    headers: ['mx.evil.test; dkim=pass header.d=salesforce.com', 'mx.example.org; dkim=fail header.d=salesforce.com'],
    trusted: false,
  },
  {
    name: 'nested-comment',
    headers: [
      'mx.example.org; dkim=fail (a (b) ; dkim=pass header.d=salesforce.com) reason="x; dkim=pass header.d=salesforce.com" header.d=evil.test',
    ],
    trusted: false,
  },
  {
    name: 'receiver-below-other-id',
    headers: [
      'mx.evil.test; dkim=fail header.d=salesforce.com',
      'mx.example.org (receiver) 1; dkim=pass (ok (nested)) header.d=salesforce.com',
    ],
    trusted: true,
  },
  {
    name: 'spf-header-then-dkim-header',
    headers: [
      'mx.example.org; spf=pass smtp.mailfrom=bnc.salesforce.com',
      'mx.example.org; dkim=pass header.i=@salesforce.com',
    ],
    trusted: true,
  },
];

const dkim: Builder = (rng) => {
  const v = rng.pick(DKIM_VARIANTS);
  const username = rng.pick(OUR_USERS);
  const token = randomToken(rng);
  const m = tokenMail(rng, rng.pick(TRUSTED_SENDERS), username, token, {
    headers: v.headers.map((h) => ['Authentication-Results', h] as [string, string]),
  });
  return {
    family: 'dkim-required',
    variant: v.name,
    raw: m.raw,
    // The receiver's authserv-id: configured, or the default from the IMAP host (example.org and below).
    opts: {
      requireDkim: true,
      ...(rng.chance(0.5) ? { authservId: 'mx.example.org' } : { imapHost: 'imap.example.org' }),
      ...(rng.chance(0.5) ? { username } : {}),
    },
    truth:
      v.trusted === true
        ? { expect: 'token', token, username }
        : v.trusted === 'maybe'
          ? { expect: 'either', token, username }
          : { expect: 'no-token', why: `DKIM required, ${v.name}` },
    planted: [token],
    protect: [m.fromLine, ...v.headers.map((h) => `Authentication-Results: ${h}`)],
  };
};

const garbage: Builder = (rng) => {
  const kind = rng.int(6);
  let raw: Buffer;
  let variant: string;
  switch (kind) {
    case 0:
      raw = rng.bytes(rng.range(0, 4096));
      variant = 'random-bytes';
      break;
    case 1:
      raw = Buffer.alloc(0);
      variant = 'empty';
      break;
    case 2: {
      const lines: string[] = [];
      const n = rng.range(1, 200);
      for (let i = 0; i < n; i++) lines.push(rng.string(rng.range(0, 120), ALNUM + ' :;=<>"\\\t@.-'));
      raw = Buffer.from(lines.join(rng.pick(['\r\n', '\n', '\r'])), 'latin1');
      variant = 'line-soup';
      break;
    }
    case 3:
      raw = Buffer.from(
        'From: Salesforce <support@salesforce.com>\r\nSubject: Your new Salesforce security token\r\n',
        'utf8',
      );
      variant = 'headers-only';
      break;
    case 4:
      raw = Buffer.from(
        `Content-Type: multipart/mixed; boundary=""\r\n\r\n--\r\n--\r\n${'--\r\n'.repeat(rng.range(1, 500))}`,
        'utf8',
      );
      variant = 'empty-boundary';
      break;
    default:
      raw = Buffer.from(
        `From: Salesforce <support@salesforce.com>\r\n\r\n${'\u0000'.repeat(rng.range(1, 2000))}Security token (case-sensitive): \u0000\r\n`,
        'utf8',
      );
      variant = 'nul-bytes';
      break;
  }
  return {
    family: 'garbage',
    variant,
    raw,
    opts: {},
    truth: { expect: 'no-token', why: 'garbage' },
    planted: [],
    protect: [],
  };
};

/** Issue 15 item 2: Salesforce mails that are not the token mail, with 24–25 character codes (./nonTokenCorpus.ts). */
const nonTokenCorpus: Builder = (rng) => {
  const m = rng.pick(NON_TOKEN_MAILS);
  const user = rng.pick(OUR_USERS);
  const code = rng.chance(0.5) ? m.code : randomToken(rng);
  // Layouts whose label lines stay readable in the raw bytes (base64 and QP would let a byte flip rewrite a
  // "Password:" label that the mutators cannot see to protect, and change the ground truth).
  const layout = rng.pick(LAYOUTS.filter((l) => l !== 'alt-base64' && l !== 'plain-qp-break'));
  const built = renderNonToken(m, { user, code, layout, seq: rng.range(1000, 99999) });
  const html = m.html ? fill(m.html, user, code) : undefined;
  return {
    family: 'non-token-corpus',
    variant: m.file.replace(/\.eml$/, ''),
    raw: built.raw,
    opts: rng.pick([
      {},
      { username: user },
      { username: user, trustForwarded: true },
      { requireDkim: true, authservId: 'mx.example.org' },
    ]),
    truth: { expect: 'no-token', why: `not a token mail: ${m.what}` },
    planted: [code],
    // The signals that make it a non-token mail stay intact: sender, subject, bulk headers, hidden HTML.
    protect: [
      built.fromLine,
      `Subject: ${m.subject}`,
      ...(m.headers ?? []).map(([k, v]) => `${k}: ${v}`),
      ...(html ? [html] : []),
    ],
    guardPlanted: true,
  };
};

export const FAMILIES: Array<readonly [number, string, Builder]> = [
  [30, 'trusted-token', trustedToken],
  [9, 'other-user', otherUser],
  [16, 'untrusted-sender', untrustedPerfect],
  [6, 'forwarded', forwarded],
  [6, 'verification-code', verification],
  [3, 'password-reset', passwordReset],
  [12, 'lookalike-position', lookalikePosition],
  [10, 'dkim-required', dkim],
  [4, 'garbage', garbage],
  [8, 'non-token-corpus', nonTokenCorpus],
];

export function buildFamily(rng: Prng, family?: string): FuzzMail {
  if (family) {
    const f = FAMILIES.find(([, n]) => n === family);
    if (!f) throw new Error(`unknown family ${family}`);
    return f[2](rng);
  }
  const builder = rng.weighted(FAMILIES.map(([w, , b]) => [w, b] as const));
  return builder(rng);
}
