/**
 * Keeps an OAuth access token fresh (issue 13 item 3: "a .env that never holds a dead token while VS Code runs").
 * Salesforce sends no `expires_in`, so the timer works from a lifetime estimate (src/core/oauth.ts): the session
 * timeout when told, else the shortest lifetime observed (a token refused at age t lived at most t), else
 * Salesforce's shortest session timeout (15 min). It refreshes at 75 % of the lifetime (≥ 60 s ahead when long),
 * at once when a token is refused (the caller saw 401 INVALID_SESSION_ID / 403 Bad_OAuth_Token), one refresh at a
 * time (a refused token during a refresh waits for that refresh), and retries a failed refresh with backoff (5 s,
 * doubling, ≤ 5 min) unless the refresh says the sign-in is over ('stop': invalid_grant → signin-required).
 *
 * Pure: timers only, through an injectable clock (tests use a fake one); no I/O.
 */
import { type LifetimeEstimate, defaultLifetime, observeExpiry, refreshDelayMs } from './oauth';

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending refresh never keeps a process alive on its own.
    (t as { unref?: () => void }).unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** What one refresh did: the new token's issued_at, or 'stop' (the sign-in is over: do not try again). */
export type RefreshOutcome = { issuedAt: number } | 'stop';

export const FIRST_RETRY_MS = 5_000;
export const MAX_RETRY_MS = 5 * 60_000;

export class RefreshTimer {
  private readonly clock: Clock;
  private lifetime: LifetimeEstimate;
  private issuedAt: number | undefined;
  private handle: unknown;
  private running: Promise<void> | undefined;
  private retryMs = FIRST_RETRY_MS;
  private stopped = false;
  /** Refreshes done (tests, the benchmark). */
  refreshes = 0;

  constructor(
    private readonly o: {
      /** Gets a new token and stores it (.env, SecretStorage); throws on a failure worth retrying. */
      refresh: () => Promise<RefreshOutcome>;
      /** The session timeout when known (a setting, the org). */
      lifetimeMs?: number;
      clock?: Clock;
      /** A refresh failed (it is retried) or stopped: for the log. */
      onError?: (e: unknown, retryInMs: number | undefined) => void;
    },
  ) {
    this.clock = o.clock ?? systemClock;
    this.lifetime = defaultLifetime(o.lifetimeMs);
  }

  get estimate(): LifetimeEstimate {
    return this.lifetime;
  }

  /** When the next refresh is due (clock time), or undefined when none is scheduled. */
  dueAt: number | undefined;

  /** The current token was issued at `issuedAt` (ms since the epoch): schedule its refresh. */
  start(issuedAt: number): void {
    this.stopped = false;
    this.issuedAt = issuedAt;
    this.retryMs = FIRST_RETRY_MS;
    this.schedule(refreshDelayMs(issuedAt, this.clock.now(), this.lifetime));
  }

  /**
   * The current token was refused (401 / 403): learn from its age, refresh now (or wait for the refresh already
   * running). Resolves when that refresh is over (whatever its outcome).
   */
  tokenRefused(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) return this.running;
    if (this.issuedAt !== undefined) this.lifetime = observeExpiry(this.lifetime, this.issuedAt, this.clock.now());
    return this.run();
  }

  stop(): void {
    this.stopped = true;
    this.cancel();
  }

  private cancel(): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
    this.dueAt = undefined;
  }

  private schedule(delayMs: number): void {
    this.cancel();
    if (this.stopped) return;
    this.dueAt = this.clock.now() + delayMs;
    this.handle = this.clock.setTimeout(() => {
      this.handle = undefined;
      this.dueAt = undefined;
      void this.run();
    }, delayMs);
  }

  private run(): Promise<void> {
    this.cancel();
    const p = (async () => {
      let outcome: RefreshOutcome;
      try {
        outcome = await this.o.refresh();
      } catch (e) {
        const wait = this.retryMs;
        this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
        this.o.onError?.(e, this.stopped ? undefined : wait);
        this.schedule(wait);
        return;
      }
      this.refreshes++;
      if (outcome === 'stop') {
        this.o.onError?.(new Error('The sign-in is over: refreshing stopped.'), undefined);
        this.stop();
        return;
      }
      this.retryMs = FIRST_RETRY_MS;
      this.issuedAt = outcome.issuedAt;
      this.schedule(refreshDelayMs(outcome.issuedAt, this.clock.now(), this.lifetime));
    })().finally(() => {
      if (this.running === p) this.running = undefined;
    });
    this.running = p;
    return p;
  }
}
