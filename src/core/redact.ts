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

function variants(secret: string): string[] {
  const out = new Set<string>([secret]);
  try {
    out.add(encodeURIComponent(secret));
  } catch {
    /* lone surrogate: no URL form */
  }
  out.add(secret.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;'));
  out.add(JSON.stringify(secret).slice(1, -1));
  if (secret.length >= 8) out.add(Buffer.from(secret, 'utf8').toString('base64').replace(/=+$/, ''));
  return [...out].filter((v) => v.length >= MIN_SECRET_LENGTH);
}

const PATTERNS: Array<[RegExp, string]> = [
  // Salesforce session ids / access tokens: 15- or 18-char org id, '!', long tail.
  [/\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._\-]{20,}/g, REDACTED],
  // `Bearer x` always carries a credential. After `OAuth` only token-like values (long, with a digit), so
  // prose such as "the OAuth username-password flow" survives.
  [/\b(Bearer)\s+[A-Za-z0-9._~+\/!=\-]{8,}/gi, `$1 ${REDACTED}`],
  [/\b(OAuth)\s+(?=[A-Za-z0-9._~+\/!=\-]*\d)[A-Za-z0-9._~+\/!=\-]{16,}/gi, `$1 ${REDACTED}`],
  [/\b(oauth_token|access_token|refresh_token|client_secret|password|passwd|pwd|token|secret|sessionId|security_token)=([^&\s"'<>]+)/gi, `$1=${REDACTED}`],
  [/("(?:password|access_token|refresh_token|client_secret|token|secret|sessionId|accessToken|clientSecret|securityToken)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi, `$1"${REDACTED}"`],
  [/<(password|sessionId|sf:sessionId)>[^<]*<\/\1>/gi, `<$1>${REDACTED}</$1>`],
  [/\b(SF_PASSWORD|SF_SECURITY_TOKEN|SF_CLIENT_SECRET|TOKEN_RELAY_IMAP_PASSWORD|TOKEN_RELAY_IMAP_ACCESS_TOKEN)(\s*[=:]\s*)(["']?)[^\s"']+\3/g, `$1$2${REDACTED}`],
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
  private sorted: string[] = [];

  /** Registers a secret; empty or very short values are ignored (they cannot be told from text). */
  add(secret: string | undefined | null, opts: AddOptions = {}): void {
    if (!secret || secret.length < MIN_SECRET_LENGTH || this.secrets.has(secret)) return;
    if (opts.ephemeral) {
      if (this.ephemeral.some((e) => e.secret === secret)) return;
      this.ephemeral.push({ secret, forms: variants(secret) });
      if (this.ephemeral.length > MAX_EPHEMERAL_SECRETS) this.ephemeral.shift();
      this.resort();
      return;
    }
    let changed = false;
    for (const v of variants(secret)) {
      if (!this.secrets.has(v)) {
        this.secrets.add(v);
        changed = true;
      }
    }
    if (changed) this.resort();
  }

  private resort(): void {
    const all = new Set<string>(this.secrets);
    for (const e of this.ephemeral) for (const v of e.forms) all.add(v);
    this.sorted = [...all].sort((a, b) => b.length - a.length);
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
    this.sorted = [];
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.sorted) {
      if (out.includes(s)) out = out.split(s).join(REDACTED);
    }
    for (const [re, rep] of PATTERNS) out = out.replace(re, rep);
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
