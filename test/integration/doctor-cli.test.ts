/**
 * `token-relay doctor` (issue 14, the migration assistant) in-process against the emulator: a working password
 * (SOAP) org, the demo's SOAP-off org (src/emulator/demo.ts), a working password-oauth org and an oauth org, with
 * real login tests; the JSON shape, the next steps, the exit codes (0 / 1 / 2), --no-test, --markdown, and a canary
 * check that no password, security token, client secret or access token reaches stdout or stderr.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { startEmulator, type Emulator } from '../../src/emulator';
import { DEMO_SOAP_OFF_ORG, DEMO_SOAP_OFF_USER } from '../../src/emulator/demo';

const PW = 'DoctorCanaryPassw0rd-417';
const TOKEN = 'DoctorCanaryTokenAbCdEf12';
const CLIENT = '3MVG9DoctorClient_for_readiness_tests';
const SECRET = 'DoctorCanaryClientSecret-8812';
const ORG = { id: '00D5g000004DocA', name: 'Doctor Org', clients: [{ clientId: CLIENT, clientSecret: SECRET }] };

let emu: Emulator;
let dir: string;
let accessToken = '';
const secrets = [PW, TOKEN, SECRET, DEMO_SOAP_OFF_USER.password];

before(async () => {
  emu = await startEmulator({
    orgs: [ORG, DEMO_SOAP_OFF_ORG],
    users: [
      { username: 'ann@doctor.test', password: PW, token: TOKEN, org: ORG.id },
      { username: 'bob@doctor.test', password: PW, token: TOKEN, org: ORG.id },
      { ...DEMO_SOAP_OFF_USER, token: TOKEN },
    ],
  });
  dir = mkdtempSync(path.join(tmpdir(), 'tr-doctor-'));
  // An access token for the oauth org: the emulator's token endpoint (any session works over REST).
  const res = await fetch(`${emu.url}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: CLIENT,
      client_secret: SECRET,
      username: 'bob@doctor.test',
      password: PW + TOKEN,
    }).toString(),
  });
  const json = (await res.json()) as { access_token?: string };
  assert.ok(json.access_token, JSON.stringify(json));
  accessToken = json.access_token;
  secrets.push(accessToken);

  envFile('password.env', {
    SF_LOGIN_URL: emu.url,
    SF_USERNAME: 'ann@doctor.test',
    SF_PASSWORD: PW,
    SF_SECURITY_TOKEN: TOKEN,
  });
  envFile('soapoff.env', {
    SF_LOGIN_URL: emu.url,
    SF_USERNAME: DEMO_SOAP_OFF_USER.username,
    SF_PASSWORD: DEMO_SOAP_OFF_USER.password,
    SF_SECURITY_TOKEN: TOKEN,
  });
  envFile('pwoauth.env', {
    SF_LOGIN_URL: emu.url,
    SF_USERNAME: 'ann@doctor.test',
    SF_PASSWORD: PW,
    SF_SECURITY_TOKEN: TOKEN,
    SF_CLIENT_ID: CLIENT,
    SF_CLIENT_SECRET: SECRET,
  });
  envFile('oauth.env', {
    SF_AUTH: 'oauth',
    SF_LOGIN_URL: emu.url,
    SF_INSTANCE_URL: emu.url,
    SF_USERNAME: 'bob@doctor.test',
    SF_CLIENT_ID: CLIENT,
    SF_ACCESS_TOKEN: accessToken,
  });
});
after(async () => {
  await emu?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function envFile(name: string, vars: Record<string, string>): string {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    Object.entries(vars)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
    { mode: 0o600 },
  );
  return file;
}

interface Row {
  name: string;
  username: string;
  method: string;
  status: string;
  works: boolean | null;
  retires: string | null;
  daysLeft: number | null;
  next: string;
}

async function doctor(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: { TOKEN_RELAY_HOME: path.join(dir, 'store') },
    cwd: dir,
    readStdin: async () => Buffer.alloc(0),
  };
  const code = await main(['doctor', ...argv], io);
  for (const s of secrets) {
    assert.ok(!stdout.includes(s), 'a secret reached stdout');
    assert.ok(!stderr.includes(s), 'a secret reached stderr');
  }
  let json: { generatedAt: string; orgs: Row[] } | undefined;
  try {
    json = JSON.parse(stdout) as typeof json;
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr, json };
}

test('doctor: four orgs tested for real; methods, dates, next steps; exit 1 (one fails)', async () => {
  const r = await doctor([
    '--dotenv',
    'password.env',
    '--dotenv',
    'soapoff.env',
    '--dotenv=pwoauth.env',
    '--dotenv',
    'oauth.env',
  ]);
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(Object.keys(r.json!), ['generatedAt', 'orgs']);
  assert.ok(!Number.isNaN(Date.parse(r.json!.generatedAt)));
  const [pw, off, po, oa] = r.json!.orgs;
  for (const row of r.json!.orgs)
    assert.deepEqual(Object.keys(row), [
      'name',
      'username',
      'method',
      'status',
      'works',
      'retires',
      'daysLeft',
      'next',
    ]);

  assert.equal(pw!.name, 'Doctor Org (password.env)');
  assert.deepEqual([pw!.method, pw!.status, pw!.works, pw!.retires], ['password', 'ok', true, '2027-06-01']);
  assert.equal(typeof pw!.daysLeft, 'number');
  assert.match(pw!.next, /token-relay oauth login --dotenv password\.env/);
  assert.match(pw!.next, /token-relay sf-import --target-org ann-doctor --dotenv password\.env/);

  assert.equal(off!.username, DEMO_SOAP_OFF_USER.username);
  assert.deepEqual([off!.method, off!.status, off!.works], ['password', 'soap-login-disabled', false]);
  assert.match(off!.next, /token-relay oauth login --dotenv soapoff\.env/);
  assert.match(off!.next, /sf org login web --instance-url http:\/\/127\.0\.0\.1:\d+ --alias mia-chen-nimbus/);

  assert.deepEqual([po!.method, po!.status, po!.works, po!.retires], ['password-oauth', 'ok', true, '2027-02-20']);
  assert.deepEqual([oa!.method, oa!.status, oa!.works, oa!.retires, oa!.daysLeft], ['oauth', 'ok', true, null, null]);
  assert.match(oa!.next, /Nothing to do/);
  assert.match(r.stderr, /soapoff\.env: soap-login-disabled/);
});

test('doctor: exit 0 only when every org works and none retires within 90 days', async () => {
  const r = await doctor(['--dotenv', 'oauth.env']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json!.orgs.length, 1);
  // A password org works today, but exit 0/1 follows the 90-day rule: check the verdict against daysLeft.
  const p = await doctor(['--dotenv', 'password.env']);
  assert.equal(p.code, p.json!.orgs[0]!.daysLeft! <= 90 ? 1 : 0);
});

test('doctor --no-test only reads the files; --markdown prints the report; usage errors exit 2', async () => {
  const before = emu.stats.requests;
  const r = await doctor(['--no-test', '--dotenv', 'password.env', '--dotenv', 'pwoauth.env']);
  assert.equal(emu.stats.requests, before, 'no request with --no-test');
  assert.deepEqual(
    r.json!.orgs.map((o) => [o.status, o.works, o.retires]),
    [
      ['not-tested', null, '2027-06-01'],
      ['not-tested', null, '2027-02-20'],
    ],
  );
  const md = await doctor(['--no-test', '--markdown', '--dotenv', 'pwoauth.env']);
  assert.match(md.stdout, /^# Salesforce sign-in readiness/);
  assert.match(md.stdout, /\| pwoauth\.env \| ann@doctor\.test \|/);
  assert.match(md.stdout, /2027-02-20/);

  assert.equal((await doctor(['--dotenv', 'missing.env'])).code, 2);
  assert.equal((await doctor(['--bogus'])).code, 2);
  assert.equal((await doctor(['--dotenv'])).code, 2);
  assert.equal((await doctor([])).code, 2, 'no ./.env in the folder: usage');
  const help = await doctor(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--no-test/);
});

test('doctor: an env file without SF_USERNAME is that org finding, not a crash', async () => {
  envFile('broken.env', { SF_LOGIN_URL: emu.url, SF_PASSWORD: PW });
  const r = await doctor(['--no-test', '--dotenv', 'broken.env']);
  assert.equal(r.code, 1);
  assert.equal(r.json!.orgs[0]!.status, 'login-failed');
  assert.equal(r.json!.orgs[0]!.works, false);
  assert.match(r.json!.orgs[0]!.next, /token-relay login --dotenv broken\.env --verbose/);
});
