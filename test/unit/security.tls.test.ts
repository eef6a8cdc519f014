/**
 * TLS downgrade and transport hygiene (issue 8, SECURITY.md "TLS downgrade"):
 *  - an IMAP server that hides or refuses STARTTLS, or "accepts" it and keeps talking plain text, never
 *    receives the password (LOGIN or AUTHENTICATE PLAIN); the watcher fails with a `tls` MailboxError;
 *  - a self-signed IMAPS certificate is refused unless the user opted out explicitly (insecureTls);
 *  - plain http:// login URLs are refused for anything but loopback hosts; a self-signed HTTPS
 *    Salesforce endpoint is refused (network-error) unless its CA is given, and never retried over http;
 *  - no login URL, however crafted, makes the reset page URL point at ResetApiTokenConfirm.
 * Local servers on 127.0.0.1 only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchForToken, testMailbox, MailboxError } from '../../src/mail';
import { testLogin } from '../../src/salesforce/login';
import { resetPageUrl, validateLoginUrl } from '../../src/core/resetUrl';
import { startEmulator } from '../../src/emulator';
import { startFakeServer } from '../servers/fakeTcp';
import { selfSignedCert } from '../servers/tls';

const IMAP_PASS = 'TlsCanary-imap-Pw-77';
const SF_PASS = 'TlsCanary-sf-Pw-88';

/**
 * A scripted plain-text IMAP server. `mode`:
 *  no-starttls     never advertises STARTTLS, refuses the command, and would accept any LOGIN
 *  refuse          advertises STARTTLS but answers NO
 *  fake-ok         answers OK to STARTTLS, then keeps talking plain text
 */
async function downgradeServer(mode: 'no-starttls' | 'refuse' | 'fake-ok') {
  const caps = mode === 'no-starttls' ? 'IMAP4rev1 AUTH=PLAIN AUTH=LOGIN IDLE' : 'IMAP4rev1 STARTTLS AUTH=PLAIN IDLE';
  return startFakeServer((s) => {
    s.write(`* OK [CAPABILITY ${caps}] fake server ready\r\n`);
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      let i: number;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const [tag, cmd] = line.split(' ');
        const c = (cmd ?? '').toUpperCase();
        if (c === 'CAPABILITY') s.write(`* CAPABILITY ${caps}\r\n${tag} OK done\r\n`);
        else if (c === 'STARTTLS')
          s.write(
            mode === 'refuse'
              ? `${tag} NO not today\r\n`
              : mode === 'fake-ok'
                ? `${tag} OK begin TLS (not really)\r\n`
                : `${tag} BAD unknown command\r\n`,
          );
        else if (c === 'LOGIN' || c === 'AUTHENTICATE') s.write(`${tag} OK logged in\r\n`);
        else if (c === 'LOGOUT') s.end(`* BYE\r\n${tag} OK\r\n`);
        else if (tag) s.write(`${tag} OK\r\n`);
      }
    });
  });
}

function leaked(received: string[], user: string): boolean {
  const all = received.join('');
  return (
    all.includes(IMAP_PASS) ||
    all.includes(Buffer.from(`\0${user}\0${IMAP_PASS}`).toString('base64')) ||
    all.includes(Buffer.from(IMAP_PASS).toString('base64'))
  );
}

for (const mode of ['no-starttls', 'refuse', 'fake-ok'] as const) {
  test(`IMAP STARTTLS downgrade (${mode}): the password is never sent in clear text; a tls MailboxError`, {
    timeout: 90_000,
  }, async () => {
    const srv = await downgradeServer(mode);
    try {
      const cfg = {
        host: '127.0.0.1',
        port: srv.port,
        security: 'starttls' as const,
        user: 'jane',
        password: IMAP_PASS,
        timeoutMs: 2000,
        insecureTls: true,
      };
      for (const call of [() => watchForToken({ mailbox: cfg, since: new Date() }), () => testMailbox(cfg)]) {
        const ac = new AbortController();
        const guard = setTimeout(() => ac.abort(), 30_000);
        try {
          await assert.rejects(call(), (e: unknown) => {
            assert.ok(e instanceof MailboxError, String(e));
            assert.ok(['tls', 'timeout', 'protocol', 'connect'].includes(e.kind), `kind ${e.kind}`);
            assert.ok(!e.message.includes(IMAP_PASS));
            return true;
          });
        } finally {
          clearTimeout(guard);
        }
      }
      assert.ok(
        !leaked(srv.received, 'jane'),
        `password sent to a server without TLS: ${JSON.stringify(srv.received.join('').slice(0, 300))}`,
      );
    } finally {
      srv.close();
    }
  });
}

test('a self-signed IMAPS certificate is refused unless insecureTls is set explicitly', {
  timeout: 60_000,
}, async () => {
  const c = selfSignedCert();
  const server = await startFakeServer((s) => s.write('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] tls ready\r\n'), {
    tls: c,
  });
  try {
    const port = server.port;
    await assert.rejects(
      testMailbox({
        host: '127.0.0.1',
        port,
        security: 'implicit',
        user: 'jane',
        password: IMAP_PASS,
        timeoutMs: 2000,
      }),
      (e: unknown) => {
        assert.ok(e instanceof MailboxError && e.kind === 'tls', String(e));
        assert.ok(!e.message.includes(IMAP_PASS));
        return true;
      },
    );
    assert.ok(!leaked(server.received, 'jane'), 'password sent over an unverified TLS connection');
  } finally {
    server.close();
    c.cleanup();
  }
});

test('plain http:// login URLs are refused except for loopback hosts', () => {
  for (const bad of [
    'http://login.salesforce.com',
    'http://acme.my.salesforce.com',
    'http://127.0.0.1.nip.io',
    'http://10.0.0.1',
    'http://192.168.1.10:8080',
    'http://localhost.evil.test',
    'http://[::ffff:7f00:1]x',
  ]) {
    assert.throws(() => validateLoginUrl(bad), Error, bad);
  }
  for (const ok of [
    'http://127.0.0.1:4567',
    'http://localhost:1',
    'http://[::1]:8080',
    'https://acme.my.salesforce.com',
  ]) {
    assert.doesNotThrow(() => validateLoginUrl(ok), ok);
  }
});

test('testLogin against a non-loopback http:// URL fails without sending anything', async () => {
  const r = await testLogin(
    { id: 'p', name: 'x', loginUrl: 'http://login.salesforce.com', username: 'jane@acme.example' },
    { password: SF_PASS, token: 'x'.repeat(25) },
    { timeoutMs: 2000 },
  );
  assert.notEqual(r.status, 'ok');
  assert.ok(!JSON.stringify(r).includes(SF_PASS));
});

test('a self-signed HTTPS Salesforce endpoint is refused without its CA, accepted with it', {
  timeout: 60_000,
}, async () => {
  const c = selfSignedCert();
  const emu = await startEmulator({
    users: [{ username: 'jane@acme.example', password: SF_PASS, token: 'TlsToken00000000000000000' }],
    tls: { key: c.key, cert: c.cert },
  });
  try {
    assert.match(emu.url, /^https:/);
    const profile = { id: 'p', name: 'x', loginUrl: emu.url, username: 'jane@acme.example' };
    const secrets = { password: SF_PASS, token: 'TlsToken00000000000000000' };
    const before = emu.stats.requests;
    const refused = await testLogin(profile, secrets, { timeoutMs: 5000 });
    assert.equal(refused.status, 'network-error', JSON.stringify(refused));
    assert.ok(refused.code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(refused.code), `code ${refused.code}`);
    assert.equal(emu.stats.requests, before, 'a request reached the server over an unverified connection');
    const accepted = await testLogin(profile, secrets, { timeoutMs: 5000, ca: c.cert });
    assert.equal(accepted.status, 'ok', JSON.stringify(accepted));
  } finally {
    await emu.close();
    c.cleanup();
  }
});

test('no login URL makes the reset page URL point at ResetApiTokenConfirm', () => {
  const crafted = [
    'https://acme.my.salesforce.com/_ui/system/security/ResetApiTokenConfirm',
    'https://acme.my.salesforce.com/?startURL=/_ui/system/security/ResetApiTokenConfirm',
    'https://acme.my.salesforce.com/%5Fui/system/security/ResetApiTokenConfirm',
    'https://login.salesforce.com/secur/frontdoor.jsp?retURL=%2F_ui%2Fsystem%2Fsecurity%2FResetApiTokenConfirm',
    'https://acme.lightning.force.com/lightning/settings/personal/ResetApiToken/home#ResetApiTokenConfirm',
    'http://127.0.0.1:1234/_ui/system/security/ResetApiTokenConfirm?x=1',
  ];
  for (const u of crafted) {
    for (const classic of [false, true]) {
      let out;
      try {
        out = resetPageUrl(u, { classic });
      } catch {
        continue; // refusing is fine
      }
      assert.ok(!/ResetApiTokenConfirm/i.test(decodeURIComponent(decodeURIComponent(out))), `${u} -> ${out}`);
    }
  }
});
