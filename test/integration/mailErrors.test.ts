/**
 * MailboxError advice for the failures real providers produce (shapes as imapflow reports them, see
 * ../shared/imap-facts.md). Pure: no server needed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ErrorContext } from '../../src/mail/errors';
import { toMailboxError, MailboxError } from '../../src/mail/errors';
import { registerSecret } from '../../src/core/redact';
import { checkMailboxConfig } from '../../src/mail/imapClient';

const ctx = (host: string, over: Partial<ErrorContext> = {}): ErrorContext => ({
  host,
  port: 993,
  security: 'implicit',
  user: 'me@example.org',
  ...over,
});
const authFailed = () =>
  Object.assign(new Error('Command failed'), {
    authenticationFailed: true,
    responseText: 'Authentication failed.',
    serverResponseCode: 'AUTHENTICATIONFAILED',
  });

test('wrong password: generic advice, Gmail says app password', () => {
  const e = toMailboxError(authFailed(), ctx('mail.example.org'));
  assert.equal(e.kind, 'auth');
  assert.match(e.message, /wrong user name or password/);
  const g = toMailboxError(
    Object.assign(new Error('Command failed'), {
      authenticationFailed: true,
      responseText: '[AUTHENTICATIONFAILED] Invalid credentials (Failure)',
    }),
    ctx('imap.gmail.com'),
  );
  assert.equal(g.kind, 'app-password');
  assert.match(g.message, /app password/);
  assert.equal(g.permanent, true);
});

test('Microsoft 365 "Basic authentication is disabled" asks for an OAuth access token', () => {
  const e = toMailboxError(
    Object.assign(new Error('Command failed'), {
      authenticationFailed: true,
      responseText: 'Basic authentication is disabled.',
    }),
    ctx('outlook.office365.com'),
  );
  assert.equal(e.kind, 'basic-auth-disabled');
  assert.match(e.message, /OAuth access token/);
  assert.match(e.message, /TOKEN_RELAY_IMAP_ACCESS_TOKEN/);
  // issue 16: the options it names exist
  assert.match(e.message, /"Sign in with Microsoft"/);
  assert.match(e.message, /token-relay mailbox login --provider microsoft/);
  assert.match(e.message, /--imap-auth microsoft/);
});

test('TLS: self-signed names insecureTls; wrong host; wrong mode suggests the other one', () => {
  const self = toMailboxError(
    Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT', tlsFailed: true }),
    ctx('127.0.0.1'),
  );
  assert.equal(self.kind, 'tls');
  assert.match(self.message, /insecureTls/);
  const alt = toMailboxError(
    Object.assign(new Error("Hostname/IP does not match certificate's altnames"), {
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    }),
    ctx('mail.wrong.example'),
  );
  assert.match(alt.message, /does not match the host name "mail\.wrong\.example"/);
  const mode = toMailboxError(
    Object.assign(new Error('wrong version number'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }),
    ctx('h', { port: 143 }),
  );
  assert.match(mode.message, /Try STARTTLS/);
  const mode2 = toMailboxError(
    Object.assign(new Error('x'), { code: 'GREETING_TIMEOUT' }),
    ctx('h', { security: 'starttls', port: 993 }),
  );
  assert.equal(mode2.kind, 'timeout');
  assert.match(mode2.message, /implicit TLS/);
});

test('refused, DNS, timeouts, unknown', () => {
  assert.equal(
    toMailboxError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), ctx('h')).kind,
    'connect',
  );
  assert.match(
    toMailboxError(Object.assign(new Error('getaddrinfo'), { code: 'ENOTFOUND' }), ctx('nope.invalid')).message,
    /Cannot resolve the IMAP host "nope\.invalid"/,
  );
  assert.equal(toMailboxError(Object.assign(new Error('t'), { code: 'CONNECT_TIMEOUT' }), ctx('h')).kind, 'timeout');
  const u = toMailboxError(new Error('something odd'), ctx('h'));
  assert.equal(u.kind, 'protocol');
  assert.equal(u.permanent, false);
  const same = new MailboxError('connect', 'x');
  assert.equal(toMailboxError(same, ctx('h')), same);
});

test('no secret survives in a message', () => {
  registerSecret('imap-pass-LEAK-123');
  const e = toMailboxError(Object.assign(new Error('LOGIN me imap-pass-LEAK-123 failed'), { code: 'XYZ' }), ctx('h'));
  assert.ok(!e.message.includes('imap-pass-LEAK-123'));
});

test('config checks', () => {
  assert.throws(() => checkMailboxConfig({ host: '', user: 'u', password: 'p' }), /No IMAP host/);
  assert.throws(() => checkMailboxConfig({ host: 'h', user: 'u' }), /No IMAP password or access token/);
  assert.throws(() => checkMailboxConfig({ host: 'h', user: 'u', password: 'p', port: 70000 }), /Invalid IMAP port/);
  assert.throws(() => checkMailboxConfig({ host: 'h', user: 'u', password: 'p', proxy: 'proxy:8080' }), /scheme/);
  checkMailboxConfig({ host: 'h', user: 'u', accessToken: 't', proxy: 'socks5://127.0.0.1:1080' });
});
