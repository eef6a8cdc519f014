/**
 * The emulator's web-server flow (issue 13 item 7), against real HTTP: authorize (login + consent pages, walked by
 * authorizeByHttp), the token endpoint's authorization_code grant with a real S256 verifier (43 chars, and the
 * 171-char one jsforce makes, sent without code_challenge_method), code reuse, verifier / redirect mismatches,
 * Deny, refresh with rotation on and off, revoke, expired access tokens on userinfo (403 Bad_OAuth_Token), /id/
 * and /services/data (401 INVALID_SESSION_ID), blocked and restricted apps, the id_token, the demo ECA and the CLI.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, createPublicKey, createVerify, randomBytes } from 'node:crypto';
import path from 'node:path';
import { startEmulator, authorizeByHttp, parseEmulatorConfig, DEMO_APP, type Emulator } from '../../src/emulator';

const CB = 'http://localhost:1717/OauthRedirect';
const CB2 = 'http://127.0.0.1:53682/cb?keep=1';
const PUB = '3MVG9PublicRotatingApp_for_emulator_tests';
const NOROT = '3MVG9PublicNoRotationApp_for_emulator_tests';
const CONF = '3MVG9ConfidentialApp_for_emulator_tests';
const BLOCKED = '3MVG9BlockedApp_for_emulator_tests';
const ONLY_MIA = '3MVG9PreAuthorizedOnlyMia';
const SHORT = '3MVG9ShortLivedTokens';
const JANE = { username: 'jane@oauth.test', password: 'JanePw-1' };
const MIA = { username: 'mia@modern.test', password: 'MiaPw-1' };

let emu: Emulator;

before(async () => {
  emu = await startEmulator({
    orgs: [
      { id: '00D5g000004OaTh', name: 'OAuth Org' },
      { id: '00D5g00000ModRn', name: 'Modern Org', soapLoginDisabled: true, oauthUsernamePasswordBlocked: true },
    ],
    users: [
      { ...JANE, org: 'OAuth Org', firstName: 'Jane', lastName: 'Doe' },
      { ...MIA, org: 'Modern Org' },
    ],
    apps: [
      { clientId: PUB, name: 'Public Rotating', callbackUrls: [CB, CB2], rotateRefreshTokens: true },
      { clientId: NOROT, callbackUrls: [CB] },
      { clientId: CONF, clientSecret: 'conf-Secret-99', callbackUrls: [CB] },
      { clientId: BLOCKED, callbackUrls: [CB], blocked: true },
      { clientId: ONLY_MIA, callbackUrls: [CB], users: [MIA.username] },
      { clientId: SHORT, callbackUrls: [CB], accessTokenLifetimeMs: 1000, rotateRefreshTokens: true },
    ],
  });
});
after(async () => {
  await emu.close();
});

const b64url = (b: Buffer) => b.toString('base64url');
const challengeOf = (verifier: string) => b64url(createHash('sha256').update(verifier).digest());
/** RFC 7636's shortest verifier (32 random bytes) and jsforce's (128 bytes: 171 characters). */
const verifier43 = () => b64url(randomBytes(32));
const verifier171 = () => b64url(randomBytes(128));

function authUrl(o: {
  clientId: string;
  verifier: string;
  state?: string;
  redirectUri?: string;
  scope?: string;
  method?: string | null;
  extra?: Record<string, string>;
}): string {
  const u = new URL('/services/oauth2/authorize', emu.url);
  u.searchParams.set('response_type', 'code');
  u.searchParams.set('client_id', o.clientId);
  u.searchParams.set('redirect_uri', o.redirectUri ?? CB);
  u.searchParams.set('state', o.state ?? b64url(randomBytes(12)));
  u.searchParams.set('code_challenge', challengeOf(o.verifier));
  if (o.method !== null) u.searchParams.set('code_challenge_method', o.method ?? 'S256');
  u.searchParams.set('scope', o.scope ?? 'api refresh_token');
  u.searchParams.set('prompt', 'login');
  for (const [k, v] of Object.entries(o.extra ?? {})) u.searchParams.set(k, v);
  return u.toString();
}

function form(p: Record<string, string>): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(p).toString(),
  };
}

async function token(p: Record<string, string>): Promise<{ status: number; json: Record<string, string> }> {
  const res = await fetch(`${emu.url}/services/oauth2/token`, form(p));
  return { status: res.status, json: (await res.json()) as Record<string, string> };
}

/** Authorize (as `who`, Allow) and return the code. */
async function codeFor(
  clientId: string,
  verifier: string,
  who = JANE,
  extra: Partial<Parameters<typeof authUrl>[0]> = {},
): Promise<string> {
  const st = b64url(randomBytes(9));
  const landed = new URL(await authorizeByHttp(authUrl({ clientId, verifier, state: st, ...extra }), who));
  assert.equal(landed.searchParams.get('state'), st, 'state comes back unchanged');
  const code = landed.searchParams.get('code');
  assert.ok(code, `no code in ${landed.search}`);
  return code;
}

async function signIn(clientId: string, who = JANE, opts: { secret?: string; scope?: string } = {}) {
  const verifier = verifier43();
  const code = await codeFor(clientId, verifier, who, { scope: opts.scope });
  const r = await token({
    grant_type: 'authorization_code',
    code,
    client_id: clientId,
    redirect_uri: CB,
    code_verifier: verifier,
    ...(opts.secret ? { client_secret: opts.secret } : {}),
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json;
}

const bearer = (t: string) => ({ headers: { Authorization: `Bearer ${t}` } });
async function userinfo(t: string) {
  const res = await fetch(`${emu.url}/services/oauth2/userinfo`, bearer(t));
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}
async function limits(t: string) {
  const res = await fetch(`${emu.url}/services/data/v64.0/limits`, bearer(t));
  return { status: res.status, json: await res.json() };
}
const refresh = (clientId: string, refreshToken: string, more: Record<string, string> = {}) =>
  token({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken, ...more });
const EXPIRED = { error: 'invalid_grant', error_description: 'expired access/refresh token' };
const SESSION_EXPIRED = [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }];

test('PKCE happy path (43-char S256 verifier): Salesforce token shape, userinfo, identity, limits', async () => {
  const before = { ...emu.oauthStats };
  const verifier = verifier43();
  assert.equal(verifier.length, 43);
  const code = await codeFor(PUB, verifier);
  assert.match(code, /^aPrx[A-Za-z0-9+/]+=*$/);
  const r = await token({
    grant_type: 'authorization_code',
    code,
    client_id: PUB,
    redirect_uri: CB,
    code_verifier: verifier,
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(Object.keys(r.json), [
    'access_token',
    'refresh_token',
    'signature',
    'scope',
    'instance_url',
    'id',
    'token_type',
    'issued_at',
  ]);
  const jane = emu.user(JANE.username)!;
  assert.match(
    r.json.access_token!,
    /^00D\w{12,15}![.\w]*$/,
    'access token shaped like Salesforce (and as the sf CLI checks)',
  );
  assert.ok(r.json.access_token!.startsWith(jane.orgId.slice(0, 15) + '!'));
  assert.match(r.json.refresh_token!, /^5Aep861[A-Za-z0-9._]{80}$/);
  assert.equal(r.json.scope, 'api refresh_token');
  assert.equal(r.json.instance_url, emu.url);
  assert.equal(r.json.id, `${emu.url}/id/${jane.orgId}/${jane.userId}`);
  assert.equal(r.json.token_type, 'Bearer');
  assert.ok(Math.abs(Number(r.json.issued_at) - Date.now()) < 10_000);
  assert.equal(r.json.expires_in, undefined, 'Salesforce sends no expires_in');

  const ui = await userinfo(r.json.access_token!);
  assert.equal(ui.status, 200);
  const info = JSON.parse(ui.text) as Record<string, unknown>;
  assert.equal(info.user_id, jane.userId);
  assert.equal(info.organization_id, jane.orgId);
  assert.equal(info.preferred_username, JANE.username);
  assert.equal(info.name, 'Jane Doe');
  const id = await fetch(r.json.id, bearer(r.json.access_token!));
  assert.equal(id.status, 200);
  assert.equal(((await id.json()) as Record<string, unknown>).username, JANE.username);
  const l = await limits(r.json.access_token!);
  assert.equal(l.status, 200);
  assert.ok((l.json as Record<string, unknown>).DailyApiRequests);
  assert.equal(emu.oauthStats.codeGrants, before.codeGrants + 1);
  assert.equal(emu.oauthStats.consents, before.consents + 1);
  assert.equal(emu.oauthStats.webLogins, before.webLogins + 1);
  // The canaries' list (demo, benches): every token the flow issued to the user, by username.
  const issued = emu.issuedOAuthTokens(JANE.username.toUpperCase());
  assert.ok(issued.includes(r.json.access_token!) && issued.includes(r.json.refresh_token!));
  assert.ok(emu.issuedOAuthTokens().includes(r.json.access_token!));
  assert.deepEqual(emu.issuedOAuthTokens('nobody@else.test'), []);
});

test('jsforce-style: a 171-char verifier, no code_challenge_method, scope "refresh_token api web"', async () => {
  const verifier = verifier171();
  assert.equal(verifier.length, 171);
  const code = await codeFor(PUB, verifier, JANE, { method: null, scope: 'refresh_token api web' });
  const r = await token({
    grant_type: 'authorization_code',
    code,
    client_id: PUB,
    redirect_uri: CB,
    code_verifier: verifier,
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.scope, 'refresh_token api web');
  assert.ok(r.json.refresh_token);
});

test('a second callback URL registered for the app works (its own query kept); the code is URL-encoded', async () => {
  const verifier = verifier43();
  const landed = new URL(
    await authorizeByHttp(authUrl({ clientId: PUB, verifier, redirectUri: CB2, state: 'st-2' }), JANE),
  );
  assert.equal(`${landed.origin}${landed.pathname}`, 'http://127.0.0.1:53682/cb');
  assert.equal(landed.searchParams.get('keep'), '1');
  assert.equal(landed.searchParams.get('state'), 'st-2');
  const code = landed.searchParams.get('code')!;
  const r = await token({
    grant_type: 'authorization_code',
    code,
    client_id: PUB,
    redirect_uri: CB2,
    code_verifier: verifier,
  });
  assert.equal(r.status, 200);
});

test('a code works once: reuse is refused (invalid_grant)', async () => {
  const verifier = verifier43();
  const code = await codeFor(PUB, verifier);
  const p = { grant_type: 'authorization_code', code, client_id: PUB, redirect_uri: CB, code_verifier: verifier };
  assert.equal((await token(p)).status, 200);
  assert.deepEqual(await token(p), {
    status: 400,
    json: { error: 'invalid_grant', error_description: 'authentication failure' },
  });
  assert.deepEqual((await token({ ...p, code: 'aPrxforged==' })).json, {
    error: 'invalid_grant',
    error_description: 'authentication failure',
  });
});

test('verifier: mismatch and malformed → invalid_request "invalid code verifier"; missing → invalid_grant; any attempt uses the code up', async () => {
  const verifier = verifier43();
  let code = await codeFor(PUB, verifier);
  const p = { grant_type: 'authorization_code', client_id: PUB, redirect_uri: CB };
  assert.deepEqual(await token({ ...p, code, code_verifier: verifier43() }), {
    status: 400,
    json: { error: 'invalid_request', error_description: 'invalid code verifier' },
  });
  assert.equal(
    (await token({ ...p, code, code_verifier: verifier })).status,
    400,
    'the code died with the failed attempt',
  );
  code = await codeFor(PUB, verifier);
  assert.deepEqual((await token({ ...p, code })).json, {
    error: 'invalid_grant',
    error_description: 'authentication failure',
  });
  code = await codeFor(PUB, 'x'.repeat(42));
  assert.deepEqual(
    (await token({ ...p, code, code_verifier: 'x'.repeat(42) })).json,
    { error: 'invalid_request', error_description: 'invalid code verifier' },
    'shorter than RFC 7636 allows',
  );
  code = await codeFor(PUB, verifier);
  assert.deepEqual(
    (await token({ ...p, code, client_id: NOROT, code_verifier: verifier })).json,
    { error: 'invalid_grant', error_description: 'authentication failure' },
    "another app's code",
  );
});

test('redirect_uri: an unregistered one is an error page (no redirect); the exchange must repeat the same one', async () => {
  const verifier = verifier43();
  for (const uri of ['http://localhost:1718/OauthRedirect', 'http://127.0.0.1:1717/OauthRedirect', `${CB}/`]) {
    const res = await fetch(authUrl({ clientId: PUB, verifier, redirectUri: uri }), { redirect: 'manual' });
    assert.equal(res.status, 400, uri);
    assert.equal(res.headers.get('location'), null);
    assert.match(await res.text(), /redirect_uri_mismatch<\/b> : redirect_uri must match configuration/);
  }
  await assert.rejects(
    authorizeByHttp(authUrl({ clientId: PUB, verifier, redirectUri: 'http://localhost:9/x' }), JANE),
    /redirect_uri_mismatch/,
  );
  const code = await codeFor(PUB, verifier, JANE, { redirectUri: CB2 });
  assert.deepEqual(
    await token({ grant_type: 'authorization_code', code, client_id: PUB, redirect_uri: CB, code_verifier: verifier }),
    {
      status: 400,
      json: { error: 'redirect_uri_mismatch', error_description: 'redirect_uri must match configuration' },
    },
  );
});

test('clients: unknown → error page / invalid_client_id; a confidential app needs its secret (invalid_client)', async () => {
  const verifier = verifier43();
  const res = await fetch(authUrl({ clientId: 'nope', verifier }), { redirect: 'manual' });
  assert.equal(res.status, 400);
  assert.match(await res.text(), /invalid_client_id<\/b> : client identifier invalid/);
  await assert.rejects(authorizeByHttp(authUrl({ clientId: 'nope', verifier }), JANE), /invalid_client_id/);
  assert.deepEqual(
    await token({
      grant_type: 'authorization_code',
      code: 'x',
      client_id: 'nope',
      redirect_uri: CB,
      code_verifier: verifier,
    }),
    {
      status: 400,
      json: { error: 'invalid_client_id', error_description: 'client identifier invalid' },
    },
  );
  const code = await codeFor(CONF, verifier);
  assert.deepEqual(
    await token({
      grant_type: 'authorization_code',
      code,
      client_id: CONF,
      redirect_uri: CB,
      code_verifier: verifier,
      client_secret: 'wrong',
    }),
    {
      status: 400,
      json: { error: 'invalid_client', error_description: 'invalid client credentials' },
    },
  );
  const ok = await signIn(CONF, JANE, { secret: 'conf-Secret-99' });
  assert.ok(ok.access_token);
  assert.deepEqual((await refresh(CONF, ok.refresh_token!)).json, {
    error: 'invalid_client',
    error_description: 'invalid client credentials',
  });
  assert.equal((await refresh(CONF, ok.refresh_token!, { client_secret: 'conf-Secret-99' })).status, 200);
  assert.deepEqual(await token({ grant_type: 'device_code', client_id: PUB }), {
    status: 400,
    json: { error: 'unsupported_grant_type', error_description: 'grant type not supported' },
  });
});

test('authorize request errors come back to the callback: no code_challenge, another method, response_type, scope', async () => {
  const verifier = verifier43();
  const go = async (url: string) => new URL(await authorizeByHttp(url, JANE));
  const noChallenge = new URL(authUrl({ clientId: PUB, verifier, state: 's1' }));
  noChallenge.searchParams.delete('code_challenge');
  let landed = await go(noChallenge.toString());
  assert.deepEqual(Object.fromEntries(landed.searchParams), {
    error: 'invalid_request',
    error_description: 'missing required code challenge',
    state: 's1',
  });
  landed = await go(authUrl({ clientId: PUB, verifier, method: 'plain', state: 's2' }));
  assert.equal(landed.searchParams.get('error'), 'invalid_request');
  landed = await go(authUrl({ clientId: PUB, verifier, extra: { response_type: 'token' } }));
  assert.equal(landed.searchParams.get('error'), 'unsupported_response_type');
  landed = await go(authUrl({ clientId: PUB, verifier, scope: 'api chatter_api' }));
  assert.deepEqual(
    [landed.searchParams.get('error'), landed.searchParams.get('error_description')],
    ['invalid_scope', 'the requested scope is not allowed'],
  );
});

test('the login page: a wrong password shows the page again with an error; the pages are single-use', async () => {
  const url = authUrl({ clientId: PUB, verifier: verifier43() });
  await assert.rejects(authorizeByHttp(url, { username: JANE.username, password: 'wrong' }), /refused/);
  await assert.rejects(authorizeByHttp(url, { username: 'nobody@x.test', password: 'x' }), /refused/);
  const page = await (await fetch(url)).text();
  assert.match(page, /<input type="text" id="username" name="username"/);
  assert.match(page, /<input type="password" id="password" name="pw"/);
  assert.match(page, /<button[^>]*id="Login"/);
  const rid = /name="rid" value="([^"]+)"/.exec(page)![1]!;
  const res = await fetch(`${emu.url}/services/oauth2/authorize`, {
    ...form({ rid, username: JANE.username, pw: JANE.password }),
    redirect: 'manual',
  });
  const consent = await res.text();
  assert.match(consent, /<button[^>]*id="oaapprove"/);
  assert.match(consent, /<button[^>]*id="oadeny"/);
  const again = await fetch(`${emu.url}/services/oauth2/authorize`, {
    ...form({ rid, username: JANE.username, pw: JANE.password }),
    redirect: 'manual',
  });
  assert.equal(again.status, 400, 'the login request id is used up');
  const crid = /name="rid" value="([^"]+)"/.exec(consent)![1]!;
  const allow = await fetch(`${emu.url}/setup/secur/RemoteAccessAuthorizationPage.apexp`, {
    ...form({ rid: crid, oaapprove: 'Allow' }),
    redirect: 'manual',
  });
  assert.equal(allow.status, 302);
  assert.match(allow.headers.get('location')!, /^http:\/\/localhost:1717\/OauthRedirect\?code=aPrx/);
  const twice = await fetch(`${emu.url}/setup/secur/RemoteAccessAuthorizationPage.apexp`, {
    ...form({ rid: crid, oaapprove: 'Allow' }),
    redirect: 'manual',
  });
  assert.equal(twice.status, 400, 'the consent nonce is used up');
});

test('Deny → access_denied "end-user denied authorization" with the state; no code', async () => {
  const before = emu.oauthStats.denials;
  const landed = new URL(
    await authorizeByHttp(authUrl({ clientId: PUB, verifier: verifier43(), state: 'deny-me' }), {
      ...JANE,
      deny: true,
    }),
  );
  assert.equal(landed.toString().split('?')[0], CB);
  assert.match(landed.search, /error=access_denied&error_description=end-user\+denied\+authorization&state=deny-me/);
  assert.equal(landed.searchParams.get('code'), null);
  assert.equal(emu.oauthStats.denials, before + 1);
});

test('refresh with rotation on: a new refresh token each time, the old one dies at once; a sent verifier is ignored', async () => {
  const t = await signIn(PUB);
  const r1 = await refresh(PUB, t.refresh_token!, { code_verifier: verifier171() });
  assert.equal(r1.status, 200, JSON.stringify(r1.json));
  assert.deepEqual(Object.keys(r1.json), [
    'access_token',
    'refresh_token',
    'signature',
    'scope',
    'instance_url',
    'id',
    'token_type',
    'issued_at',
  ]);
  assert.notEqual(r1.json.refresh_token, t.refresh_token);
  assert.notEqual(r1.json.access_token, t.access_token);
  assert.deepEqual(await refresh(PUB, t.refresh_token!), { status: 400, json: EXPIRED }, 'the old refresh token died');
  assert.equal((await userinfo(r1.json.access_token!)).status, 200);
  assert.equal((await userinfo(t.access_token!)).status, 200, 'access tokens live on after a rotation');
  const r2 = await refresh(PUB, r1.json.refresh_token!);
  assert.equal(r2.status, 200);
  assert.notEqual(r2.json.refresh_token, r1.json.refresh_token);
  assert.deepEqual((await refresh(NOROT, r2.json.refresh_token!)).json, EXPIRED, "another app's refresh token");
  // Two concurrent refreshers with the same token: exactly one wins.
  const [a, b] = await Promise.all([refresh(PUB, r2.json.refresh_token!), refresh(PUB, r2.json.refresh_token!)]);
  assert.deepEqual([a.status, b.status].sort(), [200, 400]);
});

test('refresh with rotation off: no refresh_token in the answer, the same one keeps working', async () => {
  const t = await signIn(NOROT);
  const r1 = await refresh(NOROT, t.refresh_token!);
  assert.equal(r1.status, 200);
  assert.deepEqual(Object.keys(r1.json), [
    'access_token',
    'signature',
    'scope',
    'instance_url',
    'id',
    'token_type',
    'issued_at',
  ]);
  const r2 = await refresh(NOROT, t.refresh_token!);
  assert.equal(r2.status, 200);
  assert.notEqual(r2.json.access_token, r1.json.access_token);
  assert.deepEqual((await refresh(NOROT, 'garbage')).json, EXPIRED);
});

test('no refresh_token scope: no refresh token', async () => {
  const t = await signIn(NOROT, JANE, { scope: 'api' });
  assert.equal(t.refresh_token, undefined);
  assert.equal(t.scope, 'api');
});

test('revoke: a refresh token dies with its access tokens (also the rotated-over ones); an access token alone; unknown → 400', async () => {
  const t = await signIn(PUB);
  const r1 = await refresh(PUB, t.refresh_token!);
  const revoke = (tok: string) => fetch(`${emu.url}/services/oauth2/revoke`, form({ token: tok }));
  let res = await revoke(r1.json.refresh_token!);
  assert.equal(res.status, 200);
  assert.equal((await userinfo(r1.json.access_token!)).status, 403);
  assert.equal((await userinfo(t.access_token!)).status, 403, 'the access token of the rotated-over refresh token too');
  assert.deepEqual((await refresh(PUB, r1.json.refresh_token!)).json, EXPIRED);
  res = await revoke(r1.json.refresh_token!);
  assert.equal(res.status, 400);
  assert.deepEqual(await res.json(), { error: 'invalid_token', error_description: 'invalid token' });
  res = await revoke('not-a-token');
  assert.deepEqual(await res.json(), {
    error: 'unsupported_token_type',
    error_description: 'this token type is not supported',
  });

  const u = await signIn(NOROT);
  assert.equal((await revoke(u.access_token!)).status, 200);
  assert.equal((await userinfo(u.access_token!)).status, 403);
  assert.equal(
    (await refresh(NOROT, u.refresh_token!)).status,
    200,
    'revoking an access token leaves the refresh token',
  );
  const viaGet = await fetch(`${emu.url}/services/oauth2/revoke?token=${encodeURIComponent(u.refresh_token!)}`);
  assert.equal(viaGet.status, 200);
  assert.equal(emu.refreshTokenCount(JANE.username) >= 0, true);
  assert.deepEqual((await refresh(NOROT, u.refresh_token!)).json, EXPIRED);
});

test('expired access token: userinfo 403 Bad_OAuth_Token (text/plain), /id/ 403, /services/data 401 INVALID_SESSION_ID; refresh helps', async () => {
  const t = await signIn(SHORT);
  assert.equal((await userinfo(t.access_token!)).status, 200);
  assert.equal((await limits(t.access_token!)).status, 200);
  await new Promise((r) => setTimeout(r, 1100));
  const ui = await userinfo(t.access_token!);
  assert.deepEqual([ui.status, ui.text], [403, 'Bad_OAuth_Token']);
  assert.match(ui.type, /^text\/plain/);
  const id = await fetch(t.id!, bearer(t.access_token!));
  assert.deepEqual([id.status, await id.text()], [403, 'Bad_OAuth_Token']);
  assert.deepEqual(await limits(t.access_token!), { status: 401, json: SESSION_EXPIRED });
  const r = await refresh(SHORT, t.refresh_token!);
  assert.equal(r.status, 200);
  assert.equal((await limits(r.json.access_token!)).status, 200);
});

test('expireAccessTokens / revokeRefreshTokens force expiry and sign-out; org and config lifetimes', async () => {
  const t = await signIn(NOROT, MIA);
  const j = await signIn(NOROT, JANE);
  assert.ok(emu.expireAccessTokens(MIA.username) >= 1);
  assert.equal((await userinfo(t.access_token!)).status, 403);
  assert.equal((await userinfo(j.access_token!)).status, 200, "another user's token stays");
  assert.equal((await refresh(NOROT, t.refresh_token!)).status, 200);
  assert.ok(emu.refreshTokenCount(MIA.username) >= 1);
  assert.ok(emu.revokeRefreshTokens(MIA.username) >= 1);
  assert.equal(emu.refreshTokenCount(MIA.username), 0);
  assert.deepEqual((await refresh(NOROT, t.refresh_token!)).json, EXPIRED);
  assert.equal((await refresh(NOROT, j.refresh_token!)).status, 200);

  emu.setOrg('Modern Org', { accessTokenLifetimeMs: 1 });
  const m = await signIn(NOROT, MIA);
  await new Promise((r) => setTimeout(r, 5));
  assert.equal((await userinfo(m.access_token!)).status, 403, "the org's lifetime");
  emu.setApp(NOROT, { accessTokenLifetimeMs: 60_000 });
  const m2 = await signIn(NOROT, MIA);
  await new Promise((r) => setTimeout(r, 5));
  assert.equal((await userinfo(m2.access_token!)).status, 200, "the app's lifetime overrides the org's");
  emu.setApp(NOROT, { accessTokenLifetimeMs: undefined });
  emu.setOrg('Modern Org', { accessTokenLifetimeMs: undefined });
});

test('addApp at runtime; a refresh token with a lifetime expires (invalid_grant)', async () => {
  const info = emu.addApp({
    clientId: '3MVG9RuntimeApp',
    callbackUrls: [CB],
    refreshTokenLifetimeMs: 300,
    scopes: ['api', 'refresh_token'],
  });
  assert.deepEqual(info, {
    clientId: '3MVG9RuntimeApp',
    name: '3MVG9RuntimeApp',
    confidential: false,
    callbackUrls: [CB],
    rotateRefreshTokens: false,
    scopes: ['api', 'refresh_token'],
    blocked: false,
  });
  const t = await signIn('3MVG9RuntimeApp');
  assert.equal((await refresh('3MVG9RuntimeApp', t.refresh_token!)).status, 200);
  await new Promise((r) => setTimeout(r, 350));
  assert.deepEqual((await refresh('3MVG9RuntimeApp', t.refresh_token!)).json, EXPIRED);
  assert.equal((await userinfo(t.access_token!)).status, 403, 'its access tokens died with it');
});

test('blocked app / user not pre-authorized: OAUTH_APPROVAL_ERROR_GENERIC on the callback and at the token endpoint', async () => {
  const verifier = verifier43();
  let landed = new URL(await authorizeByHttp(authUrl({ clientId: BLOCKED, verifier, state: 'b' }), JANE));
  assert.equal(landed.searchParams.get('error'), 'OAUTH_APPROVAL_ERROR_GENERIC');
  assert.equal(landed.searchParams.get('state'), 'b');
  assert.equal(landed.searchParams.get('code'), null);
  landed = new URL(await authorizeByHttp(authUrl({ clientId: ONLY_MIA, verifier }), JANE));
  assert.equal(landed.searchParams.get('error'), 'OAUTH_APPROVAL_ERROR_GENERIC');
  const t = await signIn(ONLY_MIA, MIA);
  emu.setApp(ONLY_MIA, { blocked: true });
  const r = await refresh(ONLY_MIA, t.refresh_token!);
  assert.equal(r.status, 400);
  assert.equal(r.json.error, 'OAUTH_APPROVAL_ERROR_GENERIC');
  emu.setApp(ONLY_MIA, { blocked: false });
  assert.equal((await refresh(ONLY_MIA, t.refresh_token!)).status, 200);
});

test('forced faults reach the refresh grant: a user fault, and the global transport fault', async () => {
  const t = await signIn(NOROT, MIA);
  const raw = () =>
    fetch(
      `${emu.url}/services/oauth2/token`,
      form({ grant_type: 'refresh_token', client_id: NOROT, refresh_token: t.refresh_token! }),
    );
  try {
    emu.setFault(MIA.username, 'SERVER_UNAVAILABLE');
    let res = await raw();
    assert.equal(res.status, 503);
    assert.match(await res.text(), /Service Unavailable/);
    emu.setFault(MIA.username, 'PASSWORD_LOCKOUT');
    assert.deepEqual((await refresh(NOROT, t.refresh_token!)).json, {
      error: 'invalid_grant',
      error_description: 'authentication failure',
    });
    emu.setFault(MIA.username, null);
    emu.setFault('*', 'html');
    res = await raw();
    assert.match(res.headers.get('content-type')!, /text\/html/);
    assert.match(await res.text(), /Hotel Wi-Fi/);
  } finally {
    emu.setFault(MIA.username, null);
    emu.setFault('*', null);
  }
  assert.equal((await refresh(NOROT, t.refresh_token!)).status, 200);
});

test('the org whose SOAP login is off: SOAP refused, the web-server flow works', async () => {
  const soap = await fetch(`${emu.url}/services/Soap/u/64.0`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/xml', SOAPAction: '""' },
    body: `<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Body><login xmlns="urn:partner.soap.sforce.com"><username>${MIA.username}</username><password>${MIA.password}${emu.currentToken(MIA.username)}</password></login></se:Body></se:Envelope>`,
  });
  assert.equal(soap.status, 500);
  assert.match(await soap.text(), /INVALID_OPERATION/);
  const t = await signIn(PUB, MIA);
  assert.equal(JSON.parse((await userinfo(t.access_token!)).text).organization_id, emu.user(MIA.username)!.orgId);
});

test('openid: an RS256 id_token the /id/keys JWKS (found by discovery) verifies', async () => {
  const t = await signIn(PUB, JANE, { scope: 'openid api refresh_token' });
  assert.deepEqual(Object.keys(t), [
    'access_token',
    'refresh_token',
    'signature',
    'scope',
    'id_token',
    'instance_url',
    'id',
    'token_type',
    'issued_at',
  ]);
  const [h, p, s] = t.id_token!.split('.') as [string, string, string];
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { kid: string; alg: string };
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
  assert.equal(header.alg, 'RS256');
  assert.equal(claims.aud, PUB);
  assert.equal(claims.preferred_username, JANE.username);
  const disco = (await (await fetch(`${emu.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  assert.deepEqual(disco.code_challenge_methods_supported, ['S256']);
  assert.equal(disco.revocation_endpoint, `${emu.url}/services/oauth2/revoke`);
  const jwks = (await (await fetch(String(disco.jwks_uri))).json()) as { keys: Array<Record<string, string>> };
  const jwk = jwks.keys.find((k) => k.kid === header.kid)!;
  const key = createPublicKey({ key: { kty: jwk.kty!, n: jwk.n!, e: jwk.e! }, format: 'jwk' });
  assert.ok(createVerify('RSA-SHA256').update(`${h}.${p}`).verify(key, Buffer.from(s, 'base64url')));
});

test('`//services/data` (the sf CLI after an access-token login) is the path, not a host', async () => {
  const t = await signIn(NOROT);
  const res = await fetch(`${emu.url}//services/data/v64.0/limits`, bearer(t.access_token!));
  assert.equal(res.status, 200);
});

test('defaults: the demo ECA (public, rotation on, http://localhost:1717/OauthRedirect) when the config names no apps', async () => {
  const e = await startEmulator({ users: [JANE] });
  try {
    assert.deepEqual(
      e.apps().map((a) => [a.clientId, a.confidential, a.rotateRefreshTokens, a.callbackUrls]),
      [[DEMO_APP.clientId, false, true, ['http://localhost:1717/OauthRedirect']]],
    );
    const verifier = verifier171();
    const u = new URL(authUrl({ clientId: DEMO_APP.clientId, verifier }).replace(emu.url, e.url));
    const landed = new URL(await authorizeByHttp(u.toString(), JANE));
    const r = await fetch(
      `${e.url}/services/oauth2/token`,
      form({
        grant_type: 'authorization_code',
        code: landed.searchParams.get('code')!,
        client_id: DEMO_APP.clientId,
        redirect_uri: CB,
        code_verifier: verifier,
      }),
    );
    assert.equal(r.status, 200);
  } finally {
    await e.close();
  }
  const none = await startEmulator({ apps: [] });
  try {
    assert.deepEqual(none.apps(), []);
  } finally {
    await none.close();
  }
  const cfg = parseEmulatorConfig(
    JSON.stringify({
      apps: [{ clientId: 'c', callbackUrls: [CB], rotateRefreshTokens: true }],
      accessTokenLifetimeMs: 1500,
    }),
  );
  assert.equal(cfg.apps![0]!.clientId, 'c');
  assert.equal(cfg.accessTokenLifetimeMs, 1500);
  assert.throws(() => parseEmulatorConfig('{"apps":[{"clientId":"c"}]}'), /callbackUrls/);
  assert.throws(() => parseEmulatorConfig('{"apps":{}}'), /array/);
});

test('`npm run emulator` (no config): prints the demo ECA client id, the SOAP-off org and its OAuth user', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/emulator/cli.ts'], {
    cwd: path.resolve(__dirname, '../..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    while (!/\n\}\n/.test(out)) {
      await new Promise((r) => setTimeout(r, 50));
      if (child.exitCode !== null) throw new Error(`emulator CLI exited early: ${err}`);
    }
    const [url, ...json] = out.split('\n');
    const info = JSON.parse(json.join('\n')) as {
      oauthApps: Array<{ clientId: string; callbackUrls: string[] }>;
      users: Array<{ username: string; org: string }>;
      oauthEnv: Record<string, string>;
    };
    assert.equal(info.oauthApps[0]!.clientId, DEMO_APP.clientId);
    assert.deepEqual(info.oauthApps[0]!.callbackUrls, ['http://localhost:1717/OauthRedirect']);
    assert.deepEqual(info.oauthEnv, {
      SF_AUTH: 'oauth',
      SF_LOGIN_URL: url,
      SF_CLIENT_ID: DEMO_APP.clientId,
      SF_USERNAME: 'mia.chen@nimbus.example',
    });
    assert.ok(info.users.some((u) => u.username === 'jane.doe@acme.example'));
    assert.ok(info.users.some((u) => /SOAP login off/.test(u.org)));
    while (!err.includes(DEMO_APP.clientId)) await new Promise((r) => setTimeout(r, 50));
  } finally {
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  }
});
