/**
 * One token reset per org at a time, across processes (two terminals, two VS Code windows, CLI + extension).
 * Two concurrent resets are worse than useless: each click voids the other's token, and both runs may take the
 * first mail, leaving a superseded token in .env. The second run is refused with a clear message.
 *
 * The lock is a file created with O_EXCL in the per-user lock folder (src/lock: `$XDG_RUNTIME_DIR/token-relay`, else
 * `<tmpdir>/token-relay-<uid>`, mode 0700, refused when another user owns it or it is open to others), named by a
 * hash of the org's login host and the username (no secrets, no usernames in file names). It holds the owner's pid
 * and start time; a lock whose process is gone, or that is older than STALE_MS, is taken over.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { ensurePrivateDir, tryLock, userLockDir } from '../lock';

export const STALE_MS = 6 * 60 * 60 * 1000;

export class ResetInProgressError extends Error {
  override name = 'ResetInProgressError';
  constructor(
    readonly username: string,
    readonly owner: { pid: number; startedAt: string },
  ) {
    super(
      `Another token reset for ${username} is already in progress (started ${owner.startedAt}` +
        `${owner.pid === process.pid ? ' in this window' : owner.pid < 0 ? '' : ` by process ${owner.pid}`}). ` +
        'Finish or cancel it first: a second reset would void the token the first one is waiting for.',
    );
  }
}

/** The per-user lock folder (see src/lock/userDir.ts). */
export function lockDir(): string {
  return userLockDir();
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

/**
 * Takes the lock or throws ResetInProgressError (LockDirError when the lock folder is not safe); returns the
 * release function (idempotent).
 */
export function acquireResetLock(
  loginUrl: string,
  username: string,
  opts: { dir?: string; now?: () => Date } = {},
): () => void {
  const dir = ensurePrivateDir(opts.dir ?? lockDir());
  const r = tryLock(lockPath(loginUrl, username, dir), { staleMs: STALE_MS, now: opts.now });
  if (r.release) return r.release;
  throw new ResetInProgressError(username, { pid: r.owner.pid, startedAt: r.owner.startedAt });
}
