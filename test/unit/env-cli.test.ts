import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import dotenv from 'dotenv';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';

function tmpdir(): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'envcli-')));
}

function fakeIO(cwd: string): CliIO & { out: string; errText: string } {
  const io = {
    out: '',
    errText: '',
    stdout: (t: string) => void (io.out += t),
    stderr: (t: string) => void (io.errText += t),
    env: {},
    cwd,
    readStdin: async () => Buffer.alloc(0),
  };
  return io;
}

const PASSWORD = 'Pa$$ w0rd\'#"canary';
const TOKEN = 'TOKENcanary12345';

test('env set writes ./.env relative to io.cwd: nothing on stdout, one line on stderr, never the values', async () => {
  const dir = tmpdir();
  const io = fakeIO(dir);
  const code = await main(
    ['env', 'set', `SF_PASSWORD=${PASSWORD}`, `SF_SECURITY_TOKEN=${TOKEN}`, 'SF_USERNAME=me@example.com'],
    io,
  );
  assert.equal(code, 0, io.errText);
  assert.equal(io.out, '');
  const lines = io.errText.trimEnd().split('\n');
  assert.equal(lines.length, 1, io.errText);
  assert.equal(
    lines[0],
    `token-relay env: wrote SF_PASSWORD, SF_SECURITY_TOKEN, SF_USERNAME to ${path.join(dir, '.env')} (new file, mode 0600)`,
  );
  assert.ok(!io.errText.includes(PASSWORD) && !io.errText.includes(TOKEN) && !io.errText.includes('me@example.com'));
  const vars = dotenv.parse(fs.readFileSync(path.join(dir, '.env')));
  assert.deepEqual(vars, { SF_PASSWORD: PASSWORD, SF_SECURITY_TOKEN: TOKEN, SF_USERNAME: 'me@example.com' });
  assert.equal(fs.statSync(path.join(dir, '.env')).mode & 0o777, 0o600);
});

test('--dotenv PATH (relative to io.cwd, also --dotenv=PATH); other bytes stay; unchanged keys are named', async () => {
  const dir = tmpdir();
  fs.mkdirSync(path.join(dir, 'cfg'));
  const file = path.join(dir, 'cfg', 'dev.env');
  fs.writeFileSync(file, '# keep me\r\nexport SF_SECURITY_TOKEN="old" # c\r\nSF_USERNAME=me\r\n', { mode: 0o600 });
  const io = fakeIO(dir);
  assert.equal(
    await main(['env', 'set', '--dotenv', 'cfg/dev.env', `SF_SECURITY_TOKEN=${TOKEN}`, 'SF_USERNAME=me'], io),
    0,
    io.errText,
  );
  assert.equal(
    fs.readFileSync(file, 'utf8'),
    `# keep me\r\nexport SF_SECURITY_TOKEN="${TOKEN}" # c\r\nSF_USERNAME=me\r\n`,
  );
  assert.equal(io.errText, `token-relay env: wrote SF_SECURITY_TOKEN to ${file}; SF_USERNAME unchanged\n`);

  const io2 = fakeIO(dir);
  assert.equal(await main(['env', 'set', `--dotenv=${file}`, `SF_SECURITY_TOKEN=${TOKEN}`], io2), 0);
  assert.equal(io2.errText, `token-relay env: SF_SECURITY_TOKEN already set in ${file}; nothing written\n`);
});

test('warnings (readable by others, not git-ignored) come as extra lines', async () => {
  const dir = tmpdir();
  const file = path.join(dir, '.env');
  fs.writeFileSync(file, 'A=1\n');
  fs.chmodSync(file, 0o644);
  const io = fakeIO(dir);
  assert.equal(await main(['env', 'set', 'A=2'], io), 0);
  const lines = io.errText.trimEnd().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[1]!, /^token-relay env: warning: .*readable by everyone \(mode 0644\)/);
});

test('a value no quoting can hold: exit 2, file untouched, value not echoed', async () => {
  const dir = tmpdir();
  const file = path.join(dir, '.env');
  fs.writeFileSync(file, 'SF_PASSWORD=old\n', { mode: 0o600 });
  const bad = 'a\'b"c`#canary';
  const io = fakeIO(dir);
  assert.equal(await main(['env', 'set', `SF_PASSWORD=${bad}`, `SF_SECURITY_TOKEN=${TOKEN}`], io), 2);
  assert.equal(fs.readFileSync(file, 'utf8'), 'SF_PASSWORD=old\n');
  assert.equal(io.out, '');
  assert.match(io.errText, /SF_PASSWORD cannot be written/);
  assert.ok(!io.errText.includes('canary'));
  assert.equal(io.errText.trimEnd().split('\n').length, 1);
});

test('an unwritable file: exit 2, file untouched', async () => {
  const dir = tmpdir();
  const file = path.join(dir, '.env');
  fs.writeFileSync(file, 'A=1\n');
  fs.chmodSync(file, 0o400);
  const io = fakeIO(dir);
  assert.equal(await main(['env', 'set', 'A=2'], io), 2);
  assert.match(io.errText, /read-only/);
  assert.equal(fs.readFileSync(file, 'utf8'), 'A=1\n');
  const io2 = fakeIO(dir);
  assert.equal(await main(['env', 'set', '--dotenv', 'missing/dir/.env', 'A=2'], io2), 2);
  assert.match(io2.errText, /folder does not exist/);
  fs.writeFileSync(path.join(dir, 'bin.env'), Buffer.from([0x41, 0x3d, 0, 0xff]));
  const io3 = fakeIO(dir);
  assert.equal(await main(['env', 'set', '--dotenv', 'bin.env', 'A=2'], io3), 2);
  assert.match(io3.errText, /looks binary/);
});

test('bad keys and bad usage: exit 2, nothing written, values never echoed', async () => {
  const dir = tmpdir();
  for (const argv of [
    ['env', 'set', `BAD KEY=${TOKEN}`],
    ['env', 'set', `=${TOKEN}`],
    ['env', 'set', `É=${TOKEN}`],
    ['env', 'set', `__proto__=${TOKEN}`],
    ['env', 'set', `NOEQUALS${TOKEN}`],
    ['env', 'set'],
    ['env'],
    ['env', 'get', 'A'],
    ['env', 'set', '--dotenv'],
    ['env', 'set', '--dotenv=', 'A=1'],
    ['env', 'set', '--bogus', 'A=1'],
    ['env', 'set', `--bogus=${TOKEN}`, 'A=1'],
    ['env', 'set', `-x${TOKEN}`],
    ['env', 'set', `A=${TOKEN}`, 'A=2'],
  ]) {
    const io = fakeIO(dir);
    assert.equal(await main(argv, io), 2, argv.join(' '));
    assert.equal(io.out, '');
    assert.ok(io.errText.length > 0);
    assert.ok(!io.errText.includes(TOKEN), `${argv.join(' ')} echoed a value: ${io.errText}`);
  }
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('values may contain "=", start with "-" and be empty', async () => {
  const dir = tmpdir();
  const io = fakeIO(dir);
  assert.equal(
    await main(['env', 'set', 'A=x=y==', 'B=-dash', 'C=', 'D=--dotenv', '-dash-key=v', '--', 'E=--'], io),
    0,
    io.errText,
  );
  assert.deepEqual(dotenv.parse(fs.readFileSync(path.join(dir, '.env'))), {
    A: 'x=y==',
    B: '-dash',
    C: '',
    D: '--dotenv',
    '-dash-key': 'v',
    E: '--',
  });
});

test('--help prints the usage on stdout', async () => {
  const io = fakeIO(tmpdir());
  assert.equal(await main(['env', '--help'], io), 0);
  assert.match(io.out, /^Usage: token-relay env set \[--dotenv PATH\] KEY=VALUE/);
  const io2 = fakeIO(tmpdir());
  assert.equal(await main(['env', 'set', '--help'], io2), 0);
  assert.match(io2.out, /Exit codes/);
});
