/** classifyMail on inline mails: sender trust, forwarding, DKIM, structure, usernames, HTML stripping. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyMail, isTrustedSenderDomain, stripGatewayTags, dkimPassForSalesforce, MailInput } from '../../src/core/tokenMail';
import { htmlToText, decodeEntities } from '../../src/core/html';

const TOKEN = 'CanaryTok3nAbCdEfGhIjKlMn'; // 25 chars, fake
const USER = 'jane.doe@acme.example';

function mail(over: Partial<MailInput> & { fromAddr?: string; fromName?: string; hdrs?: Record<string, unknown> } = {}): MailInput {
  const { fromAddr = 'support@salesforce.com', fromName = 'Salesforce', hdrs = {}, ...rest } = over;
  return {
    from: { value: [{ address: fromAddr, name: fromName }], text: `${fromName} <${fromAddr}>` },
    subject: 'Your new Salesforce security token',
    text: `Hi Jane,\n\nSome localised sentence.\n\nUsername: ${USER}\nSecurity token (case-sensitive): ${TOKEN}\n\nThanks`,
    html: false,
    headers: new Map(Object.entries(hdrs)),
    ...rest,
  };
}

test('isTrustedSenderDomain: salesforce.com and its subdomains only', () => {
  for (const a of ['support@salesforce.com', 'noreply@SALESFORCE.COM', 'support@emea.salesforce.com', 'x@a.b.salesforce.com', 'support@salesforce.com.'])
    assert.equal(isTrustedSenderDomain(a), true, a);
  for (const a of ['support@salesforce.com.evil.test', 'support@xsalesforce.com', 'support@evil-salesforce.com', 'support@salesforce.co',
    'support@salesforce.comm', 'salesforce.com@evil.test', 'support@sales force.com', 'support@salesforce.com>', '', '@salesforce.com', 'support@salesforce..com', 'support@salesforce\u2024com'])
    assert.equal(isTrustedSenderDomain(a), false, a);
});

test('a token mail from Salesforce: token + username, reason without the token', () => {
  const v = classifyMail(mail());
  assert.equal(v.kind, 'token');
  assert.equal(v.token, TOKEN);
  assert.equal(v.username, USER);
  assert.equal(v.sender, 'support@salesforce.com');
  assert.equal(v.authenticated, false);
  assert.ok(!v.reason.includes(TOKEN));
});

test('usernames compare case-insensitively, otherwise exactly (sandbox suffix counts)', () => {
  assert.equal(classifyMail(mail(), { username: 'Jane.Doe@ACME.example' }).kind, 'token');
  const v = classifyMail(mail(), { username: 'jane.doe@acme.example.uat' });
  assert.equal(v.kind, 'other-user');
  assert.equal(v.username, USER);
  assert.equal(v.token, undefined);
  assert.equal(classifyMail(mail(), { username: 'jane.doe@acme.exampl' }).kind, 'other-user');
});

test('display-name tricks and lookalike domains are untrusted; the token is not returned', () => {
  for (const [fromAddr, fromName] of [['x@evil.test', 'support@salesforce.com'], ['support@salesforce.com.evil.test', 'Salesforce'], ['support@xsalesforce.com', 'Salesforce']]) {
    const v = classifyMail(mail({ fromAddr, fromName }));
    assert.equal(v.kind, 'untrusted-sender', fromAddr);
    assert.equal(v.token, undefined);
    assert.ok(!JSON.stringify(v).includes(TOKEN));
  }
  assert.equal(classifyMail({ ...mail(), from: undefined }).kind, 'untrusted-sender');
  assert.equal(classifyMail({ ...mail(), from: { value: [{ address: 'support@salesforce.com' }, { address: 'a@evil.test' }] } }).kind, 'untrusted-sender');
});

test('forwarded copies are untrusted unless trustForwarded', () => {
  const subjects = ['Fwd: Your new Salesforce security token', 'FW: x', 'WG: x', 'TR: x', 'RV: x', '転送: x', '[EXTERNAL] Fwd: x', 'Re: Fwd: x', '(External Email) WG: x', 'Fwd[2]: x'];
  for (const subject of subjects) {
    const v = classifyMail(mail({ subject }));
    assert.equal(v.kind, 'untrusted-sender', subject);
    assert.match(v.reason, /forwarded/);
    assert.equal(classifyMail(mail({ subject }), { trustForwarded: true }).kind, 'token', subject);
  }
  for (const marker of ['---------- Forwarded message ---------', 'Begin forwarded message:', '-----Original Message-----'])
    assert.equal(classifyMail(mail({ text: `note\n${marker}\nFrom: Salesforce <support@salesforce.com>\n\nUsername: ${USER}\nToken: ${TOKEN}` })).kind, 'untrusted-sender', marker);
  assert.equal(classifyMail(mail({ hdrs: { 'resent-from': 'jane@acme.example' } })).kind, 'untrusted-sender');
  assert.equal(classifyMail(mail({ hdrs: { 'resent-from': 'jane@acme.example' } }), { trustForwarded: true }).kind, 'token');
});

test('"Sandbox:" and gateway subjects do not count as forwarding', () => {
  for (const subject of ['Sandbox: Your new Salesforce security token', '[EXTERNAL] Sandbox: x', '*** SPAM *** (External Email) x', '{Spam?} x', 'EXT: x', 'Trust: x', 'Information: x'])
    assert.equal(classifyMail(mail({ subject })).kind, 'token', subject);
  assert.equal(stripGatewayTags('[EXTERNAL] (External Email) *** SPAM *** Sandbox: Your token'), 'Sandbox: Your token');
});

test('a mail from the watched mailbox itself is a copy, not Salesforce', () => {
  const v = classifyMail(mail({ fromAddr: 'support@salesforce.com' }), { mailbox: 'SUPPORT@salesforce.com' });
  assert.equal(v.kind, 'untrusted-sender');
});

test('trustForwarded reads the original sender of a forwarded body', () => {
  const text = `FYI\n---------- Forwarded message ---------\nFrom: Salesforce <support@salesforce.com>\nSubject: x\n\nUsername: ${USER}\nSecurity token (case-sensitive): ${TOKEN}\n`;
  assert.equal(classifyMail(mail({ fromAddr: 'jane@gmail.example', subject: 'Fwd: x', text }), { trustForwarded: true }).kind, 'token');
  const evil = text.replace('support@salesforce.com', 'support@salesforce.com.evil.test');
  assert.equal(classifyMail(mail({ fromAddr: 'jane@gmail.example', subject: 'Fwd: x', text: evil }), { trustForwarded: true }).kind, 'untrusted-sender');
  // Not forwarded at all, from elsewhere: still untrusted with trustForwarded.
  assert.equal(classifyMail(mail({ fromAddr: 'jane@gmail.example' }), { trustForwarded: true }).kind, 'untrusted-sender');
});

test('DKIM: Authentication-Results with dkim=pass for salesforce.com', () => {
  const ok = [
    'mx.example.org; dkim=pass header.d=salesforce.com',
    'mx.google.com;\r\n       dkim=pass header.i=@salesforce.com header.s=sf112018 header.b=AbC;\r\n       spf=pass',
    'mx; spf=pass smtp.mailfrom=x; dkim=pass (2048-bit key) header.d=emea.salesforce.com',
    'mx; DKIM=PASS header.d="SalesForce.com"',
  ];
  for (const h of ok) assert.equal(dkimPassForSalesforce(new Map([['authentication-results', h]])), true, h);
  const bad = [
    'mx; dkim=fail header.d=salesforce.com',
    'mx; dkim=pass header.d=salesforce.com.evil.test',
    'mx; dkim=pass header.d=evil.test; spf=pass smtp.mailfrom=salesforce.com',
    'dkim=pass header.d=salesforce.com', // that is the authserv-id position, not a result
    'mx; dkim=neutral (header.d=salesforce.com pass)',
  ];
  for (const h of bad) assert.equal(dkimPassForSalesforce(new Map([['authentication-results', h]])), false, h);
  assert.equal(dkimPassForSalesforce(new Map([['authentication-results', ['mx; spf=pass', 'mx2; dkim=pass header.d=salesforce.com']]])), true);

  const signed = mail({ hdrs: { 'authentication-results': 'mx; dkim=pass header.d=salesforce.com' } });
  assert.equal(classifyMail(signed).authenticated, true);
  assert.equal(classifyMail(signed, { requireDkim: true }).kind, 'token');
  const unsigned = classifyMail(mail(), { requireDkim: true });
  assert.equal(unsigned.kind, 'untrusted-sender');
  assert.match(unsigned.reason, /DKIM/);
});

test('structure, not wording: any labels, any language, either colon', () => {
  const cases = [
    `Benutzername: ${USER}\nSicherheitstoken (Groß-/Kleinschreibung beachten): ${TOKEN}`,
    `ユーザ名：${USER}\nセキュリティトークン (大文字と小文字を区別)：${TOKEN}`,
    `Nom d'utilisateur : ${USER}\nJeton de sécurité (sensible à la casse) : ${TOKEN}`,
    `Имя пользователя: ${USER}\nМаркер безопасности: ${TOKEN}`,
    `用户名: ${USER}\n安全令牌（区分大小写）: ${TOKEN}`,
    `Username:\t${USER}\nSecurity token (case-sensitive):\u00a0\u00a0${TOKEN}   `,
    `Username: ${USER} <mailto:${USER}>\nSecurity token (case-sensitive): *${TOKEN}*`,
    `Username:\n${USER}\n\nSecurity token (case-sensitive):\n${TOKEN}`,
  ];
  for (const text of cases) {
    const v = classifyMail(mail({ text: `Intro line.\r\n\r\n${text.replace(/\n/g, '\r\n')}\r\n\r\nBye` }), { username: USER });
    assert.equal(v.kind, 'token', text);
    assert.equal(v.token, TOKEN, text);
    assert.equal(v.username, USER);
  }
});

test('24 and 25 characters only', () => {
  assert.equal(classifyMail(mail({ text: `Username: ${USER}\nToken: ${TOKEN.slice(0, 24)}` })).token, TOKEN.slice(0, 24));
  for (const t of [TOKEN.slice(0, 23), TOKEN + 'X', TOKEN.slice(0, 24) + '-', TOKEN.slice(0, 20) + 'ä1234'])
    assert.equal(classifyMail(mail({ text: `Username: ${USER}\nToken: ${t}` })).kind, 'none', t);
});

test('token-like values not on a label line are ignored', () => {
  for (const text of [
    `Username: ${USER}\nYour new security token is ${TOKEN} and replaces the old one.`,
    `Username: ${USER}\nhttps://login.salesforce.com/secur/reset?token=${TOKEN}`,
    `Username: ${USER}\nSee https://x.example/${TOKEN}`,
    `Username: ${USER}\n${TOKEN}`,
    `Username: ${USER}\nWe sent it. Your token: ${TOKEN}`,
    `Username: ${USER}\nLink: https://x.example/a?b=${TOKEN}`,
  ])
    assert.equal(classifyMail(mail({ text })).kind, 'none', text);
});

test('the token after the expected username wins when a mail lists several', () => {
  const other = 'OtherTok3nZyXwVuTsRqPoNmL';
  const text = `Username: bob@acme.example\nSecurity token: ${other}\n\nUsername: ${USER}\nSecurity token: ${TOKEN}`;
  assert.equal(classifyMail(mail({ text }), { username: USER }).token, TOKEN);
  assert.equal(classifyMail(mail({ text }), { username: 'bob@acme.example' }).token, other);
  const v = classifyMail(mail({ text }));
  assert.equal(v.kind, 'token');
  assert.ok(v.warnings.some((w) => /several/.test(w)));
});

test('no username line: a token with a warning, but not for an expected user', () => {
  const text = `Security token (case-sensitive): ${TOKEN}`;
  const v = classifyMail(mail({ text }));
  assert.equal(v.kind, 'token');
  assert.ok(v.warnings.some((w) => /no username line/.test(w)));
  const w = classifyMail(mail({ text }), { username: USER });
  assert.equal(w.kind, 'none');
  assert.match(w.reason, /names no username/);
  assert.equal(w.token, undefined);
  assert.equal(classifyMail(mail({ text: `Token A: ${TOKEN}\nToken B: ${TOKEN.toLowerCase()}` })).kind, 'none');
});

test('verification code mails: code + username; other user → none; no username → none', () => {
  const text = `Browser: Chrome\nOperating System: Windows 10\nUsername: ${USER}\n\nEnter the following code.\n\nVerification Code: 482913\n`;
  const v = classifyMail(mail({ text, fromAddr: 'noreply@salesforce.com', subject: 'Verify your identity in Salesforce' }));
  assert.equal(v.kind, 'verification-code');
  assert.equal(v.code, '482913');
  assert.equal(v.username, USER);
  assert.equal(classifyMail(mail({ text }), { username: 'bob@acme.example' }).kind, 'none');
  assert.equal(classifyMail(mail({ text: 'Verification Code: 482913' })).kind, 'none');
  assert.equal(classifyMail(mail({ text, fromAddr: 'noreply@salesforce.com.evil.test' })).kind, 'untrusted-sender');
  assert.equal(classifyMail(mail({ text: `Username: ${USER}\nCode: 1234567` })).kind, 'none');
});

test('text part preferred; HTML used when the text part has nothing; disagreement warns', () => {
  const html = `<p>Username: <a href="mailto:${USER}">${USER}</a><br>Security token (case-sensitive): <b>${TOKEN}</b></p>`;
  const h = classifyMail(mail({ text: '', html }));
  assert.equal(h.kind, 'token');
  assert.equal(h.token, TOKEN);
  assert.deepEqual(h.warnings, []);
  const other = 'HtmlTok3nZyXwVuTsRqPoNmLk';
  const d = classifyMail(mail({ html: html.replace(TOKEN, other) }));
  assert.equal(d.token, TOKEN);
  assert.ok(d.warnings.some((w) => /different tokens/.test(w)));
  const t = classifyMail(mail({ text: 'This mail needs an HTML viewer.', html }));
  assert.equal(t.token, TOKEN);
  assert.ok(t.warnings.some((w) => /HTML part was used/.test(w)));
});

test('htmlToText: tags, blocks, cells, entities, hidden content', () => {
  assert.equal(htmlToText('<p>a<br>b</p><div>c</div><table><tr><td>L:</td><td>V</td></tr></table>'), 'a\nb\n\nc\n\nL: V');
  assert.equal(htmlToText('x&nbsp;y &amp; &lt;z&gt; &#58;&#x3A;&#xFF1A; &quot;q&quot; &#39;s&#39; &bogus; &'), 'x y & <z> ::： "q" \'s\' &bogus; &');
  assert.equal(htmlToText('<head><title>T</title><style>p{}</style></head><body>B<script>var t="x"</script></body>'), 'B');
  assert.equal(htmlToText('a<!-- hidden <p>Token: x</p> -->b'), 'ab');
  assert.equal(htmlToText('a < b and c > d'), 'a < b and c > d');
  assert.equal(htmlToText('<a title="x>y" href=\'z\'>link</a>'), 'link');
  assert.equal(htmlToText('<html><head><meta charset=utf-8><body>unclosed head</body>'), 'unclosed head');
  assert.equal(htmlToText('<p>open <b'), 'open');
  assert.equal(htmlToText('<![CDATA[raw]]>'), 'raw');
  assert.equal(decodeEntities('&#0; &#xD800; &#1114112;'), '\uFFFD \uFFFD \uFFFD');
});

test('garbage-shaped inputs do not throw', () => {
  const weird: MailInput[] = [
    {},
    { from: { value: [] } },
    { from: { value: [{}] }, text: undefined, html: undefined },
    { text: 'Username: a@b.c\nToken: ' + TOKEN, headers: new Map([['authentication-results', { weird: true }]]) },
    { html: '<<<<>>>>&&&&;;;;', headers: new Map([['resent-from', null]]) },
    { subject: '\u0000'.repeat(10), text: '\u0000:\u0000' },
  ];
  for (const m of weird) {
    const v = classifyMail(m);
    assert.ok(['none', 'untrusted-sender', 'token'].includes(v.kind));
    assert.equal(typeof v.reason, 'string');
  }
});

test('DKIM: the topmost Authentication-Results with a DKIM result decides (forged lower ones do not count)', () => {
  const h = (arr: string[]) => new Map<string, unknown>([['authentication-results', arr]]);
  assert.equal(dkimPassForSalesforce(h(['mx.acme; dkim=fail header.d=salesforce.com', 'forged; dkim=pass header.d=salesforce.com'])), false);
  assert.equal(dkimPassForSalesforce(h(['mx.acme; dkim=none', 'forged; dkim=pass header.d=salesforce.com'])), false);
  assert.equal(dkimPassForSalesforce(h(['internal.acme; spf=pass smtp.mailfrom=x', 'gw.acme; dkim=pass header.d=salesforce.com'])), true);
  assert.equal(dkimPassForSalesforce(h(['mx; dkim=pass header.d=evil.test; dkim=pass header.d=salesforce.com'])), true);
});

test('a cut source: the partial last line is ignored (a 25-char token cut to 24 would still look valid)', () => {
  const text = `Username: ${USER}\nSecurity token (case-sensitive): ${TOKEN.slice(0, 24)}`;
  assert.equal(classifyMail(mail({ text })).token, TOKEN.slice(0, 24));
  const v = classifyMail(mail({ text }), { truncated: true });
  assert.equal(v.kind, 'none');
  assert.equal(classifyMail(mail({ text: text + '\nThanks' }), { truncated: true }).kind, 'token');
});

test('quoted reply lines and bracketed usernames', () => {
  assert.equal(classifyMail(mail({ text: `> Username: ${USER}\n> Security token (case-sensitive): ${TOKEN}` })).kind, 'none');
  const v = classifyMail(mail({ text: `Username: <${USER}>\nSecurity token (case-sensitive): ${TOKEN}` }), { username: USER });
  assert.equal(v.kind, 'token');
  assert.equal(v.username, USER);
});

test('markdown-ish emphasis and invisible characters around labels and values', () => {
  for (const text of [
    `*Username:* ${USER}\n*Security token (case-sensitive):* ${TOKEN}`,
    `**Username:** ${USER}\n**Security token (case-sensitive):** ${TOKEN}`,
    `Username: ${USER}\u200f\nSecurity token (case-sensitive): \u200e${TOKEN}\u00ad`,
    `\ufeffUsername: ${USER}\nSecurity\u200b token: \u2066${TOKEN}\u2069`,
  ]) {
    const v = classifyMail(mail({ text }), { username: USER });
    assert.equal(v.kind, 'token', JSON.stringify(text));
    assert.equal(v.token, TOKEN);
  }
});
