/** classifyMail on inline mails: sender trust, forwarding, DKIM, structure, usernames, HTML stripping. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MailInput } from '../../src/core/tokenMail';
import {
  classifyMail,
  isTrustedSenderDomain,
  stripGatewayTags,
  dkimPassForSalesforce,
  defaultAuthservDomain,
  parseAuthResults,
} from '../../src/core/tokenMail';
import { htmlToText, decodeEntities } from '../../src/core/html';

const TOKEN = 'CanaryTok3nAbCdEfGhIjKlMn'; // 25 chars, fake
const USER = 'jane.doe@acme.example';

function mail(
  over: Partial<MailInput> & { fromAddr?: string; fromName?: string; hdrs?: Record<string, unknown> } = {},
): MailInput {
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
  for (const a of [
    'support@salesforce.com',
    'noreply@SALESFORCE.COM',
    'support@emea.salesforce.com',
    'x@a.b.salesforce.com',
    'support@salesforce.com.',
  ])
    assert.equal(isTrustedSenderDomain(a), true, a);
  for (const a of [
    'support@salesforce.com.evil.test',
    'support@xsalesforce.com',
    'support@evil-salesforce.com',
    'support@salesforce.co',
    'support@salesforce.comm',
    'salesforce.com@evil.test',
    'support@sales force.com',
    'support@salesforce.com>',
    '',
    '@salesforce.com',
    'support@salesforce..com',
    'support@salesforce\u2024com',
  ])
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
  for (const [fromAddr, fromName] of [
    ['x@evil.test', 'support@salesforce.com'],
    ['support@salesforce.com.evil.test', 'Salesforce'],
    ['support@xsalesforce.com', 'Salesforce'],
  ]) {
    const v = classifyMail(mail({ fromAddr, fromName }));
    assert.equal(v.kind, 'untrusted-sender', fromAddr);
    assert.equal(v.token, undefined);
    assert.ok(!JSON.stringify(v).includes(TOKEN));
  }
  assert.equal(classifyMail({ ...mail(), from: undefined }).kind, 'untrusted-sender');
  assert.equal(
    classifyMail({ ...mail(), from: { value: [{ address: 'support@salesforce.com' }, { address: 'a@evil.test' }] } })
      .kind,
    'untrusted-sender',
  );
});

test("forwarded copies are untrusted; trustForwarded alone trusts none; forwardedFrom trusts the user's own forwards", () => {
  const subjects = [
    'Fwd: Your new Salesforce security token',
    'FW: x',
    'WG: x',
    'TR: x',
    'RV: x',
    '転送: x',
    '[EXTERNAL] Fwd: x',
    'Re: Fwd: x',
    '(External Email) WG: x',
    'Fwd[2]: x',
    // issue 15 item 5: bracketed, trailing, fullwidth and tagged forms
    '[Fwd: Your new Salesforce security token]',
    '(Fwd: x)',
    'Your new Salesforce security token (fwd)',
    'x [fwd]',
    'Ｆｗｄ：x',
    'ＦＷ： x',
    'Fwd [EXT]: x',
    'FW (external): x',
    '[EXTERNAL] [Fwd: x]',
    'Re: [Fwd: x]',
  ];
  const fwdText = `note\n---------- Forwarded message ---------\nFrom: Salesforce <support@salesforce.com>\n\nUsername: ${USER}\nSecurity token (case-sensitive): ${TOKEN}`;
  for (const subject of subjects) {
    const v = classifyMail(mail({ subject }));
    assert.equal(v.kind, 'untrusted-sender', subject);
    assert.match(v.reason, /forwarded/);
    const t = classifyMail(mail({ subject }), { trustForwarded: true });
    assert.equal(t.kind, 'untrusted-sender', subject);
    assert.match(t.reason, /no forwardedFrom address is configured/);
    // The user's own forward (From the configured address, the forwarded block from Salesforce) counts.
    const own = classifyMail(mail({ subject, fromAddr: 'jane@acme.example', fromName: 'Jane', text: fwdText }), {
      trustForwarded: true,
      forwardedFrom: 'JANE@acme.example',
    });
    assert.equal(own.kind, 'token', `${subject}: ${own.reason}`);
    assert.ok(own.warnings.some((w) => /forwardedFrom/.test(w)));
    // The same from anyone else does not.
    const other = classifyMail(mail({ subject, fromAddr: 'helpdesk@acme.example', text: fwdText }), {
      trustForwarded: true,
      forwardedFrom: 'jane@acme.example',
    });
    assert.equal(other.kind, 'untrusted-sender', subject);
    assert.match(other.reason, /not a configured forwardedFrom/);
  }
  for (const subject of ['Forward planning: x', 'Trust: x', 'Information: x', 'Your fwd', 'Sandbox: x', 'fwd', 'Re: x'])
    assert.equal(classifyMail(mail({ subject })).kind, 'token', subject);
  for (const marker of [
    '---------- Forwarded message ---------',
    'Begin forwarded message:',
    '-----Original Message-----',
  ])
    assert.equal(
      classifyMail(
        mail({
          text: `note\n${marker}\nFrom: Salesforce <support@salesforce.com>\n\nUsername: ${USER}\nToken: ${TOKEN}`,
        }),
      ).kind,
      'untrusted-sender',
      marker,
    );
  assert.equal(classifyMail(mail({ hdrs: { 'resent-from': 'jane@acme.example' } })).kind, 'untrusted-sender');
  assert.equal(
    classifyMail(mail({ hdrs: { 'resent-from': 'jane@acme.example' } }), { trustForwarded: true }).kind,
    'untrusted-sender',
  );
  assert.equal(
    classifyMail(mail({ hdrs: { 'resent-from': 'jane@acme.example' } }), { forwardedFrom: 'jane@acme.example' }).kind,
    'token',
  );
  assert.equal(
    classifyMail(mail({ hdrs: { 'resent-from': 'mallory@acme.example' } }), { forwardedFrom: 'jane@acme.example' })
      .kind,
    'untrusted-sender',
  );
});

test('"Sandbox:" and gateway subjects do not count as forwarding', () => {
  for (const subject of [
    'Sandbox: Your new Salesforce security token',
    '[EXTERNAL] Sandbox: x',
    '*** SPAM *** (External Email) x',
    '{Spam?} x',
    'EXT: x',
    'Trust: x',
    'Information: x',
  ])
    assert.equal(classifyMail(mail({ subject })).kind, 'token', subject);
  assert.equal(stripGatewayTags('[EXTERNAL] (External Email) *** SPAM *** Sandbox: Your token'), 'Sandbox: Your token');
});

test('a mail from the watched mailbox itself is a copy, not Salesforce', () => {
  const v = classifyMail(mail({ fromAddr: 'support@salesforce.com' }), { mailbox: 'SUPPORT@salesforce.com' });
  assert.equal(v.kind, 'untrusted-sender');
});

test('forwardedFrom reads the original sender of a forwarded body', () => {
  const text = `FYI\n---------- Forwarded message ---------\nFrom: Salesforce <support@salesforce.com>\nSubject: x\n\nUsername: ${USER}\nSecurity token (case-sensitive): ${TOKEN}\n`;
  const opts = { trustForwarded: true, forwardedFrom: 'jane@gmail.example' };
  assert.equal(classifyMail(mail({ fromAddr: 'jane@gmail.example', subject: 'Fwd: x', text }), opts).kind, 'token');
  const evil = text.replace('support@salesforce.com', 'support@salesforce.com.evil.test');
  assert.equal(
    classifyMail(mail({ fromAddr: 'jane@gmail.example', subject: 'Fwd: x', text: evil }), opts).kind,
    'untrusted-sender',
  );
  // An inner From that names two addresses, or a malformed one, is not Salesforce.
  for (const inner of [
    'attacker@evil.test <support@salesforce.com>',
    '<a@evil.test@salesforce.com>',
    'support@salesforce.com@evil.test',
  ])
    assert.equal(
      classifyMail(
        mail({
          fromAddr: 'jane@gmail.example',
          subject: 'Fwd: x',
          text: text.replace('Salesforce <support@salesforce.com>', inner),
        }),
        opts,
      ).kind,
      'untrusted-sender',
      inner,
    );
  // Not forwarded at all, from elsewhere: still untrusted.
  assert.equal(classifyMail(mail({ fromAddr: 'jane@gmail.example' }), opts).kind, 'untrusted-sender');
  // With requireDkim, the forwarder's domain must have a DKIM pass in the receiver's header.
  const fwd = (ar?: string) =>
    mail({ fromAddr: 'jane@gmail.example', subject: 'Fwd: x', text, hdrs: ar ? { 'authentication-results': ar } : {} });
  const strict = { ...opts, requireDkim: true, authservId: 'mx.acme.example' };
  assert.equal(classifyMail(fwd('mx.acme.example; dkim=pass header.d=gmail.example'), strict).kind, 'token');
  assert.equal(classifyMail(fwd(), strict).kind, 'untrusted-sender');
  assert.equal(classifyMail(fwd('forged.example; dkim=pass header.d=gmail.example'), strict).kind, 'untrusted-sender');
});

test('DKIM: Authentication-Results with dkim=pass for salesforce.com, from a trusted authserv-id', () => {
  const ids = { authservId: ['mx.example.org', 'mx.google.com', 'mx'] };
  const ok = [
    'mx.example.org; dkim=pass header.d=salesforce.com',
    'mx.google.com;\r\n       dkim=pass header.i=@salesforce.com header.s=sf112018 header.b=AbC;\r\n       spf=pass',
    'mx; spf=pass smtp.mailfrom=x; dkim=pass (2048-bit key) header.d=emea.salesforce.com',
    'mx; DKIM=PASS header.d="SalesForce.com"',
    'MX.Google.com 1; dkim=pass (good (nested) comment; with semicolon) header.d=salesforce.com',
    'mx; dkim=pass reason="signature ok; really" header.d=salesforce.com',
  ];
  for (const h of ok) assert.equal(dkimPassForSalesforce(new Map([['authentication-results', h]]), ids), true, h);
  const bad = [
    'mx; dkim=fail header.d=salesforce.com',
    'mx; dkim=pass header.d=salesforce.com.evil.test',
    'mx; dkim=pass header.d=evil.test; spf=pass smtp.mailfrom=salesforce.com',
    'dkim=pass header.d=salesforce.com', // that is the authserv-id position, not a result
    'mx; dkim=neutral (header.d=salesforce.com pass)',
    'mx; dkim=fail (a (nested) comment; dkim=pass header.d=salesforce.com) header.d=evil.test',
    'mx; dkim=fail reason="x; dkim=pass header.d=salesforce.com" header.d=evil.test',
    'mx; dkim=fail (unbalanced ( comment; dkim=pass header.d=salesforce.com',
    'evil.test; dkim=pass header.d=salesforce.com', // another server's id
    'mx.example.org.evil.test; dkim=pass header.d=salesforce.com',
  ];
  for (const h of bad) assert.equal(dkimPassForSalesforce(new Map([['authentication-results', h]]), ids), false, h);
  // No authserv-id known: no header counts.
  assert.equal(
    dkimPassForSalesforce(new Map([['authentication-results', 'mx; dkim=pass header.d=salesforce.com']])),
    false,
  );
  assert.equal(
    dkimPassForSalesforce(
      new Map([['authentication-results', ['mx; spf=pass', 'mx2; dkim=pass header.d=salesforce.com']]]),
      { authservId: 'mx,mx2' },
    ),
    true,
  );

  const signed = mail({ hdrs: { 'authentication-results': 'mx; dkim=pass header.d=salesforce.com' } });
  assert.equal(classifyMail(signed).authenticated, false);
  assert.equal(classifyMail(signed, { authservId: 'mx' }).authenticated, true);
  assert.equal(classifyMail(signed, { requireDkim: true, authservId: 'mx' }).kind, 'token');
  const noId = classifyMail(signed, { requireDkim: true });
  assert.equal(noId.kind, 'untrusted-sender');
  assert.match(noId.reason, /no authserv-id is known/);
  const unsigned = classifyMail(mail(), { requireDkim: true, authservId: 'mx' });
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
    const v = classifyMail(mail({ text: `Intro line.\r\n\r\n${text.replace(/\n/g, '\r\n')}\r\n\r\nBye` }), {
      username: USER,
    });
    assert.equal(v.kind, 'token', text);
    assert.equal(v.token, TOKEN, text);
    assert.equal(v.username, USER);
  }
});

test('24 and 25 characters only', () => {
  assert.equal(
    classifyMail(mail({ text: `Username: ${USER}\nToken: ${TOKEN.slice(0, 24)}` })).token,
    TOKEN.slice(0, 24),
  );
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
  const v = classifyMail(
    mail({ text, fromAddr: 'noreply@salesforce.com', subject: 'Verify your identity in Salesforce' }),
  );
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
  assert.equal(
    htmlToText('<p>a<br>b</p><div>c</div><table><tr><td>L:</td><td>V</td></tr></table>'),
    'a\nb\n\nc\n\nL: V',
  );
  assert.equal(
    htmlToText('x&nbsp;y &amp; &lt;z&gt; &#58;&#x3A;&#xFF1A; &quot;q&quot; &#39;s&#39; &bogus; &'),
    'x y & <z> ::： "q" \'s\' &bogus; &',
  );
  assert.equal(
    htmlToText('<head><title>T</title><style>p{}</style></head><body>B<script>var t="x"</script></body>'),
    'B',
  );
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

test("DKIM: among the trusted authserv-id's headers, the topmost with a DKIM result decides; other ids never count", () => {
  const h = (arr: string[]) => new Map<string, unknown>([['authentication-results', arr]]);
  const acme = { authservId: 'mx.acme' };
  assert.equal(
    dkimPassForSalesforce(
      h(['mx.acme; dkim=fail header.d=salesforce.com', 'forged; dkim=pass header.d=salesforce.com']),
      acme,
    ),
    false,
  );
  assert.equal(
    dkimPassForSalesforce(
      h(['mx.acme; dkim=fail header.d=salesforce.com', 'mx.acme; dkim=pass header.d=salesforce.com']),
      acme,
    ),
    false,
  );
  assert.equal(
    dkimPassForSalesforce(h(['mx.acme; dkim=none', 'forged; dkim=pass header.d=salesforce.com']), acme),
    false,
  );
  // A forged header on top (another id) is skipped; the receiver's own below decides.
  assert.equal(
    dkimPassForSalesforce(
      h(['forged; dkim=pass header.d=salesforce.com', 'mx.acme; dkim=fail header.d=salesforce.com']),
      acme,
    ),
    false,
  );
  assert.equal(
    dkimPassForSalesforce(
      h(['forged; dkim=fail header.d=salesforce.com', 'mx.acme; dkim=pass header.d=salesforce.com']),
      acme,
    ),
    true,
  );
  // An SPF-only header of the receiver (e.g. another milter) does not hide its DKIM header.
  assert.equal(
    dkimPassForSalesforce(h(['mx.acme; spf=pass smtp.mailfrom=x', 'mx.acme; dkim=pass header.d=salesforce.com']), acme),
    true,
  );
  assert.equal(
    dkimPassForSalesforce(h(['mx.acme; dkim=pass header.d=evil.test; dkim=pass header.d=salesforce.com']), acme),
    true,
  );
  // Microsoft 365 style (no authserv-id) never counts.
  assert.equal(
    dkimPassForSalesforce(
      h([
        'spf=pass (sender IP is 1.2.3.4) smtp.mailfrom=salesforce.com; dkim=pass (signature was verified) header.d=salesforce.com;dmarc=pass',
      ]),
      { authservId: 'spf' },
    ),
    false,
  );
  // Default: the IMAP host's registrable domain and its subdomains.
  const imap = { imapHost: 'imap.acme.example' };
  assert.equal(dkimPassForSalesforce(h(['mx1.acme.example; dkim=pass header.d=salesforce.com']), imap), true);
  assert.equal(dkimPassForSalesforce(h(['acme.example; dkim=pass header.d=salesforce.com']), imap), true);
  assert.equal(dkimPassForSalesforce(h(['acme.example.evil.test; dkim=pass header.d=salesforce.com']), imap), false);
  assert.equal(dkimPassForSalesforce(h(['notacme.example; dkim=pass header.d=salesforce.com']), imap), false);
  // A configured id replaces the default.
  assert.equal(
    dkimPassForSalesforce(h(['mx1.acme.example; dkim=pass header.d=salesforce.com']), {
      ...imap,
      authservId: 'mx.google.com',
    }),
    false,
  );
});

test('defaultAuthservDomain: registrable domain by a conservative rule', () => {
  const cases: Array<[string, string | undefined]> = [
    ['imap.gmail.com', 'gmail.com'],
    ['imap.example.org', 'example.org'],
    ['mail.example.co.uk', 'example.co.uk'],
    ['imap.mail.example.com.au', 'example.com.au'],
    ['mail.example.ne.jp', 'example.ne.jp'],
    ['imap.abc.de', 'imap.abc.de'],
    ['example.org', 'example.org'],
    ['localhost', 'localhost'],
    ['127.0.0.1', '127.0.0.1'],
    ['IMAP.Example.ORG.', 'example.org'],
    ['', undefined],
    ['bad host', undefined],
  ];
  for (const [host, want] of cases) assert.equal(defaultAuthservDomain(host), want, host);
});

test('parseAuthResults: RFC 8601 syntax', () => {
  const p = parseAuthResults(
    'mx.example.org 1; dkim=pass (c (nested) ; x) header.d=salesforce.com header.i="@salesforce.com"; spf=pass smtp.mailfrom="a@b.c"; dmarc=none',
  );
  assert.equal(p?.authservId, 'mx.example.org');
  assert.deepEqual(
    p?.results.map((r) => [r.method, r.result]),
    [
      ['dkim', 'pass'],
      ['spf', 'pass'],
      ['dmarc', 'none'],
    ],
  );
  assert.equal(p?.results[0]!.props['header.d'], 'salesforce.com');
  assert.equal(p?.results[0].props['header.i'], '@salesforce.com');
  assert.deepEqual(parseAuthResults('mx; none')?.results, []);
  for (const bad of [
    'dkim=pass header.d=salesforce.com',
    'mx; dkim',
    'mx; dkim=pass (open',
    'mx; dkim=pass "open',
    '',
    'mx; =pass',
    'mx) ; dkim=pass',
  ])
    assert.equal(parseAuthResults(bad)?.results?.some((r) => r.result === 'pass') ?? false, false, bad);
});

test('a cut source: the partial last line is ignored (a 25-char token cut to 24 would still look valid)', () => {
  const text = `Username: ${USER}\nSecurity token (case-sensitive): ${TOKEN.slice(0, 24)}`;
  assert.equal(classifyMail(mail({ text })).token, TOKEN.slice(0, 24));
  const v = classifyMail(mail({ text }), { truncated: true });
  assert.equal(v.kind, 'none');
  assert.equal(classifyMail(mail({ text: text + '\nThanks' }), { truncated: true }).kind, 'token');
});

test('quoted reply lines and bracketed usernames', () => {
  assert.equal(
    classifyMail(mail({ text: `> Username: ${USER}\n> Security token (case-sensitive): ${TOKEN}` })).kind,
    'none',
  );
  const v = classifyMail(mail({ text: `Username: <${USER}>\nSecurity token (case-sensitive): ${TOKEN}` }), {
    username: USER,
  });
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
