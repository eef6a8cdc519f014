/**
 * Issue 16 item 5: the explanations a user reads when something fails (health states, mailbox errors, .env refusals)
 * are lt`…` templates (src/core/l10n.ts) translated through vscode.l10n.t. Every template in src/ must have its
 * Japanese entry with the same placeholders, and be in the English source bundle (node l10n/extract.mjs); real
 * failures render fully in Japanese through a stand-in for vscode.l10n.t that reads l10n/bundle.l10n.ja.json the way
 * VS Code does (key = the English template, `{n}` filled from the arguments).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { localizedTemplates, placeholders } from '../../l10n/templates.mjs';
import { fillTemplate, isLocalizedText, lt, renderLocalized, type LocalizedText } from '../../src/core/l10n';
import { classifyLoginError, classifyOAuthError, failureResult } from '../../src/core/health';
import { classifyMfa } from '../../src/core/mfa';
import { toMailboxError } from '../../src/mail/errors';
import { EnvError, checkAssignment, setEnvText } from '../../src/core/dotenv';
import { decodeEnvBytes } from '../../src/core/envContent';
import { OAuthError } from '../../src/core/oauth';

const root = path.resolve(__dirname, '../..');
const ja = JSON.parse(readFileSync(path.join(root, 'l10n/bundle.l10n.ja.json'), 'utf8')) as Record<string, string>;
const en = JSON.parse(readFileSync(path.join(root, 'l10n/bundle.l10n.json'), 'utf8')) as Record<string, string>;
const templates = localizedTemplates();

/** vscode.l10n.t with the Japanese bundle: the translation when there is one, else the key; then `{n}` filled. */
function tJa(template: string, args: readonly string[]): string {
  return fillTemplate(ja[template] ?? template, args);
}

function japanese(t: LocalizedText): string {
  return renderLocalized(t, tJa);
}

/** Japanese text: at least one kana or CJK character, no `{n}` left, and not the English sentence. */
function assertJapanese(t: LocalizedText | undefined, what: string): void {
  assert.ok(t && isLocalizedText(t), `${what}: no explanation`);
  const s = japanese(t);
  assert.match(s, /[\u3040-\u30ff\u4e00-\u9fff]/, `${what}: not Japanese: ${s}`);
  assert.doesNotMatch(s, /\{\d+\}/, `${what}: a placeholder is left: ${s}`);
  assert.notEqual(s, t.english);
}

test('the source has lt`…` explanations (health, mailbox, .env, MFA) and the scan finds them', () => {
  assert.ok(templates.size >= 100, `only ${templates.size} templates found`);
  const files = new Set([...templates.values()].flat());
  for (const f of [
    'src/core/health.ts',
    'src/core/mfa.ts',
    'src/mail/errors.ts',
    'src/core/dotenv.ts',
    'src/envfile/envFile.ts',
  ])
    assert.ok(files.has(f), `no template in ${f}`);
});

test('every template has a Japanese entry with exactly its placeholders, and is in the English bundle', () => {
  const missing: string[] = [];
  const badPlaceholders: string[] = [];
  const notExtracted: string[] = [];
  for (const [key, files] of templates) {
    if (!(key in ja)) missing.push(`${files[0]}: ${JSON.stringify(key)}`);
    else if (placeholders(ja[key]!).join() !== placeholders(key).join())
      badPlaceholders.push(`${JSON.stringify(key)} -> ${JSON.stringify(ja[key])}`);
    if (en[key] !== key) notExtracted.push(JSON.stringify(key));
  }
  assert.deepEqual(missing, [], 'templates without a Japanese translation (add them to l10n/bundle.l10n.ja.json)');
  assert.deepEqual(badPlaceholders, [], 'translations whose {n} placeholders differ from the template');
  assert.deepEqual(notExtracted, [], 'templates missing from l10n/bundle.l10n.json: run node l10n/extract.mjs');
});

test('lt: template key, English text, nested parts; render through a translator', () => {
  const inner = lt` to ${'host:1'}`;
  const t = lt`The connection${inner} was refused (${42}).`;
  assert.equal(t.template, 'The connection{0} was refused ({1}).');
  assert.equal(t.english, 'The connection to host:1 was refused (42).');
  assert.equal(renderLocalized(t), t.english);
  assert.equal(
    renderLocalized(t, (k, a) => `[${fillTemplate(k, a)}]`),
    '[The connection[ to host:1] was refused (42).]',
  );
  assert.equal(lt`a ${undefined}b`.english, 'a b');
  assert.ok(!isLocalizedText('text') && !isLocalizedText({ template: 'x' }));
});

test('health explanations of every state render in Japanese; the English message is unchanged', () => {
  const faults = [
    'INVALID_LOGIN: Invalid username, password, security token; or user locked out.',
    'LOGIN_MUST_USE_SECURITY_TOKEN: Invalid username, password, security token; or user locked out.',
    'INVALID_OPERATION_WITH_EXPIRED_PASSWORD: The users password has expired',
    'PASSWORD_LOCKOUT: locked',
    'INVALID_OPERATION: SOAP API login() is disabled by default in this org.',
    'INVALID_OPERATION: login() is not available in the API version (65.0)',
    'INSUFFICIENT_ACCESS: no',
    'API_DISABLED_FOR_ORG: API is not enabled for this Organization or Partner',
    'SERVER_UNAVAILABLE: down',
    'ORG_LOCKED: locked',
    'TRIAL_EXPIRED: expired',
    'REQUEST_LIMIT_EXCEEDED: too many',
    'UNSUPPORTED_API_VERSION: no',
    'LOGIN_CHALLENGE_ISSUED: verify',
    'SOME_NEW_FAULT: words of the server',
  ];
  for (const f of faults) {
    const c = classifyLoginError(new Error(f), 'soap');
    assert.equal(c.explain?.english, c.message, f);
    assertJapanese(c.explain, f);
    const h = failureResult(c);
    assert.equal(h.explain, c.explain, 'failureResult keeps the explanation');
  }
  const net = classifyLoginError(
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), {
      code: 'ECONNREFUSED',
      address: '127.0.0.1',
      port: 9,
    }),
    'soap',
  );
  assert.equal(
    net.message,
    'The connection to 127.0.0.1:9 was refused: nothing is listening at that address. Check the login URL, or your proxy.',
  );
  assertJapanese(net.explain, 'ECONNREFUSED');
  assert.match(japanese(net.explain!), /127\.0\.0\.1:9/);
  const oauth = classifyLoginError(
    Object.assign(new Error('authentication failure'), { name: 'invalid_grant' }),
    'oauth',
  );
  assertJapanese(oauth.explain, 'invalid_grant');
  const web = classifyOAuthError(new OAuthError('refused', 'refused', 'invalid_grant', 'expired access/refresh token'));
  assert.equal(web.status, 'signin-required');
  assertJapanese(web.explain, 'web-server invalid_grant');
  const mfa = classifyMfa(classifyLoginError(new Error('INVALID_LOGIN: x'), 'soap'), {
    usedCode: true,
    hadToken: false,
  });
  assertJapanese(mfa.explain, 'MFA_CODE_REJECTED');
  const hint = classifyMfa(classifyLoginError(new Error('INVALID_LOGIN: x'), 'soap'), {
    usedCode: false,
    hadToken: false,
  });
  assertJapanese(hint.explain, 'MFA hint');
  assert.match(
    japanese(hint.explain!),
    /^Salesforce がユーザー名.*多要素認証/s,
    'the nested explanation is translated too',
  );
});

test('mailbox errors render in Japanese (auth, Gmail, TLS, timeouts, connect, protocol)', () => {
  const ctx = { host: 'imap.example.test', port: 993, security: 'implicit' as const, user: 'me@example.test' };
  const cases: Array<[string, unknown, typeof ctx | (typeof ctx & { usedAccessToken: boolean })]> = [
    ['auth', { authenticationFailed: true, message: 'Command failed' }, ctx],
    ['gmail', { authenticationFailed: true }, { ...ctx, host: 'imap.gmail.com' }],
    ['xoauth2', { authenticationFailed: true }, { ...ctx, usedAccessToken: true }],
    ['basic', { message: 'NO Basic authentication is disabled' }, ctx],
    ['self-signed', { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, ctx],
    ['altname', { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }, ctx],
    ['expired', { code: 'CERT_HAS_EXPIRED' }, ctx],
    ['wrong version', { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }, ctx],
    ['greeting', { code: 'GREETING_TIMEOUT' }, { ...ctx, security: 'starttls' as never }],
    ['timeout', { code: 'ETIMEDOUT' }, ctx],
    ['refused', { code: 'ECONNREFUSED' }, ctx],
    ['dns', { code: 'ENOTFOUND' }, ctx],
    ['reset', { code: 'ECONNRESET' }, ctx],
    ['protocol', new Error('something odd'), ctx],
  ];
  for (const [what, err, c] of cases) {
    const e = toMailboxError(err, c);
    assert.equal(e.explain?.english, e.message, what);
    assertJapanese(e.explain, what);
  }
});

test('.env refusals render in Japanese (keys, values, file content)', () => {
  const refusals: Array<[string, () => unknown]> = [
    ['bad key', () => checkAssignment('BAD KEY', 'v')],
    ['__proto__', () => checkAssignment('__proto__', 'v')],
    ['NUL', () => checkAssignment('K', 'a\0b')],
    ['surrogate', () => checkAssignment('K', 'a\ud800b')],
    ['unrepresentable', () => setEnvText('', { K: '#\'"`x' })],
    ['UTF-16', () => decodeEnvBytes(Buffer.from([0xff, 0xfe, 0x41, 0]), '/w/.env')],
    ['binary', () => decodeEnvBytes(Buffer.from('A=1\0'), '/w/.env')],
    ['not UTF-8', () => decodeEnvBytes(Buffer.from([0x41, 0x3d, 0xc3, 0x28]), '/w/.env')],
    ['blank runs', () => setEnvText(`A=1${' '.repeat(5000)}\n`, { B: '2' })],
  ];
  for (const [what, fn] of refusals) {
    let caught: unknown;
    try {
      fn();
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof EnvError, `${what}: no EnvError`);
    assert.equal(caught.explain?.english, caught.message, what);
    assertJapanese(caught.explain, what);
  }
});
