import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import dotenv from 'dotenv';
import { EnvError, readEnvFile, writeEnvFile, MAX_ENV_BYTES } from '../../src/envfile';
import { isGitIgnored } from '../../src/envfile';

const FIX = path.join(__dirname, '..', 'fixtures', 'env');
const NO_GIT = { checkGitIgnore: false };

function tmpdir(): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'envfile-')));
}

async function rejectsCode(p: Promise<unknown>, code: string): Promise<EnvError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof EnvError, `expected EnvError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected EnvError ${code}, but it resolved`);
}

const mode = (p: string) => fs.statSync(p).mode & 0o777;
/** Everything in the folder except the files we expect: temp files would show up here. */
const leftovers = (dir: string, expected: string[]) => fs.readdirSync(dir).filter((f) => !expected.includes(f));

test('a new file is created with mode 0600 (whatever the umask)', async () => {
  const dir = tmpdir();
  const file = path.join(dir, '.env');
  const old = process.umask(0o000);
  try {
    const res = await writeEnvFile(file, { SF_USERNAME: 'a@b.c', SF_PASSWORD: "p@ss w'rd" }, NO_GIT);
    assert.equal(res.created, true);
    assert.deepEqual(res.changed, ['SF_USERNAME', 'SF_PASSWORD']);
    assert.equal(res.path, file);
    assert.equal(res.target, file);
  } finally {
    process.umask(old);
  }
  assert.equal(mode(file), 0o600);
  assert.deepEqual(dotenv.parse(fs.readFileSync(file)), { SF_USERNAME: 'a@b.c', SF_PASSWORD: "p@ss w'rd" });
  assert.deepEqual(leftovers(dir, ['.env']), []);
});

test('an existing file keeps its mode and every other byte; a readable mode gets a warning', async () => {
  const dir = tmpdir();
  const file = path.join(dir, '.env');
  const text = fs.readFileSync(path.join(FIX, 'kitchen-sink.env'), 'utf8');
  fs.writeFileSync(file, text);
  fs.chmodSync(file, 0o640);
  const res = await writeEnvFile(file, { SF_SECURITY_TOKEN: 'NEWTOKEN' }, NO_GIT);
  assert.equal(res.created, false);
  assert.equal(mode(file), 0o640);
  assert.equal(
    fs.readFileSync(file, 'utf8'),
    text.replace('SF_SECURITY_TOKEN="second"', 'SF_SECURITY_TOKEN="NEWTOKEN"'),
  );
  assert.equal(res.warnings.length, 1);
  assert.match(res.warnings[0]!, /readable by its group \(mode 0640\).*chmod 600/);
  assert.ok(!res.warnings[0]!.includes('NEWTOKEN'));

  fs.chmodSync(file, 0o604);
  const res2 = await writeEnvFile(file, { SF_SECURITY_TOKEN: 'T2' }, NO_GIT);
  assert.equal(mode(file), 0o604);
  assert.match(res2.warnings[0]!, /readable by everyone/);

  fs.chmodSync(file, 0o600);
  const res3 = await writeEnvFile(file, { SF_SECURITY_TOKEN: 'T3' }, NO_GIT);
  assert.deepEqual(res3.warnings, []);
  assert.deepEqual(leftovers(dir, ['.env']), []);
});

test('CRLF files stay CRLF', async () => {
  const dir = tmpdir();
  const file = path.join(dir, '.env');
  const text = fs.readFileSync(path.join(FIX, 'crlf-bom.env'));
  fs.writeFileSync(file, text);
  await writeEnvFile(file, { SF_PASSWORD: 'x y', SF_SECURITY_TOKEN: 'tok' }, NO_GIT);
  const out = fs.readFileSync(file, 'utf8');
  assert.equal(
    out,
    text.toString('utf8').replace('SF_PASSWORD="p w"', 'SF_PASSWORD="x y"') + 'SF_SECURITY_TOKEN=tok\r\n',
  );
  assert.ok(!/[^\r]\n/.test(out), 'no bare LF was introduced');
});

test('a failure before the rename leaves the original intact and no temp file behind', async () => {
  const dir = tmpdir();
  const file = path.join(dir, '.env');
  fs.writeFileSync(file, 'A=1\n', { mode: 0o600 });
  let tmpSeen = '';
  const e = await rejectsCode(
    writeEnvFile(
      file,
      { A: '2' },
      {
        ...NO_GIT,
        beforeRename: (tmp) => {
          tmpSeen = tmp;
          assert.equal(path.dirname(tmp), dir, 'the temp file is in the same folder');
          assert.equal(mode(tmp), 0o600);
          assert.equal(fs.readFileSync(tmp, 'utf8'), 'A=2\n');
          throw Object.assign(new Error('simulated crash'), { code: 'EIO' });
        },
      },
    ),
    'IO',
  );
  assert.match(e.message, /Cannot write .*\.env: EIO/);
  assert.ok(tmpSeen && !fs.existsSync(tmpSeen));
  assert.equal(fs.readFileSync(file, 'utf8'), 'A=1\n');
  assert.deepEqual(leftovers(dir, ['.env']), []);
});

test('an unrepresentable value or invalid key leaves the file byte-identical and untouched', async () => {
  const dir = tmpdir();
  const file = path.join(dir, '.env');
  fs.writeFileSync(file, 'A=1\r\nB=2', { mode: 0o600 });
  const before = fs.statSync(file);
  await rejectsCode(writeEnvFile(file, { A: 'ok', B: 'x\'y"z`#' }, NO_GIT), 'UNREPRESENTABLE');
  await rejectsCode(writeEnvFile(file, { 'BAD KEY': 'v' }, NO_GIT), 'INVALID_KEY');
  const after = fs.statSync(file);
  assert.equal(fs.readFileSync(file, 'utf8'), 'A=1\r\nB=2');
  assert.equal(after.ino, before.ino);
  assert.equal(after.mtimeMs, before.mtimeMs);
  assert.deepEqual(leftovers(dir, ['.env']), []);
  // nor is a missing file created
  await rejectsCode(writeEnvFile(path.join(dir, 'new.env'), { B: 'x\'y"z`#' }, NO_GIT), 'UNREPRESENTABLE');
  assert.ok(!fs.existsSync(path.join(dir, 'new.env')));
});

test('setting values that are already there does not rewrite the file', async () => {
  const dir = tmpdir();
  const file = path.join(dir, '.env');
  fs.writeFileSync(file, "A='1'\n", { mode: 0o600 });
  const ino = fs.statSync(file).ino;
  const res = await writeEnvFile(file, { A: '1' }, NO_GIT);
  assert.deepEqual(res.changed, []);
  assert.equal(fs.statSync(file).ino, ino);
});

test('a read-only .env gives READ_ONLY (even for root) and is left alone', async () => {
  const dir = tmpdir();
  const file = path.join(dir, '.env');
  fs.writeFileSync(file, 'A=1\n');
  fs.chmodSync(file, 0o444);
  const e = await rejectsCode(writeEnvFile(file, { A: '2' }, NO_GIT), 'READ_ONLY');
  assert.match(e.message, /read-only \(mode 0444\).*chmod u\+w/);
  assert.equal(fs.readFileSync(file, 'utf8'), 'A=1\n');
  assert.equal(mode(file), 0o444);
  assert.deepEqual(leftovers(dir, ['.env']), []);
});

test('a symlinked .env stays a symlink and its target is written', async () => {
  const dir = tmpdir();
  fs.mkdirSync(path.join(dir, 'config'));
  const real = path.join(dir, 'config', 'real.env');
  fs.writeFileSync(real, '# real\nA=1\n', { mode: 0o640 });
  const link = path.join(dir, '.env');
  fs.symlinkSync('config/real.env', link);
  const res = await writeEnvFile(link, { A: '2', B: '3' }, { ...NO_GIT, allowOutside: dir });
  assert.equal(res.path, link);
  assert.equal(res.target, real);
  assert.ok(fs.lstatSync(link).isSymbolicLink());
  assert.equal(fs.readlinkSync(link), 'config/real.env');
  assert.equal(fs.readFileSync(real, 'utf8'), '# real\nA=2\nB=3\n');
  assert.equal(mode(real), 0o640);
  assert.deepEqual(leftovers(path.join(dir, 'config'), ['real.env']), []);
});

test('a symlink chain and a dangling symlink: the final target is written, links stay', async () => {
  const dir = tmpdir();
  const target = path.join(dir, 'target.env');
  fs.symlinkSync('mid.env', path.join(dir, '.env'));
  fs.symlinkSync('target.env', path.join(dir, 'mid.env'));
  const res = await writeEnvFile(path.join(dir, '.env'), { A: '1' }, { ...NO_GIT, allowOutside: dir });
  assert.equal(res.created, true);
  assert.equal(res.target, target);
  assert.equal(fs.readFileSync(target, 'utf8'), 'A=1\n');
  assert.equal(mode(target), 0o600);
  assert.ok(fs.lstatSync(path.join(dir, '.env')).isSymbolicLink());
  assert.ok(fs.lstatSync(path.join(dir, 'mid.env')).isSymbolicLink());
});

test('a symlink pointing outside the workspace needs confirmation', async () => {
  const ws = tmpdir();
  const outside = tmpdir();
  const real = path.join(outside, 'shared.env');
  fs.writeFileSync(real, 'A=1\n', { mode: 0o600 });
  const link = path.join(ws, '.env');
  fs.symlinkSync(real, link);

  // no confirm callback: refused
  const e = await rejectsCode(writeEnvFile(link, { A: '2' }, { ...NO_GIT, allowOutside: ws }), 'SYMLINK_OUTSIDE');
  assert.ok(e.message.includes(real));
  // the callback says no: refused
  const asked: string[] = [];
  await rejectsCode(
    writeEnvFile(
      link,
      { A: '2' },
      { ...NO_GIT, allowOutside: ws, confirmOutside: async (t) => (asked.push(t), false) },
    ),
    'SYMLINK_OUTSIDE',
  );
  assert.deepEqual(asked, [real]);
  assert.equal(fs.readFileSync(real, 'utf8'), 'A=1\n');
  // the callback says yes: written through the link
  const res = await writeEnvFile(link, { A: '3' }, { ...NO_GIT, allowOutside: ws, confirmOutside: async () => true });
  assert.equal(res.target, real);
  assert.equal(fs.readFileSync(real, 'utf8'), 'A=3\n');
  assert.ok(fs.lstatSync(link).isSymbolicLink());
  // a symlink inside the workspace to a file inside it asks nothing
  fs.writeFileSync(path.join(ws, 'in.env'), 'A=1\n');
  fs.symlinkSync('in.env', path.join(ws, 'link.env'));
  await writeEnvFile(
    path.join(ws, 'link.env'),
    { A: '4' },
    { ...NO_GIT, allowOutside: ws, confirmOutside: async () => assert.fail('asked') },
  );
  assert.equal(fs.readFileSync(path.join(ws, 'in.env'), 'utf8'), 'A=4\n');
  // without allowOutside nothing is asked
  await writeEnvFile(link, { A: '5' }, NO_GIT);
  assert.equal(fs.readFileSync(real, 'utf8'), 'A=5\n');
});

test('hostile files give a clear error and stay byte-identical', async () => {
  const dir = tmpdir();
  const cases: Array<[string, RegExp]> = [
    ['binary.env', /NUL bytes/],
    ['utf16le.env', /UTF-16/],
    ['latin1.env', /not valid UTF-8/],
  ];
  for (const [name, re] of cases) {
    const file = path.join(dir, name);
    const bytes = fs.readFileSync(path.join(FIX, name));
    fs.writeFileSync(file, bytes);
    const e = await rejectsCode(writeEnvFile(file, { A: '2' }, NO_GIT), 'INVALID_FILE');
    assert.match(e.message, re);
    assert.ok(fs.readFileSync(file).equals(bytes), name);
    await rejectsCode(readEnvFile(file), 'INVALID_FILE');
  }
  const huge = path.join(dir, 'huge.env');
  fs.writeFileSync(huge, Buffer.alloc(MAX_ENV_BYTES + 1, 'A'));
  const e = await rejectsCode(writeEnvFile(huge, { A: '2' }, NO_GIT), 'INVALID_FILE');
  assert.match(e.message, /too large/);
  await rejectsCode(readEnvFile(huge), 'INVALID_FILE');
  assert.equal(fs.statSync(huge).size, MAX_ENV_BYTES + 1);

  const blank = path.join(dir, 'blank.env');
  fs.writeFileSync(blank, 'A=1\n' + '\n'.repeat(200_000) + 'B=2\n');
  const b = await rejectsCode(writeEnvFile(blank, { A: '2' }, NO_GIT), 'INVALID_FILE');
  assert.match(b.message, /blank\.env contains very long runs of blank lines/);
  await rejectsCode(readEnvFile(blank), 'INVALID_FILE');

  fs.mkdirSync(path.join(dir, 'adir.env'));
  await rejectsCode(writeEnvFile(path.join(dir, 'adir.env'), { A: '1' }, NO_GIT), 'IO');
  const missing = await rejectsCode(writeEnvFile(path.join(dir, 'no', 'such', '.env'), { A: '1' }, NO_GIT), 'IO');
  assert.match(missing.message, /folder does not exist/);
  assert.deepEqual(
    leftovers(dir, ['binary.env', 'utf16le.env', 'latin1.env', 'huge.env', 'blank.env', 'adir.env']),
    [],
  );
});

test('weird but valid files (lone CR, Unicode line separators) are edited correctly', async () => {
  const dir = tmpdir();
  for (const name of ['lone-cr.env', 'unicode-lines.env', 'kitchen-sink.env']) {
    const file = path.join(dir, name);
    const text = fs.readFileSync(path.join(FIX, name), 'utf8');
    fs.writeFileSync(file, text);
    const before = dotenv.parse(text);
    await writeEnvFile(file, { A: 'new value', Z_NEW: 'z' }, NO_GIT);
    assert.deepEqual(dotenv.parse(fs.readFileSync(file)), { ...before, A: 'new value', Z_NEW: 'z' }, name);
  }
});

test('a concurrent change between read and rename is not lost', async () => {
  const dir = tmpdir();
  const file = path.join(dir, '.env');
  fs.writeFileSync(file, 'A=1\n', { mode: 0o600 });
  let calls = 0;
  await writeEnvFile(
    file,
    { A: '2' },
    {
      ...NO_GIT,
      beforeRename: () => {
        if (calls++ === 0) fs.appendFileSync(file, 'EDITED_BY_USER=yes\n');
      },
    },
  );
  assert.equal(calls, 2);
  assert.equal(fs.readFileSync(file, 'utf8'), 'A=2\nEDITED_BY_USER=yes\n');
  assert.deepEqual(leftovers(dir, ['.env']), []);
});

test('hard links: the warning says the other names keep the old content', async () => {
  const dir = tmpdir();
  const file = path.join(dir, '.env');
  fs.writeFileSync(file, 'A=1\n', { mode: 0o600 });
  fs.linkSync(file, path.join(dir, 'other'));
  const res = await writeEnvFile(file, { A: '2' }, NO_GIT);
  assert.ok(res.warnings.some((w) => /2 hard links/.test(w)));
});

test('readEnvFile: undefined when missing, text and dotenv-equal vars otherwise', async () => {
  const dir = tmpdir();
  assert.equal(await readEnvFile(path.join(dir, 'nope.env')), undefined);
  const file = path.join(dir, '.env');
  const text = fs.readFileSync(path.join(FIX, 'kitchen-sink.env'), 'utf8');
  fs.writeFileSync(file, text);
  const r = await readEnvFile(file);
  assert.equal(r?.text, text);
  assert.deepEqual(r?.vars, dotenv.parse(text));
});

test('isGitIgnored and the not-ignored warning', async () => {
  const dir = tmpdir();
  assert.equal(await isGitIgnored(path.join(dir, '.env')), undefined, 'not a repository');
  assert.equal(await isGitIgnored(path.join(dir, 'missing-dir', '.env')), undefined);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_')));
  execFileSync('git', ['init', '-q', dir], { env });
  fs.writeFileSync(path.join(dir, '.gitignore'), '.env\n');
  fs.mkdirSync(path.join(dir, 'sub'));
  assert.equal(await isGitIgnored(path.join(dir, '.env')), true);
  assert.equal(await isGitIgnored(path.join(dir, 'sub', '.env')), true);
  assert.equal(await isGitIgnored(path.join(dir, 'other.env')), false);

  const ignored = await writeEnvFile(path.join(dir, '.env'), { A: '1' });
  assert.deepEqual(ignored.warnings, []);
  const notIgnored = await writeEnvFile(path.join(dir, 'other.env'), { A: '1' });
  assert.equal(notIgnored.warnings.length, 1);
  assert.match(notIgnored.warnings[0]!, /not ignored by git; add it to \.gitignore/);
});

test('a path outside the workspace (linked folder or ..) also needs confirmation when allowOutside is set', async () => {
  const ws = tmpdir();
  const outside = tmpdir();
  fs.writeFileSync(path.join(outside, '.env'), 'A=1\n');
  fs.symlinkSync(outside, path.join(ws, 'linked'));
  for (const p of [path.join(ws, 'linked', '.env'), path.join(ws, '..', path.basename(outside), '.env')]) {
    const asked: string[] = [];
    const e = await rejectsCode(
      writeEnvFile(p, { A: '2' }, { ...NO_GIT, allowOutside: ws, confirmOutside: async (t) => (asked.push(t), false) }),
      'SYMLINK_OUTSIDE',
    );
    assert.deepEqual(asked, [path.join(outside, '.env')]);
    assert.match(e.message, /outside .*without confirmation/);
  }
  assert.equal(fs.readFileSync(path.join(outside, '.env'), 'utf8'), 'A=1\n');
  await writeEnvFile(
    path.join(ws, 'linked', '.env'),
    { A: '3' },
    { ...NO_GIT, allowOutside: ws, confirmOutside: async () => true },
  );
  assert.equal(fs.readFileSync(path.join(outside, '.env'), 'utf8'), 'A=3\n');
});

test('concurrent writers of one file in one process take turns: every key lands', async () => {
  const dir = tmpdir();
  const file = path.join(dir, '.env');
  fs.writeFileSync(file, '# shared\n', { mode: 0o600 });
  await Promise.all(Array.from({ length: 8 }, (_, i) => writeEnvFile(file, { [`K${i}`]: `v${i}` }, NO_GIT)));
  const vars = dotenv.parse(fs.readFileSync(file));
  assert.deepEqual(Object.keys(vars).sort(), ['K0', 'K1', 'K2', 'K3', 'K4', 'K5', 'K6', 'K7']);
  assert.deepEqual(leftovers(dir, ['.env']), []);
});
