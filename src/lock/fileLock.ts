/**
 * Cross-process lock files: a file created with O_EXCL (`wx`) holding its owner (pid, host, start time and a
 * random nonce). A lock whose owner process is gone (same host), or that is older than `staleMs`, is taken over.
 * Release removes the file only while it still holds our own content (a takeover by someone else is left alone).
 * Used by the reset lock (src/flow/resetLock.ts: refuse a second reset) and the env-file writer
 * (src/envfile/envFile.ts: writers of one file take turns).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { sleep } from '../core/async';

export interface LockOwner {
  pid: number;
  startedAt: string;
  host?: string;
}

export type TryLock = { release: () => void; owner?: undefined } | { release?: undefined; owner: LockOwner };

function alive(pid: number): boolean {
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
    const o = JSON.parse(raw) as { pid?: unknown; startedAt?: unknown; host?: unknown };
    if (typeof o.pid === 'number' && typeof o.startedAt === 'string') {
      return {
        raw,
        owner: { pid: o.pid, startedAt: o.startedAt, ...(typeof o.host === 'string' ? { host: o.host } : {}) },
      };
    }
  } catch {
    /* half-written or foreign: stale */
  }
  return { raw };
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

function ownerText(now: () => Date): string {
  return JSON.stringify({
    pid: process.pid,
    startedAt: now().toISOString(),
    host: hostName(),
    nonce: randomBytes(8).toString('hex'),
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
export function tryLock(file: string, opts: { staleMs: number; now?: () => Date }): TryLock {
  const now = opts.now ?? (() => new Date());
  const mine = ownerText(now);
  let lastOwner: LockOwner | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    const release = create(file, mine);
    if (release) return { release };
    const { owner, raw } = readOwner(file);
    if (raw === undefined) continue; // vanished between our create and our read: try again
    const sameHost = !owner?.host || owner.host === hostName();
    const fresh =
      owner !== undefined &&
      (!sameHost || alive(owner.pid)) &&
      now().getTime() - Date.parse(owner.startedAt) < opts.staleMs;
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
  opts: { staleMs: number; waitMs: number; signal?: AbortSignal },
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
      ownerText(() => new Date()),
    );
    if (quick) return quick;
    if (Date.now() - lastCheck >= 250) {
      lastCheck = Date.now();
      const r = tryLock(file, { staleMs: opts.staleMs });
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
