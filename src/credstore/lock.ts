/**
 * A lock across processes (and across callers in one process) on one file name: `open(path, 'wx')` creates the
 * lock file or fails because another holder has it. The lock file holds the holder's pid, host and a random nonce.
 *
 * - Waiting: polls with a growing, jittered delay (10 ms … 200 ms) up to `timeoutMs` (default 60 s), then
 *   LockTimeoutError; `signal` aborts the wait.
 * - Stale locks: a lock whose holder is a process on this host that no longer runs, or whose file has not been
 *   touched for `staleMs` (default 120 s; a holder touches it every staleMs/4), is broken. Breaking renames the
 *   file to a private name first (only one breaker can win that rename) and puts it back when it turns out to be
 *   a fresh lock that replaced the stale one in between.
 * - Release removes the file only when it still holds our nonce (a lock broken as stale is not ours to remove).
 */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { hostname } from 'node:os';
import { abortError, sleep } from '../core/async';

export interface LockOptions {
  timeoutMs?: number;
  staleMs?: number;
  signal?: AbortSignal;
}

export class LockTimeoutError extends Error {
  override name = 'LockTimeoutError';
}

interface LockInfo {
  pid: number;
  host: string;
  nonce: string;
}

function parseInfo(text: string): LockInfo | undefined {
  try {
    const j = JSON.parse(text) as Partial<LockInfo>;
    if (typeof j.pid === 'number' && typeof j.host === 'string' && typeof j.nonce === 'string') return j as LockInfo;
  } catch {
    /* half-written or foreign */
  }
  return undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(file: string): Promise<{ text: string; mtimeMs: number } | undefined> {
  try {
    const [text, st] = await Promise.all([fsp.readFile(file, 'utf8'), fsp.stat(file)]);
    return { text, mtimeMs: st.mtimeMs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function isStale(lock: { text: string; mtimeMs: number }, staleMs: number): boolean {
  const info = parseInfo(lock.text);
  const age = Date.now() - lock.mtimeMs;
  if (!info) return age > Math.min(2000, staleMs); // written by a holder that died between create and write
  if (info.host === hostname() && !processAlive(info.pid)) return true;
  return age > staleMs;
}

/** Breaks a lock judged stale from `seen` (its text). */
async function breakLock(file: string, seen: string): Promise<void> {
  const aside = `${file}.${randomBytes(6).toString('hex')}.stale`;
  try {
    await fsp.rename(file, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const moved = await fsp.readFile(aside, 'utf8').catch(() => seen);
  if (moved !== seen) {
    // A fresh lock replaced the stale one between our look and the rename: put it back (unless yet another exists).
    await fsp.link(aside, file).catch(() => undefined);
  }
  await fsp.unlink(aside).catch(() => undefined);
}

/** Runs `fn` while holding the lock file `file` (see the module comment). */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const staleMs = opts.staleMs ?? 120_000;
  const nonce = randomBytes(12).toString('hex');
  const body = JSON.stringify({ pid: process.pid, host: hostname(), nonce, at: new Date().toISOString() });
  const deadline = Date.now() + timeoutMs;
  let delay = 10;
  for (;;) {
    if (opts.signal?.aborted) throw abortError(opts.signal);
    let fh: fsp.FileHandle | undefined;
    try {
      fh = await fsp.open(file, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (fh) {
      try {
        await fh.writeFile(body, 'utf8');
      } finally {
        await fh.close();
      }
      break;
    }
    const current = await readLock(file);
    if (current && isStale(current, staleMs)) {
      await breakLock(file, current.text);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new LockTimeoutError(
        `Another token-relay process has held ${file} for more than ${Math.round(timeoutMs / 1000)} s; try again (or delete that file if no token-relay is running).`,
      );
    }
    await sleep(Math.min(delay + Math.random() * delay, Math.max(1, deadline - Date.now())), opts.signal);
    delay = Math.min(delay * 2, 200);
  }
  const touch = setInterval(
    () => {
      const now = new Date();
      fsp.utimes(file, now, now).catch(() => undefined);
    },
    Math.max(250, Math.floor(staleMs / 4)),
  );
  touch.unref();
  try {
    return await fn();
  } finally {
    clearInterval(touch);
    const now = await fsp.readFile(file, 'utf8').catch(() => undefined);
    if (now !== undefined && parseInfo(now)?.nonce === nonce) await fsp.unlink(file).catch(() => undefined);
  }
}
