import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Redactor, REDACTED, REDACTION_PATTERNS, safeErrorMessage, registerSecret } from '../../src/core/redact';
import { createLogger } from '../../src/core/log';

test('registered secrets are replaced in all their encoded forms', () => {
  const r = new Redactor();
  const pw = 'p@ss w<rd>&"x';
  r.add(pw);
  for (const form of [
    pw,
    encodeURIComponent(pw),
    'p@ss w&lt;rd&gt;&amp;&quot;x',
    JSON.stringify(pw).slice(1, -1),
    Buffer.from(pw).toString('base64').replace(/=+$/, ''),
  ]) {
    const out = r.redact(`before ${form} after`);
    assert.ok(!out.includes(form), `form leaked: ${form}`);
    assert.ok(out.includes(REDACTED));
  }
});

test('short strings are not registered (they would redact ordinary words)', () => {
  const r = new Redactor();
  r.add('ab');
  assert.equal(r.redact('ab cd'), 'ab cd');
});

test('patterns catch secrets nobody registered', () => {
  const r = new Redactor();
  const samples = [
    '00D5g000004XyZ1!AR8AQJXg5Vbq3r.k8Nnq4p0TQYfR1zXw_ABCDEFGHIJ',
    'Authorization: Bearer abcdefghijklmnop',
    'https://x/id/1/2?format=json&oauth_token=SECRETSECRET',
    'grant_type=password&password=hunter22xyz&client_secret=abc123def',
    '{"access_token":"tok-12345","instance_url":"https://x"}',
    '<password>hunter22TOKEN</password>',
    '<sessionId>00Dxx!yyyy</sessionId>',
    'SF_PASSWORD=hunter22',
    'SF_SECURITY_TOKEN="abcDEF123"',
  ];
  for (const s of samples) {
    const out = r.redact(s);
    for (const secret of [
      'AR8AQJXg5Vbq',
      'abcdefghijklmnop',
      'SECRETSECRET',
      'hunter22',
      'abc123def',
      'tok-12345',
      '00Dxx!yyyy',
      'abcDEF123',
    ]) {
      assert.ok(!out.includes(secret), `${secret} leaked from ${s}: ${out}`);
    }
  }
});

test('safeErrorMessage redacts and keeps the code', () => {
  registerSecret('CanarySecret12345');
  const e = Object.assign(new Error('login failed for CanarySecret12345'), { code: 'ECONNREFUSED' });
  const msg = safeErrorMessage(e);
  assert.ok(!msg.includes('CanarySecret12345'));
  assert.match(msg, /ECONNREFUSED/);
});

test('logger tags components and redacts every line', () => {
  registerSecret('AnotherCanary987');
  const lines: string[] = [];
  const log = createLogger((lvl, l) => lines.push(`${lvl} ${l}`), 'mail');
  log.child('idle').info('got AnotherCanary987');
  assert.deepEqual(lines, [`info [mail/idle] got ${REDACTED}`]);
});

test('prose after OAuth/Bearer survives; token-like values do not', () => {
  const r = new Redactor();
  assert.equal(r.redact('Use the OAuth username-password flow.'), 'Use the OAuth username-password flow.');
  assert.ok(!r.redact('Authorization: OAuth 00Dabc123def456ghi789').includes('00Dabc123def456ghi789'));
});

test('ephemeral secrets (session ids) are bounded and still redacted while remembered', () => {
  const r = new Redactor();
  r.add('LongLivedPassword1');
  for (let i = 0; i < 1000; i++) r.add(`session-value-${i}-abcdef`, { ephemeral: true });
  assert.ok(r.size < 64 * 6 + 10, `size ${r.size}`);
  assert.ok(!r.redact('x session-value-999-abcdef y').includes('session-value-999-abcdef'));
  assert.ok(!r.redact('LongLivedPassword1').includes('LongLivedPassword1'));
});

test('property: the cheap pre-checks never skip a pattern that would match (same output as running every pattern)', () => {
  const unguarded = (t: string) => REDACTION_PATTERNS.reduce((out, p) => out.replace(p.re, p.rep), t);
  const fragments = [
    'Bearer ',
    'bearer\t',
    'BEARER ',
    'OAuth ',
    'oauth ',
    'OAUTH\n',
    'password=',
    'PassWord=',
    'token=',
    'access_token=',
    'sessionId=',
    '"password": ',
    '"Token":"',
    '"secret" : "',
    '<password>',
    '</password>',
    '<sf:sessionId>',
    '</sf:sessionId>',
    '<SessionId>',
    '</SESSIONID>',
    'SF_PASSWORD=',
    'SF_SECURITY_TOKEN: ',
    'TOKEN_RELAY_IMAP_PASSWORD=',
    "'",
    '"',
    '=',
    ':',
    '<',
    '>',
    '/',
    '!',
    '&',
    ' ',
    '\\',
    '00D',
    '00Dxx0000001gPL',
    '00D5g000004abcdEAA!',
    'AQ4AQFPn1Nc1x9z8Qk2Lm3',
    'abcdefghijklmnop1234',
    'x9Kq2',
    'é',
    'İ',
    'K',
    'ſ',
  ];
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.constantFrom(...fragments), fc.string({ maxLength: 6 })), { maxLength: 14 }),
      (parts) => {
        const t = parts.join('');
        assert.equal(new Redactor().redact(t), unguarded(t));
      },
    ),
    { numRuns: 20_000, seed: 20261129 },
  );
});
