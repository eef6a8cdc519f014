/**
 * Reading and atomically writing `.env` files (see ../core/dotenv.ts for the text edit itself, ../core/envContent.ts
 * for the byte checks).
 *
 * writeEnvFile:
 *  - edits with setEnvText (only the target keys' values change; refuses what dotenv cannot read back);
 *  - writes a temp file in the target's directory, fsyncs it, renames it over the target, fsyncs the
 *    directory: a crash leaves either the old or the new file, and no temp file survives a failure;
 *  - a symlinked `.env` stays a symlink: the write goes to the link's final target. When the file finally
 *    written (through a link, a linked folder or a plain `..` path) is outside `opts.allowOutside`,
 *    `opts.confirmOutside(target)` must resolve true, else SYMLINK_OUTSIDE;
 *  - writers of the same file take turns: in this process through a promise chain, across processes through a
 *    lock file in the per-user lock folder (src/lock), so a concurrent writer never loses an update and a
 *    success is never reported for a key that is not in the file;
 *  - a new file gets mode 0600; an existing file keeps its mode (and owner, when we may), with a
 *    warning when group or others can read it; a file without write permission is READ_ONLY (even for
 *    root: a read-only .env is the user's decision);
 *  - if the file changes while we edit it, the edit is redone on the new content (no lost update);
 *  - warns when git does not ignore the file.
 *
 * Reads (readEnvFile, and the writer's read of the current content) open only regular files: a `.env` that is (or
 * links to) a FIFO, a device such as /dev/zero, a socket or a folder is refused before it is read, and no read
 * takes more than MAX_ENV_BYTES (+1 to tell) bytes, whatever the file's size claims.
 * Error messages never contain values.
 */
import { constants as FS, type Stats } from 'node:fs';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { EnvError, parseEnv, setEnvText, checkAssignment, removeEnvKeys } from '../core/dotenv';
import { type EnvWriteResult, MAX_ENV_BYTES, decodeEnvBytes, envTooLarge } from '../core/envContent';
import { isGitIgnored } from './git';
import { ensurePrivateDir, userLockDir, waitLock } from '../lock';
import { createHash } from 'node:crypto';

export { EnvError } from '../core/dotenv';
export { MAX_ENV_BYTES, decodeEnvBytes } from '../core/envContent';
export type { EnvWriteResult } from '../core/envContent';

export interface WriteEnvOptions {
  /** Workspace root: writing a file outside it (after following links) needs `confirmOutside`. */
  allowOutside?: string;
  confirmOutside?: (target: string) => Promise<boolean>;
  /** Skip the `git check-ignore` warning (default: check). */
  checkGitIgnore?: boolean;
  /** Keys to remove (every assignment of each; see removeEnvKeys), after `values` are set; listed in `changed` when present. */
  remove?: readonly string[];
  /** Test seam: runs after the temp file is written and synced, before the rename. */
  beforeRename?: (tmp: string) => Promise<void> | void;
}

function ioError(e: unknown, what: string, file: string): EnvError {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new EnvError(
      'READ_ONLY',
      code === 'EROFS'
        ? `Cannot ${what} ${file}: the file system is read-only.`
        : `Cannot ${what} ${file}: permission denied. Check the permissions of the file and its folder.`,
    );
  }
  if (code === 'ENOSPC' || code === 'EDQUOT') return new EnvError('IO', `Cannot ${what} ${file}: the disk is full.`);
  if (code === 'ENOTDIR' || code === 'ENOENT')
    return new EnvError('IO', `Cannot ${what} ${file}: its folder does not exist.`);
  if (code === 'EISDIR') return new EnvError('IO', `Cannot ${what} ${file}: it is a folder, not a file.`);
  if (code === 'ELOOP') return new EnvError('IO', `Cannot ${what} ${file}: too many levels of symbolic links.`);
  const msg = e instanceof Error ? e.message.replace(/\s+/g, ' ') : String(e);
  return new EnvError('IO', `Cannot ${what} ${file}: ${code ?? msg}.`);
}

/**
 * Reads a regular file of at most `max` bytes without ever blocking on, or streaming from, anything else: the path
 * is stat'ed first (a FIFO, device, socket or folder is refused unopened), opened non-blocking, checked again on
 * the open handle (the path may have been swapped), and read up to `max` + 1 bytes. Errors: EnvError INVALID_FILE
 * for a non-regular file (code NOT_REGULAR on the cause) or a file over `max`; otherwise the fs error
 * (ENOENT, EACCES, EISDIR …) as thrown.
 */
export async function readRegularFile(file: string, max: number = MAX_ENV_BYTES): Promise<Buffer> {
  const abs = path.resolve(file);
  const check = (st: Stats) => {
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!st.isFile()) throw notRegular(abs, st);
    if (st.size > max) throw tooLarge(abs, st.size, max);
  };
  check(await fsp.stat(abs));
  const fh = await fsp.open(abs, FS.O_RDONLY | (FS.O_NONBLOCK ?? 0) | (FS.O_NOCTTY ?? 0));
  try {
    check(await fh.stat());
    const chunks: Buffer[] = [];
    let total = 0;
    while (total <= max) {
      const chunk = Buffer.alloc(Math.min(1 << 16, max + 1 - total));
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
    }
    if (total > max) throw tooLarge(abs, total, max, true);
    return Buffer.concat(chunks, total);
  } finally {
    await fh.close();
  }
}

function notRegular(file: string, st: Stats): EnvError {
  const kind = st.isFIFO()
    ? 'a FIFO (named pipe)'
    : st.isCharacterDevice()
      ? 'a character device'
      : st.isBlockDevice()
        ? 'a block device'
        : st.isSocket()
          ? 'a socket'
          : 'not a regular file';
  return new EnvError(
    'INVALID_FILE',
    `${file} is ${kind === 'not a regular file' ? kind : `${kind}, not a regular file`}; not reading it (an env file must be a plain file).`,
  );
}

function tooLarge(file: string, size: number, max: number, atLeast = false): EnvError {
  if (max === MAX_ENV_BYTES && !atLeast) return envTooLarge(file, size);
  return new EnvError(
    'INVALID_FILE',
    `${file} is ${atLeast ? 'more than ' + max : size} bytes, too large (limit ${max} bytes); not reading it.`,
  );
}

/** Reads and parses an env file; undefined when it does not exist. Throws EnvError otherwise. */
export async function readEnvFile(file: string): Promise<{ text: string; vars: Record<string, string> } | undefined> {
  const abs = path.resolve(file);
  let buf: Buffer;
  try {
    buf = await readRegularFile(abs, MAX_ENV_BYTES);
  } catch (e) {
    if (e instanceof EnvError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(e, 'read', abs);
  }
  const text = decodeEnvBytes(buf, abs);
  const vars = parseEnv(text);
  return { text, vars };
}

function isInside(child: string, root: string): boolean {
  const rel = path.relative(root, child);
  return rel === '' || (!rel.startsWith('..' + path.sep) && rel !== '..' && !path.isAbsolute(rel));
}

/** Follows a symlink chain to the file that a write must replace (which may not exist yet). */
async function resolveTarget(abs: string): Promise<{ target: string; viaSymlink: boolean }> {
  let p = abs;
  let viaSymlink = false;
  for (let hops = 0; hops < 40; hops++) {
    let st;
    try {
      st = await fsp.lstat(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(e, 'read', p);
      // Not there (yet): the real folder + the name.
      let dir: string;
      try {
        dir = await fsp.realpath(path.dirname(p));
      } catch (e2) {
        throw ioError(e2, 'write', p);
      }
      return { target: path.join(dir, path.basename(p)), viaSymlink };
    }
    if (!st.isSymbolicLink()) {
      try {
        return { target: await fsp.realpath(p), viaSymlink };
      } catch (e) {
        throw ioError(e, 'read', p);
      }
    }
    viaSymlink = true;
    const link = await fsp.readlink(p);
    p = path.resolve(path.dirname(p), link);
  }
  throw new EnvError('IO', `Cannot write ${abs}: too many levels of symbolic links.`);
}

function modeString(mode: number): string {
  return '0' + (mode & 0o777).toString(8).padStart(3, '0');
}

/** Writes `values` into the env file at `file` (see the module comment). Throws EnvError. */
export async function writeEnvFile(
  file: string,
  values: Record<string, string>,
  opts: WriteEnvOptions = {},
): Promise<EnvWriteResult> {
  for (const [k, v] of Object.entries(values)) checkAssignment(k, v);
  const abs = path.resolve(file);
  const { target, viaSymlink } = await resolveTarget(abs);
  if (opts.allowOutside !== undefined) {
    let root = path.resolve(opts.allowOutside);
    try {
      root = await fsp.realpath(root);
    } catch {
      /* keep the lexical root */
    }
    if (!isInside(target, root)) {
      const ok = opts.confirmOutside ? await opts.confirmOutside(target) : false;
      if (ok !== true) {
        throw new EnvError(
          'SYMLINK_OUTSIDE',
          viaSymlink
            ? `${abs} is a symlink to ${target}, outside ${root}; not writing there without confirmation.`
            : `${abs} is ${target}, outside ${root}; not writing there without confirmation.`,
        );
      }
    }
  }
  // One writer per file at a time in this process (other processes: the lost-update guard below).
  return inProcessTurn(target, () => writeLocked(abs, target, values, opts));
}

const fileLocks = new Map<string, Promise<unknown>>();

/** Callers in this process take turns per key (the cross-process lock is lockTarget, taken inside). */
async function inProcessTurn<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = fileLocks.get(key) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  fileLocks.set(key, settled);
  try {
    return await run;
  } finally {
    if (fileLocks.get(key) === settled) fileLocks.delete(key);
  }
}

/** How long a writer waits for another process's write of the same file (a write takes milliseconds). */
export const ENV_LOCK_WAIT_MS = 30_000;
/** A lock this old is taken over even when its process still runs (pid reuse); a dead owner's lock at once. */
export const ENV_LOCK_STALE_MS = 10 * 60_000;

/** The cross-process lock of one target file, in the per-user lock folder; undefined when that folder is unusable. */
async function lockTarget(target: string): Promise<{ release?: () => void; problem?: string }> {
  let dir: string;
  try {
    dir = ensurePrivateDir(userLockDir());
  } catch (e) {
    return { problem: e instanceof Error ? e.message : String(e) };
  }
  const file = path.join(dir, `env-${createHash('sha256').update(target).digest('hex').slice(0, 32)}.lock`);
  let release: (() => void) | undefined;
  try {
    release = await waitLock(file, { staleMs: ENV_LOCK_STALE_MS, waitMs: ENV_LOCK_WAIT_MS });
  } catch (e) {
    return { problem: `cannot create ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}` };
  }
  if (!release) {
    throw new EnvError(
      'IO',
      `${target} is being written by another Token Relay process (lock ${file}) for over ${ENV_LOCK_WAIT_MS / 1000} s; nothing was written. Try again.`,
    );
  }
  return { release };
}

async function writeLocked(
  abs: string,
  target: string,
  values: Record<string, string>,
  opts: WriteEnvOptions,
): Promise<EnvWriteResult> {
  // `git check-ignore` is a child process (~10-100 ms): run it alongside the write, outside the lock.
  const ignoredP = opts.checkGitIgnore !== false ? isGitIgnored(abs).catch(() => undefined) : undefined;
  const lock = await lockTarget(target);
  let res: EnvWriteResult;
  try {
    res = await writeOnce(abs, target, values, opts);
    if (!lock.release) {
      // No cross-process lock: check that every key reads back as written (another writer may have replaced the
      // file with its own edit of the old content) and redo the edit if not, so success is never reported falsely.
      for (let round = 0; !(await readsBack(target, values)); round++) {
        if (round >= 5)
          throw new EnvError(
            'IO',
            `${target} keeps being rewritten by another process while Token Relay writes it; try again.`,
          );
        res = await writeOnce(abs, target, values, opts);
      }
      res.warnings.push(
        `Could not lock ${target} against concurrent writers (${lock.problem}); wrote it and checked the result instead.`,
      );
    }
  } finally {
    lock.release?.();
  }
  if (ignoredP) {
    const ignored = await ignoredP;
    if (ignored === false)
      res.warnings.push(`${abs} is not ignored by git; add it to .gitignore so the secrets are never committed.`);
  }
  return res;
}

async function readsBack(target: string, values: Record<string, string>): Promise<boolean> {
  try {
    const vars = parseEnv(decodeEnvBytes(await readRegularFile(target), target));
    return Object.entries(values).every(([k, v]) => Object.prototype.hasOwnProperty.call(vars, k) && vars[k] === v);
  } catch {
    return false;
  }
}

async function writeOnce(
  abs: string,
  target: string,
  values: Record<string, string>,
  opts: WriteEnvOptions,
): Promise<EnvWriteResult> {
  for (let attempt = 0; ; attempt++) {
    // 1. Read the current content (if any).
    let st: Stats | undefined;
    let text = '';
    try {
      st = await fsp.stat(target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(e, 'read', target);
    }
    if (st) {
      if (!st.isFile()) throw new EnvError('IO', `Cannot write ${target}: it is not a regular file.`);
      if ((st.mode & 0o222) === 0) {
        throw new EnvError(
          'READ_ONLY',
          `${target} is read-only (mode ${modeString(st.mode)}); make it writable (chmod u+w) to let Token Relay update it.`,
        );
      }
      try {
        await fsp.access(target, FS.W_OK);
      } catch (e) {
        throw ioError(e, 'write', target);
      }
      if (st.size > MAX_ENV_BYTES) throw envTooLarge(target, st.size);
      let buf: Buffer;
      try {
        buf = await readRegularFile(target);
      } catch (e) {
        if (e instanceof EnvError) throw e;
        throw ioError(e, 'read', target);
      }
      text = decodeEnvBytes(buf, target);
    }

    // 2. Edit in memory (throws before anything touches the disk).
    const before = parseEnv(text);
    const remove = (opts.remove ?? []).filter((k) => !Object.prototype.hasOwnProperty.call(values, k));
    const next = remove.length ? removeEnvKeys(setEnvText(text, values), remove) : setEnvText(text, values);
    const changed = Object.keys(values).filter(
      (k) => !Object.prototype.hasOwnProperty.call(before, k) || before[k] !== values[k],
    );
    for (const k of remove) if (Object.prototype.hasOwnProperty.call(before, k)) changed.push(k);
    const warnings: string[] = [];
    if (st && (st.mode & 0o077) !== 0 && (st.mode & 0o044) !== 0) {
      warnings.push(
        `${target} is readable by ${st.mode & 0o004 ? 'everyone' : 'its group'} (mode ${modeString(st.mode)}); run chmod 600 on it to keep the secrets private.`,
      );
    }
    if (st && st.nlink > 1 && next !== text) {
      warnings.push(`${target} had ${st.nlink} hard links; the other names keep the old content.`);
    }
    if ((st && next === text) || (!st && next === '' && remove.length > 0))
      return { path: abs, target, created: false, changed: [], warnings };

    // 3. Temp file in the same folder, fsync, then check nobody changed the file meanwhile, rename.
    const dir = path.dirname(target);
    const tmp = path.join(
      dir,
      `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.token-relay.tmp`,
    );
    const mode = st ? st.mode & 0o7777 : 0o600;
    let renamed = false;
    try {
      let fh: fsp.FileHandle;
      try {
        fh = await fsp.open(tmp, 'wx', 0o600);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
          throw new EnvError(
            'READ_ONLY',
            `Cannot write ${target}: its folder ${dir} is not writable${code === 'EROFS' ? ' (read-only file system)' : ''}.`,
          );
        }
        throw ioError(e, 'write', target);
      }
      try {
        await fh.writeFile(next, 'utf8');
        await fh.chmod(mode); // exact mode, independent of the umask
        if (st && process.getuid?.() === 0 && (st.uid !== 0 || st.gid !== 0)) {
          await fh.chown(st.uid, st.gid).catch(() => undefined);
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      if (opts.beforeRename) await opts.beforeRename(tmp);
      // Lost-update guard: if the file changed since we read it, redo the edit on its new content.
      let now: Stats | undefined;
      try {
        now = await fsp.stat(target);
      } catch {
        now = undefined;
      }
      const same = st
        ? now !== undefined && now.ino === st.ino && now.size === st.size && now.mtimeMs === st.mtimeMs
        : now === undefined;
      if (!same && attempt < 3) continue;
      if (!same) throw new EnvError('IO', `${target} keeps changing while Token Relay writes it; try again.`);
      await fsp.rename(tmp, target);
      renamed = true;
    } catch (e) {
      if (e instanceof EnvError) throw e;
      throw ioError(e, 'write', target);
    } finally {
      if (!renamed) await fsp.unlink(tmp).catch(() => undefined);
    }
    // Make the rename itself durable (best effort: not every platform can fsync a folder).
    try {
      const dh = await fsp.open(dir, 'r');
      try {
        await dh.sync();
      } finally {
        await dh.close();
      }
    } catch {
      /* ignore */
    }
    return { path: abs, target, created: !st, changed, warnings };
  }
}
