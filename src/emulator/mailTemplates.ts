/**
 * The mails the emulator sends, in Salesforce's layout (salesforce-facts.md §1.3–1.9 and the
 * shared samples in ../shared/emails): multipart/alternative with text/plain + text/html, From
 * support@salesforce.com (token) / noreply@salesforce.com (verification code), Message-ID @sfdc.net
 * with the 45-zero run, X-SFDC-LK (15-char org id), X-SFDC-User (15-char user id), X-Sender,
 * X-mail_abuse_inquiries, X-SFDC-TLS-NoRelay, JavaMail-style boundaries.
 *
 * Texts: the English token mail is the verified fragments + the reconstruction of §1.3; the Japanese
 * body is the verified text of §1.4 (its subject line is a reconstruction: unverified, so parsers
 * must not depend on it). The verification-code mail's English body is verified (§1.9); its
 * Japanese version is a reconstruction.
 */
import { randomBytes, randomInt } from 'node:crypto';

export type MailLanguage = 'en' | 'ja';

export interface TokenMailOptions {
  /** Recipient address (the User record's Email). */
  to: string;
  toName?: string;
  /** The Salesforce username printed in the mail (with the sandbox suffix for sandboxes). */
  username: string;
  token: string;
  firstName?: string;
  language?: MailLanguage;
  /** 15- or 18-char ids; the headers carry the 15-char forms. */
  orgId?: string;
  userId?: string;
  date?: Date;
  /** Adds the "Sandbox: " subject prefix. */
  sandbox?: boolean;
  /** Default `Salesforce <support@salesforce.com>`. */
  from?: string;
  /** Overrides the subject (e.g. the legacy "salesforce.com security token confirmation"). */
  subject?: string;
  /** 'base64' encodes both parts in base64 (as some relays do); default: text 7bit/base64 (ja), html QP. */
  encoding?: 'default' | 'base64';
}

export interface VerificationMailOptions {
  to: string;
  toName?: string;
  username: string;
  /** 6 digits; random when absent. */
  code?: string;
  language?: MailLanguage;
  orgId?: string;
  userId?: string;
  date?: Date;
  sandbox?: boolean;
  browser?: string;
  os?: string;
}

const CRLF = '\r\n';

function id15(id: string | undefined, prefix: string): string {
  if (id && id.length >= 15) return id.slice(0, 15);
  return prefix + randomAlnum(12);
}

function randomAlnum(n: number): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (let i = 0; i < n; i++) s += chars[randomInt(chars.length)];
  return s;
}

/** RFC 5322 date with the "(GMT)" comment Salesforce's JavaMail adds. */
export function rfc822Date(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000 (GMT)`;
}

function messageId(): string {
  return `<${randomAlnum(5)}${'0'.repeat(45)}SCT${randomAlnum(4)}00${randomAlnum(20)}@sfdc.net>`;
}

function boundary(): string {
  return `----=_Part_${randomInt(1000, 99999)}_${randomInt(100000000, 2000000000)}.${Date.now()}${randomInt(100, 999)}`;
}

/** RFC 2047 B-encoding for non-ASCII header text. */
export function encodeHeaderWord(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  // Split into chunks of whole characters so each encoded word stays ≤ 75 chars.
  const words: string[] = [];
  let chunk = '';
  for (const ch of text) {
    if (Buffer.byteLength(chunk + ch) > 39) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join(`${CRLF} `);
}

function address(name: string | undefined, addr: string): string {
  if (!name) return addr;
  const n = /^[\x20-\x7e]*$/.test(name)
    ? /[",.;:<>@()[\]\\]/.test(name)
      ? JSON.stringify(name)
      : name
    : encodeHeaderWord(name);
  return `${n} <${addr}>`;
}

/** Quoted-printable (RFC 2045) with CRLF line ends and 76-char soft-broken lines. */
export function encodeQuotedPrintable(text: string): string {
  const lines = text.replace(/\r?\n/g, '\n').split('\n');
  const out: string[] = [];
  for (const line of lines) {
    const bytes = Buffer.from(line, 'utf8');
    let cur = '';
    const tokens: string[] = [];
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      const last = i === bytes.length - 1;
      const printable = (b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && !last);
      tokens.push(printable ? String.fromCharCode(b) : '=' + b.toString(16).toUpperCase().padStart(2, '0'));
    }
    for (const t of tokens) {
      if (cur.length + t.length > 75) {
        out.push(cur + '=');
        cur = '';
      }
      cur += t;
    }
    out.push(cur);
  }
  return out.join(CRLF);
}

function base64Lines(text: string): string {
  return (
    Buffer.from(text, 'utf8')
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join(CRLF);
}

function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function htmlPage(lang: string, title: string, paragraphs: string[]): string {
  return [
    `<html lang="${lang}">`,
    `<head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><title>${escapeHtml(title)}</title></head>`,
    `<body style="margin:0;padding:0;background-color:#f3f3f3;" marginheight="0" marginwidth="0">`,
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr><td align="center">`,
    `<table role="presentation" width="600" cellpadding="24" cellspacing="0" border="0" style="background-color:#ffffff;font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#181818;">`,
    `<tr><td>`,
    ...paragraphs.map((p) => `<p>${p}</p>`),
    `</td></tr></table>`,
    `</td></tr></table>`,
    `</body>`,
    `</html>`,
    '',
  ].join('\n');
}

interface Compose {
  from: string;
  to: string;
  subject: string;
  date: Date;
  orgId15: string;
  userId15: string;
  text: string;
  html: string;
  textEncoding: '7bit' | 'base64';
  htmlEncoding: 'quoted-printable' | 'base64';
}

function compose(c: Compose): Buffer {
  const b = boundary();
  const headers = [
    `Return-Path: <support=salesforce.com__0-${randomAlnum(12).toLowerCase()}.example@bnc.salesforce.com>`,
    `Received: from smtp01-ia4-sp3.mta.salesforce.com (smtp01-ia4-sp3.mta.salesforce.com [13.110.0.1])${CRLF}\tby mx.emulator.invalid with ESMTPS id ${randomAlnum(10)};${CRLF}\t${rfc822Date(c.date).replace(' (GMT)', '')}`,
    `From: ${c.from}`,
    `To: ${c.to}`,
    `Subject: ${encodeHeaderWord(c.subject)}`,
    `Date: ${rfc822Date(c.date)}`,
    `Message-ID: ${messageId()}`,
    `MIME-Version: 1.0`,
    `X-Priority: 3`,
    `X-SFDC-LK: ${c.orgId15}`,
    `X-SFDC-User: ${c.userId15}`,
    `X-Sender: postmaster@salesforce.com`,
    `X-mail_abuse_inquiries: http://www.salesforce.com/company/abuse.jsp`,
    `X-SFDC-TLS-NoRelay: 1`,
    `Content-Type: multipart/alternative; ${CRLF}\tboundary="${b}"`,
  ];
  const textBody = c.textEncoding === 'base64' ? base64Lines(c.text) : c.text.replace(/\r?\n/g, CRLF);
  const htmlBody = c.htmlEncoding === 'base64' ? base64Lines(c.html) : encodeQuotedPrintable(c.html);
  const parts = [
    headers.join(CRLF),
    '',
    `--${b}`,
    `Content-Type: text/plain; charset="UTF-8"`,
    `Content-Transfer-Encoding: ${c.textEncoding}`,
    '',
    textBody,
    `--${b}`,
    `Content-Type: text/html; charset="UTF-8"`,
    `Content-Transfer-Encoding: ${c.htmlEncoding}`,
    '',
    htmlBody,
    `--${b}--`,
    '',
  ];
  return Buffer.from(parts.join(CRLF), 'utf8');
}

const HELP_URL = 'https://help.salesforce.com/HTViewHelpDoc?id=user_security_token.htm';

/** The "Your new Salesforce security token" mail as raw RFC 822 bytes. */
export function composeTokenMail(o: TokenMailOptions): Buffer {
  const lang = o.language ?? 'en';
  const date = o.date ?? new Date();
  const orgId15 = id15(o.orgId, '00D');
  const userId15 = id15(o.userId, '005');
  const first = o.firstName ?? o.toName?.split(' ')[0];
  let subject: string;
  let text: string;
  let html: string;
  if (lang === 'ja') {
    subject = o.subject ?? `${o.sandbox ? 'Sandbox: ' : ''}新しい Salesforce セキュリティトークン`;
    const lead =
      '最近パスワードが変更されたかセキュリティトークンのリセットが要求されたため、新しい Salesforce セキュリティトークンを送信いたしました。API またはデスクトップクライアントでセキュリティトークンが必要な場合は、この更新されたセキュリティトークンを使用してください。';
    const more = `セキュリティトークンの使用方法についての詳細は、${HELP_URL} の「セキュリティトークンのリセット」を参照してください。`;
    text = [
      lead,
      '',
      `ユーザ名: ${o.username}`,
      `セキュリティトークン (大文字と小文字を区別): ${o.token}`,
      '',
      more,
      '',
    ].join('\n');
    html = htmlPage('ja', subject, [
      escapeHtml(lead),
      `ユーザ名: <a href="mailto:${escapeHtml(o.username)}" style="color:#0070d2;">${escapeHtml(o.username)}</a><br>\nセキュリティトークン (大文字と小文字を区別): <b>${escapeHtml(o.token)}</b>`,
      `セキュリティトークンの使用方法についての詳細は、<a href="${HELP_URL}">${HELP_URL}</a> の「セキュリティトークンのリセット」を参照してください。`,
    ]);
  } else {
    subject = o.subject ?? `${o.sandbox ? 'Sandbox: ' : ''}Your new Salesforce security token`;
    const lead =
      "Because you recently changed your password or requested to reset your security token, we're sending you your new Salesforce security token. Use this updated security token whenever a security token is required for API or desktop client access.";
    text = [
      ...(first ? [`Hi ${first},`, ''] : []),
      lead,
      '',
      `Username: ${o.username}`,
      `Security token (case-sensitive): ${o.token}`,
      '',
      `For more information on using your security token, see "Reset Your Security Token" in the Salesforce Help: ${HELP_URL}`,
      '',
      'Thanks,',
      'Salesforce',
      '',
    ].join('\n');
    html = htmlPage('en', subject, [
      ...(first ? [`Hi ${escapeHtml(first)},`] : []),
      escapeHtml(lead),
      `Username: <a href="mailto:${escapeHtml(o.username)}" style="color:#0070d2;">${escapeHtml(o.username)}</a><br>\nSecurity token (case-sensitive): <b>${escapeHtml(o.token)}</b>`,
      `For more information on using your security token, see <a href="${HELP_URL}">Reset Your Security Token</a> in the Salesforce Help.`,
      'Thanks,<br>Salesforce',
    ]);
  }
  const b64 = o.encoding === 'base64';
  return compose({
    from: o.from ?? 'Salesforce <support@salesforce.com>',
    to: address(o.toName, o.to),
    subject,
    date,
    orgId15,
    userId15,
    text,
    html,
    textEncoding: b64 || lang !== 'en' ? 'base64' : '7bit',
    htmlEncoding: b64 ? 'base64' : 'quoted-printable',
  });
}

/** A random 6-digit identity-verification code. */
export function randomVerificationCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/** The "Verify your identity in Salesforce" mail (a lookalike the watcher must not take for a token). */
export function composeVerificationCodeMail(o: VerificationMailOptions): Buffer {
  const lang = o.language ?? 'en';
  const code = o.code ?? randomVerificationCode();
  const browser = o.browser ?? 'Chrome';
  const os = o.os ?? 'Windows 10';
  let subject: string;
  let text: string;
  let html: string;
  if (lang === 'ja') {
    subject = `${o.sandbox ? 'Sandbox: ' : ''}Salesforce でユーザ本人であることを確認`;
    const p1 = '認識されていないブラウザまたはアプリケーションから Salesforce にログインしました。';
    const p3 =
      'アカウントのセキュリティを確保するため、本人確認を行う必要があります。プロンプトが表示されたら、次のコードを入力してください。';
    const p5 =
      '最近 Salesforce にログインしていない場合、またはこのブラウザやオペレーティングシステムに見覚えがない場合は、Salesforce システム管理者に連絡してください。';
    text = [
      p1,
      '',
      `ブラウザ: ${browser}`,
      `オペレーティングシステム: ${os}`,
      `ユーザ名: ${o.username}`,
      '',
      p3,
      '',
      `確認コード: ${code}`,
      '',
      p5,
      '',
    ].join('\n');
    html = htmlPage('ja', subject, [
      escapeHtml(p1),
      `ブラウザ: ${escapeHtml(browser)}<br>オペレーティングシステム: ${escapeHtml(os)}<br>ユーザ名: ${escapeHtml(o.username)}`,
      escapeHtml(p3),
      `確認コード: <b>${code}</b>`,
      escapeHtml(p5),
    ]);
  } else {
    subject = `${o.sandbox ? 'Sandbox: ' : ''}Verify your identity in Salesforce`;
    const p1 = "You recently logged in to Salesforce from a browser or app that we don't recognize.";
    const p3 =
      "To ensure your account's security, we need to verify your identity. Enter the following code where prompted by Salesforce.";
    const p5 =
      "If you didn't recently log in to Salesforce, or you don't recognize this browser or operating system, contact your Salesforce administrator.";
    text = [
      p1,
      '',
      `Browser: ${browser}`,
      `Operating System: ${os}`,
      `Username: ${o.username}`,
      '',
      p3,
      '',
      `Verification Code: ${code}`,
      '',
      p5,
      '',
      'Thanks,',
      'Salesforce',
      '',
    ].join('\n');
    html = htmlPage('en', subject, [
      escapeHtml(p1),
      `Browser: ${escapeHtml(browser)}<br>Operating System: ${escapeHtml(os)}<br>Username: ${escapeHtml(o.username)}`,
      escapeHtml(p3),
      `Verification Code: <b>${code}</b>`,
      escapeHtml(p5),
      'Thanks,<br>Salesforce',
    ]);
  }
  return compose({
    from: 'Salesforce <noreply@salesforce.com>',
    to: address(o.toName, o.to),
    subject,
    date: o.date ?? new Date(),
    orgId15: id15(o.orgId, '00D'),
    userId15: id15(o.userId, '005'),
    text,
    html,
    textEncoding: lang === 'en' ? '7bit' : 'base64',
    htmlEncoding: 'quoted-printable',
  });
}

/** A random security token: 25 characters [A-Za-z0-9], as Salesforce issues them. */
export function randomToken(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(64);
  let s = '';
  for (const b of bytes) {
    if (b < 248) s += chars[b % 62]; // 248 = 4×62: no modulo bias
    if (s.length === 25) return s;
  }
  return s + randomAlnum(25 - s.length);
}
