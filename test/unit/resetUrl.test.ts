import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  resetPageUrl,
  validateLoginUrl,
  isLoopbackHost,
  myDomainHost,
  loginUrlAdvice,
  suggestedLoginUrl,
  assertSafeResetUrl,
  LoginUrlError,
} from '../../src/core/resetUrl';

const L = '/lightning/settings/personal/ResetApiToken/home';
const C = '/_ui/system/security/ResetApiTokenEdit';
const ENC_L = encodeURIComponent(L);

test('production My Domain (enhanced): the Lightning page on the my.salesforce.com host', () => {
  assert.equal(resetPageUrl('https://acme.my.salesforce.com'), `https://acme.my.salesforce.com${L}`);
  assert.equal(resetPageUrl('https://acme.my.salesforce.com/'), `https://acme.my.salesforce.com${L}`);
  assert.equal(resetPageUrl('https://ACME.My.Salesforce.com/some/path?x=1#frag'), `https://acme.my.salesforce.com${L}`);
  assert.equal(resetPageUrl('acme.my.salesforce.com'), `https://acme.my.salesforce.com${L}`);
});

test('Lightning hosts map to their My Domain host', () => {
  assert.equal(
    resetPageUrl('https://acme.lightning.force.com/lightning/page/home'),
    `https://acme.my.salesforce.com${L}`,
  );
  assert.equal(
    resetPageUrl('https://acme--uat.sandbox.lightning.force.com'),
    `https://acme--uat.sandbox.my.salesforce.com${L}`,
  );
  assert.equal(resetPageUrl('https://glabs--stage.lightning.force.com'), `https://glabs--stage.my.salesforce.com${L}`);
  assert.equal(
    resetPageUrl('https://acme-dev-ed.develop.lightning.force.com'),
    `https://acme-dev-ed.develop.my.salesforce.com${L}`,
  );
  assert.equal(resetPageUrl('https://acme.my.salesforce-setup.com'), `https://acme.my.salesforce.com${L}`);
  assert.equal(
    myDomainHost('letsrecycleit--uat.sandbox.lightning.force.com'),
    'letsrecycleit--uat.sandbox.my.salesforce.com',
  );
});

test('sandboxes: enhanced and legacy My Domain hosts stay as they are', () => {
  assert.equal(
    resetPageUrl('https://acme--uat.sandbox.my.salesforce.com'),
    `https://acme--uat.sandbox.my.salesforce.com${L}`,
  );
  assert.equal(
    resetPageUrl('https://8848phone--uat.my.salesforce.com/'),
    `https://8848phone--uat.my.salesforce.com${L}`,
  );
});

test('Developer Edition', () => {
  assert.equal(
    resetPageUrl('https://acme-dev-ed.develop.my.salesforce.com'),
    `https://acme-dev-ed.develop.my.salesforce.com${L}`,
  );
});

test('login.salesforce.com / test.salesforce.com: log in first, then go to the page (startURL)', () => {
  assert.equal(resetPageUrl('https://login.salesforce.com'), `https://login.salesforce.com/?startURL=${ENC_L}`);
  assert.equal(resetPageUrl('https://login.salesforce.com/'), `https://login.salesforce.com/?startURL=${ENC_L}`);
  assert.equal(
    resetPageUrl('https://test.salesforce.com/services/Soap/u/64.0'),
    `https://test.salesforce.com/?startURL=${ENC_L}`,
  );
  assert.equal(
    resetPageUrl('https://login.salesforce.com', { classic: true }),
    `https://login.salesforce.com/?startURL=${encodeURIComponent(C)}`,
  );
});

test('Classic option', () => {
  assert.equal(resetPageUrl('https://acme.my.salesforce.com', { classic: true }), `https://acme.my.salesforce.com${C}`);
  assert.equal(
    resetPageUrl('https://acme.lightning.force.com', { classic: true }),
    `https://acme.my.salesforce.com${C}`,
  );
});

test('loopback http (the emulator) keeps http and the port', () => {
  assert.equal(resetPageUrl('http://127.0.0.1:5123'), `http://127.0.0.1:5123${L}`);
  assert.equal(resetPageUrl('http://localhost:5123/'), `http://localhost:5123${L}`);
  assert.equal(resetPageUrl('http://[::1]:5123'), `http://[::1]:5123${L}`);
  assert.equal(resetPageUrl('http://127.0.0.1:5123', { classic: true }), `http://127.0.0.1:5123${C}`);
});

test('bad URLs are refused with a clear message', () => {
  for (const bad of [
    '',
    '   ',
    'http://acme.my.salesforce.com',
    'ftp://acme.my.salesforce.com',
    'https://',
    'https://user:pw@acme.my.salesforce.com',
    'javascript:alert(1)',
    'http://10.0.0.1',
  ]) {
    assert.throws(() => resetPageUrl(bad), LoginUrlError, bad);
  }
  assert.throws(() => validateLoginUrl('http://acme.my.salesforce.com'), /only allowed for loopback/);
});

test('validateLoginUrl: https required except loopback; returns the origin', () => {
  assert.equal(validateLoginUrl('https://acme.my.salesforce.com/'), 'https://acme.my.salesforce.com');
  assert.equal(validateLoginUrl(' https://login.salesforce.com/services '), 'https://login.salesforce.com');
  assert.equal(validateLoginUrl('http://127.0.0.1:8080/'), 'http://127.0.0.1:8080');
  assert.equal(validateLoginUrl('http://127.1.2.3'), 'http://127.1.2.3');
  assert.equal(validateLoginUrl('http://localhost:1'), 'http://localhost:1');
  assert.equal(validateLoginUrl('http://[::1]:9'), 'http://[::1]:9');
  assert.equal(validateLoginUrl('https://acme.lightning.force.com'), 'https://acme.my.salesforce.com');
  assert.throws(() => validateLoginUrl('http://128.0.0.1'));
  assert.throws(() => validateLoginUrl('http://127.0.0.1.evil.example'));
  assert.throws(() => validateLoginUrl('http://localhost.evil.example'));
});

test('isLoopbackHost', () => {
  for (const h of [
    '127.0.0.1',
    '127.255.255.254',
    'localhost',
    'LOCALHOST',
    '::1',
    '[::1]',
    '::ffff:127.0.0.1',
    '[::ffff:7f00:1]',
  ])
    assert.ok(isLoopbackHost(h), h);
  for (const h of ['128.0.0.1', '127.0.0.256', '10.0.0.1', '::2', 'example.com', '127.0.0.1.nip.io', '0.0.0.0'])
    assert.ok(!isLoopbackHost(h), h);
  // Issue 15 item 16: names under localhost are not loopback (only 127.0.0.0/8, ::1 and `localhost` itself).
  for (const h of [
    'foo.localhost',
    'evil.localhost',
    'EVIL.LOCALHOST',
    'localhost.',
    'localhost.evil.test',
    '[::ffff:8f00:1]',
    '::ffff:10.0.0.1',
  ])
    assert.ok(!isLoopbackHost(h), h);
});

test('never ResetApiTokenConfirm, whatever the input (hostile URLs)', () => {
  const hostile = [
    'https://acme.my.salesforce.com/_ui/system/security/ResetApiTokenConfirm',
    'https://acme.my.salesforce.com/_ui/system/security/ResetApiTokenConfirm?retURL=%2Fsetup',
    'https://acme.my.salesforce.com/lightning/settings/personal/ResetApiToken/home?url=%2F_ui%2Fsystem%2Fsecurity%2FResetApiTokenConfirm',
    'https://login.salesforce.com/?startURL=%2F_ui%2Fsystem%2Fsecurity%2FResetApiTokenConfirm',
    'http://127.0.0.1:1/_ui/system/security/resetapitokenconfirm#x',
  ];
  for (const h of hostile) {
    const out = resetPageUrl(h);
    assert.doesNotMatch(out, /confirm/i, out);
    assert.doesNotMatch(decodeURIComponent(out), /confirm/i, out);
  }
  fc.assert(
    fc.property(
      fc.string(),
      fc.constantFrom('https://acme.my.salesforce.com/', 'https://login.salesforce.com/?x=', 'http://127.0.0.1:1/', ''),
      fc.boolean(),
      (s, prefix, classic) => {
        let out: string;
        try {
          out = resetPageUrl(prefix + s, { classic });
        } catch (e) {
          assert.ok(e instanceof LoginUrlError);
          return;
        }
        assert.doesNotMatch(out, /ResetApiTokenConfirm/i);
        assert.ok(out.endsWith(classic ? C : L) || out.includes('?startURL='), out);
      },
    ),
    { numRuns: 500 },
  );
  assert.throws(() => assertSafeResetUrl('https://x/%5F%75i/system/security/ResetApiToken%43onfirm'), LoginUrlError);
  assert.throws(
    () => assertSafeResetUrl('https://x/?u=%252F_ui%252Fsystem%252Fsecurity%252FResetApiTokenConfirm'),
    LoginUrlError,
  );
});

test('My Domain advice for generic login hosts', () => {
  assert.equal(loginUrlAdvice('https://acme.my.salesforce.com'), undefined);
  assert.match(loginUrlAdvice('https://login.salesforce.com')!, /My Domain/);
  assert.match(
    loginUrlAdvice('https://test.salesforce.com', 'https://acme--uat.sandbox.my.salesforce.com')!,
    /https:\/\/acme--uat\.sandbox\.my\.salesforce\.com/,
  );
  assert.equal(suggestedLoginUrl('https://acme.lightning.force.com'), 'https://acme.my.salesforce.com');
  assert.equal(suggestedLoginUrl('https://na123.salesforce.com'), undefined);
  assert.equal(suggestedLoginUrl(null), undefined);
});
