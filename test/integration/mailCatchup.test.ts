/**
 * Catch-up in a big mailbox downloads only candidates; connection edge cases (greeting timeout, HTTP proxy).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ImapServer } from '../servers/imap';
import { startImapServer, sampleTokenMail, sampleOtherMail } from '../servers/imap';
import { misbehavingServer } from '../servers/fakeTcp';
import { startProxy } from '../servers/proxy';
import { parseAndClassify, watchForToken, MailboxError } from '../../src/mail';

let imap: ImapServer;
const SF_USER = 'jane.doe@acme.example';
before(async () => {
  imap = await startImapServer();
});
after(async () => {
  await imap?.stop();
});

test('a 2,000-message mailbox: SEARCH + envelopes narrow the catch-up to the real candidates', {
  timeout: 30_000,
}, async () => {
  await imap.addUser('big', 'big-pass-1');
  const old = new Date(Date.now() - 10 * 24 * 3600_000);
  // old mail, including an old token mail from Salesforce: never downloaded
  await imap.fillMaildir('big', 2000, (i) => ({
    raw:
      i % 500 === 7
        ? sampleTokenMail({ username: SF_USER, token: `OldTok${i}`.padEnd(25, 'z'), date: old })
        : sampleOtherMail(i, old),
    internalDate: old,
  }));
  const since = new Date(Date.now() - 60_000);
  for (let i = 0; i < 5; i++) await imap.append('big', sampleOtherMail(10_000 + i)); // recent, not Salesforce
  await imap.append('big', sampleTokenMail({ username: SF_USER, token: 'BigBoxTokenAbcdefghijklm' }));
  let classified = 0;
  const found = await watchForToken({
    mailbox: imap.mailboxConfig('big', 'big-pass-1'),
    since,
    username: SF_USER,
    classify: (src, o) => {
      classified++;
      return parseAndClassify(src, o);
    },
  });
  assert.equal(found.token, 'BigBoxTokenAbcdefghijklm');
  assert.equal(classified, 1, 'only the one candidate was downloaded and parsed');
});

test('a server that accepts but never greets: MailboxError timeout within timeoutMs', { timeout: 30_000 }, async () => {
  const silent = await misbehavingServer('silent');
  const port = silent.port;
  try {
    await assert.rejects(
      watchForToken({
        mailbox: { host: '127.0.0.1', port, security: 'starttls', user: 'u', password: 'pppp', timeoutMs: 300 },
        since: new Date(),
      }),
      (e: unknown) => e instanceof MailboxError && e.kind === 'timeout',
    );
  } finally {
    silent.close();
  }
});

test('through an HTTP CONNECT proxy', { timeout: 30_000 }, async () => {
  await imap.addUser('proxied', 'proxied-pass');
  await imap.append('proxied', sampleTokenMail({ username: SF_USER, token: 'ProxyTokenAbcdefghijklmn' }));
  const proxy = await startProxy();
  try {
    const found = await watchForToken({
      mailbox: imap.mailboxConfig('proxied', 'proxied-pass', { proxy: proxy.url }),
      since: new Date(Date.now() - 60_000),
      username: SF_USER,
    });
    assert.equal(found.token, 'ProxyTokenAbcdefghijklmn');
    assert.equal(proxy.tunnels(), 1);
  } finally {
    await proxy.close();
  }
});
