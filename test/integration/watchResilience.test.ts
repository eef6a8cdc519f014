/**
 * The watcher against scripted IMAP servers (test/servers/hostileImap.ts), issue 15:
 *  item 11  a token mail whose download the connection cut off is downloaded again after the reconnect;
 *  item 12  a server that drops every session 0.5 s into IDLE gets a bounded number of logins (the backoff
 *           starts over only after a connection stayed healthy for reconnect.healthyMs, 30 s by default);
 *  item 10  imapflow's size limits are ours (a literal over the download cap fails the connection, not the memory).
 * Counts, not wall-clock speed: the storm test counts logins within a fixed window.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hostileImapServer } from '../servers/hostileImap';
import type { TestCert } from '../servers/tls';
import { selfSignedCert } from '../servers/tls';
import { sampleTokenMail } from '../servers/imap';
import { watchForToken, imapSizeLimits, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_HEALTHY_MS } from '../../src/mail';
import type { MailboxConfig } from '../../src/mail';

let cert: TestCert;
const SF_USER = 'jane.doe@acme.example';

before(() => {
  cert = selfSignedCert();
});
after(() => cert?.cleanup());

function mailbox(port: number): MailboxConfig {
  return { host: '127.0.0.1', port, security: 'implicit', insecureTls: true, user: 'u', password: 'hostile-test-pass' };
}

test('a token mail whose download was cut off is downloaded again after the reconnect, and found', {
  timeout: 30_000,
}, async () => {
  for (const token of ['CutOffTokenAbcdefghijklm', 'CutOffToken2Bcdefghijklm']) {
    const srv = await hostileImapServer('cut-download', cert, {
      mail: Buffer.from(sampleTokenMail({ username: SF_USER, token }), 'utf8'),
    });
    try {
      const found = await watchForToken({
        mailbox: mailbox(srv.port),
        since: new Date(Date.now() - 3600_000),
        username: SF_USER,
        reconnect: { initialMs: 20, maxMs: 100 },
        signal: AbortSignal.timeout(20_000),
      });
      assert.equal(found.token, token);
      assert.equal(srv.downloads(), 2, 'the cut download, then the one after the reconnect');
      assert.ok(srv.connections() >= 2);
    } finally {
      srv.close();
    }
  }
});

test('reconnect storm: a server dropping every session 0.5 s into IDLE gets a bounded number of logins', {
  timeout: 60_000,
}, async (t) => {
  const WINDOW_MS = 12_000;
  // Default backoff (250 ms doubling to 10 s, healthyMs 30 s) against a control whose healthyMs is shorter than
  // the sessions: the control starts over after every session (the old behaviour), the default does not.
  const [storm, control] = await Promise.all([
    hostileImapServer('drop-in-idle', cert, { dropAfterMs: 500 }),
    hostileImapServer('drop-in-idle', cert, { dropAfterMs: 500 }),
  ]);
  try {
    const run = (port: number, reconnect?: { healthyMs: number }) => {
      const ac = new AbortController();
      const p = watchForToken({
        mailbox: mailbox(port),
        since: new Date(),
        signal: ac.signal,
        ...(reconnect ? { reconnect } : {}),
      });
      p.catch(() => {});
      return { ac, p };
    };
    const a = run(storm.port);
    const b = run(control.port, { healthyMs: 100 });
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    a.ac.abort();
    b.ac.abort();
    await assert.rejects(a.p, { name: 'AbortError' });
    await assert.rejects(b.p, { name: 'AbortError' });
    t.diagnostic(
      `logins in ${WINDOW_MS / 1000} s: default backoff ${storm.logins()}, backoff reset after every session ${control.logins()} (healthyMs default ${DEFAULT_HEALTHY_MS} ms)`,
    );
    // Backoff 125–250, 250–500, 500–1000, 1–2 s, 2–4 s, 4–8 s plus ~0.7 s per session: at most 6 logins in 12 s.
    assert.ok(storm.logins() >= 3, `it does reconnect (${storm.logins()} logins)`);
    assert.ok(storm.logins() <= 7, `${storm.logins()} logins in ${WINDOW_MS / 1000} s`);
    assert.ok(control.logins() > storm.logins(), 'the control (backoff reset after each session) logs in more often');
  } finally {
    storm.close();
    control.close();
  }
});

test('imapflow size limits fit a token mail: literal ≈ the download cap, lines ≤ 8 MB, ≤ 200,000 tokens (the bounds tests show them failing hostile answers)', () => {
  const d = imapSizeLimits();
  assert.ok(
    d.maxLiteralSize! >= DEFAULT_MAX_MESSAGE_BYTES && d.maxLiteralSize! <= DEFAULT_MAX_MESSAGE_BYTES + 128 * 1024,
    `literal ${d.maxLiteralSize}`,
  );
  assert.ok(
    d.maxResponseSize! > d.maxLiteralSize! && d.maxResponseSize! <= 16 * 1024 * 1024,
    `response ${d.maxResponseSize}`,
  );
  assert.equal(d.maxLineLength, 8 * 1024 * 1024);
  assert.ok(d.maxResponseTokens! <= 200_000);
  // A larger maxMessageBytes raises the literal cap with it (the watcher must still receive what it asks for).
  const big = imapSizeLimits(10 * 1024 * 1024);
  assert.ok(big.maxLiteralSize! >= 10 * 1024 * 1024 && big.maxResponseSize! > big.maxLiteralSize!);
});
