/**
 * Cross-process lock files, the one implementation every lock in Token Relay uses: a file created with O_EXCL (`wx`)
 * holding its owner (pid, host, start time and a random nonce). A lock whose owner process is gone (same host), or
 * whose last sign of life is older than `staleMs`, is taken over. The last sign of life is the start time; for a
 * lock marked `beats` (made by `withLock`, whose heartbeat touches the file every staleMs/4) or one without a start
 * time, the later of that and the file's mtime, so a long holder keeps its lock and only one that hangs or died on
 * another host loses it. Release removes the file only while it still holds our
 * own content (a takeover by someone else is left alone).
 * Used by the reset lock (src/flow/resetLock.ts: refuse a second reset), the env-file writer (src/envfile/envFile.ts:
 * writers of one file take turns) and the CLI credential store (src/credstore/store.ts: refreshers of one entry take
 * turns, with `withLock`).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { abortError, sleep } from '../core/async';

export interface LockOwner {
  pid: number;
  startedAt: string;
  host?: string;
  /** The holder touches the lock file while it holds it (withLock): its mtime is a sign of life. */
  beats?: boolean;
}

export type TryLock = { release: () => void; owner?: undefined } | { release?: undefined; owner: LockOwner };

/** Whether a process with this id runs on this host (EPERM: it runs, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(file: string): { owner?: LockOwner; raw?: string } {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  try {
    const o = JSON.parse(raw) as { pid?: unknown; startedAt?: unknown; host?: unknown; beats?: unknown };
    if (typeof o.pid === 'number') {
      // A lock without a start time (an older writer) counts from its file's mtime alone.
      const timed = typeof o.startedAt === 'string';
      const startedAt = timed ? (o.startedAt as string) : new Date(0).toISOString();
      return {
        raw,
        owner: {
          pid: o.pid,
          startedAt,
          ...(typeof o.host === 'string' ? { host: o.host } : {}),
          ...(o.beats === true || !timed ? { beats: true } : {}),
        },
      };
    }
  } catch {
    /* half-written or foreign: stale */
  }
  return { raw };
}

/** The file's mtime (ms), or 0 when it cannot be read. */
function mtimeOf(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function lastSignOfLife(owner: LockOwner, file: string): number {
  const started = Date.parse(owner.startedAt);
  return owner.beats ? Math.max(started, mtimeOf(file)) : started;
}

function recentlyChanged(file: string, now: () => Date): boolean {
  try {
    return now().getTime() - statSync(file).mtimeMs < 5_000;
  } catch {
    return false;
  }
}

function hostName(): string {
  try {
    return os.hostname();
  } catch {
    return '';
  }
}

function ownerText(now: () => Date, beats = false): string {
  return JSON.stringify({
    pid: process.pid,
    startedAt: now().toISOString(),
    host: hostName(),
    nonce: randomBytes(8).toString('hex'),
    ...(beats ? { beats: true } : {}),
  });
}

/** Creates the lock file with `mine` (O_EXCL): the release function, or undefined when it exists. */
function create(file: string, mine: string): (() => void) | undefined {
  try {
    writeFileSync(file, mine, { flag: 'wx', mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw e;
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    try {
      if (readFileSync(file, 'utf8') === mine) unlinkSync(file);
    } catch {
      /* already gone */
    }
  };
}

/**
 * One attempt (plus one retry after removing a stale lock): the release function, or the live owner.
 * Errors other than "exists" (a missing or unwritable folder) are thrown.
 */
export function tryLock(file: string, opts: { staleMs: number; now?: () => Date; beats?: boolean }): TryLock {
  const now = opts.now ?? (() => new Date());
  const mine = ownerText(now, opts.beats);
  let lastOwner: LockOwner | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    const release = create(file, mine);
    if (release) return { release };
    const { owner, raw } = readOwner(file);
    if (raw === undefined) continue; // vanished between our create and our read: try again
    const sameHost = !owner?.host || owner.host === hostName();
    const fresh =
      owner !== undefined &&
      (!sameHost || processAlive(owner.pid)) &&
      now().getTime() - lastSignOfLife(owner, file) < opts.staleMs;
    if (owner && fresh) return { owner };
    // Stale (its process is gone, it is too old, or unreadable): remove it, unless someone replaced it meanwhile.
    // A file that is still empty may be a lock being written right now: leave it for the next attempt.
    lastOwner = owner;
    if (raw === '' && recentlyChanged(file, now)) return { owner: { pid: -1, startedAt: now().toISOString() } };
    try {
      if (readFileSync(file, 'utf8') === raw) unlinkSync(file);
    } catch {
      /* someone else took it over first; the next attempt tells */
    }
  }
  return { owner: lastOwner ?? { pid: -1, startedAt: now().toISOString() } };
}

/**
 * Waits for the lock, polling with a growing, jittered delay (a failed O_EXCL create is one cheap system call; the
 * owner is read and checked for staleness at most every 250 ms). Returns the release function, or undefined when
 * one holder kept the lock for `waitMs` (while the lock passes from holder to holder, the wait goes on: a queue of
 * writers is progress, not a hang).
 */
export async function waitLock(
  file: string,
  opts: { staleMs: number; waitMs: number; signal?: AbortSignal; beats?: boolean },
): Promise<(() => void) | undefined> {
  let delay = 1;
  let lastCheck = 0;
  let lastRaw: string | undefined;
  let since = Date.now();
  for (;;) {
    // The owner text is made per attempt: its start time must be the time the lock is taken (an old one would look
    // stale to the others at once).
    const quick = create(
      file,
      ownerText(() => new Date(), opts.beats),
    );
    if (quick) return quick;
    if (Date.now() - lastCheck >= 250) {
      lastCheck = Date.now();
      const r = tryLock(file, { staleMs: opts.staleMs, ...(opts.beats ? { beats: true } : {}) });
      if (r.release) return r.release;
      const raw = readOwner(file).raw;
      if (raw !== lastRaw) {
        lastRaw = raw;
        since = Date.now();
      } else if (Date.now() - since >= opts.waitMs) {
        return undefined;
      }
    }
    await sleep(delay / 2 + Math.random() * delay, opts.signal);
    delay = Math.min(delay * 2, 200);
  }
}

export class LockTimeoutError extends Error {
  override name = 'LockTimeoutError';
}

export interface WithLockOptions {
  /** A holder silent for this long is taken over (default 120 s); the heartbeat touches the file every staleMs/4. */
  staleMs?: number;
  /** How long one holder may keep us waiting (default 60 s), then LockTimeoutError. */
  waitMs?: number;
  signal?: AbortSignal;
}

/**
 * Runs `fn` while holding the lock file `file`: waits its turn (waitLock), keeps the lock alive with a heartbeat
 * (touches the file every staleMs/4, at least every 250 ms), releases it afterwards. Throws LockTimeoutError when
 * one holder keeps it longer than `waitMs`; `signal` aborts the wait.
 */
export async function withLock<T>(file: string, fn: () => Promise<T>, opts: WithLockOptions = {}): Promise<T> {
  const staleMs = opts.staleMs ?? 120_000;
  const waitMs = opts.waitMs ?? 60_000;
  if (opts.signal?.aborted) throw abortError(opts.signal);
  const release = await waitLock(file, {
    staleMs,
    waitMs,
    beats: true,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (!release) {
    throw new LockTimeoutError(
      `Another token-relay process has held ${file} for more than ${Math.round(waitMs / 1000)} s; try again (or delete that file if no token-relay is running).`,
    );
  }
  const beat = setInterval(
    () => {
      try {
        const now = new Date();
        utimesSync(file, now, now);
      } catch {
        /* taken over or removed: release tells */
      }
    },
    Math.max(250, Math.floor(staleMs / 4)),
  );
  beat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(beat);
    release();
  }
}
