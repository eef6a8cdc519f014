/**
 * Sender judgement: the From address (shape, and the raw field read on its own), the DKIM result in the
 * receiving server's own Authentication-Results header, gateway tags and forwarded copies (subject
 * prefixes in their many forms, Resent-* headers, forwarded-message bodies, mail from the watched
 * mailbox), and which forwards count (only the user's own, from a configured address).
 */
import { addressShapeProblem, rawFromProblem } from './address';
import type { AuthservTrust } from './authResults';
import { authservTrust, receiverDkimPass } from './authResults';
import type { ClassifyOptions, MailInput } from './types';
import { LIMITS } from './types';

/**
 * The From domain is salesforce.com or a subdomain of it (case-insensitive, exact label match), and the
 * address has a plain shape (one @, no control characters, spaces or encoded-words).
 */
export function isTrustedSenderDomain(address: string): boolean {
  if (typeof address !== 'string' || addressShapeProblem(address.replace(/\.$/, ''))) return false;
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

function isSalesforceDomain(d: string): boolean {
  return d === 'salesforce.com' || d.endsWith('.salesforce.com');
}

/** The authserv-ids that count for these options (configured, else the IMAP host's registrable domain). */
export function trustFor(opts: Pick<ClassifyOptions, 'authservId' | 'imapHost'>): AuthservTrust {
  return authservTrust(opts.authservId, opts.imapHost);
}

/**
 * dkim=pass with header.d (or header.i) = salesforce.com or a subdomain, in the receiving server's own
 * Authentication-Results header: the topmost header whose authserv-id is trusted (`opts.authservId`, else
 * the registrable domain of `opts.imapHost`) and that reports DKIM (./authResults.ts). Headers with another
 * authserv-id, none, or broken syntax never count; without a trusted authserv-id nothing counts.
 */
export function dkimPassForSalesforce(
  headers: Map<string, unknown> | undefined,
  opts: Pick<ClassifyOptions, 'authservId' | 'imapHost'> = {},
): boolean {
  return receiverDkimPass(headers, trustFor(opts), isSalesforceDomain);
}

/** Forward prefixes: EN Fwd/Fw, DE WG, FR TR, ES RV, PT ENC, IT I, NL Doorst, SV VB, DA VS, FI VL, PL PD, TR İLT, EL ΠΡΘ, ZH, JA, KO. */
const FORWARD_PREFIXES = [
  'fwd',
  'fw',
  'wg',
  'tr',
  'rv',
  'enc',
  'i',
  'doorst',
  'vb',
  'vs',
  'vl',
  'pd',
  'İlt',
  'ilt',
  'πρθ',
  '转发',
  '轉寄',
  '転送',
  '전달',
];
/** `Fwd:`, `Fwd[2]:`, `Fwd [EXT]:`, `Fwd (ext):` at the start (subjects are NFKC-normalised: `Ｆｗｄ：` is `Fwd:`). */
const FORWARD_RE = new RegExp(
  `^(?:${FORWARD_PREFIXES.join('|')})\\s*(?:\\[[^\\[\\]]{0,40}\\]|\\([^()]{0,40}\\))?\\s*[:：]`,
  'iu',
);
/** `[Fwd: …]`, `(Fwd: …)` around the subject, `(fwd)` / `[fwd]` anywhere (Pine and list software). */
const BRACKETED_FORWARD_RE = new RegExp(
  `^[\\[({【]\\s*(?:${FORWARD_PREFIXES.join('|')})\\s*(?:\\[[^\\[\\]]{0,40}\\])?\\s*[:：]`,
  'iu',
);
const FWD_TAG_RE = /[[({【]\s*(?:fwd?|fw|forward|forwarded)\s*[\])}】]/iu;
const REPLY_RE = /^(?:re|aw|sv|antw|odp|vá|ynt)\s*(?:\[\d{1,4}\])?\s*[:：]/iu;

/**
 * Removes what mail gateways and list software put in front of a subject: `[EXTERNAL]`,
 * `(External Email)`, `*** SPAM ***`, `{Spam?}`, `EXT:` … and returns the rest.
 */
export function stripGatewayTags(subject: string): string {
  let s = subject.slice(0, 1000).trim();
  for (let guard = 0; guard < 20; guard++) {
    const before = s;
    // `[Fwd: …]` is not a gateway tag: it says the mail was forwarded.
    if (BRACKETED_FORWARD_RE.test(s.normalize('NFKC'))) break;
    s = s
      .replace(/^\[[^[\]]{0,80}\]\s*/, '')
      .replace(/^\([^()]{0,80}\)\s*/, '')
      .replace(/^\{[^{}]{0,80}\}\s*/, '')
      .replace(/^\*{1,5}\s*[^*]{0,40}?\s*\*{1,5}\s*/, '')
      .replace(/^(?:EXT|EXTERNAL|SPAM|SUSPICIOUS|CAUTION|WARNING)\s*[:：-]\s*/i, '')
      .trim();
    if (s === before) break;
  }
  return s;
}

/** Why a subject says the mail was forwarded (or undefined). */
export function subjectForwarded(raw: string | undefined): boolean {
  let subject = (raw ?? '').slice(0, 1000).normalize('NFKC').trim();
  if (FWD_TAG_RE.test(subject)) return true;
  for (let guard = 0; guard < 20; guard++) {
    if (FORWARD_RE.test(subject) || BRACKETED_FORWARD_RE.test(subject)) return true;
    const stripped = stripGatewayTags(subject.replace(REPLY_RE, '').trim());
    if (stripped === subject) break;
    subject = stripped;
  }
  return false;
}

/** The address a Resent-From (or Resent-Sender) header names, if the mail was re-sent. */
function resentFrom(mail: MailInput): string | undefined {
  for (const name of ['resent-from', 'resent-sender']) {
    const v: unknown = mail.headers && typeof mail.headers.get === 'function' ? mail.headers.get(name) : undefined;
    const first: unknown = Array.isArray(v) ? (v as unknown[])[0] : v;
    const obj = first as { value?: Array<{ address?: unknown }>; text?: unknown } | string | undefined;
    if (obj && typeof obj === 'object' && Array.isArray(obj.value) && typeof obj.value[0]?.address === 'string')
      return obj.value[0].address;
    const text = typeof obj === 'string' ? obj : typeof obj?.text === 'string' ? obj.text : undefined;
    if (text) return /<([^<>\s]{1,254})>/.exec(text)?.[1] ?? text.trim();
  }
  return undefined;
}

/** Why a message looks forwarded (or undefined). */
function forwardedBecause(mail: MailInput, text: string, opts: ClassifyOptions): string | undefined {
  if (subjectForwarded(mail.subject)) return 'the subject says it was forwarded';
  if (mail.headers && typeof mail.headers.keys === 'function') {
    let k = 0;
    for (const name of mail.headers.keys()) {
      if (++k > 10_000) break;
      if (typeof name === 'string' && name.toLowerCase().startsWith('resent-'))
        return `it carries a ${name} header (re-sent by a mailbox)`;
    }
  }
  if (findForwardMarker(text.slice(0, LIMITS.textChars).split('\n', LIMITS.lines)) >= 0)
    return 'the body holds a forwarded message';
  const from = mail.from?.value?.[0]?.address;
  if (opts.mailbox && from && from.trim().toLowerCase() === opts.mailbox.trim().toLowerCase())
    return 'it is from the watched mailbox itself';
  return undefined;
}

function addressList(v: string | string[] | undefined): string[] {
  const arr = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : [];
  return arr
    .map((a) => (typeof a === 'string' ? a.trim().toLowerCase() : ''))
    .filter((a) => a && !addressShapeProblem(a));
}

export interface SenderJudgement {
  /** why the sender is not trusted (no secrets in it) */
  problem?: string;
  /** the address whose role counts: the From address, or the original sender of a trusted forward */
  effective?: string;
  /** a forwarded copy, accepted because the user's own forwardedFrom address sent it */
  forwardedBy?: string;
}

export function judgeSender(
  mail: MailInput,
  fromList: Array<{ address?: string; name?: string }>,
  body: string,
  opts: ClassifyOptions,
  authenticated: boolean,
): SenderJudgement {
  const raw = Array.isArray(mail.fromRaw) ? mail.fromRaw.filter((l) => typeof l === 'string').slice(0, 20) : [];
  if (!fromList.length) {
    const why = raw.length ? rawFromProblem(raw, {}) : undefined;
    return { problem: why ? `its From field is malformed: ${why}` : 'it has no From address' };
  }
  if (fromList.length > 1) return { problem: 'it names several From addresses' };
  const address = fromList[0]!.address!;
  const shape = addressShapeProblem(address);
  if (shape) return { problem: `its From address is malformed (${shape.replace(/^the address /, '')})` };
  const rawProblem = rawFromProblem(raw, fromList[0]!);
  if (rawProblem) return { problem: `its From field is malformed: ${rawProblem}` };
  const dkimNote = () =>
    trustFor(opts).ids.length || trustFor(opts).domain
      ? "the receiving server's Authentication-Results header shows no DKIM pass for salesforce.com (requireDkim is on)"
      : 'no authserv-id is known, so no Authentication-Results header can be trusted (requireDkim is on: give --authserv-id or tokenRelay.reset.authservId)';

  const forwarded = forwardedBecause(mail, body, opts);
  if (forwarded) {
    const allowed = addressList(opts.forwardedFrom);
    if (!allowed.length) {
      return {
        problem: opts.trustForwarded
          ? `${forwarded}; trustForwarded is on, but no forwardedFrom address is configured, so no forwarded copy is trusted (name the address you forward from: --forwarded-from or tokenRelay.reset.forwardedFrom)`
          : `${forwarded}; forwarded copies are not trusted (trustForwarded is off)`,
      };
    }
    const forwarder = (resentFrom(mail) ?? address).trim().toLowerCase();
    if (!allowed.includes(forwarder))
      return { problem: `${forwarded}, by ${forwarder}, which is not a configured forwardedFrom address` };
    const original = isTrustedSenderDomain(address) ? address : forwardedOriginalSender(body);
    if (!original || !isTrustedSenderDomain(original))
      return { problem: `it was forwarded by ${forwarder} and the forwarded message is not from salesforce.com` };
    if (opts.requireDkim && !authenticated) {
      const fwdDomain = forwarder.slice(forwarder.lastIndexOf('@') + 1);
      const forwarderSigned = receiverDkimPass(
        mail.headers,
        trustFor(opts),
        (d) => d === fwdDomain || d.endsWith(`.${fwdDomain}`),
      );
      if (!forwarderSigned)
        return {
          problem: `it was forwarded by ${forwarder}, but the receiving server's Authentication-Results header shows no DKIM pass for ${fwdDomain} or salesforce.com (requireDkim is on)`,
        };
    }
    return { effective: original, forwardedBy: forwarder };
  }
  if (!isTrustedSenderDomain(address)) return { problem: `the sender ${address} is not a salesforce.com address` };
  if (opts.requireDkim && !authenticated) return { problem: dkimNote() };
  return { effective: address };
}

/** Separator lines of forwarded messages, as mail clients write them (compared after trimming dashes). */
const FORWARD_MARKERS = new Set([
  'forwarded message',
  'original message',
  'begin forwarded message:',
  'begin forwarded message',
  'weitergeleitete nachricht',
  'ursprüngliche nachricht',
  'message transféré',
  "message d'origine",
  'mensaje reenviado',
  'mensaje original',
  'mensagem encaminhada',
  'mensagem original',
  'messaggio inoltrato',
  'messaggio originale',
  'doorgestuurd bericht',
  'oorspronkelijk bericht',
  '転送されたメッセージ',
  '元のメッセージ',
  '转发的邮件',
  '原始邮件',
]);

/** Index of the first forwarded-message separator line, or -1. Plain string work: linear, no regex. */
function findForwardMarker(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.length > 200 || line.length < 10) continue;
    let a = 0;
    let b = line.length;
    while (
      a < b &&
      (line[a] === '-' || line[a] === '_' || line[a] === '=' || line[a] === ' ' || line[a] === '\t' || line[a] === '>')
    )
      a++;
    while (
      b > a &&
      (line[b - 1] === '-' || line[b - 1] === '_' || line[b - 1] === '=' || line[b - 1] === ' ' || line[b - 1] === '\t')
    )
      b--;
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
      // Outside a quoted display name there is one address only (`x@evil.test <support@salesforce.com>` is two).
      if ((m[1]!.replace(/"[^"]{0,300}"/g, '""').match(/@/g)?.length ?? 0) > 1) return undefined;
      return addr;
    }
  }
  return undefined;
}
