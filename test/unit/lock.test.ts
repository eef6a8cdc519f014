/**
 * The one cross-process lock (src/lock): withLock's heartbeat keeps a long holder's lock (a waiter does not take it
 * over as stale while the holder still runs), and a lock whose holder stopped beating is taken over.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { sleep } from '../../src/core/async';
import { tryLock, withLock } from '../../src/lock';

test('withLock: a holder that runs longer than staleMs keeps its lock (heartbeat); waiters get it afterwards', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tr-lock-'));
  try {
    const file = path.join(dir, 'x.lock');
    const order: string[] = [];
    const first = withLock(
      file,
      async () => {
        order.push('first in');
        await sleep(1500); // about 4 × staleMs
        order.push('first out');
      },
      { staleMs: 400 },
    );
    await sleep(50);
    assert.match(readFileSync(file, 'utf8'), /"beats":true/);
    const second = withLock(file, async () => order.push('second in'), { staleMs: 400, waitMs: 5000 });
    await Promise.all([first, second]);
    assert.deepEqual(order, ['first in', 'first out', 'second in']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a beating lock whose holder stopped touching it (another host) is taken over after staleMs', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tr-lock-'));
  try {
    const file = path.join(dir, 'x.lock');
    const old = new Date(Date.now() - 200_000).toISOString();
    writeFileSync(file, JSON.stringify({ pid: 1, host: `not-${hostname()}`, startedAt: old, beats: true }));
    assert.ok(tryLock(file, { staleMs: 120_000 }).owner, 'fresh mtime: still held');
    const past = new Date(Date.now() - 130_000);
    utimesSync(file, past, past);
    const r = tryLock(file, { staleMs: 120_000 });
    assert.ok(r.release, 'silent for longer than staleMs: taken over');
    r.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
