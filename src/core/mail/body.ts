/**
 * Body reading: finds the `<label>: <value>` lines of one part (text, or HTML turned into text) and pairs
 * username lines with token and code lines. Line by line, bounded by LIMITS, no backtracking regexes.
 */
import type { LabelKind } from './labels';
import { tokenLabelKind } from './labels';
import { LIMITS } from './types';

const TOKEN_RE = /^[A-Za-z0-9]{24,25}$/;
const CODE_RE = /^[0-9]{6}$/;
/** Characters that may stand around a value without being part of it (bold/quote markers, brackets). */
const VALUE_WRAP_RE = /^[*_"'`“”‘’「」『』《》«»[\](){}<>]+|[*_"'`“”‘’「」『』《》«»[\](){}<>.。,，;；]+$/g;
const COLONS = [':', '：', '﹕', '︓'];

interface LabelLine {
  index: number; // line number
  label: string;
  value: string;
  /** for token lines: what the label says (a denied label never becomes a token line) */
  kind?: LabelKind;
}

interface BodyFindings {
  /** label lines whose value is an email-shaped username */
  usernames: LabelLine[];
  /** label lines whose value is 24–25 alphanumerics and whose label may name a security token */
  tokens: LabelLine[];
  /** 24–25 alphanumerics under a label that names something else (password, code, reference …) */
  deniedTokens: number;
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
  const first = value
    .trim()
    .replace(/^[<[("'“‘「*_\s]+/, '')
    .split(/[\s<[(]/, 1)[0]!
    .replace(VALUE_WRAP_RE, '');
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
  const f: BodyFindings = {
    usernames: [],
    tokens: [],
    deniedTokens: 0,
    codes: [],
    otherLabels: [],
    truncated: truncated || lines.length >= LIMITS.lines,
  };
  const addToken = (index: number, label: string, value: string) => {
    const kind = tokenLabelKind(label);
    if (kind === 'denied') {
      f.deniedTokens++;
      f.otherLabels.push(index);
    } else f.tokens.push({ index, label, value, kind });
  };
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
      if (TOKEN_RE.test(v)) addToken(i, parts.label, v);
      else if (CODE_RE.test(v)) f.codes.push({ index: i, label: parts.label, value: v });
      else f.otherLabels.push(i);
      continue;
    }
    if (pendingLabel) {
      if (line.length <= LIMITS.lineChars) {
        const v = cleanValue(line.trim());
        const user = usernameValue(line.trim());
        if (user) f.usernames.push({ index: i, label: pendingLabel.label, value: user });
        else if (TOKEN_RE.test(v)) addToken(i, pendingLabel.label, v);
        else if (CODE_RE.test(v)) f.codes.push({ index: i, label: pendingLabel.label, value: v });
      }
      pendingLabel = undefined;
    }
  }
  return f;
}

/** What one part (text or HTML) says. */
export interface PartReading {
  token?: string;
  tokenUsername?: string;
  code?: string;
  codeUsername?: string;
  /** usernames named in the part (label lines) */
  usernames: string[];
  ambiguous?: string;
  loose?: boolean; // token not next to a username line
  /** what the chosen token's label says: "security token" (vocab) or a label we have no words for */
  tokenLabel?: LabelKind;
  /** 24–25 character values under labels that name something else (ignored) */
  deniedTokens: number;
  truncated: boolean;
}

/** The token line that follows a username line within this many lines (blank lines excluded). */
const NEAR_LINES = 3;

export function readPart(text: string, maxChars: number, wanted: string | undefined, partialEnd: boolean): PartReading {
  const f = scanBody(text, maxChars, partialEnd);
  const r: PartReading = {
    usernames: uniq(f.usernames.map((u) => u.value)),
    deniedTokens: f.deniedTokens,
    truncated: f.truncated,
  };
  const wantedLc = wanted?.toLowerCase();

  // Pair every username line with the next token line after it (both lists are in line order).
  const pairs: Array<{ user: string; token: string; kind?: LabelKind }> = [];
  let k = 0;
  for (const u of f.usernames) {
    while (k < f.tokens.length && f.tokens[k]!.index <= u.index) k++;
    const t = f.tokens[k];
    if (t && t.index - u.index <= NEAR_LINES * 2) pairs.push({ user: u.value, token: t.value, kind: t.kind });
  }
  if (pairs.length) {
    const mine = wantedLc ? pairs.find((p) => p.user.toLowerCase() === wantedLc) : undefined;
    const chosen = mine ?? pairs[0]!;
    r.token = chosen.token;
    r.tokenUsername = chosen.user;
    r.tokenLabel = chosen.kind;
    if (!mine && uniq(pairs.map((p) => p.token)).length > 1) r.ambiguous = 'several username/token pairs';
  } else if (f.tokens.length) {
    const distinct = uniq(f.tokens.map((t) => t.value));
    if (distinct.length === 1) {
      r.token = distinct[0];
      r.loose = true;
      r.tokenLabel = f.tokens.some((t) => t.kind === 'vocab') ? 'vocab' : 'unknown';
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
