/**
 * Issue 15 items 3–5 through the watcher on a real Dovecot (or the embedded server outside CI): forged
 * Authentication-Results from another authserv-id, malformed From addresses with the IMAP pre-filter off
 * (trustForwarded), forwards by strangers; only the receiver's own DKIM header and the user's own forwards
 * count. Catch-up order is by UID: the refused mails come first, the good one last.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ImapServer } from '../servers/imap';
import { startImapServer, sampleTokenMail } from '../servers/imap';
import { watchForToken } from '../../src/mail';
import { createLogger } from '../../src/core/log';

let imap: ImapServer;
let n = 0;
const SF_USER = 'jane.doe@acme.example';
const tok = (c: string) => `Tr${c.repeat(22)}x`;

async function user(): Promise<{ name: string; pass: string }> {
  const name = `trust${++n}`;
  const pass = `pw-trust-${n}`;
  await imap.addUser(name, pass);
  return { name, pass };
}

before(async () => {
  imap = await startImapServer();
  if (imap.kind !== 'dovecot')
    process.stderr.write('watchTrust.test.ts: running against the EMBEDDED IMAP server, not Dovecot\n');
});
after(async () => {
  await imap?.stop();
});

function withHeaders(mail: string, headers: string[]): string {
  return `${headers.join('\r\n')}\r\n${mail}`;
}

test("requireDkim: a dkim=pass from another authserv-id is skipped; the receiver's own header counts", {
  timeout: 60_000,
}, async () => {
  const u = await user();
  const since = new Date(Date.now() - 60_000);
  const at = new Date(Date.now() - 30_000);
  await imap.append(
    u.name,
    withHeaders(sampleTokenMail({ username: SF_USER, token: tok('A') }), [
      'Authentication-Results: mx.evil.test; dkim=pass header.d=salesforce.com',
    ]),
    { internalDate: at },
  );
  await imap.append(
    u.name,
    withHeaders(sampleTokenMail({ username: SF_USER, token: tok('B') }), [
      'Authentication-Results: mx.acme.example; dkim=fail (a (nested) comment; dkim=pass header.d=salesforce.com) header.d=salesforce.com',
    ]),
    { internalDate: at },
  );
  await imap.append(
    u.name,
    withHeaders(sampleTokenMail({ username: SF_USER, token: tok('C') }), [
      'Authentication-Results: mx.acme.example; dkim=pass header.d=salesforce.com',
    ]),
    { internalDate: at },
  );
  const lines: string[] = [];
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 45_000);
  try {
    const found = await watchForToken({
      mailbox: imap.mailboxConfig(u.name, u.pass),
      since,
      username: SF_USER,
      requireDkim: true,
      authservId: 'mx.acme.example',
      signal: ac.signal,
      log: createLogger((_l, l) => lines.push(l)),
    });
    assert.equal(found.token, tok('C'));
    assert.equal(found.authenticated, true);
    assert.ok(
      lines.every((l) => !l.includes(tok('A')) && !l.includes(tok('B'))),
      'refused tokens never logged',
    );
  } finally {
    clearTimeout(timer);
  }
});

test("trustForwarded (pre-filter off): malformed From and strangers' forwards are refused; the user's own forward counts", {
  timeout: 60_000,
}, async () => {
  const u = await user();
  const since = new Date(Date.now() - 60_000);
  const at = new Date(Date.now() - 30_000);
  for (const [from, c] of [
    ['Salesforce <a@evil.test@salesforce.com>', 'D'],
    ['=?utf-8?q?x=40evil=2Etest=2C?= <support@salesforce.com>', 'E'],
    ['Salesforce <=?utf-8?q?attacker?=@salesforce.com>', 'F'],
  ] as const)
    await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: tok(c), from }), { internalDate: at });
  const forward = (from: string, c: string) =>
    [
      `From: ${from}`,
      `To: <${SF_USER}>`,
      'Subject: [Fwd: Your new Salesforce security token]',
      `Date: ${new Date().toUTCString()}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=UTF-8',
      '',
      'FYI',
      '',
      '---------- Forwarded message ---------',
      'From: Salesforce <support@salesforce.com>',
      'Subject: Your new Salesforce security token',
      '',
      `Username: ${SF_USER}`,
      `Security token (case-sensitive): ${tok(c)}`,
      '',
      'Thanks,',
      'Salesforce',
      '',
    ].join('\r\n');
  await imap.append(u.name, forward('Helpdesk <helpdesk@evil.test>', 'G'), { internalDate: at });
  await imap.append(u.name, forward('Jane Doe <jane@home.example>', 'H'), { internalDate: at });
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 45_000);
  try {
    const found = await watchForToken({
      mailbox: imap.mailboxConfig(u.name, u.pass),
      since,
      username: SF_USER,
      trustForwarded: true,
      forwardedFrom: 'jane@home.example',
      signal: ac.signal,
    });
    assert.equal(found.token, tok('H'));
  } finally {
    clearTimeout(timer);
  }
});
