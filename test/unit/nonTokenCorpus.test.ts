/**
 * Issue 15 item 2: Salesforce mails that are not the token mail (newsletters, Trailhead, events, case and
 * approval notifications, password and verification mails) with 24–25 character codes on label lines,
 * mostly right under a username line: never a token, with any options, in any layout. Positive controls:
 * the same senders and layouts with the real token-mail wording are still found.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAndClassify } from '../../src/mail';
import { classifyMail } from '../../src/core/tokenMail';
import { senderRole, tokenLabelKind } from '../../src/core/mail/labels';
import { CORPUS_USER, NON_TOKEN_DIR, NON_TOKEN_MAILS, renderNonToken } from '../fuzz/nonTokenCorpus';
import { LAYOUTS, buildMail, tokenHtml, tokenText } from '../fuzz/mails';

const OPTION_SETS = [
  {},
  { username: CORPUS_USER },
  { username: CORPUS_USER.toUpperCase(), trustForwarded: true },
  { forwardedFrom: CORPUS_USER },
  { requireDkim: true, authservId: 'mx.example.org' },
];

test('corpus files on disk match their generator (regenerate: node --import tsx test/fuzz/nonTokenCorpus.ts)', () => {
  assert.ok(NON_TOKEN_MAILS.length >= 25);
  for (const m of NON_TOKEN_MAILS) {
    assert.match(m.code, /^[A-Za-z0-9]{24,25}$/, m.file);
    assert.ok(
      readFileSync(path.join(NON_TOKEN_DIR, m.file)).equals(renderNonToken(m).raw),
      `${m.file} differs from its generator`,
    );
  }
});

for (const m of NON_TOKEN_MAILS) {
  test(`non-token ${m.file}: ${m.what}`, async () => {
    const raw = readFileSync(path.join(NON_TOKEN_DIR, m.file));
    for (const opts of OPTION_SETS) {
      const v = await parseAndClassify(raw, opts);
      assert.notEqual(v.kind, 'token', `${JSON.stringify(opts)}: ${v.reason}`);
      assert.equal(v.token, undefined);
      assert.ok(!JSON.stringify(v).includes(m.code), 'the code leaked into the verdict');
    }
  });
}

test('every corpus mail in every layout, with another code and user: never a token', async () => {
  const bad: string[] = [];
  for (const m of NON_TOKEN_MAILS) {
    for (const layout of LAYOUTS) {
      for (const [user, code] of [
        [CORPUS_USER, m.code],
        ['ops@initech.example', 'Zz9' + m.code.slice(3)],
      ] as const) {
        const v = await parseAndClassify(renderNonToken(m, { layout, user, code }).raw, { username: user });
        if (v.kind === 'token') bad.push(`${m.file} [${layout}]`);
      }
    }
  }
  assert.deepEqual(bad, []);
});

test('positive controls: the genuine token wording from transactional senders, all layouts', async () => {
  const token = 'GenuineT0kenFromSalesf0rc';
  for (const from of [
    'Salesforce <support@salesforce.com>',
    'Salesforce <noreply@salesforce.com>',
    'support@emea.salesforce.com',
  ]) {
    for (const lang of ['en', 'ja', 'legacy'] as const) {
      for (const layout of LAYOUTS) {
        if (layout === 'plain-8bit-latin1' && lang === 'ja') continue;
        const body = { lang, username: CORPUS_USER, token, firstName: 'Jane' };
        const raw = buildMail({
          from,
          subject: 'Your new Salesforce security token',
          layout,
          text: tokenText(body),
          html: tokenHtml(body),
        }).raw;
        const v = await parseAndClassify(raw, { username: CORPUS_USER });
        assert.equal(v.kind, 'token', `${from} ${lang} ${layout}: ${v.reason}`);
        assert.equal(v.token, token);
      }
    }
  }
});

test('labels: the "security token" vocabulary, denied labels, unknown languages', () => {
  for (const l of [
    'Security token (case-sensitive)',
    'SECURITY TOKEN',
    'セキュリティトークン (大文字と小文字を区別)',
    'Sicherheitstoken (Groß-/Kleinschreibung beachten)',
    'Jeton de sécurité (sensible à la casse)',
    'Token de seguridad (distingue mayúsculas y minúsculas)',
    'Token de segurança',
    'Token di sicurezza',
    '安全令牌（区分大小写）',
    '보안 토큰(대소문자 구분)',
    'Маркер безопасности',
    'Token',
    'Your new security token',
    '*Security token:*',
  ])
    assert.equal(tokenLabelKind(l), 'vocab', l);
  for (const l of [
    'Password',
    'New password',
    'Passwort',
    'Kennwort',
    'パスワード',
    '仮パスワード',
    'Mot de passe',
    'Contraseña',
    'Promo code',
    'Reset code',
    'Verification Code',
    'Reference',
    'Case Reference',
    'Order number',
    'Request ID',
    'Org ID',
    'Activation key',
    'Access token',
    'API token',
    'Security token reset code',
    'Coupon',
    'Ticket',
    'Webinar ID',
    'Registration',
  ])
    assert.equal(tokenLabelKind(l), 'denied', l);
  for (const l of ['Biztonsági kulcsszó', 'Dokumentum', 'Thread', 'Azonosító', 'Trailblazer', 'Pass', 'Kuponkód'])
    assert.equal(tokenLabelKind(l), 'unknown', l);
});

test('sender roles: transactional, marketing, other', () => {
  for (const a of [
    'support@salesforce.com',
    'noreply@salesforce.com',
    'support@emea.salesforce.com',
    'no-reply@salesforce.com',
    'support@na1.mta.salesforce.com',
  ])
    assert.equal(senderRole(a), 'transactional', a);
  for (const a of [
    'news@email.salesforce.com',
    'info@salesforce.com',
    'trailhead@salesforce.com',
    'noreply@go.salesforce.com',
    'noreply@trailhead.salesforce.com',
    'events@salesforce.com',
    'x@mail.salesforce.com',
  ])
    assert.equal(senderRole(a), 'marketing', a);
  for (const a of ['alice@salesforce.com', 'billing@salesforce.com', 'x@mta.na1.salesforce.com'])
    assert.equal(senderRole(a), 'other', a);
});

test('unknown-language labels: only from a transactional sender, right under a username line, not bulk, neutral subject', () => {
  const T = 'UnKn0wNLaBeL7Xq2Wm5Rt8Yp3';
  const mk = (from: string, text: string, subject = 'Salesforce', headers: Record<string, unknown> = {}) =>
    classifyMail({ from: { value: [{ address: from }] }, subject, text, headers: new Map(Object.entries(headers)) });
  assert.equal(mk('support@salesforce.com', `Felhasználónév: ${CORPUS_USER}\nBiztonsági kulcsszó: ${T}`).kind, 'token');
  assert.equal(mk('support@salesforce.com', `Biztonsági kulcsszó: ${T}`).kind, 'none'); // no username line
  assert.equal(
    mk('support@salesforce.com', `Felhasználónév: ${CORPUS_USER}\nBiztonsági kulcsszó: ${T}`, 'Your new password').kind,
    'none',
  );
  assert.equal(
    mk('support@salesforce.com', `Felhasználónév: ${CORPUS_USER}\nBiztonsági kulcsszó: ${T}`, 'x', {
      'list-unsubscribe': '<mailto:u@x>',
    }).kind,
    'none',
  );
  assert.equal(mk('alice@salesforce.com', `Felhasználónév: ${CORPUS_USER}\nBiztonsági kulcsszó: ${T}`).kind, 'none');
  // Two Subject fields (parsers differ in which they show): the subject cannot vouch for the mail (found by npm run fuzz).
  const two = classifyMail({
    from: { value: [{ address: 'support@salesforce.com' }] },
    subject: 'x',
    subjectFields: 2,
    text: `Felhasználónév: ${CORPUS_USER}\nBiztonsági kulcsszó: ${T}`,
  });
  assert.equal(two.kind, 'none');
  assert.equal(
    mk('news@email.salesforce.com', `Username: ${CORPUS_USER}\nSecurity token (case-sensitive): ${T}`).kind,
    'none',
  );
  // A vocabulary label from an "other" salesforce.com sender counts right under a username line only.
  assert.equal(
    mk('alice@salesforce.com', `Username: ${CORPUS_USER}\nSecurity token (case-sensitive): ${T}`).kind,
    'token',
  );
  assert.equal(mk('alice@salesforce.com', `Security token (case-sensitive): ${T}`).kind, 'none');
  // The text part names the value a password; the HTML part (under another label) cannot make it a token.
  const parts = classifyMail({
    from: { value: [{ address: 'support@salesforce.com' }] },
    subject: 'x',
    text: `Username: ${CORPUS_USER}\nPassword: ${T}`,
    html: `<p>Username: ${CORPUS_USER}<br>Xyzzy: ${T}</p>`,
  });
  assert.equal(parts.kind, 'none', parts.reason);
  // A denied line next to the real one does not disturb it.
  assert.equal(
    mk(
      'support@salesforce.com',
      `Username: ${CORPUS_USER}\nSecurity token (case-sensitive): ${T}\nReference: Zz9${T.slice(3)}`,
    ).token,
    T,
  );
});
