/**
 * Cross-process locks: the per-user lock folder (userDir.ts: 0700, refused when another user owns it or it is
 * open to others) and O_EXCL lock files with stale takeover and a heartbeat for long holders (fileLock.ts).
 */
export { userLockDir, ensurePrivateDir, checkPrivateDir, LockDirError, isLockDirError } from './userDir';
export { tryLock, waitLock, withLock, processAlive, LockTimeoutError } from './fileLock';
export type { LockOwner, TryLock, WithLockOptions } from './fileLock';
