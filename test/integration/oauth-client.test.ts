/**
 * The OAuth library (src/salesforce/oauth/, src/salesforce/signin/oauth.ts) against the emulator over real HTTP:
 * the whole web-server flow through the loopback listener (authorizeByHttp plays the browser and the test follows
 * the final redirect as a browser would), the paste-the-URL path, refresh with and without rotation (no verifier
 * sent), expiry → refresh through the `oauth` sign-in method, revoke, Deny, state mismatch, unknown / blocked /
 * confidential apps, port busy, a proxy, and a canary: no token in any log line, message or result.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { startEmulator, authorizeByHttp, type Emulator } from '../../src/emulator';
import {
  authorizeUrl,
  challengeOf,
  exchangeCode,
  isOAuthError,
  listenForCallback,
  makeState,
  makeVerifier,
  parseRedirect,
  refreshTokens,
  restHealth,
  revokeToken,
  type TokenSet,
} from '../../src/salesforce/oauth/index';
import { classifyOAuthError } from '../../src/core/health';
import { createLogger } from '../../src/core/log';
import { profileFromEnv } from '../../src/core/profile';
import { testLogin } from '../../src/salesforce/login';
import { SIGN_IN_METHODS, type SignInRefresh } from '../../src/salesforce/signin/index';
import { startProxy } from '../servers/proxy';

const CB = 'http://localhost:1717/OauthRedirect';
const PUB = '3MVG9CorePublicRotating';
const NOROT = '3MVG9CorePublicNoRotation';
const CONF = '3MVG9CoreConfidential';
const BLOCKED = '3MVG9CoreBlocked';
const SHORT = '3MVG9CoreShortLived';
const JANE = { username: 'jane@core.test', password: 'JanePw-1' };

let emu: Emulator;
const lines: string[] = [];
const log = createLogger((_level, line) => lines.push(line));
/** Every token the tests saw: none may appear in a log line, message or result. */
const secrets = new Set<string>();
const keep = <T extends TokenSet>(t: T): T => {
  secrets.add(t.accessToken);
  if (t.refreshToken) secrets.add(t.refreshToken);
  return t;
};

before(async () => {
  emu = await startEmulator({
    orgs: [{ id: '00D5g000004CoRe', name: 'Core Org' }],
    users: [{ ...JANE, org: 'Core Org', firstName: 'Jane', lastName: 'Core' }],
    apps: [
      { clientId: PUB, callbackUrls: [CB], rotateRefreshTokens: true },
      { clientId: NOROT, callbackUrls: [CB] },
      { clientId: CONF, clientSecret: 'core-Secret-77', callbackUrls: [CB] },
      { clientId: BLOCKED, callbackUrls: [CB], blocked: true },
      { clientId: SHORT, callbackUrls: [CB], accessTokenLifetimeMs: 1500, rotateRefreshTokens: true },
    ],
  });
});
after(async () => {
  await emu.close();
  // The canary: no token reached a log line.
  const all = lines.join('\n');
  for (const s of secrets) assert.ok(!all.includes(s), 'a token reached the log');
});

/** The authorize URL + what the client keeps in memory for one sign-in. */
function start(clientId: string, redirectUri = CB) {
  const verifier = makeVerifier();
  const state = makeState();
  const url = authorizeUrl({ loginUrl: emu.url, clientId, redirectUri, state, challenge: challengeOf(verifier) });
  return { verifier, state, url };
}

/** Sign in by the paste path: the landed URL is parsed and the code exchanged. */
async function signIn(clientId: string, clientSecret?: string): Promise<TokenSet> {
  const s = start(clientId);
  const landed = await authorizeByHttp(s.url, JANE);
  const { code } = parseRedirect(`  ${landed}\n`, s.state);
  return keep(
    await exchangeCode(
      { loginUrl: emu.url, clientId, clientSecret, redirectUri: CB, code, verifier: s.verifier },
      { log },
    ),
  );
}

function assertNoSecret(text: string, what: string) {
  for (const s of secrets) assert.ok(!text.includes(s), `${what} carries a token`);
}

test('the whole flow through the loopback listener: authorize, redirect, exchange, REST health', async () => {
  const verifier = makeVerifier();
  const state = makeState();
  const listener = await listenForCallback({ port: 0, state, timeoutMs: 10_000 });
  try {
    assert.match(listener.redirectUri, /^http:\/\/localhost:\d+\/OauthRedirect$/);
    emu.addApp({ clientId: '3MVG9CoreLoopback', callbackUrls: [listener.redirectUri] });
    const url = authorizeUrl({
      loginUrl: emu.url,
      clientId: '3MVG9CoreLoopback',
      redirectUri: listener.redirectUri,
      state,
      challenge: challengeOf(verifier),
    });
    const landed = await authorizeByHttp(url, JANE);
    // The browser follows the redirect to the listener (127.0.0.1: what localhost resolves to here).
    const page = await fetch(landed.replace('//localhost:', '//127.0.0.1:'));
    const html = await page.text();
    assert.equal(page.status, 200);
    assert.match(html, /Signed in/);
    const code = await listener.code;
    assert.ok(!html.includes(code) && !html.includes(encodeURIComponent(code)), 'the page never shows the code');
    assert.equal(page.headers.get('cache-control'), 'no-store');
    const t = keep(
      await exchangeCode(
        { loginUrl: emu.url, clientId: '3MVG9CoreLoopback', redirectUri: listener.redirectUri, code, verifier },
        { log },
      ),
    );
    assert.equal(t.instanceUrl, emu.url);
    assert.match(t.accessToken, /^00D/);
    assert.ok(t.refreshToken);
    const h = await restHealth({ instanceUrl: t.instanceUrl, accessToken: t.accessToken }, { log });
    assert.equal(h.status, 'ok', h.message);
    assert.equal(h.username, JANE.username);
    assert.equal(h.orgName, 'Core Org');
    assert.equal(h.userFullName, 'Jane Core');
    assert.ok(h.organizationId?.startsWith('00D5g000004CoRe'));
    assert.equal(h.flow, 'oauth');
    assert.equal(typeof h.apiRequestsRemaining, 'number');
    assert.match(h.message, /Signed in with OAuth as Jane Core/);
    // A second exchange of the same code: invalid_grant → signin-required.
    const again = await exchangeCode({
      loginUrl: emu.url,
      clientId: '3MVG9CoreLoopback',
      redirectUri: listener.redirectUri,
      code,
      verifier,
    }).catch((e: unknown) => e);
    assert.ok(isOAuthError(again) && again.code === 'invalid_grant');
    assert.equal(classifyOAuthError(again).status, 'signin-required');
    // After the answer the listener is gone.
    await assert.rejects(fetch(landed.replace('//localhost:', '//127.0.0.1:')));
  } finally {
    listener.close();
  }
});

test('listener: Deny, another state, a foreign Host, a wrong path; timeout; close()', async () => {
  const s = start(PUB);
  const l1 = await listenForCallback({ port: 0, state: s.state, timeoutMs: 10_000 });
  emu.addApp({ clientId: '3MVG9CoreDeny', callbackUrls: [l1.redirectUri] });
  const denyUrl = authorizeUrl({
    loginUrl: emu.url,
    clientId: '3MVG9CoreDeny',
    redirectUri: l1.redirectUri,
    state: s.state,
    challenge: challengeOf(s.verifier),
  });
  const base = `http://127.0.0.1:${l1.port}`;
  assert.equal((await fetch(`${base}/favicon.ico`)).status, 404);
  const rebound = await new Promise<number>((resolve) => {
    const req = net.connect(l1.port, '127.0.0.1', () =>
      req.end(`GET /OauthRedirect?code=x&state=${s.state} HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`),
    );
    let buf = '';
    req.on('data', (d) => (buf += String(d)));
    req.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(buf)?.[1])));
  });
  assert.equal(rebound, 421, 'a foreign Host header is refused');
  const landed = await authorizeByHttp(denyUrl, { ...JANE, deny: true });
  assert.match(landed, /error=access_denied/);
  const page = await fetch(landed.replace('//localhost:', '//127.0.0.1:'));
  assert.equal(page.status, 400);
  assert.match(await page.text(), /denied/i);
  const denied = await l1.code.catch((e: unknown) => e);
  assert.ok(isOAuthError(denied) && denied.kind === 'denied', String(denied));
  assert.equal(classifyOAuthError(denied).status, 'signin-required');

  const l2 = await listenForCallback({ port: 0, state: s.state, timeoutMs: 10_000 });
  const wrong = await fetch(`http://127.0.0.1:${l2.port}/OauthRedirect?code=abc&state=not-${s.state}`);
  assert.equal(wrong.status, 400);
  const mismatch = await l2.code.catch((e: unknown) => e);
  assert.ok(isOAuthError(mismatch) && mismatch.kind === 'state-mismatch');

  const l3 = await listenForCallback({ port: 0, state: s.state, timeoutMs: 200 });
  const timedOut = await l3.code.catch((e: unknown) => e);
  assert.ok(isOAuthError(timedOut) && timedOut.kind === 'timeout');
  assert.equal(classifyOAuthError(timedOut).status, 'signin-required');

  const l4 = await listenForCallback({ port: 0, state: s.state, timeoutMs: 10_000 });
  l4.close();
  l4.close();
  await assert.rejects(l4.code, (e: Error) => e.name === 'AbortError');
  const ac = new AbortController();
  const l5 = await listenForCallback({ port: 0, state: s.state, timeoutMs: 10_000, signal: ac.signal });
  ac.abort();
  await assert.rejects(l5.code, (e: Error) => e.name === 'AbortError');
});

test('listener: a port another program holds → port-busy (the caller falls back to pasting)', async () => {
  const other = net.createServer();
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  const port = (other.address() as net.AddressInfo).port;
  try {
    const e = await listenForCallback({ port, state: 's', timeoutMs: 1000 }).catch((x: unknown) => x);
    assert.ok(isOAuthError(e) && e.kind === 'port-busy', String(e));
    assert.match(e.message, new RegExp(`Port ${port}`));
    assert.equal(classifyOAuthError(e).code, 'PORT_BUSY');
  } finally {
    other.close();
  }
});

test('refresh: rotation replaces the refresh token (the old one dies); without rotation the old one is kept', async () => {
  const t = await signIn(PUB);
  const r1 = keep(await refreshTokens({ loginUrl: emu.url, clientId: PUB, refreshToken: t.refreshToken! }, { log }));
  assert.equal(r1.rotated, true);
  assert.notEqual(r1.refreshToken, t.refreshToken);
  assert.notEqual(r1.accessToken, t.accessToken);
  const dead = await refreshTokens({ loginUrl: emu.url, clientId: PUB, refreshToken: t.refreshToken! }).catch(
    (e: unknown) => e,
  );
  assert.ok(isOAuthError(dead) && dead.code === 'invalid_grant' && dead.description === 'expired access/refresh token');
  assert.equal(classifyOAuthError(dead).status, 'signin-required');
  const r2 = keep(await refreshTokens({ loginUrl: emu.url, clientId: PUB, refreshToken: r1.refreshToken }, { log }));
  assert.equal(r2.rotated, true);
  assert.equal((await restHealth({ instanceUrl: r2.instanceUrl, accessToken: r2.accessToken })).status, 'ok');

  const n = await signIn(NOROT);
  const n1 = keep(await refreshTokens({ loginUrl: emu.url, clientId: NOROT, refreshToken: n.refreshToken! }, { log }));
  assert.equal(n1.rotated, false);
  assert.equal(n1.refreshToken, n.refreshToken, 'no refresh_token returned: the old one stays');
  keep(await refreshTokens({ loginUrl: emu.url, clientId: NOROT, refreshToken: n.refreshToken! }, { log }));
});

test('apps: a confidential app needs its secret; an unknown client id and a blocked app → app-not-approved', async () => {
  const c = await signIn(CONF, 'core-Secret-77');
  const noSecret = await refreshTokens({ loginUrl: emu.url, clientId: CONF, refreshToken: c.refreshToken! }).catch(
    (e: unknown) => e,
  );
  assert.ok(isOAuthError(noSecret) && noSecret.code === 'invalid_client', String(noSecret));
  assert.equal(classifyOAuthError(noSecret).status, 'app-not-approved');
  keep(
    await refreshTokens({
      loginUrl: emu.url,
      clientId: CONF,
      clientSecret: 'core-Secret-77',
      refreshToken: c.refreshToken!,
    }),
  );
  const unknown = await refreshTokens({
    loginUrl: emu.url,
    clientId: '3MVG9Nobody',
    refreshToken: c.refreshToken!,
  }).catch((e: unknown) => e);
  assert.ok(isOAuthError(unknown) && unknown.code === 'invalid_client_id');
  assert.equal(classifyOAuthError(unknown).status, 'app-not-approved');
  // A blocked app: the redirect carries OAUTH_APPROVAL_ERROR_GENERIC.
  const s = start(BLOCKED);
  const landed = await authorizeByHttp(s.url, JANE);
  const blocked = (() => {
    try {
      parseRedirect(landed, s.state);
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.ok(isOAuthError(blocked) && blocked.code === 'OAUTH_APPROVAL_ERROR_GENERIC', String(blocked));
  assert.equal(classifyOAuthError(blocked).status, 'app-not-approved');
  // A verifier that does not match the challenge.
  const s2 = start(PUB);
  const { code } = parseRedirect(await authorizeByHttp(s2.url, JANE), s2.state);
  const badVerifier = await exchangeCode({
    loginUrl: emu.url,
    clientId: PUB,
    redirectUri: CB,
    code,
    verifier: makeVerifier(),
  }).catch((e: unknown) => e);
  assert.ok(isOAuthError(badVerifier) && badVerifier.code === 'invalid_request', String(badVerifier));
});

test('expiry: REST health says signin-required (Bad_OAuth_Token); the oauth method refreshes, hands over the rotated tokens, tests the new one', async () => {
  const t = await signIn(PUB);
  emu.expireAccessTokens(JANE.username);
  const h = await restHealth({ instanceUrl: t.instanceUrl, accessToken: t.accessToken }, { log });
  assert.equal(h.status, 'signin-required');
  assert.equal(h.code, 'Bad_OAuth_Token');

  const env = {
    SF_AUTH: 'oauth',
    SF_USERNAME: JANE.username,
    SF_LOGIN_URL: emu.url,
    SF_CLIENT_ID: PUB,
    SF_INSTANCE_URL: t.instanceUrl,
    SF_ACCESS_TOKEN: t.accessToken,
    SF_REFRESH_TOKEN: t.refreshToken!,
  };
  const { profile, secrets: sec } = profileFromEnv(env);
  assert.equal(sec.refreshToken, t.refreshToken);
  assert.equal(profile.instanceUrl, emu.url);
  // Without a listener for the new tokens, nothing is refreshed (a rotated token nobody keeps would be lost).
  const before = emu.refreshTokenCount(JANE.username);
  const quiet = await testLogin(profile, sec, { log });
  assert.equal(quiet.status, 'signin-required');
  assert.equal(quiet.code, 'Bad_OAuth_Token');
  assert.equal(emu.refreshTokenCount(JANE.username), before);

  const got: SignInRefresh[] = [];
  const r = await testLogin(profile, sec, { log, onRefresh: (x) => void got.push(x) });
  assert.equal(r.status, 'ok', r.message);
  assert.equal(r.username, JANE.username);
  assert.equal(got.length, 1);
  const newAccess = got[0]!.env!.SF_ACCESS_TOKEN!;
  const newRefresh = got[0]!.secrets!.refreshToken!;
  secrets.add(newAccess);
  secrets.add(newRefresh);
  assert.notEqual(newAccess, t.accessToken);
  assert.notEqual(newRefresh, t.refreshToken, 'rotated');
  assert.equal(got[0]!.env!.SF_INSTANCE_URL, emu.url);
  assert.equal(got[0]!.env!.SF_USERNAME, JANE.username);
  assert.equal(got[0]!.secrets!.accessToken, newAccess);
  assert.ok(got[0]!.issuedAt! > Date.now() - 60_000);
  assert.equal((await restHealth({ instanceUrl: emu.url, accessToken: newAccess })).status, 'ok');

  // The method's refresh with the old (rotated-away) refresh token: signin-required.
  const old = await SIGN_IN_METHODS.oauth!.refresh!(profile, sec, { log });
  assert.equal(old.health.status, 'signin-required');
  assert.equal(old.health.code, 'invalid_grant');
  assert.equal(old.env, undefined);
  // A 401 INVALID_SESSION_ID from /services/data is the same signal.
  const res = await fetch(`${emu.url}/services/data/v64.0/limits`, {
    headers: { authorization: `Bearer ${t.accessToken}` },
  });
  assert.equal(res.status, 401);
  for (const x of [h, quiet, r, old.health]) assertNoSecret(JSON.stringify(x), 'a health result');
});

test('short-lived tokens: each expiry is caught and refreshed (5 rounds, rotation on)', async () => {
  let t = await signIn(SHORT);
  const env = { SF_AUTH: 'oauth', SF_USERNAME: JANE.username, SF_LOGIN_URL: emu.url, SF_CLIENT_ID: SHORT };
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 1600));
    const { profile, secrets: sec } = profileFromEnv({
      ...env,
      SF_INSTANCE_URL: t.instanceUrl,
      SF_ACCESS_TOKEN: t.accessToken,
      SF_REFRESH_TOKEN: t.refreshToken!,
    });
    let next: SignInRefresh | undefined;
    const r = await testLogin(profile, sec, { onRefresh: (x) => void (next = x) });
    assert.equal(r.status, 'ok', `round ${i}: ${r.code} ${r.message}`);
    assert.ok(next, `round ${i}: refreshed`);
    t = { ...t, accessToken: next.env!.SF_ACCESS_TOKEN!, refreshToken: next.secrets!.refreshToken ?? t.refreshToken };
    secrets.add(t.accessToken);
    secrets.add(t.refreshToken!);
  }
});

test('no access token kept, a refresh token only: the method refreshes first (with onRefresh), else says so', async () => {
  const t = await signIn(NOROT);
  const { profile, secrets: sec } = profileFromEnv({
    SF_AUTH: 'oauth',
    SF_USERNAME: JANE.username,
    SF_LOGIN_URL: emu.url,
    SF_CLIENT_ID: NOROT,
    SF_REFRESH_TOKEN: t.refreshToken!,
  });
  const q = await testLogin(profile, sec);
  assert.equal(q.status, 'signin-required');
  assert.equal(q.code, 'NO_ACCESS_TOKEN');
  let got: SignInRefresh | undefined;
  const r = await testLogin(profile, sec, { onRefresh: (x) => void (got = x) });
  assert.equal(r.status, 'ok', r.message);
  secrets.add(got!.env!.SF_ACCESS_TOKEN!);
  assert.equal(got!.secrets!.refreshToken, undefined, 'no rotation: no new refresh token');
  // A failing store: the result says the tokens were not saved.
  const bad = await testLogin(profile, sec, { onRefresh: () => Promise.reject(new Error('disk full')) });
  assert.equal(bad.status, 'login-failed');
  assert.equal(bad.code, 'REFRESH_NOT_SAVED');
});

test('revoke: the refresh token and its access tokens die; revoking again is refused', async () => {
  const t = await signIn(NOROT);
  await revokeToken({ loginUrl: emu.url, token: t.refreshToken! }, { log });
  const r = await refreshTokens({ loginUrl: emu.url, clientId: NOROT, refreshToken: t.refreshToken! }).catch(
    (e: unknown) => e,
  );
  assert.ok(isOAuthError(r) && r.code === 'invalid_grant');
  const h = await restHealth({ instanceUrl: t.instanceUrl, accessToken: t.accessToken });
  assert.equal(h.status, 'signin-required');
  const again = await revokeToken({ loginUrl: emu.url, token: t.refreshToken! }).catch((e: unknown) => e);
  assert.ok(isOAuthError(again) && again.kind === 'refused', String(again));
});

test('through a proxy: token, refresh and REST health go via the proxy; a refused tunnel / dead port is a network error', async () => {
  const proxy = await startProxy();
  try {
    const t = await signIn(NOROT);
    const r = keep(
      await refreshTokens(
        { loginUrl: emu.url, clientId: NOROT, refreshToken: t.refreshToken! },
        { proxy: { url: proxy.url }, log },
      ),
    );
    const h = await restHealth(
      { instanceUrl: r.instanceUrl, accessToken: r.accessToken },
      { proxy: { url: proxy.url }, log },
    );
    assert.equal(h.status, 'ok', h.message);
    assert.ok(
      proxy.seen.some((s) => s === `POST ${emu.url}/services/oauth2/token`),
      proxy.seen.join('\n'),
    );
    assert.ok(
      proxy.seen.some((s) => s === `GET ${emu.url}/services/oauth2/userinfo`),
      proxy.seen.join('\n'),
    );
    for (const s of proxy.seen) assertNoSecret(s, 'a proxied request line');
  } finally {
    await proxy.close();
  }
  const dead = await restHealth(
    { instanceUrl: 'http://127.0.0.1:9', accessToken: '00D000000000000!deadtokendeadtokendeadtoken' },
    { timeoutMs: 3000 },
  );
  assert.equal(dead.status, 'network-error');
  // A plain-http instance URL off loopback is never sent a token.
  const unsafe = await restHealth({ instanceUrl: 'http://acme.example', accessToken: 'x'.repeat(30) });
  assert.equal(unsafe.status, 'login-failed');
  assert.equal(unsafe.code, 'INVALID_URL');
});

test('REST health never sends the access token across a redirect to another origin', async () => {
  const { createServer } = await import('node:http');
  const seen: string[] = [];
  const other = createServer((req, res) => {
    seen.push(String(req.headers.authorization ?? ''));
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end('{"user_id":"005x","organization_id":"00Dx","preferred_username":"r@x"}');
  });
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  const otherPort = (other.address() as net.AddressInfo).port;
  const redirector = createServer((req, res) => {
    seen.push(`redirector ${String(req.headers.authorization ?? '').slice(0, 6)}`);
    res.writeHead(302, { location: `http://127.0.0.1:${otherPort}${req.url ?? '/'}` }).end();
  });
  await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
  try {
    const token = '00D5g000004XyZa!AQ0AQRedirectCanaryToken1234567890';
    secrets.add(token);
    const h = await restHealth(
      {
        instanceUrl: `http://127.0.0.1:${(redirector.address() as net.AddressInfo).port}`,
        accessToken: token,
        fetchLimits: false,
      },
      { log },
    );
    assert.equal(h.status, 'ok', h.message);
    assert.ok(seen.includes('redirector Bearer'), seen.join('\n'));
    assert.ok(seen.length >= 2);
    assert.ok(!seen.some((s) => s.includes(token)), 'the other origin got no token');
  } finally {
    other.close();
    redirector.close();
  }
});

test('a token answer whose instance_url or id leaves the org is refused (the access token is never used there)', async () => {
  for (const fault of ['server-url-foreign', 'server-url-http'] as const) {
    const n = await signIn(NOROT);
    emu.setFault(JANE.username, fault);
    try {
      const r = await refreshTokens(
        { loginUrl: emu.url, clientId: NOROT, refreshToken: n.refreshToken! },
        { log },
      ).catch((e: unknown) => e);
      assert.ok(r instanceof Error, `${fault}: refused`);
      // Another host: the session-URL rule; plain http to a non-loopback host: refused before that, as an invalid URL.
      if (fault === 'server-url-foreign') {
        assert.equal((r as { code?: string }).code, 'UNTRUSTED_SERVER_URL', String(r));
        assert.equal(classifyOAuthError(r).status, 'unexpected-response');
      } else assert.match(String(r), /only allowed for loopback hosts/);
      assert.notEqual(classifyOAuthError(r).status, 'ok');
    } finally {
      emu.setFault(JANE.username, null);
    }
  }
});
