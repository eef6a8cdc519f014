/**
 * Issue 15, Salesforce side, pure parts:
 *  - item 9: parseSoapLoginResult reads what the regular expressions it replaced read (differential test over real
 *    and odd LoginResults), and is linear on hostile bodies (several shapes, 1 MB and 4 MB);
 *  - item 9: soapFaultParts and the health messages quote at most MAX_QUOTED_CHARS of a server's text;
 *  - item 14: sessionUrlProblem, the rule for every URL that will carry the session;
 *  - item 16: the loopback rule (see also resetUrl.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSoapLoginResult } from '../../src/salesforce/signin/soap';
import { MAX_QUOTED_CHARS, UnexpectedResponseError, classifyLoginError, soapFaultParts } from '../../src/core/health';
import {
  isLoopbackHost,
  isMyDomainHost,
  isSalesforceHost,
  sessionUrlProblem,
  validateLoginUrl,
} from '../../src/core/resetUrl';
import { xmlUnescape } from '../../src/core/xml';

/** The regex parser this replaces (kept here as the oracle for ordinary bodies; quadratic on hostile ones). */
function oldParse(body: string): Record<string, string | boolean | undefined> {
  const FIELDS =
    /<(?:\w+:)?(sessionId|serverUrl|sandbox|organizationId|organizationName|userFullName|userName|userEmail)(?:\s[^>]*)?>([^<]*)<\/(?:\w+:)?\1>/g;
  const UI = /<(?:\w+:)?userInfo(?:\s[^>]*)?>([\s\S]*?)<\/(?:\w+:)?userInfo>/;
  const TOP = new Set(['sessionId', 'serverUrl', 'sandbox']);
  const ui = UI.exec(body);
  const uiStart = ui ? ui.index + ui[0].indexOf('>') + 1 : -1;
  const uiEnd = ui ? uiStart + ui[1]!.length : -1;
  const found: Record<string, string> = {};
  for (let m = FIELDS.exec(body); m; m = FIELDS.exec(body)) {
    const name = m[1]!;
    if (name in found) continue;
    if (TOP.has(name) || (m.index >= uiStart && m.index + m[0].length <= uiEnd)) found[name] = xmlUnescape(m[2]!);
  }
  return {
    sessionId: found.sessionId,
    serverUrl: found.serverUrl,
    sandbox: found.sandbox === 'true',
    organizationId: found.organizationId,
    organizationName: found.organizationName,
    userFullName: found.userFullName,
    userName: found.userName,
    userEmail: found.userEmail,
  };
}

const REAL =
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
  '<soapenv:Body><loginResponse><result><metadataServerUrl>https://acme.my.salesforce.com/services/Soap/m/64.0/00D5g000000abcd</metadataServerUrl>' +
  '<passwordExpired>false</passwordExpired><sandbox>false</sandbox><serverUrl>https://acme.my.salesforce.com/services/Soap/u/64.0/00D5g000000abcd</serverUrl>' +
  '<sessionId>00D5g000000abcd!AQ4AQFakeSessionIdForTheParserTest.abcdefghijklmnopqrstuvwxyz</sessionId><userId>0055g00000ABCDEAA4</userId>' +
  '<userInfo><accessibilityMode>false</accessibilityMode><currencySymbol>$</currencySymbol><orgDefaultCurrencyLocale xsi:nil="true"/>' +
  '<organizationId>00D5g000000abcdEAA</organizationId><organizationName>Acme &amp; Sons &lt;EU&gt;</organizationName><roleId xsi:nil="true"/>' +
  '<userEmail>ada@acme.example</userEmail><userFullName>Ada L&#246;velace</userFullName><userName>ada@acme.example.uat</userName></userInfo>' +
  '</result></loginResponse></soapenv:Body></soapenv:Envelope>';

test('parseSoapLoginResult reads a real LoginResult (entities decoded, nil elements skipped)', () => {
  const r = parseSoapLoginResult(REAL);
  assert.equal(r.serverUrl, 'https://acme.my.salesforce.com/services/Soap/u/64.0/00D5g000000abcd');
  assert.equal(r.sandbox, false);
  assert.equal(r.organizationId, '00D5g000000abcdEAA');
  assert.equal(r.organizationName, 'Acme & Sons <EU>');
  assert.equal(r.userFullName, 'Ada Lövelace');
  assert.equal(r.userName, 'ada@acme.example.uat');
  assert.equal(r.userEmail, 'ada@acme.example');
  assert.match(r.sessionId ?? '', /^00D5g000000abcd!/);
});

test('parseSoapLoginResult agrees with the regular expressions it replaced (differential, ordinary and odd bodies)', () => {
  const cases = [
    REAL,
    REAL.replace(/<(\/?)(sessionId|serverUrl|userName|userInfo)>/g, '<$1sf:$2>'), // prefixes
    REAL.replace('<userName>', '<userName xsi:type="xsd:string">'), // attributes
    REAL.replace('<userInfo>', '<userInfo >'),
    REAL.replace('</userInfo>', ''), // userInfo never closed: no userInfo fields
    REAL.replace(/<userInfo>[\s\S]*<\/userInfo>/, '') + '<userInfo><userName>late@x.test</userName></userInfo>',
    '<userName>outside@x.test</userName>' + REAL, // a userName outside userInfo does not count
    REAL.replace('<userInfo>', '<userInfo><userInfo>'), // nested start tags: the first one opens
    REAL.replace('<sessionId>', '<sessionId><b>').replace('</sessionId>', '</b></sessionId>'), // markup inside: no value
    REAL + REAL.replace('acme', 'second'), // the first of each wins
    '<sessionId/><sessionId>abc123abc</sessionId>', // self-closing first
    '<sessionId>a<b</sessionId><sessionId>second-one</sessionId>',
    '<serverUrl>x</serverurl><serverUrl>https://y.test</serverUrl>', // case matters
    '<serverUrl a="1>2">https://q.test</serverUrl>',
    '<!-- <serverUrl>https://comment.test</serverUrl> --><serverUrl>https://real.test</serverUrl>',
    '',
    '<',
    '>',
    '<<>>',
    '<sessionId',
    '<userInfo><userName>a</userName></userInfo></userInfo><userInfo><userEmail>b</userEmail></userInfo>',
  ];
  for (const body of cases) {
    const got = { ...parseSoapLoginResult(body) };
    assert.deepEqual(got, oldParse(body), body.slice(0, 120));
  }
  // One intended difference: XML allows white space before the `>` of an end tag; the old expressions did not.
  assert.equal(parseSoapLoginResult(REAL.replace('</userInfo>', '</userInfo >')).userName, 'ada@acme.example.uat');
  assert.equal(oldParse(REAL.replace('</userInfo>', '</userInfo >')).userName, undefined);
});

test('parseSoapLoginResult agrees with the old parser on random tag soup', () => {
  const parts = [
    '<sessionId>',
    '</sessionId>',
    '<sf:serverUrl>',
    '</sf:serverUrl>',
    '<userInfo>',
    '</userInfo>',
    '<userName a="b">',
    '</userName>',
    '<sandbox>',
    '</sandbox>',
    'true',
    'x',
    '&amp;',
    '<',
    '>',
    ' ',
    '<a>',
    '</a>',
    '<userEmail/>',
  ];
  let seed = 15;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  for (let i = 0; i < 3000; i++) {
    let body = '';
    const n = Math.floor(rnd() * 30);
    for (let j = 0; j < n; j++) body += parts[Math.floor(rnd() * parts.length)];
    assert.deepEqual({ ...parseSoapLoginResult(body) }, oldParse(body), body);
  }
});

test('parseSoapLoginResult is linear on hostile bodies (1 MB and 4 MB of each shape)', () => {
  const shapes: Record<string, string> = {
    'unclosed start tags with a space (took ~90 s before)': '<sessionId ',
    '<userInfo> repeated (took ~14 s before)': '<userInfo>',
    '<userInfo> with fields, never closed': '<userInfo><userName>a</userName>',
    'deep nesting': '<a>',
    'deep nesting with prefixes': '<x:a b="c">',
    'end tags only': '</userInfo>',
    'field start tags with text': '<userName>x',
    'bare <': '<',
    'bare <>': '<>',
    'long names': `<${'a'.repeat(500)}`,
  };
  for (const [what, unit] of Object.entries(shapes)) {
    const time = (bytes: number) => {
      const body = unit.repeat(Math.ceil(bytes / unit.length));
      let best = Infinity;
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        parseSoapLoginResult(body);
        best = Math.min(best, performance.now() - t);
      }
      return best; // the best of three: garbage collection and a busy machine only ever add time
    };
    time(100_000); // warm up
    const one = time(1_000_000);
    const four = time(4_000_000);
    // Linear: 4 MB in well under two seconds (the old expressions took ~90 s on 1 MB), and not ~16× the 1 MB time.
    assert.ok(four < 2000, `${what}: 4 MB took ${Math.round(four)} ms`);
    assert.ok(four < one * 10 + 100, `${what}: 1 MB ${Math.round(one)} ms, 4 MB ${Math.round(four)} ms (not linear)`);
  }
  // A whole 1 MB body with a huge text field is read in one go.
  const big = `<sessionId>${'s'.repeat(1_000_000)}</sessionId>`;
  assert.equal(parseSoapLoginResult(big).sessionId?.length, 1_000_000);
});

test('soapFaultParts is anchored and quotes at most MAX_QUOTED_CHARS; messages never carry 256 KB of server text', () => {
  assert.deepEqual(soapFaultParts('INVALID_LOGIN: Invalid username'), {
    code: 'INVALID_LOGIN',
    text: 'Invalid username',
  });
  const long = soapFaultParts(`UNKNOWN_EXCEPTION: ${'x'.repeat(300_000)}`)!;
  assert.equal(long.code, 'UNKNOWN_EXCEPTION');
  assert.ok(long.text.length <= MAX_QUOTED_CHARS + 1);
  assert.equal(soapFaultParts(`${'A'.repeat(200_000)}: x`), undefined); // a "code" that long is no code
  const t = performance.now();
  for (const shape of ['A'.repeat(1_000_000), `A${'_'.repeat(1_000_000)}`, ' '.repeat(1_000_000)])
    soapFaultParts(shape);
  assert.ok(performance.now() - t < 1000);
  for (const err of [
    new Error(`UNKNOWN_EXCEPTION: ${'y'.repeat(200_000)}`),
    new Error(`INVALID_OPERATION: ${'y'.repeat(200_000)}`),
    Object.assign(new Error('z'.repeat(200_000)), { name: 'invalid_client' }),
    Object.assign(new Error('z'.repeat(200_000)), { name: 'ERROR_HTTP_418' }),
    new Error(`<sf:exceptionCode>X</sf:exceptionCode>${'w'.repeat(200_000)}`),
  ]) {
    const c = classifyLoginError(err, 'soap');
    assert.ok(c.message.length < 1000, `${c.code}: ${c.message.length} characters`);
  }
  for (const code of ['RESPONSE_TOO_LARGE', 'INSECURE_URL', 'INSECURE_REDIRECT', 'UNTRUSTED_SERVER_URL'] as const) {
    const c = classifyLoginError(new UnexpectedResponseError('x', code, 200), 'soap');
    assert.equal(c.status, 'unexpected-response');
    assert.equal(c.code, code);
  }
});

test('sessionUrlProblem: which URLs may carry the session', () => {
  const ok: Array<[string, string]> = [
    ['https://login.salesforce.com', 'https://acme.my.salesforce.com/services/Soap/u/64.0/00D'],
    ['https://login.salesforce.com', 'https://na123.salesforce.com/services/Soap/u/64.0/00D'],
    ['https://test.salesforce.com', 'https://acme--uat.sandbox.my.salesforce.com'],
    ['https://acme.my.salesforce.com', 'https://acme.my.salesforce.com/services/Soap/u/64.0/00D'],
    ['https://acme.my.salesforce.com', 'https://ACME.my.salesforce.com'],
    ['https://login.example.com', 'https://acme.my.salesforce.com'], // a custom login host sends the org's own
    ['https://login.salesforce.mil', 'https://acme.my.salesforce.mil'],
    ['http://127.0.0.1:5000', 'http://127.0.0.1:5000/services/Soap/u/64.0/00D'],
    ['http://127.0.0.1:5000', 'http://127.0.0.1:6000'], // a relay in front of the same host
    ['http://127.0.0.1:5000', 'https://127.0.0.1:5000'],
    ['http://localhost:5000', 'http://localhost:5000/x'],
    ['http://[::1]:5000', 'http://[::1]:5000/x'],
  ];
  for (const [login, url] of ok) assert.equal(sessionUrlProblem(login, url), undefined, `${login} → ${url}`);
  const refused: Array<[string, string | undefined, RegExp]> = [
    ['https://login.salesforce.com', 'http://na123.salesforce.com', /plain http/],
    ['https://login.salesforce.com', 'https://evil.test/services/Soap/u/64.0', /neither the login host/],
    ['https://login.salesforce.com', 'https://salesforce.com.evil.test', /neither/],
    ['https://login.salesforce.com', 'https://evilsalesforce.com', /neither/],
    ['https://login.salesforce.com', 'https://user:pw@acme.my.salesforce.com', /user name or password/],
    ['https://login.salesforce.com', 'javascript:alert(1)', /javascript:/],
    ['https://login.salesforce.com', 'not a url', /not a valid URL/],
    ['https://login.salesforce.com', undefined, /missing/],
    [
      'https://acme.my.salesforce.com',
      'https://other.my.salesforce.com',
      /not to the My Domain host acme\.my\.salesforce\.com/,
    ],
    ['https://acme.my.salesforce.com', 'https://login.salesforce.com', /My Domain/],
    ['http://127.0.0.1:5000', 'http://evil.test:5000', /plain http/],
    ['http://127.0.0.1:5000', 'http://evil.localhost:5000', /plain http/],
    ['http://127.0.0.1:5000', 'http://localhost:5000', /neither the login host 127\.0\.0\.1/], // another host name
    ['http://127.0.0.1:5000', 'https://evil.test', /neither/],
    ['https://127.0.0.1:5000', 'http://127.0.0.1:5000', /downgrades/],
    ['https://acme.my.salesforce.com', 'http://localhost:5000', /downgrades/],
  ];
  for (const [login, url, why] of refused)
    assert.match(sessionUrlProblem(login, url) ?? 'accepted', why, `${login} → ${url}`);
  assert.ok(
    isSalesforceHost('na1.salesforce.com') &&
      isSalesforceHost('acme.lightning.force.com') &&
      !isSalesforceHost('salesforce.com.evil.test'),
  );
  assert.ok(isMyDomainHost('acme--uat.sandbox.my.salesforce.com') && !isMyDomainHost('login.salesforce.com'));
});

test('the loopback rule: only 127.0.0.0/8, ::1 and localhost itself take plain http (evil.localhost does not)', () => {
  for (const u of [
    'http://127.0.0.1:1',
    'http://127.9.9.9',
    'http://localhost:8',
    'http://[::1]:9',
    'http://[::ffff:127.0.0.1]:9',
    'http://127.1',
  ]) {
    assert.doesNotThrow(() => validateLoginUrl(u), u);
  }
  for (const u of [
    'http://evil.localhost',
    'http://a.b.localhost:8',
    'http://localhost.:8',
    'http://127.0.0.1.nip.io',
    'http://[::ffff:10.0.0.1]',
    'http://0.0.0.0',
  ]) {
    assert.throws(() => validateLoginUrl(u), /only allowed for loopback/, u);
  }
  assert.ok(!isLoopbackHost('evil.localhost'));
});
