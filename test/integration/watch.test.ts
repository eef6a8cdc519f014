/**
 * watchForToken against a real Dovecot (or the embedded server when Dovecot is absent outside CI; it says so).
 * Every test uses its own IMAP user, so mailboxes do not interfere. No wall-clock assertions.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ImapServer } from '../servers/imap';
import { startImapServer, sampleTokenMail, sampleVerificationMail, sampleOtherMail } from '../servers/imap';
import type { WatchStatus, WatchOptions, TokenFound } from '../../src/mail';
import { watchForToken, MailboxError } from '../../src/mail';
import type { MailVerdict } from '../../src/core/tokenMail';
import { createLogger } from '../../src/core/log';

let imap: ImapServer;
let n = 0;
const SF_USER = 'jane.doe@acme.example';

function token(i: number): string {
  return `Tk${i}${'abcdefghijklmnopqrstuvwxyzABCDEFGH'.slice(0, 22 - String(i).length)}x`;
}

async function user(): Promise<{ name: string; pass: string }> {
  const name = `u${++n}`;
  const pass = `pw-${n}-secret`;
  await imap.addUser(name, pass);
  return { name, pass };
}

/** Starts a watch; resolves `ready` once it idles. */
function startWatch(o: Partial<WatchOptions> & { mailbox: WatchOptions['mailbox'] }) {
  const statuses: string[] = [];
  const codes: MailVerdict[] = [];
  const lines: string[] = [];
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  const ac = new AbortController();
  const p = watchForToken({
    since: new Date(),
    signal: ac.signal,
    log: createLogger((_l, line) => lines.push(line)),
    onVerificationCode: (v) => codes.push(v),
    ...o,
    onStatus: (s: WatchStatus, d?: string) => {
      statuses.push(s);
      o.onStatus?.(s, d);
      if (s === 'idle') readyResolve();
    },
  });
  p.catch(() => {});
  return { p, ready, statuses, codes, ac, lines };
}

before(async () => {
  imap = await startImapServer();
  if (imap.kind !== 'dovecot')
    process.stderr.write('watch.test.ts: running against the EMBEDDED IMAP server, not Dovecot\n');
});
after(async () => {
  await imap?.stop();
});

test('catch-up finds a token mail that arrived before the watch started (after since)', {
  timeout: 30_000,
}, async () => {
  const u = await user();
  const since = new Date(Date.now() - 60_000);
  await imap.append(u.name, sampleOtherMail(1));
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: token(1) }), {
    internalDate: new Date(Date.now() - 30_000),
  });
  const w = startWatch({ mailbox: imap.mailboxConfig(u.name, u.pass), since, username: SF_USER });
  const found = await w.p;
  assert.equal(found.kind, 'token');
  assert.equal(found.token, token(1));
  assert.equal(found.folder, 'INBOX');
  assert.ok(found.uid > 0);
  assert.ok(!w.statuses.includes('idle'), 'found during catch-up, never idled');
  assert.ok(
    w.lines.every((l) => !l.includes(token(1)) && !l.includes(u.pass)),
    'no secret in logs',
  );
});

test('IDLE picks up a token mail that arrives while watching; old, stale-but-late and foreign mails are ignored', {
  timeout: 30_000,
}, async () => {
  const u = await user();
  // before since (minus skew): ignored even though it is a perfect token mail
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: token(2) }), {
    internalDate: new Date(Date.now() - 3 * 3600_000),
  });
  const w = startWatch({ mailbox: imap.mailboxConfig(u.name, u.pass), username: SF_USER });
  await w.ready;
  // stale: dated and "received" hours ago, but delivered (APPENDed) only now, e.g. after greylisting
  const stale = new Date(Date.now() - 3 * 3600_000);
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: token(21), date: stale }), {
    internalDate: stale,
  });
  await imap.append(u.name, sampleTokenMail({ username: 'someone.else@acme.example', token: token(3) })); // other user
  await imap.append(
    u.name,
    sampleTokenMail({ username: SF_USER, token: token(4), from: 'Salesforce <support@salesforce.com.evil.test>' }),
  ); // lookalike
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: token(5) }));
  const found = await w.p;
  assert.equal(found.token, token(5));
  assert.equal(found.username?.toLowerCase(), SF_USER);
  assert.deepEqual(w.statuses.slice(0, 3), ['connecting', 'catching-up', 'idle']);
});

test('a localized (Japanese) token mail is found although its subject matches no English hint', {
  timeout: 30_000,
}, async () => {
  const u = await user();
  const w = startWatch({ mailbox: imap.mailboxConfig(u.name, u.pass), username: SF_USER });
  await w.ready;
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: token(6), lang: 'ja' }));
  const found = await w.p;
  assert.equal(found.token, token(6));
});

test('several token mails since `since`: the newest arrival wins', { timeout: 30_000 }, async () => {
  const u = await user();
  const now = Date.now();
  // appended out of order: the newest INTERNALDATE is not the highest UID
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: token(7) }), {
    internalDate: new Date(now - 50_000),
  });
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: token(8) }), {
    internalDate: new Date(now - 10_000),
  });
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: token(9) }), {
    internalDate: new Date(now - 30_000),
  });
  const w = startWatch({
    mailbox: imap.mailboxConfig(u.name, u.pass),
    since: new Date(now - 60_000),
    username: SF_USER,
  });
  const found = await w.p;
  assert.equal(found.token, token(8));
});

test("without a username any user's token counts; with one, other users' tokens never do", {
  timeout: 30_000,
}, async () => {
  const u = await user();
  await imap.append(u.name, sampleTokenMail({ username: 'other@acme.example', token: token(10) }));
  const any = await startWatch({ mailbox: imap.mailboxConfig(u.name, u.pass) }).p;
  assert.equal(any.token, token(10));
  const w = startWatch({ mailbox: imap.mailboxConfig(u.name, u.pass), username: SF_USER });
  await w.ready; // the other user's mail did not end the watch
  w.ac.abort();
  await assert.rejects(w.p, (e: Error) => e.name === 'AbortError');
});

test('verification codes are relayed once; the token still ends the watch', { timeout: 30_000 }, async () => {
  const u = await user();
  await imap.append(u.name, sampleVerificationMail({ username: SF_USER, code: '482913' }));
  const w = startWatch({ mailbox: imap.mailboxConfig(u.name, u.pass), username: SF_USER });
  await w.ready;
  assert.equal(w.codes.length, 1);
  assert.equal(w.codes[0]!.code, '482913');
  await imap.append(u.name, sampleVerificationMail({ username: SF_USER, code: '771204' }));
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: token(11) }));
  const found = await w.p;
  assert.equal(found.token, token(11));
  assert.deepEqual(
    w.codes.map((c) => c.code),
    ['482913', '771204'],
  );
});

test('imap process killed mid-IDLE: reconnects, catches up, finds the mail exactly once', {
  timeout: 30_000,
}, async () => {
  const u = await user();
  await imap.append(u.name, sampleVerificationMail({ username: SF_USER, code: '100001' }));
  const w = startWatch({
    mailbox: imap.mailboxConfig(u.name, u.pass),
    username: SF_USER,
    reconnect: { initialMs: 100, maxMs: 400 },
  });
  await w.ready;
  assert.equal(w.codes.length, 1);
  const reconnecting = new Promise<void>((resolve) => {
    const t = setInterval(() => {
      if (w.statuses.includes('reconnecting')) {
        clearInterval(t);
        resolve();
      }
    }, 5);
  });
  await imap.kill();
  await reconnecting;
  // arrives during the outage (or right after): only the catch-up can see it
  await imap.append(u.name, sampleVerificationMail({ username: SF_USER, code: '100002' }));
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: token(12) }));
  const found = await w.p;
  assert.equal(found.token, token(12));
  assert.deepEqual(
    w.codes.map((c) => c.code),
    ['100001', '100002'],
    'no code relayed twice',
  );
  assert.ok(w.statuses.filter((s) => s === 'catching-up').length >= 2);
});

test('the whole server killed and restarted: the watch comes back and finds the mail', {
  timeout: 30_000,
}, async () => {
  const u = await user();
  const w = startWatch({
    mailbox: imap.mailboxConfig(u.name, u.pass),
    username: SF_USER,
    reconnect: { initialMs: 100, maxMs: 400 },
  });
  await w.ready;
  await imap.restart();
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: token(13) }));
  const found = await w.p;
  assert.equal(found.token, token(13));
});

test('cancel closes the connection and rejects with an AbortError', { timeout: 30_000 }, async () => {
  const u = await user();
  const w = startWatch({ mailbox: imap.mailboxConfig(u.name, u.pass) });
  await w.ready;
  w.ac.abort();
  await assert.rejects(w.p, (e: Error) => e.name === 'AbortError' && /Cancelled/.test(e.message));
  // a timeout signal says so
  const t = startWatch({ mailbox: imap.mailboxConfig(u.name, u.pass), signal: AbortSignal.timeout(300) });
  await assert.rejects(t.p, (e: Error) => e.name === 'AbortError' && /Timed out/.test(e.message));
  // already aborted: rejects without connecting
  await assert.rejects(
    watchForToken({ mailbox: imap.mailboxConfig(u.name, u.pass), since: new Date(), signal: AbortSignal.abort() }),
    { name: 'AbortError' },
  );
});

test('implicit TLS (IMAPS) with the server certificate trusted through `ca` (verification on)', {
  timeout: 30_000,
}, async () => {
  const u = await user();
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: token(14) }));
  const found = await startWatch({
    mailbox: {
      host: '127.0.0.1',
      port: imap.imapsPort,
      security: 'implicit',
      user: u.name,
      password: u.pass,
      ca: imap.caCert,
    },
  }).p;
  assert.equal(found.token, token(14));
});

test('STARTTLS with the certificate trusted through `ca`', { timeout: 30_000 }, async () => {
  const u = await user();
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: token(15) }));
  const found = await startWatch({
    mailbox: {
      host: '127.0.0.1',
      port: imap.port,
      security: 'starttls',
      user: u.name,
      password: u.pass,
      ca: imap.caCert,
    },
  }).p;
  assert.equal(found.token, token(15));
});

test('self-signed certificate refused without insecureTls, naming the option', { timeout: 30_000 }, async () => {
  const u = await user();
  for (const [port, security] of [
    [imap.imapsPort, 'implicit'],
    [imap.port, 'starttls'],
  ] as const) {
    await assert.rejects(
      watchForToken({
        mailbox: { host: '127.0.0.1', port, security, user: u.name, password: u.pass },
        since: new Date(),
      }),
      (e: unknown) =>
        e instanceof MailboxError && e.kind === 'tls' && /insecureTls/.test(e.message) && !e.message.includes(u.pass),
    );
  }
});

test('wrong security mode: implicit TLS against the STARTTLS port says to try STARTTLS', {
  timeout: 30_000,
}, async () => {
  const u = await user();
  await assert.rejects(
    watchForToken({
      mailbox: {
        host: '127.0.0.1',
        port: imap.port,
        security: 'implicit',
        user: u.name,
        password: u.pass,
        insecureTls: true,
      },
      since: new Date(),
    }),
    (e: unknown) => e instanceof MailboxError && e.kind === 'tls' && /STARTTLS/.test(e.message),
  );
});

test('refused connection: MailboxError connect', { timeout: 30_000 }, async () => {
  const { freePort } = await import('../../src/imapServer/dovecot');
  const port = await freePort();
  await assert.rejects(
    watchForToken({
      mailbox: { host: '127.0.0.1', port, security: 'starttls', user: 'x', password: 'yyyy' },
      since: new Date(),
    }),
    (e: unknown) => e instanceof MailboxError && e.kind === 'connect' && /ECONNREFUSED/.test(e.message),
  );
});

test('junk folder found by its \\Junk flag (not its name) and extra folders are watched', {
  timeout: 30_000,
}, async () => {
  const u = await user();
  const w = startWatch({
    mailbox: imap.mailboxConfig(u.name, u.pass, { watchJunk: true }),
    username: SF_USER,
    folderPollMs: 100,
  });
  await w.ready;
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: token(16) }), { folder: imap.junkFolder });
  const found = await w.p;
  assert.equal(found.token, token(16));
  assert.equal(found.folder, imap.junkFolder);

  const w2 = startWatch({
    mailbox: imap.mailboxConfig(u.name, u.pass, { folders: [imap.archiveFolder, 'No Such Folder'] }),
    username: SF_USER,
    folderPollMs: 100,
  });
  await w2.ready;
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: token(17) }), { folder: imap.archiveFolder });
  const f2 = await w2.p;
  assert.equal(f2.token, token(17));
  assert.ok(w2.lines.some((l) => /No Such Folder/.test(l) && /does not exist/.test(l)));
});

test('NOOP polling when IDLE is not used (forcePoll) still finds new mail', { timeout: 30_000 }, async () => {
  const u = await user();
  const w = startWatch({
    mailbox: imap.mailboxConfig(u.name, u.pass, { forcePoll: true, pollIntervalMs: 200 }),
    username: SF_USER,
  });
  await w.ready;
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: token(18) }));
  assert.equal((await w.p).token, token(18));
});

test('newOnly ignores mail that was already there; afterSuccess seen marks the token mail', {
  timeout: 30_000,
}, async () => {
  const u = await user();
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: token(19) }));
  const w = startWatch({
    mailbox: imap.mailboxConfig(u.name, u.pass, { afterSuccess: 'seen' }),
    username: SF_USER,
    newOnly: true,
  });
  await w.ready;
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: token(20) }));
  const found: TokenFound = await w.p;
  assert.equal(found.token, token(20));
  // the seen flag is there: a check through a second connection
  const { ImapFlow } = await import('imapflow');
  const c = new ImapFlow({
    host: '127.0.0.1',
    port: imap.port,
    secure: false,
    tls: { rejectUnauthorized: false },
    auth: { user: u.name, pass: u.pass },
    logger: false,
  });
  await c.connect();
  await c.mailboxOpen('INBOX', { readOnly: true });
  const msg = await c.fetchOne(String(found.uid), { flags: true }, { uid: true });
  await c.logout();
  assert.ok(msg && msg.flags?.has('\\Seen'));
});

test("wrong password: MailboxError auth, no secret in the message (last: it triggers Dovecot's auth penalty)", {
  timeout: 30_000,
}, async () => {
  const u = await user();
  const bad = 'definitely-wrong-pw-123';
  await assert.rejects(
    watchForToken({ mailbox: imap.mailboxConfig(u.name, bad), since: new Date() }),
    (e: unknown) =>
      e instanceof MailboxError &&
      e.kind === 'auth' &&
      /wrong user name or password/.test(e.message) &&
      !e.message.includes(bad),
  );
  // Dovecot now delays every login from 127.0.0.1 (auth penalty): this test runs last.
});
