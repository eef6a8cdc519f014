/**
 * The re-check schedule of the mailbox watcher (src/mail/watch.ts) while a reset waits for its token mail.
 *
 * Why: RFC 3501/2177 let a server announce new mail inside IDLE whenever it likes. Dovecot does it within ~0.5 s;
 * Courier without FAM (Debian's default), Cyrus with default settings and many hosted servers only look at the
 * mailbox on their own timer (Courier: IMAP_IDLE_TIMEOUT, 60 s), so a watcher that only idles waits up to a minute.
 * During the reset window the watcher therefore leaves IDLE now and then, sends NOOP (which makes every RFC 3501
 * server report new messages, §6.1.2) and idles again, on the same connection.
 *
 * Why this interval (2 s for the first 3 minutes, then 5 s until 10 minutes, then 15 s): it is polite to the big
 * providers, whose published IMAP limits are about connections and bandwidth, not command rates:
 *  - Gmail: at most 15 simultaneous IMAP connections per account ("Too many simultaneous connections"), and a
 *    download bandwidth limit of 2,500 MB a day for IMAP (Google Workspace "Gmail bandwidth limits" / "Sync limits",
 *    support.google.com/a/answer/1071518). A re-check opens no connection and downloads nothing: one NOOP and its
 *    answer are under 100 bytes, 90 of them in the first 3 minutes ≈ 9 KB.
 *  - Microsoft 365 / Exchange Online: 20 concurrent IMAP connections per mailbox (Exchange Online limits; on-premises
 *    Exchange's MaxConnectionsPerUser default is 16, learn.microsoft.com "Set connection limits for IMAP4"); its
 *    published request throttling for mailbox access is 10,000 requests per 10 minutes per mailbox (Outlook REST /
 *    Graph, devblogs.microsoft.com "Throttling for Outlook API and Microsoft Graph"): 2 s is 300 per 10 minutes, 3 %
 *    of it; 15 s is 40.
 *  - RFC 2177 asks a client to re-issue IDLE at least every 29 minutes; Courier-style timers of 60 s mean a plain
 *    IDLE can take a minute, the re-check bounds that at the interval plus one round trip.
 * The token mail usually lands within seconds to a minute of the reset, so the fast phase covers it; a window left
 * open longer (the user is away) backs off to a rate any mail client's background sync exceeds.
 * A server that announces mail promptly (Dovecot) gets the mail through IDLE as before: a NOOP costs it one round
 * trip (~1 ms on loopback) every 2 s and the watcher goes back into IDLE at once.
 */

/** One phase: re-check every `everyMs` until `untilMs` after the watch started. */
export interface RecheckStep {
  untilMs: number;
  everyMs: number;
}

export const DEFAULT_RECHECK: readonly RecheckStep[] = Object.freeze([
  { untilMs: 3 * 60_000, everyMs: 2_000 },
  { untilMs: 10 * 60_000, everyMs: 5_000 },
  { untilMs: Infinity, everyMs: 15_000 },
]);

/** The shortest re-check interval accepted (a NOOP every 0.5 s would be polling, not re-checking). */
export const MIN_RECHECK_MS = 1000;

/** The interval after `elapsedMs` of the watch (the step whose untilMs is still ahead; the last one after that). */
export function recheckIntervalMs(elapsedMs: number, steps: readonly RecheckStep[] = DEFAULT_RECHECK): number {
  if (!steps.length) return Infinity;
  const step = steps.find((s) => elapsedMs < s.untilMs) ?? steps[steps.length - 1]!;
  return Math.max(MIN_RECHECK_MS, step.everyMs);
}

/**
 * The CLI's `--recheck` value: `off` (IDLE only), `auto` (DEFAULT_RECHECK) or a fixed interval in seconds (1–300,
 * decimals allowed). Returns false for off, the steps otherwise; throws an Error with a usage message when invalid.
 */
export function parseRecheck(value: string): readonly RecheckStep[] | false {
  const v = value.trim().toLowerCase();
  if (v === 'off' || v === 'no' || v === '0') return false;
  if (v === 'auto' || v === '') return DEFAULT_RECHECK;
  const s = Number(v.replace(/s$/, ''));
  if (!Number.isFinite(s) || s < MIN_RECHECK_MS / 1000 || s > 300)
    throw new Error(`--recheck must be off, auto or seconds between 1 and 300 (got "${value}")`);
  return [{ untilMs: Infinity, everyMs: Math.round(s * 1000) }];
}
