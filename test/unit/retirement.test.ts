/**
 * The migration assistant's pure logic (src/core/retirement.ts, src/core/readiness.ts) on fake dates: days left,
 * the notice before / on / after the date, which failures offer the ways forward, the readiness rows, JSON, Markdown
 * and verdict, and that no secret reaches a report.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  daysUntil,
  migrationReason,
  retirementNotice,
  retirementStatus,
  withRetirementNotice,
  isBlockedFlowText,
} from '../../src/core/retirement';
import { buildReadiness, readinessMarkdown, readinessOk, type ReadinessOrg } from '../../src/core/readiness';
import { classifyLoginError, healthJson, type HealthResult } from '../../src/core/health';
import { registerSecret } from '../../src/core/redact';

const day = (iso: string) => new Date(`${iso}T12:00:00Z`);

function ok(over: Partial<HealthResult> = {}): HealthResult {
  return {
    status: 'ok',
    label: 'Connected',
    code: null,
    message: 'Logged in.',
    organizationId: '00D000000000001',
    username: 'jane@acme.example',
    instanceUrl: 'https://acme.my.salesforce.com',
    ...over,
  };
}

test('days until a date count UTC calendar days, negative after it', () => {
  assert.equal(daysUntil('2027-02-20', day('2027-02-19')), 1);
  assert.equal(daysUntil('2027-02-20', new Date('2027-02-20T23:59:59Z')), 0);
  assert.equal(daysUntil('2027-02-20', day('2027-02-25')), -5);
  assert.equal(daysUntil('2027-02-20', day('2026-12-06')), 76);
  assert.throws(() => daysUntil('Summer 27', day('2026-12-06')), RangeError);
});

test('the notice: date, days left and both ways forward; different words on and after the date', () => {
  const before = retirementNotice('password-oauth', day('2026-12-06'))!;
  assert.match(before, /2027-02-20/);
  assert.match(before, /76 days left/);
  assert.match(before, /Switch to OAuth or use the sf CLI login before that date/);
  assert.equal(before.split(/\.\s/).length, 1, 'one sentence');
  const soap = retirementNotice('password', day('2026-12-06'))!;
  assert.match(soap, /SOAP API login\(\)/);
  assert.match(soap, /Summer '27 release \(about 2027-06-01\)/);
  assert.match(retirementNotice('password-oauth', day('2027-02-19'))!, /1 day left/);
  const onDay = retirementNotice('password-oauth', day('2027-02-20'))!;
  assert.match(onDay, /off today/);
  assert.match(onDay, /now\.$/);
  const after = retirementNotice('password-oauth', day('2027-03-01'))!;
  assert.match(after, /switched the OAuth username-password flow off on 2027-02-20/);
  assert.match(after, /still works but can stop at any moment/);
  assert.doesNotMatch(after, /days left/);
  assert.equal(retirementStatus('password-oauth', day('2027-03-01'))!.past, true);
  assert.equal(retirementStatus('password', day('2026-12-06'))!.past, false);
  assert.equal(retirementNotice('oauth', day('2026-12-06')), undefined);
  assert.equal(retirementNotice('sf-cli', day('2026-12-06')), undefined);
});

test('only a working login of a retiring method carries the notice; the login JSON gets the key only then', () => {
  const today = day('2026-12-06');
  const withNotice = withRetirementNotice(ok(), 'password', today);
  assert.match(withNotice.notice!, /Summer '27/);
  assert.equal(withNotice.status, 'ok');
  const json = healthJson(withNotice);
  assert.deepEqual(Object.keys(json), [
    'status',
    'label',
    'code',
    'message',
    'organizationId',
    'username',
    'instanceUrl',
    'notice',
  ]);
  assert.equal(withRetirementNotice(ok(), 'oauth', today).notice, undefined);
  const failed: HealthResult = { ...ok(), status: 'invalid-login', label: 'Login rejected', code: 'INVALID_LOGIN' };
  assert.equal(withRetirementNotice(failed, 'password', today).notice, undefined);
  assert.deepEqual(Object.keys(healthJson(ok())), [
    'status',
    'label',
    'code',
    'message',
    'organizationId',
    'username',
    'instanceUrl',
  ]);
});

function soap(code: string, text: string): Error {
  return new Error(`${code}: ${text}`);
}
function oauth(name: string, description: string): Error {
  const e = new Error(description);
  e.name = name;
  return e;
}

test('classification: SOAP off, API 65.0+ and a blocked username-password flow offer the ways forward', () => {
  const off = classifyLoginError(
    soap(
      'INVALID_OPERATION',
      'SOAP API login() is disabled by default in this org. Contact the org administrator to enable SOAP API login().',
    ),
    'soap',
  );
  assert.equal(migrationReason({ ...off, flow: 'soap' }), 'soap-login-off');
  assert.match(off.message, /Switch to OAuth/);
  assert.match(off.message, /sf CLI login/);
  assert.match(off.message, /Enable SOAP API login\(\)/, 'the admin advice stays');
  const v65 = classifyLoginError(
    soap('INVALID_OPERATION', 'The SOAP Login operation is not available in the API version specified (65.0).'),
    'soap',
  );
  assert.equal(migrationReason({ ...v65, flow: 'soap' }), 'soap-api-version');
  assert.match(v65.message, /sf CLI login/);
  const noPerm = classifyLoginError(soap('INSUFFICIENT_ACCESS', 'no Use Any API Auth'), 'soap');
  assert.equal(migrationReason({ ...noPerm, flow: 'soap' }), 'soap-login-off');

  const grant = classifyLoginError(oauth('invalid_grant', 'authentication failure'), 'oauth');
  assert.equal(grant.status, 'invalid-login');
  assert.equal(migrationReason({ ...grant, flow: 'oauth' }), 'flow-blocked');
  assert.match(grant.message, /Switch to OAuth/);
  assert.match(grant.message, /2027-02-20/);
  const said = classifyLoginError(oauth('invalid_grant', 'username-password flow is disabled for this org'), 'oauth');
  assert.equal(said.status, 'invalid-login');
  assert.match(said.message, /The org blocks the OAuth username-password flow/);
  assert.match(said.message, /Allow OAuth Username-Password Flows/);
  assert.ok(isBlockedFlowText('Username-Password Flow Disabled'));
  assert.ok(!isBlockedFlowText('authentication failure'));

  // Not migration matters: a SOAP INVALID_LOGIN, a refused refresh token of the web-server flow, a network fault.
  const bad = classifyLoginError(soap('INVALID_LOGIN', 'Invalid username, password, security token'), 'soap');
  assert.equal(migrationReason({ ...bad, flow: 'soap' }), undefined);
  assert.equal(
    migrationReason({ status: 'signin-required', code: 'invalid_grant', message: 'x', flow: 'oauth' }),
    undefined,
  );
  assert.equal(migrationReason({ status: 'network-error', code: 'ECONNREFUSED', message: 'x' }), undefined);
});

const ORGS: ReadinessOrg[] = [
  { name: 'Acme', username: 'jane@acme.example', method: 'password', dotenv: '.env', health: ok() },
  {
    name: 'Nimbus',
    username: 'mia@nimbus.example',
    method: 'password',
    dotenv: 'nimbus.env',
    loginUrl: 'https://nimbus.my.salesforce.com',
    health: {
      ...ok(),
      status: 'soap-login-disabled',
      label: 'SOAP login disabled',
      code: 'INVALID_OPERATION',
      message: 'SOAP API login() is disabled in this org.',
      flow: 'soap',
    },
  },
  { name: 'Apps', username: 'dev@apps.example', method: 'oauth', health: ok() },
  { name: 'Legacy', username: 'old@legacy.example', method: 'password-oauth' },
];

test('the readiness report: rows, JSON shape, next steps per audience, verdict', () => {
  const cli = buildReadiness(ORGS, { today: day('2026-12-06'), audience: 'cli' });
  assert.equal(cli.generatedAt, '2026-12-06T12:00:00.000Z');
  assert.deepEqual(Object.keys(cli.orgs[0]!), [
    'name',
    'username',
    'method',
    'status',
    'works',
    'retires',
    'daysLeft',
    'next',
  ]);
  const [acme, nimbus, apps, legacy] = cli.orgs;
  assert.deepEqual(
    { status: acme!.status, works: acme!.works, retires: acme!.retires, daysLeft: acme!.daysLeft },
    { status: 'ok', works: true, retires: '2027-06-01', daysLeft: 177 },
  );
  assert.match(acme!.next, /token-relay oauth login --dotenv \.env/);
  assert.match(acme!.next, /sf org login web --alias jane-acme && token-relay sf-import --target-org jane-acme/);
  assert.equal(nimbus!.works, false);
  assert.match(nimbus!.next, /sf org login web --instance-url https:\/\/nimbus\.my\.salesforce\.com/);
  assert.deepEqual(
    { works: apps!.works, retires: apps!.retires, daysLeft: apps!.daysLeft },
    { works: true, retires: null, daysLeft: null },
  );
  assert.match(apps!.next, /Nothing to do/);
  assert.deepEqual(
    { status: legacy!.status, works: legacy!.works, retires: legacy!.retires, daysLeft: legacy!.daysLeft },
    { status: 'not-tested', works: null, retires: '2027-02-20', daysLeft: 76 },
  );
  assert.equal(readinessOk(cli), false);
  assert.equal(
    readinessOk(buildReadiness([ORGS[0]!, ORGS[2]!], { today: day('2026-12-06'), audience: 'cli' })),
    true,
    'a password org 177 days away is not yet within 90 days',
  );
  assert.equal(
    readinessOk(buildReadiness([ORGS[0]!], { today: day('2027-03-10'), audience: 'cli' })),
    false,
    'within 90 days',
  );

  const ext = buildReadiness(ORGS, { today: day('2026-12-06'), audience: 'extension' });
  assert.match(ext.orgs[0]!.next, /"Salesforce: Switch to OAuth"/);
  assert.match(ext.orgs[0]!.next, /"Salesforce: Import Org from Salesforce CLI"/);
  assert.doesNotMatch(ext.orgs[0]!.next, /token-relay/);

  const after = buildReadiness([ORGS[3]!], { today: day('2027-03-01'), audience: 'cli' });
  assert.equal(after.orgs[0]!.daysLeft, -9);
  assert.match(after.orgs[0]!.next, /was switched off on 2027-02-20: move now/);
});

test('the Markdown report names each org, its date and next step; no secret reaches it', () => {
  const canary = 'CANARYpw-retire-7781';
  registerSecret(canary);
  const orgs: ReadinessOrg[] = [
    ...ORGS,
    {
      name: `Leaky | ${canary}`,
      username: 'x@y.example',
      method: 'password',
      health: { ...ok(), status: 'invalid-login', label: 'Login rejected', code: 'INVALID_LOGIN', message: canary },
    },
  ];
  const report = buildReadiness(orgs, { today: day('2026-12-06'), audience: 'extension' });
  const md = readinessMarkdown(report);
  assert.match(md, /^# Salesforce sign-in readiness/);
  for (const name of ['Acme', 'Nimbus', 'Apps', 'Legacy']) assert.match(md, new RegExp(`\\| ${name} \\|`));
  assert.match(md, /≈ 2027-06-01 \(177 days left\)/);
  assert.match(md, /2027-02-20 \(76 days left\) ⚠️/);
  assert.match(md, /not retiring/);
  assert.match(md, /need attention/);
  assert.ok(!md.includes(canary) && !JSON.stringify(report).includes(canary), 'canary leaked');
  // A pipe in a name cannot break the table.
  assert.match(md, /Leaky \\\| /);
  assert.match(readinessMarkdown({ generatedAt: day('2026-12-06').toISOString(), orgs: [] }), /No org is set up yet/);
});
