/**
 * The one home of the small promise helpers: sleep, withTimeout, making and recognising AbortErrors and
 * timeouts. Pure: timers only, no I/O.
 *
 * The guards test names and codes, not only `instanceof`: the extension is two bundles, and an error made in
 * one may be tested in the other (DOMExceptions and Node's own AbortErrors are not our classes either).
 */

/** What an AbortError says: its reason was a timeout, or a plain cancel. */
export interface AbortMessages {
  timeout?: string;
  cancelled?: string;
}

export type AbortErrorLike = Error & { code: 'ABORT_ERR'; timedOut: boolean; cause?: unknown };

/**
 * An Error named `AbortError` (code `ABORT_ERR`, as Node's own) for `signal`: `timedOut` says whether the
 * signal's reason is a TimeoutError (AbortSignal.timeout(), or a DOMException named so), `cause` is the reason.
 */
export function abortError(signal?: AbortSignal, messages: AbortMessages = {}): AbortErrorLike {
  const reason: unknown = signal?.reason;
  const timedOut = isTimeoutError(reason);
  const e = new Error(
    timedOut ? (messages.timeout ?? 'The operation timed out') : (messages.cancelled ?? 'The operation was aborted'),
  ) as AbortErrorLike;
  e.name = 'AbortError';
  e.code = 'ABORT_ERR';
  e.timedOut = timedOut;
  e.cause = reason;
  return e;
}

/** An AbortError from anywhere: ours, Node's (`code: 'ABORT_ERR'`), a DOMException named AbortError. */
export function isAbortError(e: unknown): e is Error {
  if (!e || typeof e !== 'object') return false;
  const x = e as { name?: unknown; code?: unknown };
  return x.name === 'AbortError' || x.code === 'ABORT_ERR';
}

/** A timeout: AbortSignal.timeout()'s reason, or anything else named TimeoutError. */
export function isTimeoutError(e: unknown): boolean {
  return !!e && typeof e === 'object' && (e as { name?: unknown }).name === 'TimeoutError';
}

/**
 * Resolves after `ms`; rejects with `onAbort(signal)` (default: abortError(signal)) as soon as `signal` aborts
 * (at once if it already has).
 */
export function sleep(
  ms: number,
  signal?: AbortSignal,
  onAbort: (signal?: AbortSignal) => Error = abortError,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(onAbort(signal));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    const abort = () => {
      clearTimeout(t);
      reject(onAbort(signal));
    };
    signal?.addEventListener('abort', abort, { once: true });
  });
}

/**
 * `p`, or a rejection with `new Error(message)` when it has not settled after `ms`. A non-positive or
 * non-finite `ms` means no limit. `unref`: the timer does not keep the process alive on its own.
 */
export function withTimeout<T>(
  p: Promise<T>,
  ms: number,
  message = 'timeout',
  opts: { unref?: boolean } = {},
): Promise<T> {
  if (!(ms > 0) || !Number.isFinite(ms)) return p;
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(message)), ms);
    if (opts.unref) t.unref?.();
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
