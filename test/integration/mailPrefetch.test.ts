/**
 * The watcher's shortcuts keep its answers (src/mail/watch.ts scan()):
 *  - a scan that expects at most a few messages asks for the first 64 KB of their sources in the metadata FETCH;
 *    the classifier must then get exactly the bytes a separate download gives (the whole mail, a mail larger than
 *    64 KB fetched again, or the first maxMessageBytes);
 *  - the catch-up SEARCH looks at the newest 1,000 messages first and searches the whole folder when the oldest
 *    message of that window already matches (so a candidate below the window is still found).
 * No wall-clock assertions.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ImapServer } from '../servers/imap';
import { startImapServer, sampleTokenMail, sampleOtherMail } from '../servers/imap';
import { parseAndClassify, type ParseOptions } from '../../src/mail/parse';
import type { WatchOptions } from '../../src/mail/watch';
import { watchForToken } from '../../src/mail/watch';
import type { MailVerdict } from '../../src/core/tokenMail';

let imap: ImapServer;
let n = 0;
const SF_USER = 'jane.doe@acme.example';

before(async () => {
  imap = await startImapServer();
});
after(async () => {
  await imap?.stop();
});

async function user(): Promise<{ name: string; pass: string }> {
  const name = `pf${++n}`;
  const pass = `pf-${n}-secret`;
  await imap.addUser(name, pass);
  return { name, pass };
}

/** A Salesforce-sent mail of about `bytes` bytes (CRLF), its body a run of numbered lines. */
function sfMail(bytes: number, tag: string): Buffer {
  const head = [
    'From: Salesforce <support@salesforce.com>',
    `To: <${SF_USER}>`,
    `Subject: prefetch ${tag}`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${tag}.${Date.now()}@sfdc.net>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset="UTF-8"',
    '',
    '',
  ].join('\r\n');
  const lines: string[] = [];
  let size = head.length;
  for (let i = 0; size < bytes; i++) {
    const l = `line ${i} of ${tag}: ${'x'.repeat(60)}\r\n`;
    lines.push(l);
    size += l.length;
  }
  return Buffer.from(head + lines.join(''), 'latin1');
}

/** A classifier that records what it was given and calls every Salesforce-sent mail a token mail. */
function recorder() {
  const seen: Buffer[] = [];
  const classify = async (source: Buffer, _o: ParseOptions): Promise<MailVerdict> => {
    seen.push(Buffer.from(source));
    return { kind: 'token', token: `Tok${seen.length}`.padEnd(24, 'q'), warnings: [], reason: 'test classifier' };
  };
  return { seen, classify };
}

async function watchNew(
  o: Partial<WatchOptions> & { mailbox: WatchOptions['mailbox'] },
  deliver: () => Promise<unknown>,
) {
  const ac = new AbortController();
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const p = watchForToken({
    since: new Date(),
    signal: ac.signal,
    newOnly: true,
    ...o,
    onStatus: (s) => s === 'idle' && ready(),
  });
  p.catch(() => {});
  try {
    await Promise.race([isReady, p]);
    await deliver();
    return await p;
  } finally {
    ac.abort();
  }
}

test('a new mail: the classifier gets the whole source, also when it is larger than the 64 KB prefetch', {
  timeout: 30_000,
}, async () => {
  for (const bytes of [3_000, 100_000]) {
    const u = await user();
    const raw = sfMail(bytes, `whole${bytes}`);
    const rec = recorder();
    const found = await watchNew({ mailbox: imap.mailboxConfig(u.name, u.pass), classify: rec.classify }, () =>
      imap.append(u.name, raw),
    );
    assert.equal(found.token, 'Tok1'.padEnd(24, 'q'));
    assert.equal(rec.seen.length, 1);
    assert.equal(rec.seen[0]!.length, raw.length, `${bytes}-byte mail: the whole source`);
    assert.ok(rec.seen[0]!.equals(raw), `${bytes}-byte mail: byte for byte`);
  }
});

test('maxMessageBytes below the prefetch: the classifier gets exactly the first maxMessageBytes', {
  timeout: 30_000,
}, async () => {
  const u = await user();
  const raw = sfMail(5_000, 'cut');
  const rec = recorder();
  await watchNew({ mailbox: imap.mailboxConfig(u.name, u.pass), classify: rec.classify, maxMessageBytes: 2_000 }, () =>
    imap.append(u.name, raw),
  );
  assert.equal(rec.seen.length, 1);
  assert.ok(rec.seen[0]!.equals(raw.subarray(0, 2_000)));
});

test('catch-up with one hit: prefetched with the metadata, the same bytes, parsed to the token', {
  timeout: 30_000,
}, async () => {
  const u = await user();
  const raw = Buffer.from(sampleTokenMail({ username: SF_USER, token: 'CatchUpTokenAbcdefghijkl' }), 'utf8');
  await imap.append(u.name, sampleOtherMail(1));
  await imap.append(u.name, raw);
  const seen: Buffer[] = [];
  const found = await watchForToken({
    mailbox: imap.mailboxConfig(u.name, u.pass),
    since: new Date(Date.now() - 60_000),
    username: SF_USER,
    classify: (src, o) => {
      seen.push(Buffer.from(src));
      return parseAndClassify(src, o);
    },
  });
  assert.equal(found.token, 'CatchUpTokenAbcdefghijkl');
  assert.equal(seen.length, 1);
  assert.ok(seen[0]!.equals(raw));
});

test('catch-up in a folder whose 1,000 newest messages all match the date filter: a token mail below them is found', {
  timeout: 60_000,
}, async () => {
  const u = await user();
  const recent = new Date(Date.now() - 3600_000);
  // 1,200 messages of the last hour; the token mail is the 6th, far below the newest 1,000.
  await imap.fillMaildir(u.name, 1_200, (i) => ({
    raw:
      i === 5
        ? sampleTokenMail({ username: SF_USER, token: 'BelowWindowTokenAbcdefgh', date: recent })
        : sampleOtherMail(i, recent),
    internalDate: recent,
  }));
  let classified = 0;
  const found = await watchForToken({
    mailbox: imap.mailboxConfig(u.name, u.pass),
    since: new Date(Date.now() - 2 * 3600_000),
    username: SF_USER,
    classify: (src, o) => {
      classified++;
      return parseAndClassify(src, o);
    },
  });
  assert.equal(found.token, 'BelowWindowTokenAbcdefgh');
  assert.equal(classified, 1, 'only the one Salesforce mail was downloaded and parsed');
});
