/**
 * The emulator itself: wire formats (facts §3), the reset page (GET never resets; POST with a one-time
 * nonce resets and mails), ResetApiTokenConfirm refused and counted, the mails' layout (facts §1.7),
 * the config parser and the CLI (`npm run emulator`).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import {
  startEmulator,
  parseEmulatorConfig,
  id18,
  type Emulator,
  composeTokenMail,
  composeVerificationCodeMail,
  encodeQuotedPrintable,
} from '../../src/emulator';
import { parseAndClassify } from '../../src/mail';

let emu: Emulator;
const delivered: Array<{ to: string; raw: Buffer }> = [];
const L = '/lightning/settings/personal/ResetApiToken/home';
const C = '/_ui/system/security/ResetApiTokenEdit';

before(async () => {
  emu = await startEmulator({
    orgs: [{ id: '00D5g000004XyZ1', name: 'Emu Org', clients: [{ clientId: 'cid', clientSecret: 'csec' }] }],
    users: [
      {
        username: 'jane@emu.test',
        password: 'JanePw1',
        email: 'jane.mail@emu.test',
        firstName: 'Jane',
        lastName: 'Doe',
      },
      { username: 'taro@emu.test', password: 'TaroPw1', language: 'ja', firstName: '太郎', lastName: '山田' },
      { username: 'vic@emu.test', password: 'VicPw1', sendVerificationCode: true },
    ],
    deliver: async (to, raw) => {
      delivered.push({ to, raw });
    },
  });
});
after(async () => {
  await emu.close();
});

const soapBody = (u: string, p: string) =>
  `<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Header/><se:Body><login xmlns="urn:partner.soap.sforce.com"><username>${u}</username><password>${p}</password></login></se:Body></se:Envelope>`;

async function soap(u: string, p: string, version = '64.0') {
  const res = await fetch(`${emu.url}/services/Soap/u/${version}`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/xml', SOAPAction: '""' },
    body: soapBody(u, p),
  });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

test('ids: 18-char case-safe suffix', () => {
  assert.equal(id18('00D5g000004XyZ1'), '00D5g000004XyZ1EAK');
  assert.equal(emu.user('jane@emu.test')!.orgId, '00D5g000004XyZ1EAK');
});

test('SOAP login success: LoginResult with userInfo in the real element order', async () => {
  const u = emu.user('jane@emu.test')!;
  const r = await soap(u.username, u.password + u.token);
  assert.equal(r.status, 200);
  assert.match(r.type, /^text\/xml/);
  assert.match(
    r.body,
    /^<\?xml version="1.0" encoding="UTF-8"\?><soapenv:Envelope xmlns:soapenv="http:\/\/schemas.xmlsoap.org\/soap\/envelope\/" xmlns="urn:partner.soap.sforce.com"/,
  );
  const result = ['metadataServerUrl', 'passwordExpired', 'sandbox', 'serverUrl', 'sessionId', 'userId', 'userInfo'];
  const order = [
    'accessibilityMode',
    'chatterExternal',
    'currencySymbol',
    'orgAttachmentFileSizeLimit',
    'orgDefaultCurrencyIsoCode',
    'orgDefaultCurrencyLocale',
    'orgDisallowHtmlAttachments',
    'orgHasPersonAccounts',
    'organizationId',
    'organizationMultiCurrency',
    'organizationName',
    'profileId',
    'roleId',
    'sessionSecondsValid',
    'userDefaultCurrencyIsoCode',
    'userEmail',
    'userFullName',
    'userId',
    'userLanguage',
    'userLocale',
    'userName',
    'userTimeZone',
    'userType',
    'userUiSkin',
  ];
  const resultXml = /<result>([\s\S]*)<\/result>/.exec(r.body)![1]!;
  const top = [
    ...resultXml.replace(/<userInfo>[\s\S]*<\/userInfo>/, '<userInfo></userInfo>').matchAll(/<(\w+)[ >/]/g),
  ].map((m) => m[1]);
  assert.deepEqual(top, result);
  const ui = /<userInfo>([\s\S]*)<\/userInfo>/.exec(r.body)![1]!;
  assert.deepEqual(
    [...ui.matchAll(/<(\w+)[ >/]/g)].map((m) => m[1]),
    order,
  );
  assert.match(r.body, /<serverUrl>http:\/\/127\.0\.0\.1:\d+\/services\/Soap\/u\/64\.0\/00D5g000004XyZ1<\/serverUrl>/);
  assert.match(r.body, /<sessionId>00D5g000004XyZ1!AR[A-Za-z0-9._]+<\/sessionId>/);
  assert.match(r.body, /<organizationName>Emu Org<\/organizationName>/);
  assert.match(r.body, /<roleId xsi:nil="true"\/>/);
});

test('SOAP faults: HTTP 500, faultcode variants, faultstring CODE: text, sf:LoginFault detail', async () => {
  const u = emu.user('jane@emu.test')!;
  let r = await soap(u.username, u.password + 'WRONG');
  assert.equal(r.status, 500);
  assert.match(r.type, /^text\/xml/);
  assert.ok(
    r.body.includes(
      '<soapenv:Fault><faultcode>INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out.</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>Invalid username, password, security token; or user locked out.</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault>',
    ),
    r.body,
  );
  emu.setFault(u.username, 'INVALID_LOGIN', { faultcodeStyle: 'sf' });
  r = await soap(u.username, u.password + u.token);
  assert.match(r.body, /<faultcode>sf:INVALID_LOGIN<\/faultcode>/);
  emu.setFault(u.username, 'INVALID_LOGIN', { faultcodeStyle: 'ns1' });
  r = await soap(u.username, u.password + u.token);
  assert.match(r.body, /<faultcode xmlns:ns1="urn:fault.partner.soap.sforce.com">ns1:INVALID_LOGIN<\/faultcode>/);
  assert.match(r.body, /<sf:fault xsi:type="sf:LoginFault">/);
  emu.setFault(u.username, null, { faultcodeStyle: 'plain' });
  // No token: LOGIN_MUST_USE_SECURITY_TOKEN, with the U+2019 apostrophe in UTF-8.
  r = await soap(u.username, u.password);
  assert.match(
    r.body,
    /<faultstring>LOGIN_MUST_USE_SECURITY_TOKEN: Invalid username, password, security token; or user locked out\. Are you at a new location\?/,
  );
  assert.ok(r.body.includes('company\u2019s trusted networks'));
  // v65+
  r = await soap(u.username, u.password + u.token, '65.0');
  assert.ok(
    r.body.includes(
      '<faultstring>INVALID_OPERATION: The SOAP Login operation is not available in the API version specified (65.0). Refer to the documentation for supported versions.</faultstring>',
    ),
  );
  // SOAP-disabled org
  emu.setFault(u.username, 'SOAP_LOGIN_DISABLED');
  r = await soap(u.username, u.password + u.token);
  assert.ok(
    r.body.includes(
      '<faultstring>INVALID_OPERATION: SOAP API login() is disabled by default in this org. Contact the org administrator to enable SOAP API login().</faultstring>',
    ),
  );
  // passwordExpired: HTTP 200 with a restricted session
  emu.setFault(u.username, 'passwordExpired');
  r = await soap(u.username, u.password + u.token);
  assert.equal(r.status, 200);
  assert.match(r.body, /<passwordExpired>true<\/passwordExpired>/);
  const sid = /<sessionId>([^<]+)</.exec(r.body)![1]!;
  const rest = await fetch(`${emu.url}/services/data/v64.0/limits`, { headers: { Authorization: `Bearer ${sid}` } });
  assert.equal(rest.status, 500);
  assert.equal(
    ((await rest.json()) as Array<{ errorCode: string }>)[0]!.errorCode,
    'INVALID_OPERATION_WITH_EXPIRED_PASSWORD',
  );
  emu.setFault(u.username, null);
});

test('OAuth token endpoint, identity, userinfo, REST versions/resources/limits, INVALID_SESSION_ID', async () => {
  const u = emu.user('jane@emu.test')!;
  const form = (p: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(p).toString(),
  });
  let res = await fetch(
    `${emu.url}/services/oauth2/token`,
    form({
      grant_type: 'password',
      client_id: 'cid',
      client_secret: 'csec',
      username: u.username,
      password: u.password + u.token,
    }),
  );
  assert.equal(res.status, 200);
  const tok = (await res.json()) as Record<string, string>;
  assert.deepEqual(Object.keys(tok).sort(), [
    'access_token',
    'id',
    'instance_url',
    'issued_at',
    'signature',
    'token_type',
  ]);
  assert.equal(tok.token_type, 'Bearer');
  assert.equal(tok.id, `${emu.url}/id/${u.orgId}/${u.userId}`);
  res = await fetch(
    `${emu.url}/services/oauth2/token`,
    form({ grant_type: 'password', client_id: 'cid', client_secret: 'csec', username: u.username, password: 'bad' }),
  );
  assert.equal(res.status, 400);
  assert.deepEqual(await res.json(), { error: 'invalid_grant', error_description: 'authentication failure' });

  res = await fetch(`${tok.id}?format=json&oauth_token=${encodeURIComponent(tok.access_token!)}`);
  const id = (await res.json()) as Record<string, unknown>;
  assert.equal(id.username, u.username);
  assert.equal(id.organization_id, u.orgId);
  assert.equal((id.urls as Record<string, string>).rest, `${emu.url}/services/data/v{version}/`);
  res = await fetch(`${emu.url}/services/oauth2/userinfo`, {
    headers: { Authorization: `Bearer ${tok.access_token}` },
  });
  assert.equal(((await res.json()) as Record<string, unknown>).preferred_username, u.username);

  res = await fetch(`${emu.url}/services/data/`);
  assert.ok(((await res.json()) as Array<{ version: string }>).some((v) => v.version === '64.0'));
  res = await fetch(`${emu.url}/services/data/v64.0/`, { headers: { Authorization: 'Bearer 00Dxx!bogus' } });
  assert.equal(res.status, 401);
  assert.deepEqual(await res.json(), [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
  const auth = { headers: { Authorization: `Bearer ${tok.access_token}` } };
  res = await fetch(`${emu.url}/services/data/v64.0/`, auth);
  assert.equal(((await res.json()) as Record<string, string>).identity, tok.id);
  const l1 = (
    (await (await fetch(`${emu.url}/services/data/v64.0/limits`, auth)).json()) as Record<string, { Remaining: number }>
  ).DailyApiRequests!.Remaining;
  const l2 = (
    (await (await fetch(`${emu.url}/services/data/v64.0/limits`, auth)).json()) as Record<string, { Remaining: number }>
  ).DailyApiRequests!.Remaining;
  assert.equal(l2, l1 - 1, 'limits calls count against DailyApiRequests');
  emu.setOrg('Emu Org', { dailyApiRequests: 0 });
  res = await fetch(`${emu.url}/services/data/v64.0/limits`, auth);
  assert.equal(res.status, 403);
  assert.equal(((await res.json()) as Array<{ errorCode: string }>)[0]!.errorCode, 'REQUEST_LIMIT_EXCEEDED');
  emu.setOrg('Emu Org', { dailyApiRequests: 15000 });
});

test('reset page: GET never resets; POST with the nonce resets, mails, says "Check your email"; nonces are single-use', async () => {
  const before = emu.currentToken('jane@emu.test');
  const mails = delivered.length;
  let res = await fetch(`${emu.url}${L}?user=jane%40emu.test`);
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /<button[^>]*title="Reset Security Token"[^>]*>Reset Security Token<\/button>/);
  assert.match(html, /Reset My Security Token/);
  await fetch(`${emu.url}${L}?user=jane%40emu.test`);
  await fetch(`${emu.url}${C}?user=jane%40emu.test`);
  assert.equal(emu.currentToken('jane@emu.test'), before, 'GET never resets');
  assert.equal(delivered.length, mails);

  // POST without a valid nonce: refused.
  res = await fetch(`${emu.url}${L}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'user=jane%40emu.test&nonce=forged',
  });
  assert.equal(res.status, 403);
  assert.equal(emu.currentToken('jane@emu.test'), before);

  const nonce = /name="nonce" value="([0-9a-f]+)"/.exec(html)![1]!;
  const post = () =>
    fetch(`${emu.url}${L}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `nonce=${nonce}&user=jane%40emu.test&reset=1`,
    });
  res = await post();
  assert.equal(res.status, 200);
  assert.match(await res.text(), /Check your email/);
  const after1 = emu.currentToken('jane@emu.test');
  assert.notEqual(after1, before);
  assert.match(after1, /^[A-Za-z0-9]{25}$/);
  assert.equal(delivered.length, mails + 1);
  assert.equal(delivered.at(-1)!.to, 'jane.mail@emu.test');
  res = await post();
  assert.equal(res.status, 403, 'a nonce works once');
  assert.equal(emu.currentToken('jane@emu.test'), after1);

  // The old token no longer logs in; the new one does.
  assert.equal((await soap('jane@emu.test', 'JanePw1' + before)).status, 500);
  assert.equal((await soap('jane@emu.test', 'JanePw1' + after1)).status, 200);
});

test('the Classic page works the same; the page asks which user when several exist', async () => {
  let res = await fetch(`${emu.url}${C}`);
  const chooser = await res.text();
  assert.match(chooser, /<select id="user" name="user">/);
  assert.match(chooser, /taro@emu\.test/);
  res = await fetch(`${emu.url}${C}?user=taro%40emu.test`);
  const html = await res.text();
  assert.match(html, /セキュリティトークンのリセット/);
  const nonce = /name="nonce" value="([0-9a-f]+)"/.exec(html)![1]!;
  const before = emu.currentToken('taro@emu.test');
  res = await fetch(`${emu.url}${C}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `nonce=${nonce}&user=taro%40emu.test`,
  });
  assert.equal(res.status, 200);
  assert.notEqual(emu.currentToken('taro@emu.test'), before);
});

test('/?startURL= redirects to the page; ResetApiTokenConfirm is refused (403) and counted', async () => {
  let res = await fetch(`${emu.url}/?startURL=${encodeURIComponent(L)}`, { redirect: 'manual' });
  assert.equal(res.status, 302);
  assert.equal(res.headers.get('location'), L);
  res = await fetch(`${emu.url}/?startURL=${encodeURIComponent('https://evil.example/')}`, { redirect: 'manual' });
  assert.equal(res.status, 400);

  const tokens = emu.users().map((u) => u.token);
  const hits = emu.stats.confirmHits;
  for (const [url, init] of [
    [`${emu.url}/_ui/system/security/ResetApiTokenConfirm`, {}],
    [`${emu.url}/_ui/system/security/ResetApiTokenConfirm?retURL=%2Fsetup&setupid=ResetApiToken`, {}],
    [`${emu.url}/_ui/system/security/ResetApiTokenConfirm`, { method: 'POST', body: 'user=jane%40emu.test' }],
    [`${emu.url}${L}?url=%2F_ui%2Fsystem%2Fsecurity%2FResetApiTokenConfirm%3FretURL%3D%252Fsetup`, {}],
  ] as const) {
    res = await fetch(url, init);
    assert.equal(res.status, 403);
    assert.match(await res.text(), /must never be opened/);
  }
  assert.equal(emu.stats.confirmHits, hits + 4);
  assert.deepEqual(
    emu.users().map((u) => u.token),
    tokens,
    'nothing was reset',
  );
});

test('the token mail: Salesforce layout and headers, English and Japanese, parsed by the product parser', async () => {
  const fresh = await emu.resetToken('jane@emu.test');
  const raw = delivered.at(-1)!.raw;
  const head = raw.toString('utf8').split('\r\n\r\n')[0]!;
  assert.match(head, /^From: Salesforce <support@salesforce\.com>$/m);
  assert.match(head, /^To: Jane Doe <jane\.mail@emu\.test>$/m);
  assert.match(head, /^Subject: Your new Salesforce security token$/m);
  assert.match(head, /^Message-ID: <\w{5}0{45}\w+@sfdc\.net>$/m);
  assert.match(head, /^X-SFDC-LK: 00D5g000004XyZ1$/m);
  assert.match(head, /^X-SFDC-User: 005\w{12}$/m);
  assert.match(head, /^X-Sender: postmaster@salesforce\.com$/m);
  assert.match(head, /^X-mail_abuse_inquiries: http:\/\/www\.salesforce\.com\/company\/abuse\.jsp$/m);
  assert.match(head, /^Content-Type: multipart\/alternative; \r\n\tboundary="----=_Part_\d+_\d+\.\d+"$/m);
  const parsed = await simpleParser(raw);
  assert.match(
    parsed.text ?? '',
    new RegExp(`Username: jane@emu\\.test\\nSecurity token \\(case-sensitive\\): ${fresh}\\n`),
  );
  assert.ok((parsed.html || '').includes(`<b>${fresh}</b>`));
  const verdict = await parseAndClassify(raw, { username: 'jane@emu.test' });
  assert.equal(verdict.kind, 'token');
  assert.equal(verdict.token, fresh);

  const ja = await emu.resetToken('taro@emu.test');
  const jraw = delivered.at(-1)!.raw;
  const jp = await simpleParser(jraw);
  assert.equal(jp.subject, '新しい Salesforce セキュリティトークン');
  assert.ok((jp.text ?? '').includes(`ユーザ名: taro@emu.test\nセキュリティトークン (大文字と小文字を区別): ${ja}`));
  const jv = await parseAndClassify(jraw, { username: 'taro@emu.test' });
  assert.equal(jv.kind, 'token');
  assert.equal(jv.token, ja);
});

test('a reset for a user with identity verification also sends the "Verify your identity" code mail first', async () => {
  const n = delivered.length;
  const html = await (await fetch(`${emu.url}${L}?user=vic%40emu.test`)).text();
  const nonce = /name="nonce" value="([0-9a-f]+)"/.exec(html)![1]!;
  await fetch(`${emu.url}${L}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `nonce=${nonce}&user=vic%40emu.test`,
  });
  assert.equal(delivered.length, n + 2);
  const code = await simpleParser(delivered[n]!.raw);
  assert.equal(code.from?.value[0]?.address, 'noreply@salesforce.com');
  assert.equal(code.subject, 'Verify your identity in Salesforce');
  assert.match(code.text ?? '', /Verification Code: \d{6}\n/);
  const v = await parseAndClassify(delivered[n]!.raw, { username: 'vic@emu.test' });
  assert.equal(v.kind, 'verification-code');
  const tok = await parseAndClassify(delivered[n + 1]!.raw, { username: 'vic@emu.test' });
  assert.equal(tok.token, emu.currentToken('vic@emu.test'));
});

test('mail templates: sandbox prefix, base64 variant, QP lines ≤ 76, verification code JA', async () => {
  const raw = composeTokenMail({
    to: 'a@b.test',
    username: 'a@b.test.uat',
    token: 'AbCdEfGhIjKlMnOpQrStUvWxY',
    sandbox: true,
    encoding: 'base64',
  });
  const p = await simpleParser(raw);
  assert.equal(p.subject, 'Sandbox: Your new Salesforce security token');
  assert.match(p.text ?? '', /Security token \(case-sensitive\): AbCdEfGhIjKlMnOpQrStUvWxY/);
  const qp = encodeQuotedPrintable('x'.repeat(200) + ' é = end ');
  for (const line of qp.split('\r\n')) assert.ok(line.length <= 76, line);
  assert.match(qp, /=C3=A9/);
  assert.match(qp, /=3D/);
  assert.match(qp, /=20$/);
  const v = await simpleParser(
    composeVerificationCodeMail({ to: 'a@b.test', username: 'a@b.test', code: '123456', language: 'ja' }),
  );
  assert.match(v.text ?? '', /確認コード: 123456/);
});

test('parseEmulatorConfig', () => {
  const cfg = parseEmulatorConfig(
    JSON.stringify({ users: [{ username: 'u@x', password: 'p' }], tokenActivationDelayMs: 5 }),
  );
  assert.equal(cfg.users![0]!.username, 'u@x');
  assert.equal(cfg.tokenActivationDelayMs, 5);
  assert.throws(() => parseEmulatorConfig('[]'), /JSON object/);
  assert.throws(() => parseEmulatorConfig('{"users":[{"username":"x"}]}'), /password/);
  assert.throws(() => parseEmulatorConfig('{"users":{}}'), /array/);
});

test('the CLI: prints the URL and users, writes mails to --outbox, stops on SIGTERM', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tr-emu-'));
  try {
    const cfgFile = path.join(dir, 'emu.json');
    writeFileSync(
      cfgFile,
      JSON.stringify({ users: [{ username: 'cli@emu.test', password: 'CliPw1', token: 'CliTokenCliTokenCliToken1' }] }),
    );
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/emulator/cli.ts', '--config', cfgFile, '--outbox', path.join(dir, 'out')],
      {
        cwd: path.resolve(__dirname, '../..'),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    while (!/\n\}\n/.test(out)) {
      await new Promise((r) => setTimeout(r, 50));
      if (child.exitCode !== null) throw new Error('emulator CLI exited early');
    }
    const [url, ...json] = out.split('\n');
    assert.match(url!, /^http:\/\/127\.0\.0\.1:\d+$/);
    const info = JSON.parse(json.join('\n')) as {
      users: Array<{ username: string; token: string }>;
      resetPage: string;
    };
    assert.equal(info.users[0]!.username, 'cli@emu.test');
    assert.equal(info.resetPage, `${url}${L}`);
    const html = await (await fetch(`${info.resetPage}?user=cli%40emu.test`)).text();
    const nonce = /name="nonce" value="([0-9a-f]+)"/.exec(html)![1]!;
    const res = await fetch(info.resetPage, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `nonce=${nonce}&user=cli%40emu.test`,
    });
    assert.equal(res.status, 200);
    const files = readdirSync(path.join(dir, 'out'));
    assert.deepEqual(files, ['001-token.eml']);
    assert.match(
      readFileSync(path.join(dir, 'out', files[0]!), 'utf8'),
      /Security token \(case-sensitive\): [A-Za-z0-9]{25}/,
    );
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
