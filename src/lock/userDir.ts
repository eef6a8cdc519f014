/**
 * The per-user directory for Token Relay's lock files: `$XDG_RUNTIME_DIR/token-relay` when XDG_RUNTIME_DIR is set
 * (a per-user tmpfs on Linux desktops), else `<os.tmpdir()>/token-relay-<uid>` (Windows: `-<user name>`).
 * `TOKEN_RELAY_LOCK_DIR` names the directory itself (tests, unusual systems).
 *
 * The directory is created with mode 0700. One that already exists must be a real directory (not a symlink),
 * owned by this user and without group/other permission bits; otherwise it is refused (another user could have
 * pre-created it in a shared temp dir, to read or block our locks). Windows has no uid/mode: only the
 * "real directory" check applies there (its temp dir is per-user already).
 */
import { lstatSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export class LockDirError extends Error {
  override name = 'LockDirError';
}

export function isLockDirError(e: unknown): e is LockDirError {
  return e instanceof Error && e.name === 'LockDirError';
}

/** Where the per-user lock directory is (not created). */
export function userLockDir(env: Record<string, string | undefined> = process.env): string {
  if (env.TOKEN_RELAY_LOCK_DIR) return path.resolve(env.TOKEN_RELAY_LOCK_DIR);
  const xdg = env.XDG_RUNTIME_DIR;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'token-relay');
  const uid = process.getuid?.();
  let who: string;
  if (uid !== undefined) who = String(uid);
  else {
    try {
      who = os.userInfo().username.replace(/[^A-Za-z0-9._-]/g, '_') || 'user';
    } catch {
      who = 'user';
    }
  }
  return path.join(os.tmpdir(), `token-relay-${who}`);
}

/** Creates (0700) or checks the directory `dir`; returns it. Throws LockDirError when it is not safe to use. */
export function ensurePrivateDir(dir: string): string {
  try {
    mkdirSync(dir, { recursive: false, mode: 0o700 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      // The parent is missing (an XDG_RUNTIME_DIR that is gone, a custom TOKEN_RELAY_LOCK_DIR): create it, then ours.
      try {
        mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
        mkdirSync(dir, { mode: 0o700 });
      } catch (e2) {
        if ((e2 as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new LockDirError(
            `Cannot create the lock folder ${dir}: ${(e2 as NodeJS.ErrnoException).code ?? String(e2)}.`,
          );
        }
      }
    } else if (code !== 'EEXIST') {
      throw new LockDirError(`Cannot create the lock folder ${dir}: ${code ?? String(e)}.`);
    }
  }
  checkPrivateDir(dir);
  return dir;
}

/** Throws LockDirError unless `dir` is a real directory owned by this user with no group/other bits. */
export function checkPrivateDir(dir: string): void {
  let st;
  try {
    st = lstatSync(dir);
  } catch (e) {
    throw new LockDirError(`Cannot use the lock folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}.`);
  }
  if (st.isSymbolicLink())
    throw new LockDirError(
      `The lock folder ${dir} is a symbolic link; not using it. Remove it (another user may have planted it) and try again.`,
    );
  if (!st.isDirectory())
    throw new LockDirError(`The lock folder ${dir} is not a folder; not using it. Remove it and try again.`);
  const uid = process.getuid?.();
  if (uid === undefined) return; // Windows: no POSIX owner or mode bits
  if (st.uid !== uid) {
    throw new LockDirError(
      `The lock folder ${dir} belongs to another user (uid ${st.uid}); not using it. Remove it, or set XDG_RUNTIME_DIR / TOKEN_RELAY_LOCK_DIR to a folder of your own.`,
    );
  }
  if ((st.mode & 0o077) !== 0) {
    throw new LockDirError(
      `The lock folder ${dir} is accessible to other users (mode 0${(st.mode & 0o777).toString(8)}); not using it. Run chmod 700 on it, or remove it, and try again.`,
    );
  }
}
