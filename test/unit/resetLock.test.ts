import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { acquireResetLock, lockPath, ResetInProgressError, STALE_MS } from '../../src/flow/resetLock';

const dir = () => mkdtempSync(path.join(os.tmpdir(), 'tr-lock-'));

test('a second reset of the same org is refused while the first holds the lock; released → free again', () => {
  const d = dir();
  const release = acquireResetLock('https://acme.my.salesforce.com', 'Jane@Acme.com', { dir: d });
  assert.throws(
    () => acquireResetLock('https://ACME.my.salesforce.com/', 'jane@acme.com', { dir: d }),
    (e: unknown) => {
      assert.ok(e instanceof ResetInProgressError);
      assert.match((e as Error).message, /already in progress/);
      return true;
    },
  );
  // another user or org is independent
  acquireResetLock('https://acme.my.salesforce.com', 'other@acme.com', { dir: d })();
  acquireResetLock('https://test.salesforce.com', 'jane@acme.com', { dir: d })();
  release();
  release(); // idempotent
  acquireResetLock('https://acme.my.salesforce.com', 'jane@acme.com', { dir: d })();
  assert.deepEqual(readdirSync(d), []);
});

test('a lock left by a dead process, a stale or an unreadable lock is taken over', () => {
  const d = dir();
  const file = lockPath('https://acme.my.salesforce.com', 'jane@acme.com', d);
  writeFileSync(file, JSON.stringify({ pid: 2 ** 22 + 12345, startedAt: new Date().toISOString() }));
  acquireResetLock('https://acme.my.salesforce.com', 'jane@acme.com', { dir: d })();
  writeFileSync(
    file,
    JSON.stringify({ pid: process.pid, startedAt: new Date(Date.now() - STALE_MS - 1000).toISOString() }),
  );
  acquireResetLock('https://acme.my.salesforce.com', 'jane@acme.com', { dir: d })();
  writeFileSync(file, '{half');
  acquireResetLock('https://acme.my.salesforce.com', 'jane@acme.com', { dir: d })();
});

test('lock file names carry no username', () => {
  assert.ok(!lockPath('https://x.my.salesforce.com', 'jane@acme.com', '/tmp').includes('jane'));
});
