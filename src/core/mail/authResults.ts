/**
 * Authentication-Results (RFC 8601) for the DKIM check: a real parser (comments nest, quoted strings,
 * quoted-pairs, `;`-separated resinfo, `ptype.property=pvalue`) and the rule for whose header counts.
 *
 * Whose header counts: only a header whose authserv-id is the receiving server's own. The caller names it
 * (`authservId`, a list allowed) or it defaults to the IMAP host's registrable domain (see
 * `defaultAuthservDomain`): then any authserv-id equal to that domain or under it counts. Among the headers
 * with a trusted authserv-id, the topmost one that reports a DKIM result decides (servers prepend theirs; a
 * milter that only adds SPF or DMARC results writes a header of its own, which is skipped). A header with
 * another authserv-id, no authserv-id (Microsoft 365 writes none), or a syntax error never counts.
 *
 * Bounded: at most LIMITS.headerValues headers of LIMITS.headerChars each; a single forward scan per header.
 */
import { LIMITS } from './types';

export interface AuthResult {
  method: string;
  result: string;
  /** `ptype.property` (lower-case) → value, e.g. `header.d` → `salesforce.com` */
  props: Record<string, string>;
}

export interface AuthResultsHeader {
  authservId: string;
  results: AuthResult[];
}

type Tok = { t: 'word'; v: string } | { t: 'sym'; v: '=' | ';' | '/' | '.' };

/** Tokens of one header value, comments dropped; undefined when a comment or quoted string is unterminated. */
function tokenize(value: string): Tok[] | undefined {
  const out: Tok[] = [];
  let i = 0;
  const n = value.length;
  while (i < n) {
    const c = value[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
      continue;
    }
    if (c === '(') {
      let depth = 0;
      for (; i < n; i++) {
        const d = value[i]!;
        if (d === '\\') i++;
        else if (d === '(') depth++;
        else if (d === ')' && --depth === 0) break;
      }
      if (depth !== 0) return undefined;
      i++;
      continue;
    }
    if (c === '"') {
      let s = '';
      i++;
      let closed = false;
      for (; i < n; i++) {
        const d = value[i]!;
        if (d === '\\' && i + 1 < n) s += value[++i]!;
        else if (d === '"') {
          closed = true;
          break;
        } else s += d;
      }
      if (!closed) return undefined;
      i++;
      out.push({ t: 'word', v: s });
      continue;
    }
    if (c === '=' || c === ';' || c === '/') {
      out.push({ t: 'sym', v: c });
      i++;
      continue;
    }
    if (c === ')') return undefined;
    let j = i;
    while (j < n && !' \t\r\n()";=/'.includes(value[j]!)) j++;
    out.push({ t: 'word', v: value.slice(i, j) });
    i = j;
  }
  return out;
}

/** Parses one header value; undefined when it is not RFC 8601 (no authserv-id, bad syntax). */
export function parseAuthResults(value: string): AuthResultsHeader | undefined {
  if (typeof value !== 'string' || value.length > LIMITS.headerChars) return undefined;
  const toks = tokenize(value);
  if (!toks || !toks.length) return undefined;
  let k = 0;
  const first = toks[k++]!;
  // The authserv-id is a value (token or quoted string) that is not followed by '=' (`spf=pass …` has none).
  if (first.t !== 'word' || !first.v || (toks[k]?.t === 'sym' && toks[k]!.v === '=')) return undefined;
  const authservId = first.v.toLowerCase();
  // Optional authres-version (a number) after the id.
  if (toks[k]?.t === 'word' && /^[0-9]{1,9}$/.test(toks[k]!.v)) k++;
  const results: AuthResult[] = [];
  // `; none` or nothing: no results. Otherwise `; resinfo` repeated.
  while (k < toks.length) {
    const semi = toks[k++]!;
    if (semi.t !== 'sym' || semi.v !== ';') return undefined;
    if (k >= toks.length) break; // a trailing ';' is common and harmless
    const m = toks[k++]!;
    if (m.t !== 'word') return undefined;
    if (m.v.toLowerCase() === 'none' && (k >= toks.length || (toks[k]!.t === 'sym' && toks[k]!.v === ';'))) continue;
    // method [ "/" version ] "=" result
    let method = m.v.toLowerCase();
    if (toks[k]?.t === 'sym' && toks[k]!.v === '/') {
      k++;
      if (toks[k]?.t !== 'word') return undefined;
      k++;
    }
    const slash = method.indexOf('/');
    if (slash >= 0) method = method.slice(0, slash);
    if (!(toks[k]?.t === 'sym' && toks[k]!.v === '=')) return undefined;
    k++;
    const r = toks[k++];
    if (!r || r.t !== 'word') return undefined;
    const res: AuthResult = { method, result: r.v.toLowerCase(), props: {} };
    // reasonspec and propspecs: `word = value` pairs until the next ';'.
    while (k < toks.length && !(toks[k]!.t === 'sym' && toks[k]!.v === ';')) {
      const key = toks[k++]!;
      if (key.t !== 'word' || !(toks[k]?.t === 'sym' && toks[k]!.v === '=')) return undefined;
      k++;
      // A pvalue may itself hold '/' or '=' (e.g. header.b=abc/def=); join words and symbols up to the
      // next `word =` pair or ';'.
      let val = '';
      while (k < toks.length) {
        const tk = toks[k]!;
        if (tk.t === 'sym' && tk.v === ';') break;
        if (
          tk.t === 'word' &&
          val &&
          toks[k + 1]?.t === 'sym' &&
          toks[k + 1]!.v === '=' &&
          /^[a-z0-9_-]+(\.[a-z0-9_-]+)?$/i.test(tk.v)
        )
          break;
        val += tk.v;
        k++;
        if (tk.t === 'word' && !(toks[k]?.t === 'sym' && (toks[k]!.v === '/' || toks[k]!.v === '='))) break;
      }
      const name = key.v.toLowerCase();
      if (!(name in res.props)) res.props[name] = val;
    }
    results.push(res);
  }
  return { authservId, results };
}

/** Header values of one name, in order (topmost first), bounded. */
export function headerStrings(headers: Map<string, unknown> | undefined, name: string): string[] {
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

/** Two-level public suffixes under a country code whose second label is generic (co.uk, com.au, ne.jp …). */
const GENERIC_SLD = new Set([
  'co',
  'com',
  'net',
  'org',
  'gov',
  'edu',
  'ac',
  'ne',
  'or',
  'go',
  'ltd',
  'plc',
  'gob',
  'nic',
  'mil',
  'sch',
  'nom',
  'gen',
  'biz',
  'info',
  'lg',
  'ed',
  'gr',
  'ad',
]);

/**
 * The IMAP host's registrable domain, the default trusted authserv-id domain: `imap.example.org` →
 * `example.org`, `mail.example.co.uk` → `example.co.uk`. A conservative rule instead of the Public Suffix
 * List: the last two labels, or three under a two-letter country code whose second-level label is generic
 * (co, com, net, org, ac, ne, or, go … or any label of up to 3 letters). Erring towards a longer (narrower)
 * domain only makes fewer headers count. An IP address or a single-label host (localhost) is itself.
 */
export function defaultAuthservDomain(imapHost: string | undefined): string | undefined {
  if (!imapHost || typeof imapHost !== 'string') return undefined;
  const host = imapHost
    .trim()
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^\[|\]$/g, '');
  if (!host || host.length > 253) return undefined;
  if (/^[0-9.]+$/.test(host) || host.includes(':')) return host;
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(host)) return undefined;
  const labels = host.split('.');
  if (labels.length <= 2) return host;
  const tld = labels[labels.length - 1]!;
  const sld = labels[labels.length - 2]!;
  const take = tld.length === 2 && (GENERIC_SLD.has(sld) || sld.length <= 3) ? 3 : 2;
  return labels.slice(-Math.min(take, labels.length)).join('.');
}

export interface AuthservTrust {
  /** authserv-ids that count exactly (the user's --authserv-id / tokenRelay.reset.authservId) */
  ids: string[];
  /** a domain whose name and subdomains count (the default from the IMAP host) */
  domain?: string;
}

/** Which authserv-ids count: the configured ones, else the IMAP host's registrable domain. */
export function authservTrust(authservId: string | string[] | undefined, imapHost: string | undefined): AuthservTrust {
  const list = (Array.isArray(authservId) ? authservId : authservId === undefined ? [] : String(authservId).split(','))
    .map((s) => (typeof s === 'string' ? s.trim().toLowerCase() : ''))
    .filter((s) => s && s.length <= 253 && !/[\s;()"]/.test(s));
  if (list.length) return { ids: list };
  const domain = defaultAuthservDomain(imapHost);
  return domain ? { ids: [], domain } : { ids: [] };
}

export function isTrustedAuthserv(id: string, trust: AuthservTrust): boolean {
  const x = id.toLowerCase().replace(/\.$/, '');
  if (trust.ids.includes(x)) return true;
  return !!trust.domain && (x === trust.domain || x.endsWith(`.${trust.domain}`));
}

/** The receiving server's own header that reports DKIM: the topmost trusted header with a dkim result. */
export function receiverDkimResults(
  headers: Map<string, unknown> | undefined,
  trust: AuthservTrust,
): AuthResult[] | undefined {
  if (!trust.ids.length && !trust.domain) return undefined;
  for (const value of headerStrings(headers, 'authentication-results')) {
    const h = parseAuthResults(value);
    if (!h || !isTrustedAuthserv(h.authservId, trust)) continue;
    const dkim = h.results.filter((r) => r.method === 'dkim');
    if (dkim.length) return dkim;
  }
  return undefined;
}

/** The domain a DKIM result is for: header.d, else the domain of header.i. */
export function dkimDomain(r: AuthResult): string | undefined {
  const d = r.props['header.d'];
  if (d) return d.toLowerCase().replace(/\.$/, '');
  const i = r.props['header.i'];
  if (i && i.includes('@'))
    return i
      .slice(i.lastIndexOf('@') + 1)
      .toLowerCase()
      .replace(/\.$/, '');
  return undefined;
}

/** dkim=pass in the receiver's own header for `domain` or a subdomain of it. */
export function receiverDkimPass(
  headers: Map<string, unknown> | undefined,
  trust: AuthservTrust,
  isDomain: (d: string) => boolean,
): boolean {
  const results = receiverDkimResults(headers, trust);
  if (!results) return false;
  return results.some((r) => {
    if (r.result !== 'pass') return false;
    const d = dkimDomain(r);
    return !!d && /^[a-z0-9.-]{1,253}$/.test(d) && isDomain(d);
  });
}
