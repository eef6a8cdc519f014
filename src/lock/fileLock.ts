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
      return { raw, owner: { pid: o.pid, startedAt: o.startedAt, ...(typeof o.host === 'string' ? { host: o.host } : {}) } };
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

/**
 * One attempt (plus one retry after removing a stale lock): the release function, or the live owner.
 * Errors other than "exists" (a missing or unwritable folder) are thrown.
 */
export function tryLock(file: string, opts: { staleMs: number; now?: () => Date }): TryLock {
  const now = opts.now ?? (() => new Date());
  const host = hostName();
  const mine = JSON.stringify({ pid: process.pid, startedAt: now().toISOString(), host, nonce: randomBytes(8).toString('hex') });
  let lastOwner: LockOwner | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, mine, { flag: 'wx', mode: 0o600 });
      let released = false;
      return {
        release: () => {
          if (released) return;
          released = true;
          try {
            if (readFileSync(file, 'utf8') === mine) unlinkSync(file);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const { owner, raw } = readOwner(file);
    if (raw === undefined) continue; // vanished between our create and our read: try again
    const sameHost = !owner?.host || owner.host === host;
    const fresh = owner !== undefined && (!sameHost || alive(owner.pid)) && now().getTime() - Date.parse(owner.startedAt) < opts.staleMs;
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
 * Waits for the lock (polling with a growing, jittered delay) up to `waitMs`; returns the release function, or
 * undefined when the lock stayed busy that long.
 */
export async function waitLock(file: string, opts: { staleMs: number; waitMs: number; signal?: AbortSignal }): Promise<(() => void) | undefined> {
  const deadline = Date.now() + opts.waitMs;
  let delay = 2;
  for (;;) {
    const r = tryLock(file, { staleMs: opts.staleMs });
    if (r.release) return r.release;
    if (Date.now() >= deadline) return undefined;
    await sleep(Math.min(delay + Math.random() * delay, Math.max(1, deadline - Date.now())), opts.signal);
    delay = Math.min(delay * 2, 50);
  }
}
