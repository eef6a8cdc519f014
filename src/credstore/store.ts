/**
 * The CLI credential store (CONTRACTS "Sign-in methods"): the refresh token of each `oauth` sign-in, outside every
 * project. One JSON file per login URL + client id + username (./paths.ts), in a directory of mode 0700 owned by
 * the user; files 0600.
 *
 * - The directory is created when missing (0700). An existing one that group/others can reach is fixed to 0700
 *   (a warning says so); one owned by another user, or that cannot be fixed, is refused (CredentialStoreError
 *   UNSAFE_DIR). A file readable by others is fixed to 0600 the same way.
 * - Writes are atomic: a temp file (0600) in the directory, fsync, rename over the entry, fsync the directory.
 * - `withEntryLock` holds a lock across processes for one entry (src/lock: withLock, with a heartbeat): a refresher reads the entry, refreshes
 *   and writes the rotated refresh token inside it, so a second refresher waits, then re-reads and uses the
 *   rotated token (with rotation on, the old one is dead at once).
 * - Every refresh token read or written is registered with the redactor. Errors never contain a token.
 */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { registerSecret } from '../core/redact';
import { type WithLockOptions, withLock } from '../lock';
import { type CredentialKey, canonicalKey, credentialHome, entryName } from './paths';

/** One stored sign-in. */
export interface StoredCredential extends CredentialKey {
  refreshToken: string;
  instanceUrl?: string;
  orgId?: string;
  userId?: string;
  scope?: string;
  /** ISO time of the last write. */
  updatedAt?: string;
}

export type CredentialStoreErrorCode = 'UNSAFE_DIR' | 'IO' | 'BAD_ENTRY';

export class CredentialStoreError extends Error {
  override name = 'CredentialStoreError';
  constructor(
    readonly code: CredentialStoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isCredentialStoreError(e: unknown): e is CredentialStoreError {
  return e instanceof CredentialStoreError;
}

export interface CredentialStoreOptions {
  /** Called with one sentence when the store fixed a permission (or anything else worth telling the user). */
  onWarning?: (message: string) => void;
  /** Lock waits (tests shorten them). */
  lock?: WithLockOptions;
}

const POSIX = process.platform !== 'win32';
const VERSION = 1;

function mode(m: number): string {
  return '0' + (m & 0o777).toString(8).padStart(3, '0');
}

function ioError(e: unknown, what: string): CredentialStoreError {
  const code = (e as NodeJS.ErrnoException)?.code ?? 'error';
  return new CredentialStoreError('IO', `Cannot ${what}: ${code}.`);
}

export class CredentialStore {
  private ready: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    private readonly opts: CredentialStoreOptions = {},
  ) {}

  /** The store of this environment (TOKEN_RELAY_HOME, XDG_CONFIG_HOME, ~/.config). */
  static fromEnv(env: Record<string, string | undefined>, opts: CredentialStoreOptions = {}): CredentialStore {
    return new CredentialStore(credentialHome(env), opts);
  }

  /** The entry file of a key (whether or not it exists). */
  fileOf(key: CredentialKey): string {
    return path.join(this.dir, `${entryName(key)}.json`);
  }

  private warn(message: string): void {
    this.opts.onWarning?.(message);
  }

  /** Creates the directory (0700) or checks and fixes it; once per store object. */
  ensureDir(): Promise<void> {
    this.ready ??= this.checkDir().catch((e: unknown) => {
      this.ready = undefined;
      throw e;
    });
    return this.ready;
  }

  private async checkDir(): Promise<void> {
    try {
      await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw ioError(e, `create the credential store ${this.dir}`);
    }
    let st;
    try {
      st = await fsp.stat(this.dir);
    } catch (e) {
      throw ioError(e, `read the credential store ${this.dir}`);
    }
    if (!st.isDirectory())
      throw new CredentialStoreError('UNSAFE_DIR', `The credential store ${this.dir} is not a folder.`);
    if (!POSIX) return;
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) {
      throw new CredentialStoreError(
        'UNSAFE_DIR',
        `The credential store ${this.dir} belongs to another user (uid ${st.uid}); refusing to keep sign-ins there. Set TOKEN_RELAY_HOME to a folder of your own.`,
      );
    }
    if ((st.mode & 0o077) !== 0) {
      try {
        await fsp.chmod(this.dir, 0o700);
      } catch (e) {
        throw new CredentialStoreError(
          'UNSAFE_DIR',
          `The credential store ${this.dir} has mode ${mode(st.mode)} and cannot be made private (${(e as NodeJS.ErrnoException).code ?? 'error'}); refusing to keep sign-ins there.`,
        );
      }
      this.warn(
        `The credential store ${this.dir} had mode ${mode(st.mode)}; changed it to 0700 so only you can read it.`,
      );
    }
  }

  /** The stored sign-in for `key`, or undefined. */
  async get(key: CredentialKey): Promise<StoredCredential | undefined> {
    await this.ensureDir();
    const file = this.fileOf(key);
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw ioError(e, `read ${file}`);
    }
    let text: string;
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new CredentialStoreError('BAD_ENTRY', `${file} is not a regular file.`);
      if (POSIX) {
        const uid = process.getuid?.();
        if (uid !== undefined && st.uid !== uid)
          throw new CredentialStoreError(
            'UNSAFE_DIR',
            `${file} belongs to another user (uid ${st.uid}); not using it.`,
          );
        if ((st.mode & 0o077) !== 0) {
          await fh.chmod(0o600);
          this.warn(`${file} had mode ${mode(st.mode)}; changed it to 0600.`);
        }
      }
      if (st.size > 64 * 1024)
        throw new CredentialStoreError('BAD_ENTRY', `${file} is too large for a credential entry.`);
      text = await fh.readFile('utf8');
    } catch (e) {
      if (e instanceof CredentialStoreError) throw e;
      throw ioError(e, `read ${file}`);
    } finally {
      await fh.close();
    }
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new CredentialStoreError(
        'BAD_ENTRY',
        `${file} is not a credential entry (not JSON); delete it and sign in again.`,
      );
    }
    const str = (k: string): string | undefined => {
      const v = j[k];
      return typeof v === 'string' && v !== '' ? v : undefined;
    };
    const refreshToken = str('refreshToken');
    registerSecret(refreshToken);
    const want = canonicalKey(key);
    const have: CredentialKey = {
      loginUrl: str('loginUrl') ?? '',
      clientId: str('clientId') ?? '',
      username: str('username') ?? '',
    };
    if (str('provider') === 'microsoft') have.provider = 'microsoft';
    if (
      !refreshToken ||
      have.provider !== want.provider ||
      have.loginUrl !== want.loginUrl ||
      have.clientId !== want.clientId ||
      have.username !== want.username
    ) {
      throw new CredentialStoreError(
        'BAD_ENTRY',
        `${file} does not hold this sign-in (or is damaged); delete it and sign in again.`,
      );
    }
    const out: StoredCredential = { ...have, refreshToken };
    for (const k of ['instanceUrl', 'orgId', 'userId', 'scope', 'updatedAt'] as const) {
      const v = str(k);
      if (v) out[k] = v;
    }
    return out;
  }

  /** Writes (replaces) the entry atomically. */
  async put(cred: StoredCredential): Promise<void> {
    if (!cred.refreshToken) throw new CredentialStoreError('BAD_ENTRY', 'No refresh token to store.');
    registerSecret(cred.refreshToken);
    await this.ensureDir();
    const key = canonicalKey(cred);
    const entry: Record<string, unknown> = { version: VERSION, ...key, refreshToken: cred.refreshToken };
    for (const k of ['instanceUrl', 'orgId', 'userId', 'scope'] as const) if (cred[k]) entry[k] = cred[k];
    entry.updatedAt = new Date().toISOString();
    const file = this.fileOf(key);
    const tmp = path.join(this.dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    let renamed = false;
    try {
      const fh = await fsp.open(tmp, 'wx', 0o600);
      try {
        await fh.writeFile(JSON.stringify(entry, null, 2) + '\n', 'utf8');
        if (POSIX) await fh.chmod(0o600);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fsp.rename(tmp, file);
      renamed = true;
    } catch (e) {
      throw ioError(e, `write ${file}`);
    } finally {
      if (!renamed) await fsp.unlink(tmp).catch(() => undefined);
    }
    await this.syncDir();
  }

  /** Forgets the entry; true when there was one. */
  async delete(key: CredentialKey): Promise<boolean> {
    await this.ensureDir();
    const file = this.fileOf(key);
    try {
      await fsp.unlink(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw ioError(e, `delete ${file}`);
    }
    await this.syncDir();
    return true;
  }

  /** Runs `fn` holding the entry's lock across processes (refresh, rotation, logout). */
  async withEntryLock<T>(key: CredentialKey, fn: () => Promise<T>, opts: WithLockOptions = {}): Promise<T> {
    await this.ensureDir();
    const lockFile = path.join(this.dir, `${entryName(key)}.lock`);
    return withLock(lockFile, fn, { ...this.opts.lock, ...opts });
  }

  /**
   * Read, change, write under the entry's lock: `fn` gets the current entry (re-read inside the lock) and returns
   * the new one (`null` deletes it, undefined leaves it) and a result for the caller.
   */
  async update<T>(
    key: CredentialKey,
    fn: (current: StoredCredential | undefined) => Promise<{ next?: StoredCredential | null; result: T }>,
    opts: WithLockOptions = {},
  ): Promise<T> {
    return this.withEntryLock(
      key,
      async () => {
        const current = await this.get(key);
        const { next, result } = await fn(current);
        if (next === null) await this.delete(key);
        else if (next) await this.put(next);
        return result;
      },
      opts,
    );
  }

  private async syncDir(): Promise<void> {
    try {
      const dh = await fsp.open(this.dir, 'r');
      try {
        await dh.sync();
      } finally {
        await dh.close();
      }
    } catch {
      /* best effort */
    }
  }
}
