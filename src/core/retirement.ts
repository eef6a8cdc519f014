/**
 * The retirements of the password sign-in methods (oauth-facts.md "Why it matters now"; CONTRACTS "Health states",
 * the `notice` key): the date each method stops, how many days are left on a given day, the one-sentence notice a
 * working login carries, and which failures mean "this way of signing in is already gone here" (the org has SOAP
 * login() off, blocks the username-password flow, or the API version is 65.0+), so that they offer the two ways
 * forward (Switch to OAuth, the sf CLI login) besides the admin advice.
 *
 * Pure: the day is always passed in (tests use a fake date). Dates compare as UTC calendar days.
 */
import type { HealthResult } from './healthStates';
import type { AuthMethod } from './signin';

export interface Retirement {
  method: AuthMethod;
  /** The day it stops (ISO `YYYY-MM-DD`); for a release, the first day it may stop. */
  date: string;
  /** The date as said to a user: `2027-02-20`, or `Summer '27 (about 2027-06-01)`. */
  when: string;
  /** Salesforce names a release, not a day: `date` is the published estimate. */
  approximate: boolean;
  /** What stops, for sentences: "SOAP API login()". */
  what: string;
  /** The release that retires it, when Salesforce names a release rather than a day. */
  release?: string;
}

/** The retiring methods (SIGN_IN_INFO[m].retirement names the same dates for people). */
export const RETIREMENTS: Readonly<Partial<Record<AuthMethod, Retirement>>> = {
  password: {
    method: 'password',
    // Help article 005132110: retired in Summer '27 (no day given); 2027-06-01 is a published estimate.
    date: '2027-06-01',
    when: "Summer '27 (about 2027-06-01)",
    approximate: true,
    what: 'SOAP API login()',
    release: "Summer '27",
  },
  'password-oauth': {
    method: 'password-oauth',
    // Help article 005461976: stops on 2027-02-20, no extensions.
    date: '2027-02-20',
    when: '2027-02-20',
    approximate: false,
    what: 'the OAuth username-password flow',
  },
};

/** Warn in reports (and fail `doctor`) when a method retires within this many days. */
export const RETIREMENT_WARN_DAYS = 90;

export interface RetirementStatus extends Retirement {
  /** Days from `today` to the date: 0 on the day itself, negative after it. */
  daysLeft: number;
  /** The date has come (daysLeft ≤ 0). */
  past: boolean;
  /** One sentence: the date, what breaks, and the two ways forward. */
  notice: string;
}

const DAY_MS = 86_400_000;

/** UTC calendar days from `today` to the ISO date `iso` (negative when it lies behind). */
export function daysUntil(iso: string, today: Date): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) throw new RangeError(`not an ISO date: ${iso}`);
  const target = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const from = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  return Math.round((target - from) / DAY_MS);
}

/** The two ways forward, as the extension's commands name them. */
export const WAYS_FORWARD = 'Switch to OAuth or use the sf CLI login';

function daysText(n: number): string {
  return n === 1 ? '1 day left' : `${n} days left`;
}

/** "on 2027-02-20" / "with the Summer '27 release (about 2027-06-01)". */
export function whenPhrase(r: Retirement): string {
  return r.release ? `with the ${r.release} release (about ${r.date})` : `on ${r.date}`;
}

/** The notice sentence for a retiring method on `today` (before, on and after the date). */
export function noticeText(r: Retirement, today: Date): string {
  const days = daysUntil(r.date, today);
  if (days > 0)
    return `Salesforce switches ${r.what} off ${whenPhrase(r)}, ${daysText(days)}; this login stops working then: ${WAYS_FORWARD} before that date.`;
  if (days === 0)
    return `Salesforce switches ${r.what} off today (${r.when}); this login can stop working at any moment: ${WAYS_FORWARD} now.`;
  return `Salesforce switched ${r.what} off ${whenPhrase(r)}; this login still works but can stop at any moment: ${WAYS_FORWARD} now.`;
}

/** The retirement of `method` seen from `today`, or undefined for a method that is not retiring. */
export function retirementStatus(method: AuthMethod, today: Date): RetirementStatus | undefined {
  const r = RETIREMENTS[method];
  if (!r) return undefined;
  const daysLeft = daysUntil(r.date, today);
  return { ...r, daysLeft, past: daysLeft <= 0, notice: noticeText(r, today) };
}

/** The `notice` of a working login of `method` (undefined when the method is not retiring). */
export function retirementNotice(method: AuthMethod, today: Date): string | undefined {
  return retirementStatus(method, today)?.notice;
}

/**
 * `health` with the retirement notice added when it is a working login of a retiring method (CONTRACTS: it stays
 * `ok` and carries `notice`); any other result comes back as it is.
 */
export function withRetirementNotice(health: HealthResult, method: AuthMethod, today: Date): HealthResult {
  if (health.status !== 'ok') return health;
  const notice = retirementNotice(method, today);
  return notice ? { ...health, notice } : health;
}

/**
 * Why a failure means the org's password sign-in is already gone (so the ways forward apply):
 *  - `soap-login-off`: the org has SOAP API login() off, or the user lacks "Use Any API Auth" (soap-login-disabled);
 *  - `soap-api-version`: INVALID_OPERATION "not available in the API version" (SOAP login() on API 65.0+);
 *  - `flow-blocked`: invalid_grant on the OAuth username-password flow (a blocked flow answers like wrong
 *    credentials; an explicit "blocked/disabled" text is certain).
 * Undefined for every other result.
 */
export type MigrationReason = 'soap-login-off' | 'soap-api-version' | 'flow-blocked';

export function migrationReason(
  h: Pick<HealthResult, 'status' | 'code' | 'message'> & { flow?: 'soap' | 'oauth' },
): MigrationReason | undefined {
  if (h.status === 'soap-login-disabled')
    return h.code === 'INVALID_OPERATION' && /not available in this API version/i.test(h.message)
      ? 'soap-api-version'
      : 'soap-login-off';
  if (h.status === 'invalid-login' && h.code === 'invalid_grant' && h.flow !== 'soap') return 'flow-blocked';
  return undefined;
}

/** The invalid_grant description of a username-password flow that the org blocks (when Salesforce says so). */
export function isBlockedFlowText(description: string): boolean {
  return (
    /username[- ]password (oauth )?flow/i.test(description) &&
    /(disabled|blocked|not (allowed|enabled|permitted))/i.test(description)
  );
}
