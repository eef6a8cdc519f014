/**
 * Issue 15, files: a .env (or CA file, or .gitignore) that is not a regular file is refused before it is read
 * (item 7); the per-user lock folder (item 16); git runs no fsmonitor command (item 16); `env set` and symlinks
 * leading outside the folder (item 16); which passwords with ' " ` # dotenv can hold (item 16); the env lock (13).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import dotenv from 'dotenv';
import { EnvError, MAX_ENV_BYTES, isGitIgnored, readEnvFile, readRegularFile, writeEnvFile } from '../../src/envfile';
import { setEnvText } from '../../src/core/dotenv';
import { ensurePrivateDir, isLockDirError, tryLock, userLockDir, waitLock } from '../../src/lock';
import { acquireResetLock } from '../../src/flow/resetLock';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { withTimeout } from '../../src/core/async';

const tmp = (p = 'tr-h15-') => mkdtempSync(path.join(os.tmpdir(), p));
const isRoot = process.getuid?.() === 0;
const posix = process.platform !== 'win32';

function hasMkfifo(): boolean {
  try {
    execFileSync('mkfifo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function io(cwd: string, env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const errs: string[] = [];
  const cli: CliIO = {
    stdout: (t) => void out.push(t),
    stderr: (t) => void errs.push(t),
    env,
    cwd,
    readStdin: async () => Buffer.alloc(0),
  };
  return { cli, out, errs };
}

/** Non-regular files a .env could be: each must be refused at once (a read would block or never end). */
async function hostileFiles(dir: string): Promise<{ files: Array<{ name: string; file: string }>; close: () => void }> {
  const files: Array<{ name: string; file: string }> = [];
  let server: net.Server | undefined;
  if (existsSync('/dev/zero')) {
    symlinkSync('/dev/zero', path.join(dir, 'zero.env'));
    files.push({ name: 'symlink to /dev/zero', file: path.join(dir, 'zero.env') });
  }
  if (existsSync('/dev/urandom')) files.push({ name: '/dev/urandom', file: '/dev/urandom' });
  if (existsSync('/dev/null')) files.push({ name: '/dev/null', file: '/dev/null' });
  if (hasMkfifo()) {
    execFileSync('mkfifo', [path.join(dir, 'fifo.env')]);
    files.push({ name: 'FIFO without a writer', file: path.join(dir, 'fifo.env') });
    symlinkSync(path.join(dir, 'fifo.env'), path.join(dir, 'link-to-fifo.env'));
    files.push({ name: 'symlink to a FIFO', file: path.join(dir, 'link-to-fifo.env') });
  }
  if (posix) {
    server = net.createServer();
    await new Promise<void>((r) => server!.listen(path.join(dir, 'sock.env'), r));
    files.push({ name: 'UNIX socket', file: path.join(dir, 'sock.env') });
  }
  return { files, close: () => server?.close() };
}

test('item 7: readEnvFile refuses FIFOs, devices, sockets and links to them at once, without reading', async () => {
  const dir = tmp();
  const h = await hostileFiles(dir);
  try {
    assert.ok(h.files.length >= 3, 'this platform offers hostile files to test');
    for (const { name, file } of h.files) {
      const t0 = Date.now();
      await assert.rejects(withTimeout(readEnvFile(file), 3000, `${name}: read hangs`), (e: unknown) => {
        assert.ok(e instanceof EnvError, `${name}: ${String(e)}`);
        assert.equal(e.code, 'INVALID_FILE', name);
        assert.match(e.message, /not a regular file/, name);
        return true;
      });
      assert.ok(Date.now() - t0 < 1000, `${name} took ${Date.now() - t0} ms`);
      await assert.rejects(withTimeout(readRegularFile(file, 1024), 3000, `${name}: read hangs`), EnvError);
    }
    // A folder is still "a folder", not a hang.
    await assert.rejects(readEnvFile(dir), (e: unknown) => e instanceof EnvError && /folder/.test(e.message));
  } finally {
    h.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('item 7: reads are capped whatever the size claims (a /proc file says 0 bytes); regular files still read', async () => {
  const dir = tmp();
  try {
    if (existsSync('/proc/self/status')) {
      assert.equal(statSync('/proc/self/status').size, 0);
      await assert.rejects(
        readRegularFile('/proc/self/status', 16),
        (e: unknown) => e instanceof EnvError && /more than 16 bytes/.test(e.message),
      );
      assert.ok((await readRegularFile('/proc/self/status', 1 << 20)).length > 16);
    }
    const big = path.join(dir, 'big.env');
    writeFileSync(big, 'A=1\n'.repeat(10));
    await assert.rejects(readRegularFile(big, 39), /too large/);
    assert.equal((await readRegularFile(big, 40)).length, 40);
    assert.deepEqual((await readEnvFile(big))!.vars, { A: '1' });
    assert.equal(await readEnvFile(path.join(dir, 'missing.env')), undefined);
    assert.ok(MAX_ENV_BYTES >= 1 << 20);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('item 7: `login`, `watch` and `env set` with a hostile .env end at once with exit 2 (no hang, no flood)', async () => {
  const dir = tmp();
  const h = await hostileFiles(dir);
  try {
    for (const { name, file } of h.files) {
      for (const argv of [
        ['login', '--dotenv', file],
        ['watch', '--dotenv', file, '--imap-host', '127.0.0.1', '--imap-user', 'u', '--timeout', '2'],
        ['reset', '--dotenv', file, '--imap-host', '127.0.0.1', '--imap-user', 'u', '--timeout', '2', '--no-open'],
        ['env', 'set', '--follow-symlink', '--dotenv', file, 'A=1'],
      ]) {
        const x = io(dir);
        const code = await withTimeout(main(argv, x.cli), 5000, `${argv[0]} with ${name} hangs`);
        assert.equal(code, 2, `${argv[0]} with ${name}: ${x.errs.join('')}`);
        assert.match(x.errs.join(''), /not a regular file|FIFO|device|socket/, `${argv[0]} with ${name}`);
      }
    }
    // The default ./.env of `login` too.
    const ws = tmp();
    if (existsSync('/dev/zero')) {
      symlinkSync('/dev/zero', path.join(ws, '.env'));
      const x = io(ws);
      assert.equal(await withTimeout(main(['login'], x.cli), 5000, 'login hangs'), 2);
      assert.match(x.errs.join(''), /character device, not a regular file/);
    }
    rmSync(ws, { recursive: true, force: true });
  } finally {
    h.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('item 7: NODE_EXTRA_CA_CERTS from the env file pointing at /dev/zero is skipped with a warning, not read', {
  skip: !existsSync('/dev/zero'),
}, async () => {
  const dir = tmp();
  try {
    writeFileSync(
      path.join(dir, '.env'),
      'SF_USERNAME=a@b.test\nSF_PASSWORD=pw\nSF_LOGIN_URL=http://127.0.0.1:9\nNODE_EXTRA_CA_CERTS=/dev/zero\n',
    );
    const x = io(dir);
    const code = await withTimeout(main(['login', '--timeout', '3'], x.cli), 15000, 'login hangs');
    assert.notEqual(code, 2);
    assert.match(x.errs.join(''), /cannot read NODE_EXTRA_CA_CERTS \/dev\/zero: .*not a regular file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('item 16: the lock folder is per user, 0700, and refused when foreign, open to others or a symlink', {
  skip: !posix,
}, () => {
  const base = tmp();
  try {
    // XDG_RUNTIME_DIR first, else <tmpdir>/token-relay-<uid>; TOKEN_RELAY_LOCK_DIR names the folder itself.
    assert.equal(userLockDir({ XDG_RUNTIME_DIR: '/run/user/1000' }), path.join('/run/user/1000', 'token-relay'));
    assert.equal(userLockDir({}), path.join(os.tmpdir(), `token-relay-${process.getuid!()}`));
    assert.equal(
      userLockDir({ XDG_RUNTIME_DIR: 'relative/dir' }),
      path.join(os.tmpdir(), `token-relay-${process.getuid!()}`),
    );
    assert.equal(userLockDir({ TOKEN_RELAY_LOCK_DIR: base, XDG_RUNTIME_DIR: '/x' }), base);

    const fresh = path.join(base, 'fresh', 'token-relay');
    ensurePrivateDir(fresh);
    assert.equal(statSync(fresh).mode & 0o777, 0o700);
    ensurePrivateDir(fresh); // again: fine

    const open = path.join(base, 'open');
    mkdirSync(open);
    chmodSync(open, 0o755);
    assert.throws(
      () => ensurePrivateDir(open),
      (e: unknown) => isLockDirError(e) && /accessible to other users \(mode 0755\)/.test(e.message),
    );
    chmodSync(open, 0o1777);
    assert.throws(() => ensurePrivateDir(open), isLockDirError);

    const target = path.join(base, 'elsewhere');
    mkdirSync(target, { mode: 0o700 });
    symlinkSync(target, path.join(base, 'planted'));
    assert.throws(
      () => ensurePrivateDir(path.join(base, 'planted')),
      (e: unknown) => isLockDirError(e) && /symbolic link/.test(e.message),
    );

    writeFileSync(path.join(base, 'file'), '');
    assert.throws(
      () => ensurePrivateDir(path.join(base, 'file')),
      (e: unknown) => isLockDirError(e) && /not a folder/.test(e.message),
    );

    // The reset lock lives there and refuses an unsafe folder before creating anything in it.
    assert.throws(() => acquireResetLock('https://login.salesforce.com', 'a@b.test', { dir: open }), isLockDirError);
    assert.deepEqual(readdirSync(open), []);
    const release = acquireResetLock('https://login.salesforce.com', 'a@b.test', { dir: fresh });
    assert.equal(readdirSync(fresh).length, 1);
    assert.equal(statSync(path.join(fresh, readdirSync(fresh)[0]!)).mode & 0o777, 0o600);
    release();
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('item 16: a lock folder owned by another user is refused (as root: chown)', { skip: !isRoot }, () => {
  const base = tmp();
  try {
    const foreign = path.join(base, 'foreign');
    mkdirSync(foreign, { mode: 0o700 });
    chownSync(foreign, 4242, 4242);
    assert.throws(
      () => ensurePrivateDir(foreign),
      (e: unknown) => isLockDirError(e) && /belongs to another user \(uid 4242\)/.test(e.message),
    );
    const prev = process.env.TOKEN_RELAY_LOCK_DIR;
    process.env.TOKEN_RELAY_LOCK_DIR = foreign;
    try {
      assert.throws(() => acquireResetLock('https://login.salesforce.com', 'a@b.test'), isLockDirError);
    } finally {
      if (prev === undefined) delete process.env.TOKEN_RELAY_LOCK_DIR;
      else process.env.TOKEN_RELAY_LOCK_DIR = prev;
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('item 13: lock files: one holder at a time; a dead or stale holder is taken over; waiters queue', async () => {
  const d = tmp();
  try {
    const file = path.join(d, 'x.lock');
    const a = tryLock(file, { staleMs: 60_000 });
    assert.ok(a.release);
    const b = tryLock(file, { staleMs: 60_000 });
    assert.equal(b.release, undefined);
    assert.equal(b.owner.pid, process.pid);
    // A waiter gets it once released; one that waits too long on the same holder gives up.
    assert.equal(await waitLock(file, { staleMs: 60_000, waitMs: 300 }), undefined);
    setTimeout(() => a.release(), 100);
    const c = await waitLock(file, { staleMs: 60_000, waitMs: 5_000 });
    assert.ok(c);
    c();
    // Dead owner, stale owner, garbage: taken over.
    writeFileSync(
      file,
      JSON.stringify({ pid: 2 ** 22 + 999, startedAt: new Date().toISOString(), host: os.hostname() }),
    );
    tryLock(file, { staleMs: 60_000 }).release!();
    writeFileSync(file, JSON.stringify({ pid: process.pid, startedAt: new Date(Date.now() - 120_000).toISOString() }));
    tryLock(file, { staleMs: 60_000 }).release!();
    writeFileSync(file, '{half');
    tryLock(file, { staleMs: 60_000 }).release!();
    // An empty file is a lock being written right now (busy), unless it is old.
    writeFileSync(file, '');
    assert.equal(tryLock(file, { staleMs: 60_000 }).release, undefined);
    assert.ok(tryLock(file, { staleMs: 60_000, now: () => new Date(Date.now() + 10_000) }).release);
    // Another host's live-looking lock is not judged by our pid table.
    writeFileSync(
      file,
      JSON.stringify({ pid: 2 ** 22 + 999, startedAt: new Date().toISOString(), host: 'other-host.example' }),
    );
    assert.equal(tryLock(file, { staleMs: 60_000 }).release, undefined);
    assert.deepEqual(readdirSync(d), ['x.lock']);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('item 13: in-process writers (separate module states share only the lock file) and no lock left behind', async () => {
  const dir = tmp();
  const locks = tmp('tr-h15-locks-');
  const prev = process.env.TOKEN_RELAY_LOCK_DIR;
  process.env.TOKEN_RELAY_LOCK_DIR = locks;
  try {
    const file = path.join(dir, '.env');
    writeFileSync(file, 'KEEP=1\n', { mode: 0o600 });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => writeEnvFile(file, { [`K${i}`]: `v${i}` }, { checkGitIgnore: false })),
    );
    for (const [i, r] of results.entries()) assert.deepEqual(r.changed, [`K${i}`]);
    const vars = dotenv.parse(readFileSync(file, 'utf8'));
    assert.equal(Object.keys(vars).length, 41);
    assert.deepEqual(readdirSync(locks), []);
    // A folder held by someone else's lock for longer than the wait: nothing is written, and the message says why.
  } finally {
    if (prev === undefined) delete process.env.TOKEN_RELAY_LOCK_DIR;
    else process.env.TOKEN_RELAY_LOCK_DIR = prev;
    rmSync(dir, { recursive: true, force: true });
    rmSync(locks, { recursive: true, force: true });
  }
});

test('item 13: with an unusable lock folder the writer checks its keys read back, and says it could not lock', {
  skip: !posix,
}, async () => {
  const dir = tmp();
  const locks = tmp('tr-h15-locks-');
  chmodSync(locks, 0o755); // open to others: refused as a lock folder
  const prev = process.env.TOKEN_RELAY_LOCK_DIR;
  process.env.TOKEN_RELAY_LOCK_DIR = locks;
  try {
    const file = path.join(dir, '.env');
    const r = await writeEnvFile(file, { A: '1' }, { checkGitIgnore: false });
    assert.deepEqual(r.changed, ['A']);
    assert.ok(
      r.warnings.some((w) =>
        /Could not lock .* against concurrent writers \(The lock folder .* accessible to other users/.test(w),
      ),
      r.warnings.join('\n'),
    );
    assert.deepEqual(dotenv.parse(readFileSync(file, 'utf8')), { A: '1' });
    assert.deepEqual(readdirSync(locks), []);
  } finally {
    if (prev === undefined) delete process.env.TOKEN_RELAY_LOCK_DIR;
    else process.env.TOKEN_RELAY_LOCK_DIR = prev;
    rmSync(dir, { recursive: true, force: true });
    rmSync(locks, { recursive: true, force: true });
  }
});

function gitAvailable(): boolean {
  try {
    execFileSync('git', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test("item 16: git check-ignore runs no repository's core.fsmonitor command (nor hooks)", {
  skip: !gitAvailable() || !posix,
}, async () => {
  const dir = tmp();
  try {
    const git = (...a: string[]) =>
      execFileSync('git', a, { cwd: dir, stdio: 'ignore', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
    git('init', '-q', '.');
    writeFileSync(path.join(dir, '.gitignore'), '.env\n');
    const pwned = path.join(dir, 'PWNED');
    const hook = path.join(dir, 'evil.sh');
    writeFileSync(hook, `#!/bin/sh\ntouch ${JSON.stringify(pwned)}\nexit 1\n`, { mode: 0o755 });
    // Three ways a repository names a command: a shell snippet, a script path, and a hooks folder full of scripts.
    for (const monitor of [`touch ${pwned}; false`, hook]) {
      git('config', 'core.fsmonitor', monitor);
      // Sanity: plain git does run it (else this test proves nothing).
      execFileSync('git', ['check-ignore', '-q', '--', '.env'], { cwd: dir, stdio: 'ignore' });
      assert.ok(existsSync(pwned), `plain git ran ${monitor}`);
      rmSync(pwned);
      assert.equal(await isGitIgnored(path.join(dir, '.env')), true);
      assert.equal(await isGitIgnored(path.join(dir, 'other.env')), false);
      await writeEnvFile(path.join(dir, 'other.env'), { A: '1' }); // the writer's own git check
      assert.ok(!existsSync(pwned), `Token Relay's git ran the fsmonitor command ${monitor}`);
    }
    mkdirSync(path.join(dir, 'hooks'));
    for (const h of ['post-checkout', 'pre-commit', 'post-index-change', 'reference-transaction'])
      writeFileSync(path.join(dir, 'hooks', h), `#!/bin/sh\ntouch ${JSON.stringify(pwned)}\n`, { mode: 0o755 });
    git('config', 'core.hooksPath', path.join(dir, 'hooks'));
    assert.equal(await isGitIgnored(path.join(dir, '.env')), true);
    assert.ok(!existsSync(pwned));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('item 16: `env set` refuses a .env symlink leading outside its folder unless --follow-symlink', {
  skip: !posix,
}, async () => {
  const ws = tmp();
  const outside = tmp();
  try {
    const real = path.join(outside, 'shared.env');
    writeFileSync(real, 'KEEP=1\n');
    symlinkSync(real, path.join(ws, '.env'));
    let x = io(ws);
    assert.equal(await main(['env', 'set', 'SF_SECURITY_TOKEN=NewToken1234567890abcdefg'], x.cli), 2);
    assert.match(
      x.errs.join(''),
      /is a symlink to .*shared\.env, outside .*; not writing there unless you pass --follow-symlink\. Nothing was written\./,
    );
    assert.ok(!x.errs.join('').includes('NewToken1234567890abcdefg'));
    assert.equal(readFileSync(real, 'utf8'), 'KEEP=1\n');
    // A relative link one level up, and a chain, are outside too; --dotenv naming the link the same.
    symlinkSync('../' + path.basename(outside) + '/shared.env', path.join(ws, 'rel.env'));
    symlinkSync(path.join(ws, 'rel.env'), path.join(ws, 'chain.env'));
    for (const f of ['rel.env', 'chain.env']) {
      x = io(ws);
      assert.equal(await main(['env', 'set', '--dotenv', f, 'A=1'], x.cli), 2, f);
    }
    assert.equal(readFileSync(real, 'utf8'), 'KEEP=1\n');
    // With --follow-symlink it writes through, and the link stays a link.
    x = io(ws);
    assert.equal(await main(['env', 'set', '--follow-symlink', 'A=2'], x.cli), 0, x.errs.join(''));
    assert.deepEqual(dotenv.parse(readFileSync(real, 'utf8')), { KEEP: '1', A: '2' });
    // A link inside the folder (or below it) needs no flag; --dotenv into another folder is that folder's file.
    mkdirSync(path.join(ws, 'config'));
    writeFileSync(path.join(ws, 'config', 'dev.env'), '');
    symlinkSync('config/dev.env', path.join(ws, 'inside.env'));
    x = io(ws);
    assert.equal(await main(['env', 'set', '--dotenv', 'inside.env', 'B=3'], x.cli), 0, x.errs.join(''));
    x = io(ws);
    assert.equal(await main(['env', 'set', '--dotenv', real, 'C=4'], x.cli), 0, x.errs.join(''));
    assert.deepEqual(dotenv.parse(readFileSync(real, 'utf8')), { KEEP: '1', A: '2', C: '4' });
  } finally {
    rmSync(ws, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});

test('item 16: passwords with \' " ` and # together: written when dotenv can read them back, else an exact reason', async () => {
  // dotenv 18: a # outside quotes starts a comment; '…', "…" and `…` end at the first quote of their kind, and a
  // backslash before it is kept. So a value with # and all three quote kinds can be quoted with one kind only
  // when that kind appears only right after a backslash.
  const writable = [
    'pa\\\'ss"wo`rd#1', // ' always after a backslash: '…'
    'pa\'ss\\"wo`rd#1', // " always after a backslash: "…"
    'pa\'ss"wo\\`rd#1', // ` always after a backslash: `…`
    'pa\'ss"wo`rd1', // no #: plain
    "'pa\"ss`'", // no #, starts and ends with ': wrapped
    ' \'lead"ing`', // no #, leading space
    'a\'b"c`d\nline2', // no #, a line break: "…" with \n
    '#\'"\\`', // # first
  ];
  for (const v of writable) {
    const text = setEnvText('X=1\n', { SF_PASSWORD: v });
    assert.equal(dotenv.parse(text).SF_PASSWORD, v, JSON.stringify(v));
    assert.equal(dotenv.parse(text).X, '1');
  }
  const impossible = ['pa\'ss"wo`rd#1', '#\'"`', '`\'"# x', "a'b\"c`#\\'"];
  for (const v of impossible) {
    assert.throws(
      () => setEnvText('', { SF_PASSWORD: v }),
      (e: unknown) => {
        assert.ok(e instanceof EnvError && e.code === 'UNREPRESENTABLE', JSON.stringify(v));
        assert.match(
          e.message,
          /contains a # together with ', " and `, each without a backslash before it\. dotenv reads a # outside quotes as the start of a comment/,
        );
        assert.match(e.message, /no escape for it/);
        assert.ok(!e.message.includes(v));
        return true;
      },
    );
  }
  // "…" also turns the text \n into a line break: with that text in the value, " is no way out either.
  assert.throws(
    () => setEnvText('', { P: 'a\'b\\"c`#\\n' }),
    /the text \\n or \\r, which dotenv turns into a line break/,
  );
  // The CLI says the same and leaves the file alone.
  const dir = tmp();
  try {
    writeFileSync(path.join(dir, '.env'), 'A=1\n');
    const x = io(dir);
    assert.equal(await main(['env', 'set', 'SF_PASSWORD=pa\'ss"wo`rd#1'], x.cli), 2);
    assert.match(x.errs.join(''), /cannot be written to a \.env file: it contains a # together with ', " and `/);
    assert.equal(readFileSync(path.join(dir, '.env'), 'utf8'), 'A=1\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
