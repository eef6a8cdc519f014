/** `token-relay login` in-process against the loopback emulator (CONTRACTS: JSON keys, exit codes, env precedence). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { startEmulator, type Emulator } from '../../src/emulator';
import { trySelfSignedCert } from '../servers/tls';

let emu: Emulator;
let dir: string;
const KEYS = ['status', 'label', 'code', 'message', 'organizationId', 'username', 'instanceUrl'];
const PW = 'CliCanaryPassw0rd-913';
const TOKEN = 'CliCanaryTokenAbCdEfGh123';

before(async () => {
  emu = await startEmulator({
    users: [{ username: 'cli@login.test', password: PW, token: TOKEN }],
    orgs: [{ name: 'CLI Org' }],
  });
  dir = mkdtempSync(path.join(tmpdir(), 'tr-login-cli-'));
});
after(async () => {
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(argv: string[], env: Record<string, string | undefined> = {}, extra: Partial<CliIO> = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env,
    cwd: dir,
    readStdin: async () => Buffer.alloc(0),
    ...extra,
  };
  const code = await main(['login', ...argv], io);
  let json: Record<string, unknown> | undefined;
  try {
    json = stdout ? (JSON.parse(stdout) as Record<string, unknown>) : undefined;
  } catch {
    json = undefined; // --help
  }
  return { code, stdout, stderr, json };
}

function envFile(name: string, vars: Record<string, string>): string {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    Object.entries(vars)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
  );
  return file;
}

test('ok: exit 0, the 7 keys plus the retirement notice of SOAP login()', async () => {
  const file = envFile('ok.env', {
    SF_LOGIN_URL: emu.url,
    SF_USERNAME: 'cli@login.test',
    SF_PASSWORD: PW,
    SF_SECURITY_TOKEN: TOKEN,
  });
  const r = await run(['--dotenv', file]);
  assert.equal(r.code, 0, r.stderr);
  // A working password login carries `notice` (issue 14: the method retires), and only then.
  assert.deepEqual(Object.keys(r.json!), [...KEYS, 'notice']);
  assert.match(String(r.json!.notice), /SOAP API login\(\).*Summer '27.*Switch to OAuth or use the sf CLI login/);
  assert.equal(r.json!.status, 'ok');
  assert.equal(r.json!.label, 'Connected');
  assert.equal(r.json!.code, null);
  assert.equal(r.json!.username, 'cli@login.test');
  assert.equal(r.json!.instanceUrl, emu.url);
  assert.match(String(r.json!.organizationId), /^00D\w{15}$/);
  assert.match(r.stderr, /Connected: Logged in/);
  for (const out of [r.stdout, r.stderr]) {
    assert.ok(!out.includes(PW) && !out.includes(TOKEN));
  }
});

test('failed login: exit 1 with the health JSON (nulls when unknown)', async () => {
  const file = envFile('bad.env', {
    SF_LOGIN_URL: emu.url,
    SF_USERNAME: 'cli@login.test',
    SF_PASSWORD: PW,
    SF_SECURITY_TOKEN: 'WrongTokenWrongTokenWrong',
  });
  const r = await run(['--dotenv', file]);
  assert.equal(r.code, 1);
  assert.deepEqual(Object.keys(r.json!), KEYS);
  assert.equal(r.json!.status, 'invalid-login');
  assert.equal(r.json!.code, 'INVALID_LOGIN');
  assert.equal(r.json!.organizationId, null);
  assert.equal(r.json!.instanceUrl, null);
});

test('the env file wins over the process environment; the environment fills the gaps', async () => {
  const file = envFile('partial.env', { SF_SECURITY_TOKEN: TOKEN, SF_USERNAME: 'cli@login.test' });
  const r = await run(['--dotenv', file], {
    SF_LOGIN_URL: emu.url,
    SF_USERNAME: 'someone-else@login.test',
    SF_PASSWORD: PW,
    SF_SECURITY_TOKEN: 'EnvTokenLosesEnvTokenLose',
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json!.username, 'cli@login.test');
});

test('default ./.env in the working directory', async () => {
  envFile('.env', { SF_LOGIN_URL: emu.url, SF_USERNAME: 'cli@login.test', SF_PASSWORD: PW, SF_SECURITY_TOKEN: TOKEN });
  try {
    const r = await run([]);
    assert.equal(r.code, 0, r.stderr);
  } finally {
    rmSync(path.join(dir, '.env'));
  }
});

test('usage errors: exit 2, nothing on stdout', async () => {
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [[], { SF_LOGIN_URL: emu.url, SF_PASSWORD: PW }, /SF_USERNAME/],
    [[], { SF_LOGIN_URL: 'http://acme.my.salesforce.com', SF_USERNAME: 'u', SF_PASSWORD: PW }, /loopback/],
    [[], { SF_USERNAME: 'u', SF_PASSWORD: PW, SF_API_VERSION: 'newest' }, /SF_API_VERSION/],
    [['--dotenv', path.join(dir, 'missing.env')], { SF_USERNAME: 'u' }, /does not exist/],
    [['--bogus'], {}, /unknown option/],
    [['--timeout', '0'], {}, /--timeout/],
    [['extra'], {}, /unexpected argument/],
    [[], { SF_LOGIN_URL: emu.url, SF_USERNAME: 'cli@login.test' }, /SF_PASSWORD is not set/],
  ];
  for (const [argv, env, re] of cases) {
    const r = await run(argv, env);
    assert.equal(r.code, 2, `${argv.join(' ')} ${JSON.stringify(env)}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, re);
    assert.ok(!r.stderr.includes(PW));
  }
});

test('no SF_PASSWORD: asks on the terminal', async () => {
  let asked = '';
  const r = await run(
    [],
    { SF_LOGIN_URL: emu.url, SF_USERNAME: 'cli@login.test', SF_SECURITY_TOKEN: TOKEN },
    {
      promptSecret: async (q) => {
        asked = q;
        return PW;
      },
    },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(asked, /password for cli@login\.test/);
});

test('network failure: exit 1, network-error with the Node code; --help works', async () => {
  const r = await run(['--timeout', '5'], {
    SF_LOGIN_URL: 'http://127.0.0.1:9',
    SF_USERNAME: 'cli@login.test',
    SF_PASSWORD: PW,
    SF_SECURITY_TOKEN: TOKEN,
  });
  assert.equal(r.code, 1);
  assert.equal(r.json!.status, 'network-error');
  assert.equal(r.json!.code, 'ECONNREFUSED');
  const h = await run(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /--dotenv PATH/);
});

test('--verbose logs steps on stderr, redacted', async () => {
  const r = await run(['--verbose'], {
    SF_LOGIN_URL: emu.url,
    SF_USERNAME: 'cli@login.test',
    SF_PASSWORD: PW,
    SF_SECURITY_TOKEN: TOKEN,
  });
  assert.equal(r.code, 0);
  assert.match(r.stderr, /\[salesforce\] SOAP login\(\)/);
  assert.ok(!r.stderr.includes(PW) && !r.stderr.includes(TOKEN));
  assert.doesNotMatch(r.stderr, /00D\w{12,15}![\w.]{20,}/, 'no session id');
});

test('https org with a private CA: NODE_EXTRA_CA_CERTS from the env file; HTTPS_PROXY from the environment', async (t) => {
  const tls = trySelfSignedCert();
  if (!tls) {
    t.skip('openssl not available');
    return;
  }
  const secure = await startEmulator({ users: [{ username: 'cli@login.test', password: PW, token: TOKEN }], tls });
  try {
    const vars = { SF_LOGIN_URL: secure.url, SF_USERNAME: 'cli@login.test', SF_PASSWORD: PW, SF_SECURITY_TOKEN: TOKEN };
    const untrusted = await run(['--dotenv', envFile('tls-no-ca.env', vars)]);
    assert.equal(untrusted.code, 1);
    assert.equal(untrusted.json!.status, 'network-error');
    assert.match(String(untrusted.json!.code), /SELF_SIGNED|UNABLE_TO_VERIFY/);
    const trusted = await run(['--dotenv', envFile('tls-ca.env', { ...vars, NODE_EXTRA_CA_CERTS: tls.certPath })]);
    assert.equal(trusted.code, 0, trusted.stderr);
    // A dead proxy from the environment is used (and fails), unless NO_PROXY exempts the host.
    const viaDeadProxy = await run(
      ['--dotenv', envFile('tls-ca2.env', { ...vars, NODE_EXTRA_CA_CERTS: tls.certPath })],
      { HTTPS_PROXY: 'http://127.0.0.1:9' },
    );
    assert.equal(viaDeadProxy.code, 1);
    assert.equal(viaDeadProxy.json!.code, 'ECONNREFUSED');
    const bypass = await run(['--dotenv', envFile('tls-ca3.env', { ...vars, NODE_EXTRA_CA_CERTS: tls.certPath })], {
      HTTPS_PROXY: 'http://127.0.0.1:9',
      NO_PROXY: '127.0.0.1',
    });
    assert.equal(bypass.code, 0, bypass.stderr);
  } finally {
    await secure.close();
    tls.cleanup();
  }
});
