/**
 * The one place where secrets are removed from text before it reaches a log line, an error
 * message, the CLI's output or a notification. Every module that logs or reports an error passes
 * through here (see Logger in ./log.ts and safeErrorMessage below).
 *
 * Two layers:
 *  1. Known secrets: every password, token, client secret, IMAP secret and session id the process
 *     handles is registered with `registerSecret` (or given to a Redactor) and replaced literally,
 *     also in its URL-encoded, XML-escaped and base64 forms.
 *  2. Patterns: values that look like secrets even if nobody registered them (Salesforce session ids
 *     `00D…!…`, `Bearer …`, `password=…`/`token=…` assignments, `oauth_token=` query parameters,
 *     `<password>…</password>` and `<sessionId>…</sessionId>` in SOAP bodies).
 */
export const REDACTED = '‹redacted›';

const MIN_SECRET_LENGTH = 4; // shorter strings would redact ordinary words

/** Characters that encodeURIComponent, XML escaping and JSON all leave as they are (session ids, most tokens). */
const PLAIN_SECRET = /^[A-Za-z0-9\-_.!~*()]*$/;

function variants(secret: string): string[] {
  if (PLAIN_SECRET.test(secret)) {
    // Fast path (a new session id on every login): the URL, XML and JSON forms are the secret itself.
    const b64 = secret.length >= 8 ? Buffer.from(secret, 'latin1').toString('base64').replace(/=+$/, '') : '';
    return b64.length >= MIN_SECRET_LENGTH ? [secret, b64] : [secret];
  }
  const out = new Set<string>([secret]);
  try {
    out.add(encodeURIComponent(secret));
  } catch {
    /* lone surrogate: no URL form */
  }
  out.add(
    secret
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;'),
  );
  out.add(JSON.stringify(secret).slice(1, -1));
  if (secret.length >= 8) out.add(Buffer.from(secret, 'utf8').toString('base64').replace(/=+$/, ''));
  return [...out].filter((v) => v.length >= MIN_SECRET_LENGTH);
}

/**
 * Each pattern with a cheap necessary condition for a match (`may`): a pattern runs only on text that could
 * contain it. Most log lines contain none of them, and a regular expression is compiled on its first use, so the
 * first line logged at activation would otherwise pay for compiling all seven (~0.5 ms here). The conditions
 * are exact necessary conditions of the expressions, so the output is the same (test/unit/redact.test.ts checks
 * that against the patterns run unconditionally).
 */
const hasLower = (t: string, word: string) => t.toLowerCase().includes(word);
export const REDACTION_PATTERNS: ReadonlyArray<{ re: RegExp; rep: string; may: (t: string) => boolean }> = [
  // Salesforce session ids / access tokens: 15- or 18-char org id, '!', long tail.
  { re: /\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._-]{20,}/g, rep: REDACTED, may: (t) => t.includes('00D') },
  // `Bearer x` always carries a credential. After `OAuth` only token-like values (long, with a digit), so
  // prose such as "the OAuth username-password flow" survives.
  { re: /\b(Bearer)\s+[A-Za-z0-9._~+/!=-]{8,}/gi, rep: `$1 ${REDACTED}`, may: (t) => hasLower(t, 'bearer') },
  {
    re: /\b(OAuth)\s+(?=[A-Za-z0-9._~+/!=-]*\d)[A-Za-z0-9._~+/!=-]{16,}/gi,
    rep: `$1 ${REDACTED}`,
    may: (t) => hasLower(t, 'oauth'),
  },
  {
    re: /\b(oauth_token|access_token|refresh_token|client_secret|password|passwd|pwd|token|secret|sessionId|security_token)=([^&\s"'<>]+)/gi,
    rep: `$1=${REDACTED}`,
    may: (t) => t.includes('='),
  },
  {
    re: /("(?:password|access_token|refresh_token|client_secret|token|secret|sessionId|accessToken|clientSecret|securityToken)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi,
    rep: `$1"${REDACTED}"`,
    may: (t) => t.includes('"'),
  },
  { re: /<(password|sessionId|sf:sessionId)>[^<]*<\/\1>/gi, rep: `<$1>${REDACTED}</$1>`, may: (t) => t.includes('</') },
  {
    re: /\b(SF_PASSWORD|SF_SECURITY_TOKEN|SF_CLIENT_SECRET|SF_ACCESS_TOKEN|SF_REFRESH_TOKEN|TOKEN_RELAY_IMAP_PASSWORD|TOKEN_RELAY_IMAP_ACCESS_TOKEN)(\s*[=:]\s*)(["']?)[^\s"']+\3/g,
    rep: `$1$2${REDACTED}`,
    may: (t) => t.includes('SF_') || t.includes('TOKEN_RELAY_'),
  },
];

/** How many short-lived secrets (session ids, access tokens) are remembered; older ones fall out. */
export const MAX_EPHEMERAL_SECRETS = 64;

export interface AddOptions {
  /**
   * Short-lived values (a session id per login, an access token): kept in a bounded FIFO so a status bar that
   * re-tests every few minutes for weeks does not grow the redactor (and slow every log line) without end.
   * The session-id pattern below still catches expired ones.
   */
  ephemeral?: boolean;
}

export class Redactor {
  private readonly secrets = new Set<string>();
  /** Short-lived secrets, oldest first, each with its encoded forms computed once when it was added. */
  private readonly ephemeral: Array<{ secret: string; forms: string[] }> = [];
  private readonly ephemeralSet = new Set<string>();
  /**
   * Every literal form to replace, longest first, kept up to date incrementally: a login registers a new
   * session id every time, and re-sorting a few hundred strings per login was a measurable part of it.
   * `refs` counts how many registrations (permanent, or ephemeral secrets) hold each form.
   */
  private sorted: string[] = [];
  private readonly refs = new Map<string, number>();

  /** Registers a secret; empty or very short values are ignored (they cannot be told from text). */
  add(secret: string | undefined | null, opts: AddOptions = {}): void {
    if (!secret || secret.length < MIN_SECRET_LENGTH || this.secrets.has(secret)) return;
    if (opts.ephemeral) {
      if (this.ephemeralSet.has(secret)) return;
      // A session id cut out of a response body by a regex is a slice of the whole body in V8: keep a copy
      // of its own, or the FIFO would hold on to the last 64 response bodies.
      secret = (' ' + secret).slice(1);
      const entry = { secret, forms: variants(secret) };
      this.ephemeral.push(entry);
      this.ephemeralSet.add(secret);
      for (const v of entry.forms) this.ref(v);
      if (this.ephemeral.length > MAX_EPHEMERAL_SECRETS) {
        const old = this.ephemeral.shift()!;
        this.ephemeralSet.delete(old.secret);
        for (const v of old.forms) this.unref(v);
      }
      return;
    }
    for (const v of variants(secret)) {
      if (!this.secrets.has(v)) {
        this.secrets.add(v);
        this.ref(v);
      }
    }
  }

  private ref(form: string): void {
    const n = this.refs.get(form) ?? 0;
    this.refs.set(form, n + 1);
    if (n > 0) return;
    // Binary search for the first entry shorter than `form` (longest first, so longer secrets win).
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid]!.length >= form.length) lo = mid + 1;
      else hi = mid;
    }
    this.sorted.splice(lo, 0, form);
  }

  private unref(form: string): void {
    const n = this.refs.get(form) ?? 0;
    if (n > 1) {
      this.refs.set(form, n - 1);
      return;
    }
    this.refs.delete(form);
    const i = this.sorted.indexOf(form);
    if (i >= 0) this.sorted.splice(i, 1);
  }

  /** How many literal strings are matched (tests of the bound). */
  get size(): number {
    return this.sorted.length;
  }

  addAll(secrets: Iterable<string | undefined | null>): void {
    for (const s of secrets) this.add(s);
  }

  /** Forgets every registered secret (tests). */
  clear(): void {
    this.secrets.clear();
    this.ephemeral.length = 0;
    this.ephemeralSet.clear();
    this.refs.clear();
    this.sorted = [];
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.sorted) {
      if (out.includes(s)) out = out.split(s).join(REDACTED);
    }
    for (const p of REDACTION_PATTERNS) if (p.may(out)) out = out.replace(p.re, p.rep);
    return out;
  }
}

/** The process-wide redactor: CLI, extension and watcher register every secret they handle here. */
export const globalRedactor = new Redactor();

export function registerSecret(secret: string | undefined | null, opts?: AddOptions): void {
  globalRedactor.add(secret, opts);
}

export function redact(text: string): string {
  return globalRedactor.redact(text);
}

/** A safe one-line description of any thrown value: message (and code), redacted. Never the stack's locals. */
export function safeErrorMessage(err: unknown): string {
  let msg: string;
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    msg = err.message || err.name;
    if (typeof code === 'string' && code && !msg.includes(code)) msg = `${msg} (${code})`;
  } else if (typeof err === 'string') {
    msg = err;
  } else {
    try {
      msg = JSON.stringify(err) ?? String(err);
    } catch {
      msg = String(err);
    }
  }
  return redact(msg);
}
