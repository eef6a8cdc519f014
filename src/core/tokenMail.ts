/**
 * Recognises the Salesforce security-token email (and its lookalikes) from a parsed message.
 *
 * Pure: no I/O, no mail library. Input is the subset of mailparser's ParsedMail in `MailInput`.
 * The rules (salesforce-facts.md §0, §1):
 *  - never key on wording: the mail is localised. Only its structure is stable: a `<label>: <username>`
 *    line, then a `<label>: <token>` line whose value is 24–25 characters of [A-Za-z0-9];
 *  - trust the sender by domain (`salesforce.com` or `*.salesforce.com`), never by display name;
 *    forwarded copies are not trusted unless the caller says so; a DKIM pass is recorded;
 *  - check the username inside the mail (compliance BCC mailboxes get everybody's token mail);
 *  - bounded work on any input (caps on scanned text, line-by-line scanning, no backtracking regexes).
 */
import { htmlToText, normaliseNewlines, tidyText } from './html';

export type MailKind = 'token' | 'verification-code' | 'other-user' | 'untrusted-sender' | 'none';

export interface MailInput {
  from?: { value: Array<{ address?: string; name?: string }>; text?: string };
  subject?: string;
  text?: string;
  html?: string | false;
  date?: Date;
  /** lower-case header names, as mailparser gives them */
  headers?: Map<string, unknown>;
}

export interface ClassifyOptions {
  /** The Salesforce username the token is for (case-insensitive). Without it any user's token counts. */
  username?: string;
  /** Treat a mail without `Authentication-Results: dkim=pass header.d=salesforce.com` as untrusted. */
  requireDkim?: boolean;
  /** Accept forwarded copies (Fwd: subjects, Resent-* headers, forwarded-message bodies). */
  trustForwarded?: boolean;
  /** The watched mailbox's own address: a mail "From" it is a forward or a copy, not Salesforce's. */
  mailbox?: string;
  /**
   * The raw source was cut before parsing (src/mail/parse.ts sets this): the last line of every part
   * may be partial, so it is ignored (a token cut from 25 to 24 characters would still look valid).
   */
  truncated?: boolean;
}

export interface MailVerdict {
  kind: MailKind;
  token?: string;
  code?: string;
  username?: string;
  sender?: string;
  subject?: string;
  warnings: string[];
  /** Authentication-Results: dkim=pass header.d=salesforce.com (or a subdomain) */
  authenticated?: boolean;
  /** why (no secrets in it) */
  reason: string;
}

/** Caps that keep classification bounded on hostile input. */
export const LIMITS = {
  /** characters of the text part scanned */
  textChars: 512 * 1024,
  /** characters of the HTML part converted */
  htmlChars: 2 * 1024 * 1024,
  /** lines examined per part */
  lines: 20_000,
  /** longest line examined as a label line */
  lineChars: 400,
  /** Authentication-Results / Resent-* header values examined */
  headerValues: 50,
  headerChars: 4096,
} as const;

const TOKEN_RE = /^[A-Za-z0-9]{24,25}$/;
const CODE_RE = /^[0-9]{6}$/;
/** Characters that may stand around a value without being part of it (bold/quote markers, brackets). */
const VALUE_WRAP_RE = /^[*_"'`“”‘’「」『』《》«»\[\](){}<>]+|[*_"'`“”‘’「」『』《》«»\[\](){}<>.。,，;；]+$/g;
const COLONS = [':', '：', '﹕', '︓'];

/** The From domain is salesforce.com or a subdomain of it (case-insensitive, exact label match). */
export function isTrustedSenderDomain(address: string): boolean {
  const domain = domainOf(address);
  if (!domain) return false;
  return domain === 'salesforce.com' || domain.endsWith('.salesforce.com');
}

function domainOf(address: string | undefined): string | undefined {
  if (!address || typeof address !== 'string' || address.length > 320) return undefined;
  const at = address.lastIndexOf('@');
  const raw = (at >= 0 ? address.slice(at + 1) : address).trim().toLowerCase().replace(/\.$/, '');
  // Only plain LDH labels: anything else (spaces, quotes, brackets, IDN tricks) is not a salesforce.com host.
  if (!/^[a-z0-9](?:[a-z0-9-]{0,62}\.){0,126}[a-z0-9-]{1,63}$/.test(raw) || raw.includes('..')) return undefined;
  if (at >= 0 && at === 0) return undefined;
  return raw;
}

/* ------------------------------------------------------------------------------------------------ */
/* Body structure                                                                                   */

interface LabelLine {
  index: number; // line number
  label: string;
  value: string;
}

interface BodyFindings {
  /** label lines whose value is an email-shaped username */
  usernames: LabelLine[];
  /** label lines whose value is 24–25 alphanumerics */
  tokens: LabelLine[];
  /** label lines whose value is a 6-digit code */
  codes: LabelLine[];
  /** line numbers of the other label lines with a value (e.g. a username line that arrived garbled) */
  otherLabels: number[];
  truncated: boolean;
}

function splitLabelLine(line: string): { label: string; value: string } | undefined {
  if (line.length > LIMITS.lineChars) return undefined;
  // The first colon ends the label (values such as `x <mailto:x>` have colons of their own).
  let colon = -1;
  for (const c of COLONS) {
    const k = line.indexOf(c);
    if (k >= 0 && (colon < 0 || k < colon)) colon = k;
  }
  if (colon <= 0) return undefined;
  const label = line.slice(0, colon).trim();
  const value = line.slice(colon + 1).trim();
  if (!label || label.length > 80) return undefined;
  // A sentence is not a label ("We sent it. Your token: …").
  if (/[.!?]\s|[。！？]/.test(label)) return undefined;
  // A label has at least one letter (any script) and is not the tail of a URL or a time ("10:30").
  if (!/\p{L}/u.test(label)) return undefined;
  if (/(?:https?|mailto|ftp)$/i.test(label) || /[/\\=]$/.test(label)) return undefined;
  return { label, value };
}

/** A username value: `user@host` possibly followed by a `<mailto:…>` or `[mailto:…]` echo. */
function usernameValue(value: string): string | undefined {
  const first = value.trim().replace(/^[<\[("'“‘「*_\s]+/, '').split(/[\s<\[(]/, 1)[0]!.replace(VALUE_WRAP_RE, '');
  if (first.length > 254) return undefined;
  if (!/^[^\s@:]+@[^\s@:]+\.[^\s@:]+$/.test(first)) return undefined;
  return first;
}

function cleanValue(value: string): string {
  // "**Label:** VALUE" leaves "** VALUE": strip the markers, then the space they hid.
  return value.replace(VALUE_WRAP_RE, '').trim().replace(VALUE_WRAP_RE, '');
}

function scanBody(text: string, maxChars: number, partialEnd = false): BodyFindings {
  const truncated = text.length > maxChars;
  let body = truncated ? text.slice(0, maxChars) : text;
  // A cut text may end inside a token: its last line is not trusted.
  if (truncated || partialEnd) body = body.slice(0, Math.max(0, body.lastIndexOf('\n')));
  const lines = body.split('\n', LIMITS.lines);
  const f: BodyFindings = { usernames: [], tokens: [], codes: [], otherLabels: [], truncated: truncated || lines.length >= LIMITS.lines };
  let pendingLabel: { index: number; label: string } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    // Empty lines, and quoted lines of a reply ("> Security token: …"), carry nothing.
    if (!line || line.charCodeAt(0) === 62 /* > */) continue;
    const parts = splitLabelLine(line);
    if (parts) {
      if (parts.value === '') {
        // "Label:" alone, value on the next non-empty line (HTML layouts with the value in its own block).
        pendingLabel = { index: i, label: parts.label };
        continue;
      }
      pendingLabel = undefined;
      const user = usernameValue(parts.value);
      if (user) {
        f.usernames.push({ index: i, label: parts.label, value: user });
        continue;
      }
      const v = cleanValue(parts.value);
      if (TOKEN_RE.test(v)) f.tokens.push({ index: i, label: parts.label, value: v });
      else if (CODE_RE.test(v)) f.codes.push({ index: i, label: parts.label, value: v });
      else f.otherLabels.push(i);
      continue;
    }
    if (pendingLabel) {
      if (line.length <= LIMITS.lineChars) {
        const v = cleanValue(line.trim());
        const user = usernameValue(line.trim());
        if (user) f.usernames.push({ index: i, label: pendingLabel.label, value: user });
        else if (TOKEN_RE.test(v)) f.tokens.push({ index: i, label: pendingLabel.label, value: v });
        else if (CODE_RE.test(v)) f.codes.push({ index: i, label: pendingLabel.label, value: v });
      }
      pendingLabel = undefined;
    }
  }
  return f;
}

/** What one part (text or HTML) says. */
interface PartReading {
  token?: string;
  tokenUsername?: string;
  code?: string;
  codeUsername?: string;
  /** usernames named in the part (label lines) */
  usernames: string[];
  ambiguous?: string;
  loose?: boolean; // token not next to a username line
  truncated: boolean;
}

/** The token line that follows a username line within this many lines (blank lines excluded). */
const NEAR_LINES = 3;

function readPart(text: string, maxChars: number, wanted: string | undefined, partialEnd: boolean): PartReading {
  const f = scanBody(text, maxChars, partialEnd);
  const r: PartReading = { usernames: uniq(f.usernames.map((u) => u.value)), truncated: f.truncated };
  const wantedLc = wanted?.toLowerCase();

  // Pair every username line with the next token line after it (both lists are in line order).
  const pairs: Array<{ user: string; token: string }> = [];
  let k = 0;
  for (const u of f.usernames) {
    while (k < f.tokens.length && f.tokens[k]!.index <= u.index) k++;
    const t = f.tokens[k];
    if (t && t.index - u.index <= NEAR_LINES * 2) pairs.push({ user: u.value, token: t.value });
  }
  if (pairs.length) {
    const mine = wantedLc ? pairs.find((p) => p.user.toLowerCase() === wantedLc) : undefined;
    const chosen = mine ?? pairs[0]!;
    r.token = chosen.token;
    r.tokenUsername = chosen.user;
    if (!mine && uniq(pairs.map((p) => p.token)).length > 1) r.ambiguous = 'several username/token pairs';
  } else if (f.tokens.length) {
    const distinct = uniq(f.tokens.map((t) => t.value));
    if (distinct.length === 1) {
      r.token = distinct[0];
      r.loose = true;
      // A single username line further up still names the user, unless another label line stands between
      // them (the real username line may have arrived garbled), and never one below the token (a footer's
      // "cc: someone@…" does not say whose token it is).
      const only = f.usernames.length && r.usernames.length === 1 ? f.usernames[0]! : undefined;
      const tokenIndex = f.tokens[0]!.index;
      if (
        only &&
        only.index < tokenIndex &&
        !f.otherLabels.some((i) => i > only.index && i < tokenIndex) &&
        !f.usernames.some((u) => u.index > tokenIndex)
      ) {
        r.tokenUsername = only.value;
      }
    } else {
      r.ambiguous = `${distinct.length} different token-like values on label lines`;
    }
  }

  if (f.codes.length) {
    const distinct = uniq(f.codes.map((c) => c.value));
    if (distinct.length === 1) {
      r.code = distinct[0];
      const mine = wantedLc ? r.usernames.find((u) => u.toLowerCase() === wantedLc) : undefined;
      r.codeUsername = mine ?? r.usernames[0];
    }
  }
  return r;
}

function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/* ------------------------------------------------------------------------------------------------ */
/* Headers, sender, forwarding                                                                       */

function headerValues(headers: Map<string, unknown> | undefined, name: string): string[] {
  if (!headers || typeof headers.get !== 'function') return [];
  const v = headers.get(name);
  const arr = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  const out: string[] = [];
  for (const x of arr.slice(0, LIMITS.headerValues)) {
    let s: string | undefined;
    if (typeof x === 'string') s = x;
    else if (x && typeof x === 'object') {
      const o = x as { text?: unknown; value?: unknown };
      if (typeof o.text === 'string') s = o.text;
      else if (typeof o.value === 'string') s = o.value;
    }
    if (s !== undefined) out.push(s.slice(0, LIMITS.headerChars));
  }
  return out;
}

/**
 * dkim=pass with header.d (or header.i) = salesforce.com or a subdomain.
 *
 * Only the topmost Authentication-Results header that reports any DKIM result counts: receiving servers
 * prepend theirs, so a forged `dkim=pass` that a sender wrote further down cannot outvote what the
 * user's own server found. (A server that neither checks DKIM nor strips forged headers cannot be
 * told apart from here; `authenticated` is as good as the receiving server.)
 */
export function dkimPassForSalesforce(headers: Map<string, unknown> | undefined): boolean {
  for (const value of headerValues(headers, 'authentication-results')) {
    // Results are separated by ';' — the first element is the authserv-id.
    const results = value.replace(/\([^()]{0,500}\)/g, ' ').split(';').slice(1);
    let sawDkim = false;
    for (const res of results) {
      const m = /^\s*dkim\s*=\s*([a-z]+)/i.exec(res);
      if (!m) continue;
      sawDkim = true;
      if (m[1]!.toLowerCase() !== 'pass') continue;
      const d = /\bheader\.d\s*=\s*"?([A-Za-z0-9.-]{1,253})"?/i.exec(res);
      const iTag = /\bheader\.i\s*=\s*"?[^\s@";]{0,64}@([A-Za-z0-9.-]{1,253})"?/i.exec(res);
      const domain = d?.[1] ?? iTag?.[1];
      if (domain && isTrustedSenderDomain(domain)) return true;
    }
    if (sawDkim) return false;
  }
  return false;
}

/** Forward prefixes: EN Fwd/Fw, DE WG, FR TR, ES RV, PT ENC, IT I, NL Doorst, SV VB, DA VS, FI VL, PL PD, TR İLT, EL ΠΡΘ, ZH, JA, KO. */
const FORWARD_PREFIXES = ['fwd', 'fw', 'wg', 'tr', 'rv', 'enc', 'i', 'doorst', 'vb', 'vs', 'vl', 'pd', 'İlt', 'ilt', 'πρθ', '转发', '轉寄', '転送', '전달'];
const FORWARD_RE = new RegExp(`^(?:${FORWARD_PREFIXES.join('|')})\\s*(?:\\[\\d{1,4}\\])?\\s*[:：]`, 'iu');
const REPLY_RE = /^(?:re|aw|sv|antw|odp|vá|ynt)\s*(?:\[\d{1,4}\])?\s*[:：]/iu;

/**
 * Removes what mail gateways and list software put in front of a subject: `[EXTERNAL]`,
 * `(External Email)`, `*** SPAM ***`, `{Spam?}`, `EXT:` … and returns the rest.
 */
export function stripGatewayTags(subject: string): string {
  let s = subject.slice(0, 1000).trim();
  for (let guard = 0; guard < 20; guard++) {
    const before = s;
    s = s
      .replace(/^\[[^\[\]]{0,80}\]\s*/, '')
      .replace(/^\([^()]{0,80}\)\s*/, '')
      .replace(/^\{[^{}]{0,80}\}\s*/, '')
      .replace(/^\*{1,5}\s*[^*]{0,40}?\s*\*{1,5}\s*/, '')
      .replace(/^(?:EXT|EXTERNAL|SPAM|SUSPICIOUS|CAUTION|WARNING)\s*[:：-]\s*/i, '')
      .trim();
    if (s === before) break;
  }
  return s;
}

/** Why a message looks forwarded (or undefined). */
function forwardedBecause(mail: MailInput, text: string, opts: ClassifyOptions): string | undefined {
  let subject = stripGatewayTags(mail.subject ?? '');
  for (let guard = 0; guard < 10; guard++) {
    if (FORWARD_RE.test(subject)) return 'the subject says it was forwarded';
    const stripped = subject.replace(REPLY_RE, '').trim();
    const again = stripGatewayTags(stripped);
    if (again === subject) break;
    subject = again;
  }
  if (mail.headers && typeof mail.headers.keys === 'function') {
    let k = 0;
    for (const name of mail.headers.keys()) {
      if (++k > 10_000) break;
      if (typeof name === 'string' && name.toLowerCase().startsWith('resent-')) return `it carries a ${name} header (re-sent by a mailbox)`;
    }
  }
  if (findForwardMarker(text.slice(0, LIMITS.textChars).split('\n', LIMITS.lines)) >= 0) return 'the body holds a forwarded message';
  const from = mail.from?.value?.[0]?.address;
  if (opts.mailbox && from && from.trim().toLowerCase() === opts.mailbox.trim().toLowerCase())
    return 'it is from the watched mailbox itself';
  return undefined;
}

/* ------------------------------------------------------------------------------------------------ */
/* classifyMail                                                                                     */

export function classifyMail(mail: MailInput, opts: ClassifyOptions = {}): MailVerdict {
  const warnings: string[] = [];
  const subject = typeof mail.subject === 'string' ? mail.subject.slice(0, 1000) : undefined;
  const fromList = (mail.from?.value ?? []).filter((a) => a && typeof a.address === 'string' && a.address);
  const sender = fromList[0]?.address;
  const authenticated = dkimPassForSalesforce(mail.headers);
  const base = (): Pick<MailVerdict, 'sender' | 'subject' | 'authenticated' | 'warnings'> => ({
    ...(sender !== undefined ? { sender } : {}),
    ...(subject !== undefined ? { subject } : {}),
    authenticated,
    warnings,
  });

  // Bodies: the text part as sent, the HTML part converted by our own stripper.
  const rawText = typeof mail.text === 'string' ? mail.text : '';
  const rawHtml = typeof mail.html === 'string' ? mail.html : '';
  const text = rawText ? tidyText(normaliseNewlines(rawText.slice(0, LIMITS.textChars + 1))) : '';
  const htmlText = rawHtml ? htmlToText(rawHtml, LIMITS.htmlChars) : '';
  if (rawText.length > LIMITS.textChars) warnings.push(`the text part is larger than ${LIMITS.textChars} characters; only its start was read`);
  if (rawHtml.length > LIMITS.htmlChars) warnings.push(`the HTML part is larger than ${LIMITS.htmlChars} characters; only its start was read`);

  const wanted = opts.username?.trim() || undefined;
  const fromText = text ? readPart(text, LIMITS.textChars, wanted, opts.truncated === true) : undefined;
  const fromHtml = htmlText ? readPart(htmlText, LIMITS.htmlChars, wanted, opts.truncated === true || rawHtml.length > LIMITS.htmlChars) : undefined;

  // Text part preferred; HTML only when the text part has nothing.
  let reading: PartReading | undefined;
  let source = '';
  if (fromText && (fromText.token || fromText.code || fromText.ambiguous)) {
    reading = fromText;
    source = 'text part';
    if (fromHtml?.token && fromText.token && fromHtml.token !== fromText.token)
      warnings.push('the text and HTML parts show different tokens; the text part was used');
    else if (fromText.token && fromHtml && !fromHtml.token && htmlText)
      warnings.push('the HTML part shows no token; the text part was used');
    else if (fromHtml?.code && fromText.code && fromHtml.code !== fromText.code)
      warnings.push('the text and HTML parts show different codes; the text part was used');
  } else if (fromHtml && (fromHtml.token || fromHtml.code || fromHtml.ambiguous)) {
    reading = fromHtml;
    source = 'HTML part';
    if (text) warnings.push('the text part shows no token; the HTML part was used');
  }

  if (!reading) {
    return { kind: 'none', ...base(), reason: 'no token or code on a label line (a "<label>: <value>" line) in the mail' };
  }
  if (reading.truncated) warnings.push(`the ${source} was long; only its first part was scanned`);

  const looksLike = reading.token ? 'a security-token mail' : reading.code ? 'a verification-code mail' : 'a security-token mail';

  // Sender checks: applied to everything that looks like a token or code mail.
  const distrust = senderProblem(mail, fromList, text || htmlText, opts, authenticated);
  if (distrust) {
    return {
      kind: 'untrusted-sender',
      ...base(),
      ...((reading.tokenUsername ?? reading.codeUsername) ? { username: reading.tokenUsername ?? reading.codeUsername } : {}),
      reason: `looks like ${looksLike}, but ${distrust}`,
    };
  }

  if (reading.ambiguous && !reading.token) {
    return { kind: 'none', ...base(), reason: `cannot tell which value is the token: ${reading.ambiguous}` };
  }

  if (reading.token) {
    if (reading.ambiguous) warnings.push(`${reading.ambiguous}; the first one was used`);
    const user = reading.tokenUsername;
    if (!user) warnings.push('the mail has no username line next to the token');
    else if (reading.loose) warnings.push('the token line is not right after the username line');
    if (wanted) {
      if (!user) {
        return {
          kind: 'none',
          ...base(),
          reason: `a security-token mail that names no username, so it cannot be confirmed to be for ${wanted}`,
        };
      }
      if (user.toLowerCase() !== wanted.toLowerCase()) {
        return { kind: 'other-user', ...base(), username: user, reason: `a security-token mail for ${user}, not for ${wanted}` };
      }
    }
    return {
      kind: 'token',
      ...base(),
      token: reading.token,
      ...(user ? { username: user } : {}),
      reason: `security token found in the ${source}${user ? ` for ${user}` : ''} from ${sender}${authenticated ? ' (DKIM pass)' : ''}`,
    };
  }

  // A code: needs a username line too (the identity-verification mail has one).
  const user = reading.codeUsername;
  if (!user) return { kind: 'none', ...base(), reason: 'a 6-digit code on a label line, but no username line: not a verification-code mail' };
  if (wanted && user.toLowerCase() !== wanted.toLowerCase() && !reading.usernames.some((u) => u.toLowerCase() === wanted.toLowerCase())) {
    return { kind: 'none', ...base(), username: user, reason: `a verification-code mail for ${user}, not for ${wanted}` };
  }
  return {
    kind: 'verification-code',
    ...base(),
    code: reading.code,
    username: user,
    reason: `identity-verification code found in the ${source} for ${user} from ${sender}`,
  };
}

function senderProblem(
  mail: MailInput,
  fromList: Array<{ address?: string; name?: string }>,
  body: string,
  opts: ClassifyOptions,
  authenticated: boolean,
): string | undefined {
  if (!fromList.length) return 'it has no From address';
  if (fromList.length > 1) return 'it names several From addresses';
  const address = fromList[0]!.address!;
  const forwarded = forwardedBecause(mail, body, opts);
  if (forwarded && !opts.trustForwarded) return `${forwarded}; forwarded copies are not trusted (trustForwarded is off)`;
  if (!isTrustedSenderDomain(address)) {
    if (forwarded && opts.trustForwarded) {
      const original = forwardedOriginalSender(body);
      if (original && isTrustedSenderDomain(original)) {
        if (opts.requireDkim && !authenticated) return 'it carries no DKIM pass for salesforce.com (requireDkim is on)';
        return undefined;
      }
      return `it was forwarded from ${address} and the forwarded message is not from salesforce.com`;
    }
    return `the sender ${address} is not a salesforce.com address`;
  }
  if (opts.requireDkim && !authenticated) return 'it carries no DKIM pass for salesforce.com (requireDkim is on)';
  return undefined;
}

/** Separator lines of forwarded messages, as mail clients write them (compared after trimming dashes). */
const FORWARD_MARKERS = new Set([
  'forwarded message', 'original message', 'begin forwarded message:', 'begin forwarded message', 'weitergeleitete nachricht',
  'ursprüngliche nachricht', 'message transféré', 'message d\'origine', 'mensaje reenviado', 'mensaje original',
  'mensagem encaminhada', 'mensagem original', 'messaggio inoltrato', 'messaggio originale', 'doorgestuurd bericht',
  'oorspronkelijk bericht', '転送されたメッセージ', '元のメッセージ', '转发的邮件', '原始邮件',
]);

/** Index of the first forwarded-message separator line, or -1. Plain string work: linear, no regex. */
function findForwardMarker(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length > 200 || line.length < 10) continue;
    let a = 0;
    let b = line.length;
    while (a < b && (line[a] === '-' || line[a] === '_' || line[a] === '=' || line[a] === ' ' || line[a] === '\t' || line[a] === '>')) a++;
    while (b > a && (line[b - 1] === '-' || line[b - 1] === '_' || line[b - 1] === '=' || line[b - 1] === ' ' || line[b - 1] === '\t')) b--;
    if (FORWARD_MARKERS.has(line.slice(a, b).toLowerCase())) return i;
  }
  return -1;
}

/** The `From:` of the first forwarded block in a body, if any. */
function forwardedOriginalSender(body: string): string | undefined {
  const lines = body.slice(0, LIMITS.textChars).split('\n', LIMITS.lines);
  const start = findForwardMarker(lines);
  if (start < 0) return undefined;
  for (const line of lines.slice(start + 1, start + 30)) {
    if (line.length > LIMITS.lineChars) continue;
    const m = /^\s*(?:From|Von|De|差出人|Van|Da)\s*[:：]\s*(.{0,300})$/i.exec(line);
    if (m) {
      const addr = /<([^<>\s]{1,254})>/.exec(m[1]!)?.[1] ?? /([^\s<>"]{1,64}@[^\s<>"]{1,190})/.exec(m[1]!)?.[1];
      return addr;
    }
  }
  return undefined;
}
