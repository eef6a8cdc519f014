/**
 * src/sfcli: reading the real sf CLI's JSON (fixtures captured from @salesforce/cli 2.150.6 against the emulator,
 * tokens replaced), errors, the environment sf gets, finding sf, the project's default org, and the runner's timeout
 * and abort (with a slow executable, not a fake sf).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  SF_ENV_DROPPED,
  findSfCli,
  isSfCliError,
  listSfOrgs,
  readProjectTargetOrg,
  sfAccessToken,
  sfEnvironment,
  sfLoginCommand,
} from '../../src/sfcli/index';
import {
  SfCliError,
  accessTokenOf,
  errorFromSf,
  isRedactedText,
  isUnknownCommand,
  looksLikeAccessToken,
  orgFromDisplay,
  orgsFromList,
  parseSfJson,
  saysStale,
  sfResult,
} from '../../src/sfcli/parse';
import { redact } from '../../src/core/redact';

const FIX = path.join(__dirname, '..', 'fixtures', 'sfcli');
const fixture = (name: string): string => readFileSync(path.join(FIX, name), 'utf8');
const POSIX = process.platform !== 'win32';

test('org list: the groups are merged into one entry per username, [REDACTED] is no token, fields kept', () => {
  const json = parseSfJson(fixture('org-list.json'))!;
  const orgs = orgsFromList(sfResult(json));
  assert.equal(orgs.length, 1, 'other + nonScratchOrgs hold the same org');
  assert.deepEqual(orgs[0], {
    username: 'jane.doe@acme.example',
    alias: 'emu',
    instanceUrl: 'http://127.0.0.1:36735/',
    loginUrl: 'http://127.0.0.1:36735/',
    orgId: '00D5g000004XyZ1EAK',
    isSandbox: false,
    isScratch: false,
    isDevHub: false,
    isDefault: false,
    connectedStatus: 'Connected',
  });
  // Marks from any group survive the merge; junk entries are skipped.
  const merged = orgsFromList({
    nonScratchOrgs: [{ username: 'A@x.example', isDefaultUsername: true }, null, 7, { alias: 'no-user' }],
    devHubs: [{ username: 'a@x.example', isDevHub: true, alias: 'hub' }],
    scratchOrgs: [{ username: 's@x.example', expirationDate: '2027-01-01' }],
    sandboxes: 'not an array',
  });
  assert.deepEqual(
    merged.map((o) => [o.username, o.alias, o.isDefault, o.isDevHub, o.isScratch]),
    [
      ['A@x.example', 'hub', true, true, false],
      ['s@x.example', undefined, false, false, true],
    ],
  );
  assert.deepEqual(orgsFromList(undefined), []);
  assert.deepEqual(orgsFromList('x'), []);
});

test('show-access-token: the token is read and registered for redaction; the stale warning is seen', () => {
  const fresh = parseSfJson(fixture('show-access-token.json'))!;
  const token = accessTokenOf(sfResult(fresh));
  assert.ok(token && looksLikeAccessToken(token));
  assert.equal(saysStale(fresh), false, 'the "sensitive token" warning is not a stale warning');
  assert.equal(redact(`x ${token} y`).includes(token), false, 'registered as soon as it was read');
  const stale = parseSfJson(fixture('show-access-token-stale.json'))!;
  assert.ok(accessTokenOf(sfResult(stale)));
  assert.equal(saysStale(stale), true);
});

test('org display: [REDACTED] is no token; its org fields are read', () => {
  const json = parseSfJson(fixture('org-display.json'))!;
  assert.equal(accessTokenOf(sfResult(json)), undefined);
  assert.ok(isRedactedText("[REDACTED] Use 'sf org auth show-access-token' to view"));
  assert.deepEqual(orgFromDisplay(sfResult(json)), {
    username: 'jane.doe@acme.example',
    instanceUrl: 'http://127.0.0.1:36735/',
    orgId: '00D5g000004XyZ1EAK',
    connectedStatus: 'Connected',
  });
  assert.equal(
    saysStale({
      status: 0,
      result: { connectedStatus: 'Unable to refresh session due to: expired access/refresh token' },
    }),
    true,
  );
});

test('errors: an unknown alias, an expired sf login, anything else, no JSON; unknown commands', () => {
  const nf = errorFromSf(parseSfJson(fixture('named-org-not-found.json')), 2, 'nope', '');
  assert.equal(nf.code, 'SF_ORG_UNKNOWN');
  assert.equal(nf.exitCode, 2);
  assert.match(nf.message, /does not know the org "nope".*No authorization information found for nope/);
  assert.doesNotMatch(nf.message, /See more help/);
  const exp = errorFromSf(
    {
      name: 'RefreshTokenAuthError',
      message: 'Error authenticating with the refresh token due to: expired access/refresh token',
      status: 1,
    },
    1,
    'web',
    '',
  );
  assert.equal(exp.code, 'SF_SIGNIN_REQUIRED');
  assert.match(exp.message, /sf org login web -o web/);
  const other = errorFromSf({ name: 'SomethingElse', message: 'boom', status: 1 }, 1, 'x', '');
  assert.equal(other.code, 'SF_REFUSED');
  const bad = errorFromSf(undefined, 1, 'x', 'Segmentation fault\n');
  assert.equal(bad.code, 'SF_BAD_OUTPUT');
  assert.match(bad.message, /Segmentation fault/);
  assert.ok(isSfCliError(bad));
  assert.ok(isSfCliError(Object.assign(new Error('x'), { name: 'SfCliError', code: 'SF_TIMEOUT' })), 'by name too');
  assert.equal(isSfCliError(new Error('x')), false);
  // What sf 2.150.6 prints for a command it does not have (exit 127, text on stderr).
  assert.ok(isUnknownCommand(127, '', ' ›   Warning: org auth nosuchcmd is not a sf command.\n'));
  assert.ok(isUnknownCommand(1, '', 'Warning: org auth show-access-token is not a sf command.'));
  assert.equal(isUnknownCommand(1, '{}', ''), false);
});

test('parseSfJson is defensive: banners around the JSON, arrays, garbage', () => {
  assert.deepEqual(parseSfJson('Warning: something\n{"status":0,"result":{}}\n'), { status: 0, result: {} });
  assert.equal(parseSfJson('[1,2]'), undefined);
  assert.equal(parseSfJson('not json'), undefined);
  assert.equal(parseSfJson(''), undefined);
  assert.equal(sfResult({ status: 1, result: {} }), undefined);
  assert.equal(looksLikeAccessToken('[REDACTED]'), false);
  assert.equal(looksLikeAccessToken('00D5g000004XyZ1!AR.x_y'), true);
});

test("sf's environment: Token Relay's SF_* keys never reach sf; no auto-update, no telemetry", () => {
  const env = sfEnvironment({
    PATH: '/bin',
    HOME: '/h',
    SF_TARGET_ORG: 'x',
    SF_ACCESS_TOKEN: 'secret',
    SF_INSTANCE_URL: 'http://x',
    SF_API_VERSION: '50.0',
    SF_USERNAME: 'u',
    SF_PASSWORD: 'p',
    sf_target_org: 'lower',
    SF_TEMP_SHOW_SECRETS: 'true',
  });
  for (const k of SF_ENV_DROPPED) assert.equal(env[k], undefined, k);
  assert.equal(env.sf_target_org, undefined, 'case-insensitive (Windows)');
  assert.equal(env.PATH, '/bin');
  assert.equal(env.HOME, '/h');
  assert.equal(env.SF_TEMP_SHOW_SECRETS, 'true', "sf's own switches stay");
  assert.equal(env.SF_DISABLE_AUTOUPDATE, 'true');
  assert.equal(env.SF_DISABLE_TELEMETRY, 'true');
});

test('sfLoginCommand: the fix a user runs', () => {
  assert.deepEqual(sfLoginCommand('my-org'), ['sf', 'org', 'login', 'web', '-o', 'my-org']);
  assert.deepEqual(sfLoginCommand('a', 'https://x.my.salesforce.com'), [
    'sf',
    'org',
    'login',
    'web',
    '-o',
    'a',
    '--instance-url',
    'https://x.my.salesforce.com',
  ]);
});

test('findSfCli: the setting, then SF_CLI_PATH, then PATH; an explicit path that is not there is no sf', {
  skip: !POSIX,
}, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tr-sfcli-find-'));
  try {
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    const sf = path.join(bin, 'sf');
    writeFileSync(sf, '#!/bin/sh\nexit 0\n');
    chmodSync(sf, 0o755);
    const other = path.join(dir, 'other-sf');
    writeFileSync(other, '#!/bin/sh\nexit 0\n');
    chmodSync(other, 0o755);
    assert.deepEqual(await findSfCli({ env: { PATH: `/nonexistent:${bin}` } }), { path: sf });
    assert.deepEqual(await findSfCli({ env: { PATH: bin, SF_CLI_PATH: other } }), { path: other });
    assert.deepEqual(await findSfCli({ sfPath: other, env: { PATH: bin, SF_CLI_PATH: sf } }), { path: other });
    assert.equal(await findSfCli({ env: { PATH: bin, SF_CLI_PATH: path.join(dir, 'missing') } }), undefined);
    assert.equal(await findSfCli({ env: { PATH: '/nonexistent' } }), undefined);
    const noExec = path.join(dir, 'noexec');
    writeFileSync(noExec, '');
    chmodSync(noExec, 0o644);
    if (process.getuid?.() !== 0) assert.equal(await findSfCli({ sfPath: noExec, env: {} }), undefined);
    assert.equal(await findSfCli({ sfPath: dir, env: {} }), undefined, 'a folder is no sf');
    // No sf: SF_NOT_FOUND with how to install it.
    await assert.rejects(
      sfAccessToken('x', { env: { PATH: '/nonexistent' } }),
      (e: unknown) =>
        isSfCliError(e) &&
        e.code === 'SF_NOT_FOUND' &&
        /npm install --global @salesforce\/cli/.test(e.message) &&
        /SF_CLI_PATH/.test(e.message),
    );
    await assert.rejects(
      listSfOrgs({ sfPath: path.join(dir, 'missing'), env: {} }),
      (e: unknown) => isSfCliError(e) && e.code === 'SF_NOT_FOUND',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the runner: a hanging sf is killed at the timeout (SF_TIMEOUT); an abort cancels; odd output is SF_BAD_OUTPUT', {
  skip: !POSIX,
}, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tr-sfcli-run-'));
  try {
    const slow = path.join(dir, 'slow');
    writeFileSync(slow, '#!/bin/sh\nexec sleep 30\n');
    chmodSync(slow, 0o755);
    await assert.rejects(
      listSfOrgs({ sfPath: slow, env: { PATH: '/usr/bin:/bin' }, timeoutMs: 300 }),
      (e: unknown) => isSfCliError(e) && e.code === 'SF_TIMEOUT',
    );
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    await assert.rejects(
      listSfOrgs({ sfPath: slow, env: { PATH: '/usr/bin:/bin' }, signal: ac.signal }),
      (e: unknown) => (e as { code?: string }).code === 'ABORT_ERR',
    );
    const noise = path.join(dir, 'noise');
    writeFileSync(noise, '#!/bin/sh\necho "hello"\nexit 0\n');
    chmodSync(noise, 0o755);
    await assert.rejects(
      listSfOrgs({ sfPath: noise, env: { PATH: '/usr/bin:/bin' } }),
      (e: unknown) => e instanceof SfCliError && e.code === 'SF_BAD_OUTPUT',
    );
    // The arguments sf gets: always --json; the env's SF_* keys are gone.
    const echo = path.join(dir, 'echo');
    writeFileSync(
      echo,
      `#!/bin/sh\nprintf '{"status":0,"result":{"other":[{"username":"%s","alias":"%s"}]}}' "$*" "\${SF_TARGET_ORG:-none}-\${SF_DISABLE_AUTOUPDATE}"\n`,
    );
    chmodSync(echo, 0o755);
    const orgs = await listSfOrgs({ sfPath: echo, env: { PATH: '/usr/bin:/bin', SF_TARGET_ORG: 'leak' } });
    assert.deepEqual(orgs, [
      {
        username: 'org list --skip-connection-status --json',
        alias: 'none-true',
        isSandbox: false,
        isScratch: false,
        isDevHub: false,
        isDefault: false,
      },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readProjectTargetOrg: .sf/config.json target-org of an sfdx project, else the legacy defaultusername', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tr-sfcli-proj-'));
  try {
    assert.equal(await readProjectTargetOrg(dir), undefined, 'not an sf project');
    mkdirSync(path.join(dir, '.sf'));
    writeFileSync(path.join(dir, '.sf', 'config.json'), JSON.stringify({ 'target-org': 'dev' }));
    assert.equal(await readProjectTargetOrg(dir), undefined, 'no sfdx-project.json: not a project');
    writeFileSync(path.join(dir, 'sfdx-project.json'), '{"packageDirectories":[]}');
    assert.equal(await readProjectTargetOrg(dir), 'dev');
    writeFileSync(path.join(dir, '.sf', 'config.json'), '{ broken');
    mkdirSync(path.join(dir, '.sfdx'));
    writeFileSync(path.join(dir, '.sfdx', 'sfdx-config.json'), JSON.stringify({ defaultusername: 'legacy@x.example' }));
    assert.equal(await readProjectTargetOrg(dir), 'legacy@x.example');
    rmSync(path.join(dir, '.sfdx'), { recursive: true });
    assert.equal(await readProjectTargetOrg(dir), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
