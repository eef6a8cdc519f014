/** The pure OAuth pieces (src/core/oauth.ts) and the web-server flow's health mapping (classifyOAuthError). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CALLBACK_PATH,
  DEFAULT_CALLBACK_PORT,
  MIN_SESSION_TIMEOUT_MS,
  OAuthError,
  authorizeUrl,
  challengeOf,
  defaultLifetime,
  isOAuthError,
  makeState,
  makeVerifier,
  oauthErrorFromBody,
  observeExpiry,
  parseRedirect,
  parseTokenResponse,
  redirectUriFor,
  refreshDelayMs,
} from '../../src/core/oauth';
import { HEALTH_STATES, classifyOAuthError, type HealthStatus } from '../../src/core/health';
import { REDACTED, redact } from '../../src/core/redact';
import { RefreshTimer } from '../../src/core/refreshTimer';

const B64URL = /^[A-Za-z0-9_-]+$/;

test('PKCE: the S256 vector of RFC 7636 appendix B', () => {
  assert.equal(
    challengeOf('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'),
    'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  );
});

test('PKCE: verifiers are 43 base64url characters, random; challenges 43 base64url characters (property, 500 runs)', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 500; i++) {
    const v = makeVerifier();
    assert.equal(v.length, 43);
    assert.match(v, B64URL);
    assert.ok(!seen.has(v));
    seen.add(v);
    const c = challengeOf(v);
    assert.equal(c.length, 43);
    assert.match(c, B64URL);
    assert.notEqual(c, v);
    assert.equal(challengeOf(v), c, 'deterministic');
  }
  // jsforce's 171-character verifier (base64url of 128 bytes) has a challenge of the same shape.
  const long = Buffer.alloc(128, 7).toString('base64url');
  assert.equal(long.length, 171);
  assert.match(challengeOf(long), /^[A-Za-z0-9_-]{43}$/);
});

test('state: random, base64url, 22 characters', () => {
  const states = new Set(Array.from({ length: 200 }, makeState));
  assert.equal(states.size, 200);
  for (const s of states) assert.match(s, /^[A-Za-z0-9_-]{22}$/);
});

test('redirect URI and the authorize URL', () => {
  assert.equal(CALLBACK_PATH, '/OauthRedirect');
  assert.equal(DEFAULT_CALLBACK_PORT, 1717);
  assert.equal(redirectUriFor(1717), 'http://localhost:1717/OauthRedirect');
  for (const bad of [0, 65536, 1.5, NaN])
    assert.throws(
      () => redirectUriFor(bad),
      (e: unknown) => isOAuthError(e) && e.kind === 'bad-url',
    );

  const u = new URL(
    authorizeUrl({
      loginUrl: 'https://acme.my.salesforce.com',
      clientId: '3MVG9 x+y',
      redirectUri: redirectUriFor(1717),
      state: 'st',
      challenge: 'ch',
    }),
  );
  assert.equal(u.origin + u.pathname, 'https://acme.my.salesforce.com/services/oauth2/authorize');
  const q = Object.fromEntries(u.searchParams);
  assert.deepEqual(q, {
    response_type: 'code',
    client_id: '3MVG9 x+y',
    redirect_uri: 'http://localhost:1717/OauthRedirect',
    state: 'st',
    code_challenge: 'ch',
    code_challenge_method: 'S256',
    scope: 'api refresh_token',
    prompt: 'login',
  });
  const v = new URL(
    authorizeUrl({
      loginUrl: 'http://127.0.0.1:4000',
      clientId: 'c',
      redirectUri: 'r',
      state: 's',
      challenge: 'c',
      scope: 'api',
      prompt: '',
    }),
  );
  assert.equal(v.searchParams.get('scope'), 'api');
  assert.equal(v.searchParams.has('prompt'), false);
  assert.equal(v.origin, 'http://127.0.0.1:4000');
});

test('parseRedirect: the landed URL, pasted in every shape', () => {
  const state = 'Zm9vYmFyYmF6cXV4cXV1eA';
  const code = 'aPrxYXyxzkuBzbiGJmqQl4P2m0_CODE==';
  const enc = encodeURIComponent(code);
  const ok = [
    `http://localhost:1717/OauthRedirect?code=${enc}&state=${state}`,
    `http://localhost:1717/OauthRedirect?state=${state}&code=${enc}#`,
    `http://localhost:1717/OauthRedirect?code=${enc}&state=${state}#_=_`,
    `  http://localhost:1717/OauthRedirect?code=${enc}&state=${state}\n`,
    `http://localhost:1717/OauthRe\ndirect?code=${enc.slice(0, 10)}\n  ${enc.slice(10)}&state=${state}`,
    `"http://localhost:1717/OauthRedirect?code=${enc}&state=${state}"`,
    `<http://localhost:1717/OauthRedirect?code=${enc}&state=${state}>`,
    `?code=${enc}&state=${state}`,
    `code=${enc}&state=${state}`,
    `localhost:1717/OauthRedirect?code=${enc}&state=${state}`,
    `http://localhost:1717/OauthRedirect#code=${enc}&state=${state}`,
    `https://example.test/anything?code=${enc}&state=${state}&extra=1`,
  ];
  for (const text of ok) assert.deepEqual(parseRedirect(text, state), { code }, text);
  assert.equal(redact(`the code ${code}`), `the code ${REDACTED}`, 'the code is registered for redaction');

  const kind = (text: string, k: string, c?: string) =>
    assert.throws(
      () => parseRedirect(text, state),
      (e: unknown) => isOAuthError(e) && e.kind === k && (c === undefined || e.code === c) && !e.message.includes(code),
      `${text} → ${k}`,
    );
  kind(`http://localhost:1717/OauthRedirect?code=${enc}&state=other`, 'state-mismatch', 'STATE_MISMATCH');
  kind(`http://localhost:1717/OauthRedirect?code=${enc}&state=${state}x`, 'state-mismatch');
  kind(`http://localhost:1717/OauthRedirect?code=${enc}`, 'state-mismatch');
  kind(`http://localhost:1717/OauthRedirect?code=${enc}&state=`, 'state-mismatch');
  kind(
    `http://localhost:1717/OauthRedirect?error=access_denied&error_description=end-user+denied+authorization&state=${state}`,
    'denied',
    'access_denied',
  );
  kind(`http://localhost:1717/OauthRedirect?error=access_denied&state=wrong`, 'state-mismatch');
  kind(
    `http://localhost:1717/OauthRedirect?error=OAUTH_APPROVAL_ERROR_GENERIC&error_description=x&state=${state}`,
    'refused',
    'OAUTH_APPROVAL_ERROR_GENERIC',
  );
  kind(`http://localhost:1717/OauthRedirect?state=${state}`, 'no-code', 'NO_CODE');
  kind(`http://localhost:1717/OauthRedirect?code=&state=${state}`, 'no-code');
  kind('', 'bad-url');
  kind('   \n ', 'bad-url');
  kind('just some words', 'bad-url');
  kind('http://[::1', 'bad-url');
  const denied = (() => {
    try {
      parseRedirect(`?error=access_denied&error_description=end-user+denied+authorization&state=${state}`, state);
    } catch (e) {
      return e as OAuthError;
    }
    return undefined;
  })();
  assert.equal(denied?.description, 'end-user denied authorization');
  assert.match(denied.message, /denied/);
});

const goodToken = () => ({
  access_token: '00D5g000004XyZa!AQ0AQFakeAccessTokenValue1234567890abcdef',
  refresh_token: '5Aep861FakeRefreshTokenValue.abcdefghij1234567890',
  signature: 'sig=',
  scope: 'refresh_token api',
  instance_url: 'https://acme.my.salesforce.com',
  id: 'https://login.salesforce.com/id/00D5g000004XyZaEAK/0055g00000AbCdEAAV',
  token_type: 'Bearer',
  issued_at: '1767225600000',
});

test('parseTokenResponse: Salesforce token answers (no expires_in), tokens registered', () => {
  const t = parseTokenResponse(goodToken());
  assert.deepEqual(t, {
    accessToken: goodToken().access_token,
    refreshToken: goodToken().refresh_token,
    instanceUrl: 'https://acme.my.salesforce.com',
    idUrl: goodToken().id,
    orgId: '00D5g000004XyZaEAK',
    userId: '0055g00000AbCdEAAV',
    issuedAt: 1767225600000,
    scope: 'refresh_token api',
  });
  assert.equal(redact(`a ${t.accessToken} r ${t.refreshToken}`), `a ${REDACTED} r ${REDACTED}`);
  // A refresh without rotation: no refresh_token; an instance URL with a path is cut to its origin.
  const { refresh_token: _r, ...noRefresh } = goodToken();
  const n = parseTokenResponse({ ...noRefresh, instance_url: 'https://acme.my.salesforce.com/', issued_at: undefined });
  assert.equal(n.refreshToken, undefined);
  assert.equal(n.instanceUrl, 'https://acme.my.salesforce.com');
  assert.ok(Math.abs(n.issuedAt - Date.now()) < 5000, 'no issued_at: now');

  const bad = (j: unknown, re: RegExp) =>
    assert.throws(
      () => parseTokenResponse(j),
      (e: unknown) =>
        isOAuthError(e) && e.kind === 'bad-response' && re.test(e.message) && !e.message.includes('FakeAccess'),
    );
  bad(null, /not a JSON object/);
  bad([goodToken()], /not a JSON object/);
  bad({ ...goodToken(), access_token: '' }, /no access_token/);
  bad({ ...goodToken(), instance_url: undefined }, /no instance_url/);
  bad({ ...goodToken(), instance_url: 'not a url' }, /instance_url that is not a URL/);
  bad({ ...goodToken(), instance_url: 'file:///etc' }, /not http/);
  bad({ ...goodToken(), id: undefined }, /no id/);
  bad({ ...goodToken(), id: 'https://x/id/abc/def' }, /not an identity URL/);
  bad({ ...goodToken(), token_type: 'MAC' }, /not Bearer/);
});

test('oauthErrorFromBody: Salesforce error bodies', () => {
  const e = oauthErrorFromBody('{"error":"invalid_grant","error_description":"expired access/refresh token"}', 400)!;
  assert.equal(e.kind, 'refused');
  assert.equal(e.code, 'invalid_grant');
  assert.equal(e.description, 'expired access/refresh token');
  assert.equal(e.statusCode, 400);
  assert.equal(oauthErrorFromBody('<html></html>'), undefined);
  assert.equal(oauthErrorFromBody('{"message":"x"}'), undefined);
  assert.equal(oauthErrorFromBody('[]'), undefined);
});

test('classifyOAuthError: every web-server failure has its health state (CONTRACTS)', () => {
  const refused = (code: string, d = '') => new OAuthError('refused', `refused ${code}`, code, d);
  const cases: Array<[unknown, HealthStatus, string | null]> = [
    [refused('invalid_grant', 'expired access/refresh token'), 'signin-required', 'invalid_grant'],
    [refused('invalid_grant', 'authentication failure'), 'signin-required', 'invalid_grant'],
    [
      new OAuthError('denied', 'denied', 'access_denied', 'end-user denied authorization'),
      'signin-required',
      'access_denied',
    ],
    [
      new OAuthError('timeout', 'No sign-in came back within 120 s.', 'SIGNIN_TIMEOUT'),
      'signin-required',
      'SIGNIN_TIMEOUT',
    ],
    [refused('invalid_client_id', 'client identifier invalid'), 'app-not-approved', 'invalid_client_id'],
    [refused('invalid_client', 'invalid client credentials'), 'app-not-approved', 'invalid_client'],
    [refused('OAUTH_APPROVAL_ERROR_GENERIC'), 'app-not-approved', 'OAUTH_APPROVAL_ERROR_GENERIC'],
    [refused('invalid_app_access'), 'app-not-approved', 'invalid_app_access'],
    [refused('redirect_uri_mismatch'), 'app-not-approved', 'redirect_uri_mismatch'],
    [refused('unsupported_grant_type'), 'app-not-approved', 'unsupported_grant_type'],
    [refused('invalid_request', 'invalid code verifier'), 'login-failed', 'invalid_request'],
    [refused('rate_limit_exceeded'), 'rate-limited', 'rate_limit_exceeded'],
    [refused('inactive_org'), 'org-unavailable', 'inactive_org'],
    [refused('something_new'), 'login-failed', 'something_new'],
    [
      new OAuthError('state-mismatch', 'The sign-in answer does not belong to this sign-in.'),
      'login-failed',
      'STATE_MISMATCH',
    ],
    [new OAuthError('port-busy', 'Port 1717 is taken.', 'PORT_BUSY'), 'login-failed', 'PORT_BUSY'],
    [new OAuthError('no-code', 'The address has no authorization code.'), 'login-failed', 'NO_CODE'],
    [
      new OAuthError('bad-response', 'The OAuth token answer has no access_token: x.'),
      'unexpected-response',
      'UNPARSEABLE_RESPONSE',
    ],
    [
      Object.assign(new Error('Session expired or invalid'), { errorCode: 'INVALID_SESSION_ID' }),
      'signin-required',
      'INVALID_SESSION_ID',
    ],
    [
      Object.assign(new Error('Bad_OAuth_Token'), { errorCode: 'Bad_OAuth_Token' }),
      'signin-required',
      'Bad_OAuth_Token',
    ],
    [
      Object.assign(new Error('The REST API is not enabled'), { errorCode: 'API_DISABLED_FOR_ORG' }),
      'api-disabled',
      'API_DISABLED_FOR_ORG',
    ],
    [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), {
        code: 'ECONNREFUSED',
        address: '127.0.0.1',
        port: 9,
      }),
      'network-error',
      'ECONNREFUSED',
    ],
  ];
  for (const [err, status, code] of cases) {
    const c = classifyOAuthError(err);
    assert.equal(c.status, status, `${String(code)}: ${c.message}`);
    assert.equal(c.code, code);
    assert.ok(c.message.length > 10);
  }
  assert.match(classifyOAuthError(refused('invalid_grant', 'expired access/refresh token')).message, /sign in again/i);
  assert.match(classifyOAuthError(refused('redirect_uri_mismatch')).message, /callback URL/);
  assert.match(classifyOAuthError(refused('OAUTH_APPROVAL_ERROR_GENERIC')).message, /admin/);
  // A plain Error from an other bundle (matched by name and kind).
  const foreign = Object.assign(new Error('x'), {
    name: 'OAuthError',
    kind: 'refused',
    code: 'invalid_client_id',
    description: '',
  });
  assert.ok(isOAuthError(foreign));
  assert.equal(classifyOAuthError(foreign).status, 'app-not-approved');
  // Both new states exist with their fixes.
  assert.deepEqual(HEALTH_STATES['signin-required'], {
    label: 'Sign-in required',
    icon: 'account',
    fixes: ['switch-to-oauth'],
  });
  assert.equal(HEALTH_STATES['app-not-approved'].label, 'App not approved');
});

test('the refresh schedule (fake clock): 75 % of the lifetime, ≥ 60 s lead when long, learns a shorter lifetime', () => {
  const t0 = 1_000_000;
  const def = defaultLifetime();
  assert.deepEqual(def, { lifetimeMs: MIN_SESSION_TIMEOUT_MS, source: 'default' });
  assert.equal(refreshDelayMs(t0, t0, def), 0.75 * MIN_SESSION_TIMEOUT_MS);
  assert.equal(refreshDelayMs(t0, t0 + 60_000, def), 0.75 * MIN_SESSION_TIMEOUT_MS - 60_000);
  assert.equal(refreshDelayMs(t0, t0 + MIN_SESSION_TIMEOUT_MS * 2, def), 0, 'overdue: now');
  const twoHours = defaultLifetime(2 * 3600_000);
  assert.equal(twoHours.source, 'told');
  assert.equal(refreshDelayMs(t0, t0, twoHours), 90 * 60_000);
  // Short lifetimes (the emulator's 1–2 s): half-way, never after the end.
  assert.equal(refreshDelayMs(t0, t0, defaultLifetime(2000)), 1000);
  assert.equal(refreshDelayMs(t0, t0, defaultLifetime(100_000)), 50_000);
  // A token refused at 90 s: the estimate drops to 90 s, never rises, never below 1 s.
  const seen = observeExpiry(def, t0, t0 + 90_000);
  assert.deepEqual(seen, { lifetimeMs: 90_000, source: 'observed' });
  assert.equal(observeExpiry(seen, t0, t0 + 200_000), seen);
  assert.equal(observeExpiry(seen, t0, t0 + 10).lifetimeMs, 1000);
  // Property: the refresh always happens before the token's end, and not before now.
  for (let i = 0; i < 2000; i++) {
    const life = 1000 + Math.floor(Math.random() * 10 * 3600_000);
    const now = t0 + Math.floor(Math.random() * life * 1.2);
    const d = refreshDelayMs(t0, now, defaultLifetime(life));
    assert.ok(d >= 0);
    if (now < t0 + life) assert.ok(now + d < t0 + life, `life ${life} now+${now - t0}: ${d}`);
  }
});

/** A fake clock: timers fire only when the test advances time. */
function fakeClock(start = 1_000_000) {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout: (fn: () => void, ms: number) => {
      timers.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: (h: unknown) => void timers.delete(h as number),
    pending: () => timers.size,
    /** Moves time forward, firing due timers in order (and letting their promises settle). */
    async advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const next = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!next) break;
        timers.delete(next[0]);
        now = next[1].at;
        next[1].fn();
        for (let i = 0; i < 10; i++) await Promise.resolve();
      }
      now = end;
      for (let i = 0; i < 10; i++) await Promise.resolve();
    },
  };
}

test('RefreshTimer (fake clock): refreshes before expiry, at once on a refused token (one at a time), retries with backoff, stops on "stop"', async () => {
  const clock = fakeClock();
  const calls: number[] = [];
  let fail = 0;
  let stop = false;
  const gate: { hold: boolean; open?: () => void } = { hold: false };
  const timer = new RefreshTimer({
    clock,
    lifetimeMs: 2000,
    refresh: async () => {
      calls.push(clock.now());
      if (gate.hold) await new Promise<void>((r) => (gate.open = r));
      if (fail > 0) {
        fail--;
        throw new Error('network down');
      }
      return stop ? 'stop' : { issuedAt: clock.now() };
    },
  });
  const t0 = clock.now();
  timer.start(t0);
  assert.equal(timer.dueAt, t0 + 1000, '2 s tokens: refreshed at half-time');
  await clock.advance(999);
  assert.equal(calls.length, 0);
  await clock.advance(1);
  assert.deepEqual(calls, [t0 + 1000]);
  // Over 50 lifetimes the token is never older than its lifetime when read (env_fresh_misses' idea).
  for (let i = 0; i < 50; i++) await clock.advance(1000);
  assert.equal(calls.length, 51);
  for (let i = 1; i < calls.length; i++) assert.ok(calls[i]! - calls[i - 1]! < 2000);

  // A refused token: refresh now; a second refusal meanwhile waits for the same refresh.
  gate.hold = true;
  const before: number = calls.length;
  const a = timer.tokenRefused();
  const b = timer.tokenRefused();
  assert.equal(calls.length, before + 1, 'one refresh for both');
  gate.hold = false;
  gate.open?.();
  await Promise.all([a, b]);
  assert.equal(timer.refreshes, before + 1);

  // Failures: retried after 5 s, 10 s, then fine again.
  // That token was refused at once: the timer learns the shortest plausible lifetime (1 s) and refreshes at half of it.
  assert.deepEqual(timer.estimate, { lifetimeMs: 1000, source: 'observed' });
  assert.equal(timer.dueAt, clock.now() + 500);

  // Failures: retried after 5 s, 10 s, then fine again.
  fail = 2;
  await clock.advance(500);
  const failedAt = calls[calls.length - 1]!;
  assert.equal(failedAt, clock.now());
  assert.equal(timer.dueAt, failedAt + 5000);
  await clock.advance(5000);
  assert.equal(calls[calls.length - 1], failedAt + 5000);
  assert.equal(timer.dueAt, failedAt + 15_000);
  await clock.advance(10_000);
  assert.equal(calls[calls.length - 1], failedAt + 15_000);
  assert.equal(timer.dueAt, failedAt + 15_000 + 500, 'back on schedule');

  // 'stop' (invalid_grant): no timer left.
  stop = true;
  await clock.advance(1000);
  assert.equal(timer.dueAt, undefined);
  assert.equal(clock.pending(), 0);
  const n = calls.length;
  await timer.tokenRefused();
  await clock.advance(60_000);
  assert.equal(calls.length, n, 'stopped');
});

test('RefreshTimer: an unknown lifetime starts at 15 min and learns from a refused token', async () => {
  const clock = fakeClock();
  const timer = new RefreshTimer({ clock, refresh: async () => ({ issuedAt: clock.now() }) });
  timer.start(clock.now());
  assert.equal(timer.estimate.source, 'default');
  assert.equal(timer.dueAt! - clock.now(), 0.75 * MIN_SESSION_TIMEOUT_MS);
  await clock.advance(4 * 60_000);
  await timer.tokenRefused();
  assert.deepEqual(timer.estimate, { lifetimeMs: 4 * 60_000, source: 'observed' });
  assert.equal(timer.dueAt! - clock.now(), 3 * 60_000);
  timer.stop();
  assert.equal(clock.pending(), 0);
});
