/** The watcher's re-check schedule (src/core/recheck.ts) and the CLI's --recheck value. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RECHECK, MIN_RECHECK_MS, parseRecheck, recheckIntervalMs } from '../../src/core/recheck';

test('default schedule: 2 s for the first 3 minutes, 5 s until 10 minutes, then 15 s', () => {
  assert.equal(recheckIntervalMs(0), 2000);
  assert.equal(recheckIntervalMs(179_999), 2000);
  assert.equal(recheckIntervalMs(180_000), 5000);
  assert.equal(recheckIntervalMs(599_999), 5000);
  assert.equal(recheckIntervalMs(600_000), 15_000);
  assert.equal(recheckIntervalMs(24 * 3600_000), 15_000);
  // Polite to Microsoft's published 10,000 requests / 10 min per mailbox and Gmail's connection limits: the
  // busiest 10 minutes of the default schedule send a few hundred NOOPs on one connection.
  let t = 0;
  let n = 0;
  while (t < 600_000) {
    t += recheckIntervalMs(t, DEFAULT_RECHECK);
    n++;
  }
  assert.ok(n <= 200, `${n} re-checks in the first 10 minutes`);
});

test('a schedule never goes below the minimum; an empty one never re-checks', () => {
  assert.equal(recheckIntervalMs(0, [{ untilMs: Infinity, everyMs: 10 }]), MIN_RECHECK_MS);
  assert.equal(recheckIntervalMs(0, []), Infinity);
  // After its last step, the last interval holds.
  assert.equal(recheckIntervalMs(10_000, [{ untilMs: 5000, everyMs: 3000 }]), 3000);
});

test('--recheck: off, auto, seconds; anything else is refused with a usage message', () => {
  assert.equal(parseRecheck('off'), false);
  assert.equal(parseRecheck('0'), false);
  assert.equal(parseRecheck('auto'), DEFAULT_RECHECK);
  assert.deepEqual(parseRecheck('2'), [{ untilMs: Infinity, everyMs: 2000 }]);
  assert.deepEqual(parseRecheck('2.5s'), [{ untilMs: Infinity, everyMs: 2500 }]);
  for (const bad of ['0.5', '301', 'fast', '-1', 'NaN'])
    assert.throws(() => parseRecheck(bad), /--recheck must be off, auto or seconds between 1 and 300/, bad);
});

test('token-relay watch --recheck fast: usage error (exit 2) before any connection', async () => {
  const { main } = await import('../../src/cli/main');
  const errs: string[] = [];
  const code = await main(
    ['watch', '--imap-host', '127.0.0.1', '--imap-port', '1', '--imap-user', 'u', '--recheck', 'fast'],
    {
      stdout: () => {},
      stderr: (s) => errs.push(s),
      env: { TOKEN_RELAY_IMAP_PASSWORD: 'canary-imap-pass-recheck' },
      cwd: process.cwd(),
      readStdin: async () => Buffer.alloc(0),
      promptSecret: async () => undefined,
    },
  );
  assert.equal(code, 2, errs.join(''));
  assert.match(errs.join(''), /--recheck must be off, auto or seconds/);
  assert.ok(!errs.join('').includes('canary-imap-pass-recheck'));
});
