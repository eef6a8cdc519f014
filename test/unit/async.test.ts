import { test } from 'node:test';
import assert from 'node:assert/strict';
import { abortError, isAbortError, isTimeoutError, sleep, withTimeout } from '../../src/core/async';
import { abortError as mailAbortError } from '../../src/mail/imapClient';
import { MailboxError, isMailboxError } from '../../src/mail';
import { ResetFlowError, isResetFlowError } from '../../src/flow/resetFlow';
import { UnexpectedResponseError, isUnexpectedResponseError } from '../../src/core/health';

test('abortError says timeout or cancel from the signal reason, as Node does (name, code)', () => {
  const cancelled = new AbortController();
  cancelled.abort();
  const e = abortError(cancelled.signal);
  assert.equal(e.name, 'AbortError');
  assert.equal(e.code, 'ABORT_ERR');
  assert.equal(e.timedOut, false);
  assert.equal(e.message, 'The operation was aborted');
  const timedOut = new AbortController();
  timedOut.abort(new DOMException('slow', 'TimeoutError'));
  const t = abortError(timedOut.signal, { timeout: 'Too slow.' });
  assert.equal(t.timedOut, true);
  assert.equal(t.message, 'Too slow.');
  assert.ok(isTimeoutError(t.cause));
  // The mail watcher's wording is kept.
  assert.equal(mailAbortError(timedOut.signal).message, 'Timed out waiting for the token mail.');
  assert.equal(mailAbortError(cancelled.signal).message, 'Cancelled.');
  assert.equal(abortError().message, 'The operation was aborted');
});

test("isAbortError knows ours, Node's and DOMException aborts, nothing else", async () => {
  assert.ok(isAbortError(abortError()));
  const ac = new AbortController();
  ac.abort();
  const nodes = await import('node:timers/promises')
    .then((m) => m.setTimeout(10, undefined, { signal: ac.signal }))
    .catch((e: unknown) => e);
  assert.ok(isAbortError(nodes));
  assert.ok(isAbortError(new DOMException('x', 'AbortError')));
  assert.ok(!isAbortError(new Error('x')));
  assert.ok(!isAbortError(undefined));
  assert.ok(!isAbortError('AbortError'));
});

test("sleep resolves, or rejects with the caller's error as soon as the signal aborts", async () => {
  await sleep(1);
  const ac = new AbortController();
  const p = sleep(60_000, ac.signal, () => new Error('mine'));
  ac.abort();
  await assert.rejects(p, /mine/);
  await assert.rejects(sleep(60_000, ac.signal), (e: unknown) => isAbortError(e));
});

test('withTimeout passes the result through, rejects with the message after ms, and has no limit for ms <= 0', async () => {
  assert.equal(await withTimeout(Promise.resolve(7), 1000), 7);
  await assert.rejects(withTimeout(Promise.reject(new Error('own')), 1000), /own/);
  // An unref'd timer alone does not keep the process alive: hold the loop open while it runs.
  const keepAlive = setTimeout(() => {}, 10_000);
  await assert.rejects(withTimeout(new Promise(() => {}), 5, 'too slow', { unref: true }), /^Error: too slow$/);
  clearTimeout(keepAlive);
  await assert.rejects(withTimeout(new Promise(() => {}), 5), /^Error: timeout$/);
  const p = Promise.resolve(1);
  assert.equal(withTimeout(p, 0), p);
  assert.equal(withTimeout(p, Infinity), p);
});

test('the error guards match by class or, across the two extension bundles, by name', () => {
  assert.ok(isMailboxError(new MailboxError('auth', 'x')));
  assert.ok(isMailboxError(Object.assign(new Error('x'), { name: 'MailboxError' })));
  assert.ok(!isMailboxError(new Error('x')));
  assert.ok(isResetFlowError(new ResetFlowError('store', 'x')));
  assert.ok(isResetFlowError(Object.assign(new Error('x'), { name: 'ResetFlowError' })));
  assert.ok(!isResetFlowError({ name: 'ResetFlowError' }));
  assert.ok(isUnexpectedResponseError(new UnexpectedResponseError('x', 'HTML_RESPONSE', 200)));
  assert.ok(isUnexpectedResponseError({ name: 'UnexpectedResponseError' }));
  assert.ok(!isUnexpectedResponseError(new Error('x')));
});
