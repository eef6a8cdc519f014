/**
 * Multi-Factor Authentication for API logins (issue 16 item 3). A Salesforce user with that permission appends the
 * current 6-digit code of an authenticator app (TOTP, RFC 6238: HMAC-SHA1, 30 s steps) to the password where others
 * append the security token (Salesforce Help "Set Multi-Factor Authentication Login Requirements for API Access";
 * there is no token mail for such users: the Reset My Security Token page is hidden for them).
 *
 * What Salesforce answers: no distinct fault code is documented or seen for a missing or wrong code. The login fails
 * like any other credential fault (INVALID_LOGIN; LOGIN_MUST_USE_SECURITY_TOKEN when nothing was appended outside a
 * trusted network), and after five wrong codes the user is locked out for an hour (Salesforce KB 000229860). So:
 *  - a login WITH a code that Salesforce rejects stays `invalid-login` (exit 1, the same fixes) with the distinct code
 *    MFA_CODE_REJECTED: a new health state would break every consumer that switches on the status (CONTRACTS), and the
 *    code alone tells the log and the CLI's JSON what happened;
 *  - a login with neither token nor code that Salesforce rejects keeps its state and fault code, and its message adds
 *    the MFA explanation (rerun with --mfa-code): the fault cannot tell a missing token from a missing code;
 *  - a rejected code is never retried (each try counts towards the lockout, and the code would be the same).
 *
 * Pure: node:crypto's HMAC only.
 */
import { createHmac } from 'node:crypto';
import type { Classified } from './health';
import { lt, type LocalizedText } from './l10n';

/** The health `code` of a login with an authenticator code that Salesforce rejected (status stays invalid-login). */
export const MFA_CODE_REJECTED = 'MFA_CODE_REJECTED';

/** Digits of a Salesforce authenticator code. */
export const MFA_CODE_DIGITS = 6;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (the form authenticator apps take secrets in); spaces, dashes and `=` padding are ignored. */
export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=-]/g, '').toUpperCase();
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const v = BASE32.indexOf(ch);
    if (v < 0) throw new Error('not a base32 secret');
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** HOTP (RFC 4226) of `counter` with HMAC-SHA1 (`algorithm` for RFC 6238's other test vectors). */
export function hotp(secret: Uint8Array, counter: number, digits = MFA_CODE_DIGITS, algorithm = 'sha1'): string {
  const msg = Buffer.alloc(8);
  msg.writeUInt32BE(Math.floor(counter / 2 ** 32), 0);
  msg.writeUInt32BE(counter >>> 0, 4);
  const mac = createHmac(algorithm, secret).update(msg).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const bin = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(bin).padStart(digits, '0');
}

/** TOTP (RFC 6238) at `timeMs`: 30-second steps from the Unix epoch. `secret` is bytes or base32 text. */
export function totp(
  secret: Uint8Array | string,
  timeMs = Date.now(),
  opts: { stepSeconds?: number; digits?: number; algorithm?: string } = {},
): string {
  const key = typeof secret === 'string' ? base32Decode(secret) : secret;
  const step = opts.stepSeconds ?? 30;
  return hotp(key, Math.floor(timeMs / 1000 / step), opts.digits ?? MFA_CODE_DIGITS, opts.algorithm);
}

/** True when `code` is the TOTP of `secret` at `timeMs` or one step either side (clock drift, as servers allow). */
export function verifyTotp(secret: Uint8Array | string, code: string, timeMs = Date.now(), window = 1): boolean {
  for (let d = -window; d <= window; d++) if (totp(secret, timeMs + d * 30_000) === code) return true;
  return false;
}

/**
 * The code a user typed or piped: digits with optional spaces between (apps show "123 456"), exactly 6 of them.
 * Returns the code, or the reason it is not one (the reason never quotes the input: it may be a secret typed in
 * the wrong place).
 */
export function parseMfaCode(input: string | undefined): { code: string } | { error: string } {
  if (input === undefined) return { error: 'no authenticator code was given (end of input)' };
  const trimmed = input.replace(/[\s\u3000]+/g, '');
  if (!trimmed) return { error: 'the authenticator code is empty' };
  if (!/^[0-9]+$/.test(trimmed)) return { error: 'an authenticator code has digits only' };
  if (trimmed.length !== MFA_CODE_DIGITS)
    return { error: `an authenticator code has ${MFA_CODE_DIGITS} digits (this has ${trimmed.length})` };
  return { code: trimmed };
}

/** Why `--mfa-code=VALUE` is refused (exit 2). */
export const MFA_VALUE_REFUSED =
  '--mfa-code takes no value: a code given as an argument is visible to every user of this machine (ps, shell history). ' +
  'Give --mfa-code alone and type the code at the prompt, or pipe it on stdin (echo CODE | token-relay login --mfa-code).';

/** What a login attempt appended to the password. */
export interface MfaContext {
  /** An authenticator code replaced the token. */
  usedCode: boolean;
  /** A security token was appended. */
  hadToken: boolean;
}

/**
 * A password login's failure seen with MFA in mind (module comment): INVALID_LOGIN after a code → MFA_CODE_REJECTED;
 * PASSWORD_LOCKOUT after a code → the hour-long MFA lockout said; a refusal with nothing appended → the message adds
 * that MFA users log in with a code. Anything else (and every OAuth web-server answer) unchanged.
 */
export function classifyMfa(c: Classified, ctx: MfaContext): Classified {
  if (ctx.usedCode) {
    if (c.status === 'invalid-login' && (c.code === 'INVALID_LOGIN' || c.code === 'invalid_grant')) {
      const explain = lt`Salesforce rejected the password or the authenticator code (${c.code}). A code works only while your authenticator app shows it (30 seconds) and only for this user: check the password, then test again with the current code (CLI: rerun with --mfa-code). Five wrong codes lock the user out for an hour.`;
      return { status: 'invalid-login', code: MFA_CODE_REJECTED, message: explain.english, explain };
    }
    if (c.status === 'locked-out') {
      const explain = lt`${c.explain ?? c.message} With Multi-Factor Authentication for API logins, five wrong authenticator codes lock the user out for an hour.`;
      return { ...c, message: explain.english, explain };
    }
    return c;
  }
  if (!ctx.hadToken && (c.code === 'INVALID_LOGIN' || c.code === 'LOGIN_MUST_USE_SECURITY_TOKEN')) {
    const explain = lt`${c.explain ?? c.message} If this user has Multi-Factor Authentication for API logins, there is no security token: the current code of your authenticator app replaces it (CLI: rerun with --mfa-code; VS Code: Edit Org, turn on MFA for API logins).`;
    return { ...c, message: explain.english, explain };
  }
  return c;
}

/** The explanation for reset --mfa-code: a user with MFA for API logins has no security token to reset. */
export function mfaNoResetNote(): LocalizedText {
  return lt`Users with Multi-Factor Authentication for API logins have no security token (Salesforce hides Reset My Security Token for them), so there is nothing to reset: testing the login with the authenticator code instead.`;
}
