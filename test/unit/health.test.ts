import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import type { HealthStatus } from '../../src/core/health';
import {
  HEALTH_STATES,
  classifyLoginError,
  UnexpectedResponseError,
  healthJson,
  failureResult,
  statusBarText,
  soapFaultParts,
} from '../../src/core/health';

const soap = (code: string, text = 'x') => new Error(`${code}: ${text}`);
const oauth = (name: string, description: string) => {
  const e = new Error(description);
  e.name = name;
  return e;
};
const nodeErr = (code: string) =>
  Object.assign(new Error(`request failed, reason: ${code}`), { name: 'FetchError', code });

test('the CONTRACTS table: statuses, labels, fixes', () => {
  const expected: Record<HealthStatus, string> = {
    ok: 'Connected',
    'invalid-login': 'Login rejected',
    'token-required': 'Token required',
    'password-expired': 'Password expired',
    'locked-out': 'Locked out',
    'soap-login-disabled': 'SOAP login disabled',
    'api-disabled': 'API disabled',
    'org-unavailable': 'Org unavailable',
    'rate-limited': 'Rate limited',
    'unexpected-response': 'Unexpected response',
    'network-error': 'Network error',
    'login-failed': 'Login failed',
    'signin-required': 'Sign-in required',
    'app-not-approved': 'App not approved',
  };
  assert.deepEqual(Object.keys(HEALTH_STATES).sort(), Object.keys(expected).sort());
  for (const [s, label] of Object.entries(expected)) assert.equal(HEALTH_STATES[s as HealthStatus].label, label);
  assert.deepEqual(HEALTH_STATES['invalid-login'].fixes, ['reset-token', 'edit-org']);
  assert.deepEqual(HEALTH_STATES['token-required'].fixes, ['reset-token']);
  assert.ok(HEALTH_STATES['password-expired'].fixes.includes('open-salesforce'));
  assert.ok(HEALTH_STATES['soap-login-disabled'].fixes.includes('oauth-settings'));
  assert.ok(HEALTH_STATES['network-error'].fixes.includes('proxy-settings'));
  assert.ok(HEALTH_STATES['unexpected-response'].fixes.includes('proxy-settings'));
  assert.deepEqual(HEALTH_STATES['login-failed'].fixes, ['show-log']);
  assert.deepEqual(HEALTH_STATES.ok.fixes, []);
  assert.deepEqual(HEALTH_STATES['signin-required'].fixes, ['switch-to-oauth']);
  assert.ok(HEALTH_STATES['app-not-approved'].fixes.includes('oauth-settings'));
});

test('SOAP faults (jsforce: plain Error "CODE: text")', () => {
  const cases: Array<[string, HealthStatus, string?]> = [
    ['INVALID_LOGIN', 'invalid-login'],
    ['LOGIN_MUST_USE_SECURITY_TOKEN', 'token-required'],
    ['INVALID_OPERATION_WITH_EXPIRED_PASSWORD', 'password-expired'],
    ['PASSWORD_LOCKOUT', 'locked-out'],
    ['INSUFFICIENT_ACCESS', 'soap-login-disabled'],
    ['API_DISABLED_FOR_ORG', 'api-disabled'],
    ['API_CURRENTLY_DISABLED', 'api-disabled'],
    ['SERVER_UNAVAILABLE', 'org-unavailable'],
    ['ORG_LOCKED', 'org-unavailable'],
    ['ORG_IN_MAINTENANCE', 'org-unavailable'],
    ['TRIAL_EXPIRED', 'org-unavailable'],
    ['REQUEST_LIMIT_EXCEEDED', 'rate-limited'],
    ['UNSUPPORTED_API_VERSION', 'login-failed'],
    ['LOGIN_CHALLENGE_ISSUED', 'login-failed'],
    ['SOMETHING_NEW', 'login-failed'],
  ];
  for (const [code, status] of cases) {
    const c = classifyLoginError(soap(code, 'text'), 'soap');
    assert.equal(c.status, status, code);
    assert.equal(c.code, code);
    assert.ok(c.message.length > 20, code);
  }
});

test('both INVALID_OPERATION texts are soap-login-disabled and explain the retirement and OAuth', () => {
  const disabled = classifyLoginError(
    soap(
      'INVALID_OPERATION',
      'SOAP API login() is disabled by default in this org. Contact the org administrator to enable SOAP API login().',
    ),
    'soap',
  );
  assert.equal(disabled.status, 'soap-login-disabled');
  assert.match(disabled.message, /Summer '27/);
  assert.match(disabled.message, /OAuth/);
  const v65 = classifyLoginError(
    soap(
      'INVALID_OPERATION',
      'The SOAP Login operation is not available in the API version specified (65.0). Refer to the documentation for supported versions.',
    ),
    'soap',
  );
  assert.equal(v65.status, 'soap-login-disabled');
  assert.match(v65.message, /65\.0/);
  assert.match(v65.message, /64\.0/);
  assert.equal(classifyLoginError(soap('INVALID_OPERATION', 'something else'), 'soap').status, 'login-failed');
});

test("jsforce's passwordExpired error", () => {
  const c = classifyLoginError(new Error('Unable to login because the used password has expired.'), 'soap');
  assert.equal(c.status, 'password-expired');
  assert.equal(c.code, 'passwordExpired');
});

test('OAuth errors: invalid_grant is honest about a blocked flow', () => {
  const c = classifyLoginError(oauth('invalid_grant', 'authentication failure'), 'oauth');
  assert.equal(c.status, 'invalid-login');
  assert.equal(c.code, 'invalid_grant');
  assert.match(c.message, /blocks the username-password OAuth flow/);
  assert.match(c.message, /Login History/);
  // CONTRACTS: a refused app is app-not-approved in every flow (here the username-password OAuth flow).
  const unknownClient = classifyLoginError(oauth('invalid_client_id', 'client identifier invalid'), 'oauth');
  assert.equal(unknownClient.status, 'app-not-approved');
  assert.equal(unknownClient.code, 'invalid_client_id');
  assert.match(unknownClient.message, /SF_CLIENT_ID \/ SF_CLIENT_SECRET/);
  assert.equal(
    classifyLoginError(oauth('invalid_client', 'invalid client credentials'), 'oauth').status,
    'app-not-approved',
  );
  assert.equal(classifyLoginError(oauth('rate_limit_exceeded', 'x'), 'oauth').status, 'rate-limited');
  assert.equal(classifyLoginError(oauth('ERROR_HTTP_503', 'busy'), 'oauth').status, 'org-unavailable');
  assert.equal(
    classifyLoginError(oauth('ERROR_HTTP_200', '<html><body>portal</body></html>'), 'oauth').status,
    'unexpected-response',
  );
});

test('network errors keep the Node error code and name the cause', () => {
  for (const code of [
    'ECONNREFUSED',
    'ENOTFOUND',
    'ETIMEDOUT',
    'ECONNRESET',
    'CERT_HAS_EXPIRED',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'EAI_AGAIN',
  ]) {
    const c = classifyLoginError(nodeErr(code), 'soap');
    assert.equal(c.status, 'network-error', code);
    assert.equal(c.code, code);
    assert.doesNotMatch(c.message, /undefined/);
  }
  const refused = classifyLoginError(Object.assign(nodeErr('ECONNREFUSED'), { address: '127.0.0.1', port: 9 }), 'soap');
  assert.match(refused.message, /^The connection to 127\.0\.0\.1:9 was refused/);
  assert.match(
    classifyLoginError(Object.assign(nodeErr('ENOTFOUND'), { hostname: 'acme.my.salesforce.com' }), 'soap').message,
    /host name acme\.my\.salesforce\.com could not/,
  );
  assert.match(
    classifyLoginError(Object.assign(nodeErr('CERT_HAS_EXPIRED'), { host: 'acme.my.salesforce.com' }), 'soap').message,
    /expired.*\(acme\.my\.salesforce\.com\)$/,
  );
  const wrapped = classifyLoginError(
    Object.assign(new Error('fetch failed'), { cause: nodeErr('ENOTFOUND') }),
    'oauth',
  );
  assert.equal(wrapped.code, 'ENOTFOUND');
  const abort = classifyLoginError(Object.assign(new Error('aborted'), { name: 'AbortError' }), 'soap');
  assert.equal(abort.code, 'ABORT_ERR');
});

test('HTML and unparseable answers are unexpected-response', () => {
  assert.equal(
    classifyLoginError(new UnexpectedResponseError('html', 'HTML_RESPONSE', 200, 'text/html'), 'soap').status,
    'unexpected-response',
  );
  assert.equal(
    classifyLoginError(new Error('<html><head><title>Portal</title></head><body></body></html>'), 'soap').status,
    'unexpected-response',
  );
  const c = classifyLoginError(new Error('could not extract session information from login response'), 'soap');
  assert.equal(c.status, 'unexpected-response');
  assert.equal(c.code, 'UNPARSEABLE_RESPONSE');
});

test('REST errors (HttpApiError: errorCode)', () => {
  const e = Object.assign(new Error('TotalRequests Limit exceeded.'), {
    name: 'REQUEST_LIMIT_EXCEEDED',
    errorCode: 'REQUEST_LIMIT_EXCEEDED',
  });
  assert.equal(classifyLoginError(e, 'oauth').status, 'rate-limited');
});

test('unknown throwables become login-failed, never crash', () => {
  for (const v of [undefined, null, 42, 'boom', {}, new TypeError('x is not a function')]) {
    const c = classifyLoginError(v, 'soap');
    assert.ok(c.status === 'login-failed' || c.status === 'unexpected-response', inspect(v));
  }
});

test('the CLI JSON has exactly the 7 keys, in order, null when unknown', () => {
  const r = failureResult(
    { status: 'network-error', code: 'ECONNREFUSED', message: 'm' },
    { latencyMs: 3, flow: 'soap' },
  );
  const j = healthJson(r);
  assert.deepEqual(Object.keys(j), ['status', 'label', 'code', 'message', 'organizationId', 'username', 'instanceUrl']);
  assert.equal(j.organizationId, null);
  assert.equal(j.label, 'Network error');
});

test('status bar text and fault parsing', () => {
  assert.equal(statusBarText({ status: 'ok', orgName: 'Acme' }), 'Connected · Acme');
  assert.equal(statusBarText({ status: 'token-required', orgName: null }, 'Fallback'), 'Token required · Fallback');
  assert.equal(statusBarText({ status: 'ok' }), 'Connected');
  assert.deepEqual(soapFaultParts('INVALID_LOGIN: Invalid username'), {
    code: 'INVALID_LOGIN',
    text: 'Invalid username',
  });
  assert.equal(soapFaultParts('not a fault'), undefined);
});
