/**
 * The watcher against server variants: a Dovecot without the IDLE capability (NOOP fallback), the embedded
 * hoodiecrow server (the zero-install path: STARTTLS, IMAPS front, XOAUTH2, no IDLE variant), and
 * testMailbox. Dovecot parts are skipped when Dovecot is absent (outside CI).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ImapServer } from '../servers/imap';
import { startImapServer, sampleTokenMail } from '../servers/imap';
import { EmbeddedImap } from '../../src/imapServer/embedded';
import { dovecotPath } from '../../src/imapServer/dovecot';
import { watchForToken, testMailbox, MailboxError } from '../../src/mail';
import { createLogger } from '../../src/core/log';

const SF_USER = 'jane.doe@acme.example';
const stops: Array<() => Promise<void>> = [];
after(async () => {
  for (const s of stops) await s();
});

function watchUntilIdle(o: Parameters<typeof watchForToken>[0]) {
  let ready!: () => void;
  const idle = new Promise<void>((r) => (ready = r));
  const lines: string[] = [];
  const p = watchForToken({
    log: createLogger((_l, line) => lines.push(line)),
    ...o,
    onStatus: (s) => {
      if (s === 'idle') ready();
    },
  });
  p.catch(() => {});
  return { p, idle, lines };
}

test('Dovecot without IDLE: the watcher polls with NOOP and finds the new mail', {
  timeout: 30_000,
  skip: !dovecotPath() && process.env.CI !== 'true' ? 'Dovecot not installed' : false,
}, async () => {
  const imap: ImapServer = await startImapServer({ prefer: 'dovecot', noIdle: true });
  stops.push(() => imap.stop());
  await imap.addUser('noidle', 'noidle-pass');
  const cfg = imap.mailboxConfig('noidle', 'noidle-pass', { pollIntervalMs: 250 });
  const info = await testMailbox(cfg);
  assert.equal(info.idle, false);
  assert.match(info.detail, /IDLE not supported/);
  const w = watchUntilIdle({ mailbox: cfg, since: new Date(), username: SF_USER });
  await w.idle;
  assert.ok(w.lines.some((l) => /no IDLE: polling with NOOP/.test(l)));
  await imap.append('noidle', sampleTokenMail({ username: SF_USER, token: 'NoIdleTokenAbcdefghijklm' }));
  assert.equal((await w.p).token, 'NoIdleTokenAbcdefghijklm');
});

test('testMailbox reports the connection and IDLE; failures are MailboxErrors', {
  timeout: 30_000,
  skip: !dovecotPath() && process.env.CI !== 'true' ? 'Dovecot not installed' : false,
}, async () => {
  const imap = await startImapServer({ prefer: 'dovecot' });
  stops.push(() => imap.stop());
  await imap.addUser('tm', 'tm-pass-1');
  await imap.append('tm', sampleTokenMail({ username: SF_USER, token: 'TmTokenAbcdefghijklmnopq' }));
  const r = await testMailbox({
    host: '127.0.0.1',
    port: imap.imapsPort,
    security: 'implicit',
    user: 'tm',
    password: 'tm-pass-1',
    ca: imap.caCert,
  });
  assert.equal(r.ok, true);
  assert.equal(r.idle, true);
  assert.equal(r.messages, 1);
  assert.match(r.detail, /implicit TLS/);
  assert.ok(!r.detail.includes('tm-pass-1'));
  await assert.rejects(
    testMailbox({ host: '127.0.0.1', port: imap.imapsPort, security: 'implicit', user: 'tm', password: 'tm-pass-1' }),
    (e: unknown) => e instanceof MailboxError && e.kind === 'tls',
  );
  await assert.rejects(
    testMailbox({ host: '127.0.0.1', port: imap.port, user: 'tm' }),
    (e: unknown) => e instanceof MailboxError && /No IMAP password/.test(e.message),
  );
  await assert.rejects(
    testMailbox({ host: '127.0.0.1', port: imap.port, user: 'tm', password: 'x', signal: undefined } as never, {
      signal: AbortSignal.abort(),
    }),
    { name: 'AbortError' },
  );
});

test('embedded server: STARTTLS, IMAPS front, catch-up and IDLE, XOAUTH2 access token', {
  timeout: 30_000,
}, async () => {
  const e = await EmbeddedImap.start();
  stops.push(async () => {
    await e.stop();
    e.remove();
  });
  e.addUser('emb', 'emb-pass', 'emb-access-token-123');
  e.append('emb', sampleTokenMail({ username: SF_USER, token: 'EmbCatchUpTokenAbcdefghi' }));
  const viaStartTls = await watchForToken({
    mailbox: {
      host: '127.0.0.1',
      port: e.port,
      security: 'starttls',
      user: 'emb',
      password: 'emb-pass',
      insecureTls: true,
    },
    since: new Date(Date.now() - 60_000),
    username: SF_USER,
  });
  assert.equal(viaStartTls.token, 'EmbCatchUpTokenAbcdefghi');
  const viaImaps = await watchForToken({
    mailbox: {
      host: '127.0.0.1',
      port: e.imapsPort,
      security: 'implicit',
      user: 'emb',
      accessToken: 'emb-access-token-123',
      insecureTls: true,
    },
    since: new Date(Date.now() - 60_000),
    username: SF_USER,
  });
  assert.equal(viaImaps.token, 'EmbCatchUpTokenAbcdefghi');
  const w = watchUntilIdle({
    mailbox: {
      host: '127.0.0.1',
      port: e.port,
      security: 'starttls',
      user: 'emb',
      password: 'emb-pass',
      insecureTls: true,
    },
    since: new Date(),
    username: SF_USER,
    newOnly: true,
  });
  await w.idle;
  e.append('emb', sampleTokenMail({ username: SF_USER, token: 'EmbIdleTokenAbcdefghijkl' }));
  assert.equal((await w.p).token, 'EmbIdleTokenAbcdefghijkl');
  await assert.rejects(
    watchForToken({
      mailbox: {
        host: '127.0.0.1',
        port: e.port,
        security: 'starttls',
        user: 'emb',
        accessToken: 'wrong-token-xyz',
        insecureTls: true,
      },
      since: new Date(),
    }),
    (err: unknown) =>
      err instanceof MailboxError &&
      err.kind === 'auth' &&
      /access token/.test(err.message) &&
      !err.message.includes('wrong-token-xyz'),
  );
});

test('embedded server without IDLE, connection dropped mid-watch: NOOP polling + reconnect', {
  timeout: 30_000,
}, async () => {
  const e = await EmbeddedImap.start({ noIdle: true });
  stops.push(async () => {
    await e.stop();
    e.remove();
  });
  e.addUser('emb2', 'emb2-pass');
  const statuses: string[] = [];
  let ready!: () => void;
  const idle = new Promise<void>((r) => (ready = r));
  const p = watchForToken({
    mailbox: {
      host: '127.0.0.1',
      port: e.port,
      security: 'starttls',
      user: 'emb2',
      password: 'emb2-pass',
      insecureTls: true,
      pollIntervalMs: 200,
    },
    since: new Date(),
    username: SF_USER,
    reconnect: { initialMs: 50, maxMs: 200 },
    onStatus: (s) => {
      statuses.push(s);
      if (s === 'idle') ready();
    },
  });
  await idle;
  e.killConnections();
  e.append('emb2', sampleTokenMail({ username: SF_USER, token: 'EmbDropTokenAbcdefghijkl' }));
  assert.equal((await p).token, 'EmbDropTokenAbcdefghijkl');
  assert.ok(statuses.includes('reconnecting'));
});
