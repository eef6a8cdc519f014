/**
 * Sender judgement: the From domain, the DKIM result of the receiving server, gateway tags and forwarded
 * copies (subject prefixes, Resent-* headers, forwarded-message bodies, mail from the watched mailbox).
 */
import { ClassifyOptions, LIMITS, MailInput } from './types';

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

export function senderProblem(
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
