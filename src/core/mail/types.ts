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
