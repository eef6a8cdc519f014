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
 *  - writers of the same file in this process take turns;
 *  - a new file gets mode 0600; an existing file keeps its mode (and owner, when we may), with a
 *    warning when group or others can read it; a file without write permission is READ_ONLY (even for
 *    root: a read-only .env is the user's decision);
 *  - if the file changes while we edit it, the edit is redone on the new content (no lost update);
 *  - warns when git does not ignore the file.
 * Error messages never contain values.
 */
import { constants as FS } from 'node:fs';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { EnvError, parseEnv, setEnvText, checkAssignment, removeEnvKeys } from '../core/dotenv';
import { EnvWriteResult, MAX_ENV_BYTES, decodeEnvBytes, envTooLarge as tooLarge } from '../core/envContent';
import { isGitIgnored } from './git';

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
  if (code === 'ENOTDIR' || code === 'ENOENT') return new EnvError('IO', `Cannot ${what} ${file}: its folder does not exist.`);
  if (code === 'EISDIR') return new EnvError('IO', `Cannot ${what} ${file}: it is a folder, not a file.`);
  if (code === 'ELOOP') return new EnvError('IO', `Cannot ${what} ${file}: too many levels of symbolic links.`);
  const msg = e instanceof Error ? e.message.replace(/\s+/g, ' ') : String(e);
  return new EnvError('IO', `Cannot ${what} ${file}: ${code ?? msg}.`);
}

/** Reads and parses an env file; undefined when it does not exist. Throws EnvError otherwise. */
export async function readEnvFile(file: string): Promise<{ text: string; vars: Record<string, string> } | undefined> {
  const abs = path.resolve(file);
  let buf: Buffer;
  try {
    const st = await fsp.stat(abs);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (st.size > MAX_ENV_BYTES) throw tooLarge(abs, st.size);
    buf = await fsp.readFile(abs);
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
export async function writeEnvFile(file: string, values: Record<string, string>, opts: WriteEnvOptions = {}): Promise<EnvWriteResult> {
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
  return withFileLock(target, () => writeLocked(abs, target, values, opts));
}

const fileLocks = new Map<string, Promise<unknown>>();

async function withFileLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
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

async function writeLocked(abs: string, target: string, values: Record<string, string>, opts: WriteEnvOptions): Promise<EnvWriteResult> {
  // `git check-ignore` is a child process (~10-100 ms): run it alongside the read and edit, not before them.
  const ignoredP = opts.checkGitIgnore !== false ? isGitIgnored(abs).catch(() => undefined) : undefined;
  for (let attempt = 0; ; attempt++) {
    // 1. Read the current content (if any).
    let st: import('node:fs').Stats | undefined;
    let text = '';
    try {
      st = await fsp.stat(target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(e, 'read', target);
    }
    if (st) {
      if (!st.isFile()) throw new EnvError('IO', `Cannot write ${target}: it is not a regular file.`);
      if ((st.mode & 0o222) === 0) {
        throw new EnvError('READ_ONLY', `${target} is read-only (mode ${modeString(st.mode)}); make it writable (chmod u+w) to let Token Relay update it.`);
      }
      try {
        await fsp.access(target, FS.W_OK);
      } catch (e) {
        throw ioError(e, 'write', target);
      }
      if (st.size > MAX_ENV_BYTES) throw tooLarge(target, st.size);
      let buf: Buffer;
      try {
        buf = await fsp.readFile(target);
      } catch (e) {
        throw ioError(e, 'read', target);
      }
      text = decodeEnvBytes(buf, target);
    }

    // 2. Edit in memory (throws before anything touches the disk).
    const before = parseEnv(text);
    const remove = (opts.remove ?? []).filter((k) => !Object.prototype.hasOwnProperty.call(values, k));
    const next = remove.length ? removeEnvKeys(setEnvText(text, values), remove) : setEnvText(text, values);
    const changed = Object.keys(values).filter((k) => !Object.prototype.hasOwnProperty.call(before, k) || before[k] !== values[k]);
    for (const k of remove) if (Object.prototype.hasOwnProperty.call(before, k)) changed.push(k);
    const warnings: string[] = [];
    if (st && (st.mode & 0o077) !== 0 && (st.mode & 0o044) !== 0) {
      warnings.push(`${target} is readable by ${st.mode & 0o004 ? 'everyone' : 'its group'} (mode ${modeString(st.mode)}); run chmod 600 on it to keep the secrets private.`);
    }
    if (st && st.nlink > 1 && next !== text) {
      warnings.push(`${target} had ${st.nlink} hard links; the other names keep the old content.`);
    }
    if (ignoredP) {
      const ignored = await ignoredP;
      if (ignored === false) warnings.push(`${abs} is not ignored by git; add it to .gitignore so the secrets are never committed.`);
    }
    if ((st && next === text) || (!st && next === '' && remove.length > 0)) return { path: abs, target, created: false, changed: [], warnings };

    // 3. Temp file in the same folder, fsync, then check nobody changed the file meanwhile, rename.
    const dir = path.dirname(target);
    const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.token-relay.tmp`);
    const mode = st ? st.mode & 0o7777 : 0o600;
    let renamed = false;
    try {
      let fh: fsp.FileHandle;
      try {
        fh = await fsp.open(tmp, 'wx', 0o600);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
          throw new EnvError('READ_ONLY', `Cannot write ${target}: its folder ${dir} is not writable${code === 'EROFS' ? ' (read-only file system)' : ''}.`);
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
      let now: import('node:fs').Stats | undefined;
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
