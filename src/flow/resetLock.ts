/**
 * One token reset per org at a time, across processes (two terminals, two VS Code windows, CLI + extension).
 * Two concurrent resets are worse than useless: each click voids the other's token, and both runs may take the
 * first mail, leaving a superseded token in .env. The second run is refused with a clear message.
 *
 * The lock is a file created with O_EXCL in <tmpdir>/token-relay-locks/, named by a hash of the org's login host
 * and the username (no secrets, no usernames in file names). It holds the owner's pid and start time; a lock
 * whose process is gone, or that is older than STALE_MS, is taken over.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const STALE_MS = 6 * 60 * 60 * 1000;

export class ResetInProgressError extends Error {
  override name = 'ResetInProgressError';
  constructor(
    readonly username: string,
    readonly owner: { pid: number; startedAt: string },
  ) {
    super(
      `Another token reset for ${username} is already in progress (started ${owner.startedAt}` +
        `${owner.pid === process.pid ? ' in this window' : ` by process ${owner.pid}`}). ` +
        'Finish or cancel it first: a second reset would void the token the first one is waiting for.',
    );
  }
}

export function lockDir(): string {
  return path.join(process.env.TOKEN_RELAY_LOCK_DIR || os.tmpdir(), 'token-relay-locks');
}

export function lockPath(loginUrl: string, username: string, dir = lockDir()): string {
  let host = loginUrl.trim().toLowerCase();
  try {
    host = new URL(loginUrl).host.toLowerCase();
  } catch {
    /* keep the raw text: still a stable key */
  }
  const key = createHash('sha256').update(`${host}\n${username.trim().toLowerCase()}`).digest('hex').slice(0, 32);
  return path.join(dir, `reset-${key}.lock`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock or throws ResetInProgressError; returns the release function (idempotent). */
export function acquireResetLock(loginUrl: string, username: string, opts: { dir?: string; now?: () => Date } = {}): () => void {
  const dir = opts.dir ?? lockDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = lockPath(loginUrl, username, dir);
  const now = opts.now ?? (() => new Date());
  const mine = JSON.stringify({ pid: process.pid, startedAt: now().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, mine, { flag: 'wx', mode: 0o600 });
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
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner: { pid: number; startedAt: string } | undefined;
    try {
      const o = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown; startedAt?: unknown };
      if (typeof o.pid === 'number' && typeof o.startedAt === 'string') owner = { pid: o.pid, startedAt: o.startedAt };
    } catch {
      /* unreadable or half-written: treated as stale below */
    }
    const fresh = owner && alive(owner.pid) && now().getTime() - Date.parse(owner.startedAt) < STALE_MS;
    if (owner && fresh) throw new ResetInProgressError(username, owner);
    try {
      unlinkSync(file); // stale: its process is gone
    } catch {
      /* someone else took it over first; the next attempt tells */
    }
  }
  throw new ResetInProgressError(username, { pid: -1, startedAt: 'just now' });
}
