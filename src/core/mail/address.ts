/**
 * From addresses: the shape checks that make core refuse a malformed sender by itself (the IMAP pre-filter
 * is off with trustForwarded, and IMAP servers parse envelopes differently), and an independent reading of
 * the raw From header field that must agree with the mail parser's.
 *
 * Refused: more than one `@` (`<a@evil.test@salesforce.com>`), control characters (NUL …; mail parsers
 * drop them silently), whitespace, comments or RFC 2047 encoded-words inside the address
 * (`<=?utf-8?q?support=40salesforce=2Ecom?=>`), an encoded-word display name that decodes to address
 * syntax (`=?utf-8?q?x_<support@salesforce.com>,?= <attacker@evil.test>`: other software may read it as a
 * second mailbox), group syntax, several angle addresses, several From fields.
 */

/** C0 controls except TAB, DEL, C1 controls. */
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;

/** Why an addr-spec (as a parser returned it) cannot be a sender we trust; undefined when it is plain. */
export function addressShapeProblem(address: string): string | undefined {
  if (typeof address !== 'string' || !address) return 'it has no address';
  if (address.length > 320) return 'the address is too long';
  if (CONTROL_RE.test(address)) return 'the address holds control characters';
  if (address.includes('=?')) return 'the address holds an RFC 2047 encoded-word';
  if (/[\s()<>,;:\\"[\]]/.test(address)) return 'the address holds spaces, quotes, brackets or other specials';
  const ats = address.split('@').length - 1;
  if (ats !== 1) return ats === 0 ? 'the address has no @' : 'the address has more than one @';
  return undefined;
}

interface RawScan {
  /** text outside quoted strings and comments, with quoted strings replaced by a placeholder */
  bare: string;
  /** the content of every angle address */
  angles: string[];
  problem?: string;
}

/** One pass over a raw header value: drops comments (nested), keeps quoted strings out of the way. */
function scanRaw(value: string): RawScan {
  let bare = '';
  const angles: string[] = [];
  let i = 0;
  const n = value.length;
  while (i < n) {
    const c = value[i]!;
    if (c === '"') {
      let j = i + 1;
      for (; j < n; j++) {
        if (value[j] === '\\') j++;
        else if (value[j] === '"') break;
      }
      if (j >= n) return { bare, angles, problem: 'an unterminated quoted string in From' };
      bare += '"q"';
      i = j + 1;
      continue;
    }
    if (c === '(') {
      let depth = 0;
      let j = i;
      for (; j < n; j++) {
        if (value[j] === '\\') j++;
        else if (value[j] === '(') depth++;
        else if (value[j] === ')' && --depth === 0) break;
      }
      if (j >= n) return { bare, angles, problem: 'an unterminated comment in From' };
      bare += ' ';
      i = j + 1;
      continue;
    }
    if (c === '<') {
      const close = value.indexOf('>', i + 1);
      if (close < 0) return { bare, angles, problem: 'an unterminated <address> in From' };
      const inner = value.slice(i + 1, close);
      if (inner.includes('<') || inner.includes('"') || inner.includes('('))
        return { bare, angles, problem: 'a nested or commented <address> in From' };
      angles.push(inner.trim());
      bare += '<>';
      i = close + 1;
      continue;
    }
    bare += c;
    i++;
  }
  return { bare, angles };
}

/**
 * Reads the raw From field(s) on its own and compares with the parser's address. `raw` are the whole
 * header lines (`From: …`, folded or not), in order; `parsed` is the parser's single address and display
 * name. Returns why they cannot be trusted, or undefined.
 */
export function rawFromProblem(raw: string[], parsed: { address?: string; name?: string }): string | undefined {
  if (!raw.length) return undefined;
  if (raw.length > 1) return 'it has several From header fields';
  const line = String(raw[0] ?? '').slice(0, 4000);
  // Unfold (CRLF + WSP); anything else that is a control character is refused.
  const unfolded = line.replace(/\r?\n(?=[ \t])/g, '');
  const colon = unfolded.indexOf(':');
  const value = colon >= 0 && /^\s*from\s*$/i.test(unfolded.slice(0, colon)) ? unfolded.slice(colon + 1) : unfolded;
  if (CONTROL_RE.test(value)) return 'the From field holds control characters';
  const scan = scanRaw(value);
  if (scan.problem) return scan.problem;
  if (scan.angles.length > 1) return 'the From field holds several <addresses>';
  if (/[,;]/.test(scan.bare)) return 'the From field names several mailboxes or a group';
  let spec: string;
  let display = '';
  if (scan.angles.length === 1) {
    spec = scan.angles[0]!;
    display = scan.bare.slice(0, scan.bare.indexOf('<>'));
    const after = scan.bare.slice(scan.bare.indexOf('<>') + 2).trim();
    if (after) return 'the From field has text after its <address>';
  } else {
    spec = scan.bare.trim();
    if (spec.includes('"q"')) return 'the From address has a quoted local part';
  }
  if (display.includes(':')) return 'the From field uses group syntax';
  if (display.includes('@')) return 'the From display name is an unquoted address';
  const shape = addressShapeProblem(spec);
  if (shape) return shape.replace('the address', 'the From address');
  if (
    typeof parsed.address === 'string' &&
    parsed.address &&
    spec.toLowerCase() !== parsed.address.trim().toLowerCase()
  )
    return 'the From address reads differently to different parsers';
  // An encoded-word display name whose decoded text is address syntax.
  if (value.includes('=?') && typeof parsed.name === 'string' && /[<>@,;:"]/.test(parsed.name)) {
    return 'the From display name is an encoded-word that decodes to address syntax';
  }
  return undefined;
}
