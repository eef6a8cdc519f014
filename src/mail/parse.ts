/**
 * Raw RFC 822 source → MailVerdict: mailparser decodes (MIME, QP, base64, charsets incl. ISO-2022-JP,
 * encoded-word subjects), src/core/tokenMail.ts decides. Bounded in size and time, never throws.
 */
import type { AddressObject, ParsedMail } from 'mailparser';
import { loadMailparser } from '../lazy';
import type { ClassifyOptions, MailInput, MailVerdict } from '../core/tokenMail';
import { classifyMail } from '../core/tokenMail';
import { safeErrorMessage } from '../core/redact';
import { withTimeout } from '../core/async';

export const DEFAULT_MAX_BYTES = 2 * 1024 * 1024;
export const DEFAULT_PARSE_TIMEOUT_MS = 15_000;

export interface ParseOptions extends ClassifyOptions {
  /** Larger sources are cut to this many bytes before parsing (with a warning). Default 2 MB. */
  maxBytes?: number;
  /** Gives up parsing after this long (kind none). Default 15 s. */
  timeoutMs?: number;
}

export async function parseAndClassify(source: Buffer | string, opts: ParseOptions = {}): Promise<MailVerdict> {
  const warnings: string[] = [];
  let cut = false;
  let buf: Buffer;
  try {
    buf = Buffer.isBuffer(source) ? source : Buffer.from(String(source), 'utf8');
  } catch (e) {
    return { kind: 'none', warnings, authenticated: false, reason: `not a mail: ${firstLine(safeErrorMessage(e))}` };
  }
  const maxBytes = opts.maxBytes && opts.maxBytes > 0 ? Math.floor(opts.maxBytes) : DEFAULT_MAX_BYTES;
  if (buf.length > maxBytes) {
    buf = buf.subarray(0, maxBytes);
    cut = true;
    warnings.push(`the mail is larger than ${maxBytes} bytes; only its first ${maxBytes} bytes were read`);
  } else if (buf.length === maxBytes) {
    // Exactly the cap: the caller (e.g. an IMAP partial fetch) has probably cut it already.
    cut = true;
    warnings.push(`the mail may be larger than ${maxBytes} bytes; only its first ${maxBytes} bytes were read`);
  }
  if (buf.length === 0) return { kind: 'none', warnings, authenticated: false, reason: 'the mail is empty' };

  let parsed: MailInput;
  try {
    const parseMs = opts.timeoutMs ?? DEFAULT_PARSE_TIMEOUT_MS;
    parsed = await withTimeout(parseMail(buf), parseMs, `parsing took longer than ${parseMs} ms`, { unref: true });
  } catch (e) {
    return {
      kind: 'none',
      warnings,
      authenticated: false,
      reason: `could not parse the mail: ${firstLine(safeErrorMessage(e))}`,
    };
  }
  let verdict: MailVerdict;
  try {
    verdict = classifyMail(parsed, { ...opts, truncated: opts.truncated === true || cut });
  } catch (e) {
    // classifyMail is written not to throw; this is a last line of defence for the watcher.
    return {
      kind: 'none',
      warnings,
      authenticated: false,
      reason: `could not classify the mail: ${firstLine(safeErrorMessage(e))}`,
    };
  }
  verdict.warnings.unshift(...warnings);
  return verdict;
}

async function parseMail(buf: Buffer): Promise<MailInput> {
  const { simpleParser } = loadMailparser();
  const p: ParsedMail = await simpleParser(buf, {
    skipHtmlToText: true, // core strips HTML itself; mailparser's text would hide a missing text part
    skipTextToHtml: true,
    skipImageLinks: true,
    skipTextLinks: true,
  } as Parameters<typeof simpleParser>[1]);
  // The first From field (mailparser gives one object, or an array for several); concat keeps the type, where
  // Array.isArray would narrow to any[].
  const from: AddressObject | undefined = ([] as AddressObject[]).concat(p.from ?? [])[0];
  const value = from
    ? from.value.map((a: { address?: string; name?: string }) => ({ address: a.address, name: a.name }))
    : [];
  const headerLines = p.headerLines as Array<{ key: string; line: string }> | undefined;
  // Parser differentials: mailparser keeps one From field and one angle address; other software (and the
  // receiver's DMARC check) may pick another. Report the hidden ones too, so core sees several senders.
  value.push(...hiddenFromAddresses(headerLines).map((address) => ({ address, name: undefined })));
  return {
    from: from || value.length ? { value, text: from?.text } : undefined,
    // The raw From field(s) as received: mailparser drops NUL and other controls and decodes encoded-words
    // inside addresses; core reads the field on its own (src/core/mail/address.ts).
    fromRaw: rawFromLines(headerLines),
    subjectFields: Array.isArray(headerLines) ? headerLines.filter((h) => h && h.key === 'subject').length : undefined,
    subject: p.subject,
    text: p.text,
    html: p.html,
    date: p.date,
    headers: p.headers,
  };
}

function firstLine(s: string): string {
  const nl = s.indexOf('\n');
  return (nl < 0 ? s : s.slice(0, nl)).slice(0, 300);
}

/** The raw `From:` header lines (at most 20, each cut to 4000 characters). */
export function rawFromLines(headerLines: Array<{ key: string; line: string }> | undefined): string[] {
  if (!Array.isArray(headerLines)) return [];
  return headerLines
    .filter((h) => h && h.key === 'from')
    .slice(0, 20)
    .map((h) => String(h.line ?? '').slice(0, 4000));
}

/**
 * Addresses that mailparser's `from` drops: a second (third…) From header field, and extra angle
 * addresses in one field (`From: <support@salesforce.com> <attacker@evil.test>`).
 */
export function hiddenFromAddresses(headerLines: Array<{ key: string; line: string }> | undefined): string[] {
  if (!Array.isArray(headerLines)) return [];
  const fromLines = headerLines.filter((h) => h && h.key === 'from').slice(0, 20);
  const out: string[] = [];
  fromLines.forEach((h, i) => {
    const raw = String(h.line ?? '')
      .slice(0, 4000)
      .replace(/\r?\n[ \t]+/g, ' ');
    const value = raw.slice(raw.indexOf(':') + 1);
    const angles = [...value.matchAll(/<([^<>]{0,320})>/g)].map((m) => m[1]!.trim()).filter((a) => a.includes('@'));
    if (i > 0) out.push(angles[0] ?? (value.trim() || 'second From field'));
    if (angles.length > 1) out.push(...angles.slice(1));
  });
  return out;
}
