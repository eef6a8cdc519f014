/** The classifier's input, options, verdict and bounds (src/core/tokenMail.ts is the face). */

export type MailKind = 'token' | 'verification-code' | 'other-user' | 'untrusted-sender' | 'none';

export interface MailInput {
  from?: { value: Array<{ address?: string; name?: string }>; text?: string };
  subject?: string;
  text?: string;
  html?: string | false;
  date?: Date;
  /** lower-case header names, as mailparser gives them */
  headers?: Map<string, unknown>;
  /**
   * The raw From header field(s), `From: …` as received (folded or not), in order. src/mail/parse.ts
   * passes them so core reads the field on its own: mail parsers drop control characters and decode
   * encoded-words that do not belong in an address.
   */
  fromRaw?: string[];
  /** How many Subject header fields the mail has (RFC 5322 allows one; parsers differ in which they show). */
  subjectFields?: number;
}

export interface ClassifyOptions {
  /** The Salesforce username the token is for (case-insensitive). Without it any user's token counts. */
  username?: string;
  /**
   * Treat a mail as untrusted unless the receiving server's own Authentication-Results header (see
   * authservId) says `dkim=pass header.d=salesforce.com` (or a subdomain).
   */
  requireDkim?: boolean;
  /**
   * The receiving server's authserv-id(s): only Authentication-Results headers that carry one of these
   * count (exact, case-insensitive; a comma-separated string or a list). Default: the registrable domain of
   * `imapHost` and its subdomains. Without either, no header counts.
   */
  authservId?: string | string[];
  /** The IMAP host: its registrable domain is the default authserv-id (imap.example.org → example.org). */
  imapHost?: string;
  /**
   * Forwarded copies (Fwd: subjects, Resent-* headers, forwarded-message bodies) are refused; with this on
   * they are still refused unless `forwardedFrom` names the forwarder (the reason says so).
   */
  trustForwarded?: boolean;
  /**
   * The user's own address(es) that forward the token mail: a forwarded copy counts only when it was
   * forwarded (From, or Resent-From) by one of them and the forwarded message is from salesforce.com. With
   * requireDkim it also needs a DKIM pass for the forwarder's domain (or salesforce.com). Implies trustForwarded.
   */
  forwardedFrom?: string | string[];
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
  /** the receiving server's Authentication-Results: dkim=pass header.d=salesforce.com (or a subdomain) */
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
