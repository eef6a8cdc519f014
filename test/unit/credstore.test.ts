/**
 * The CLI credential store (src/credstore): where it lives, 0700/0600 (fixed or refused), atomic entries, and
 * refresh-token rotation under concurrent refreshers, in one process and across processes (the lock).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import * as http from 'node:http';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { CredentialStore, credentialHome, entryName, type StoredCredential } from '../../src/credstore';
import { LockTimeoutError, withLock } from '../../src/lock';
import { redact } from '../../src/core/redact';

const POSIX = process.platform !== 'win32';
let root: string;
before(() => {
  root = mkdtempSync(path.join(tmpdir(), 'tr-credstore-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function freshDir(): string {
  return path.join(root, `home${++n}`, 'token-relay');
}

const KEY = { loginUrl: 'https://login.salesforce.com', clientId: '3MVG9Client.Id_A', username: 'Jane@Acme.example' };
const cred = (refreshToken: string): StoredCredential => ({
  ...KEY,
  refreshToken,
  instanceUrl: 'https://acme.my.salesforce.com',
  orgId: '00Dxx0000001gPL',
});

test('credentialHome: TOKEN_RELAY_HOME, else XDG_CONFIG_HOME/token-relay, else ~/.config/token-relay', () => {
  const home = () => '/home/u';
  assert.equal(credentialHome({ TOKEN_RELAY_HOME: '/tmp/tr', XDG_CONFIG_HOME: '/x' }, home), '/tmp/tr');
  assert.equal(credentialHome({ XDG_CONFIG_HOME: '/x' }, home), path.join('/x', 'token-relay'));
  assert.equal(
    credentialHome({ XDG_CONFIG_HOME: 'relative/ignored' }, home),
    path.join('/home/u', '.config', 'token-relay'),
  );
  assert.equal(credentialHome({}, home), path.join('/home/u', '.config', 'token-relay'));
  assert.equal(credentialHome({ TOKEN_RELAY_HOME: '  ' }, home), path.join('/home/u', '.config', 'token-relay'));
});

test('entry names: a hash of login URL + client id + username; equivalent spellings share one; no name leaks', () => {
  const a = entryName(KEY);
  assert.match(a, /^[0-9a-f]{32}$/);
  assert.equal(entryName({ ...KEY, loginUrl: 'https://LOGIN.salesforce.com/', username: 'jane@acme.example' }), a);
  assert.notEqual(entryName({ ...KEY, clientId: '3MVG9Client.Id_B' }), a);
  assert.notEqual(entryName({ ...KEY, loginUrl: 'https://test.salesforce.com' }), a);
  assert.notEqual(entryName({ ...KEY, username: 'john@acme.example' }), a);
});

test('put/get/delete: a new store dir is 0700, the entry 0600, no temp file left, the key checked', async () => {
  const dir = freshDir();
  const store = new CredentialStore(dir);
  assert.equal(await store.get(KEY), undefined);
  await store.put(cred('5Aep861RefreshOne'));
  if (POSIX) {
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(store.fileOf(KEY)).mode & 0o777, 0o600);
  }
  assert.deepEqual(readdirSync(dir), [path.basename(store.fileOf(KEY))]);
  const got = await store.get({ ...KEY, username: 'JANE@acme.example' });
  assert.equal(got?.refreshToken, '5Aep861RefreshOne');
  assert.equal(got?.username, 'jane@acme.example');
  assert.equal(got?.instanceUrl, 'https://acme.my.salesforce.com');
  assert.equal(redact('x 5Aep861RefreshOne y'), 'x ‹redacted› y', 'a stored refresh token is registered for redaction');
  assert.equal(await store.delete(KEY), true);
  assert.equal(await store.delete(KEY), false);
  assert.equal(await store.get(KEY), undefined);
});

test('a damaged or foreign entry is refused with a message that holds no token', async () => {
  const dir = freshDir();
  const store = new CredentialStore(dir);
  await store.ensureDir();
  writeFileSync(store.fileOf(KEY), '{not json', { mode: 0o600 });
  await assert.rejects(
    store.get(KEY),
    (e: Error) => e.name === 'CredentialStoreError' && /not a credential entry/.test(e.message),
  );
  writeFileSync(
    store.fileOf(KEY),
    JSON.stringify({ ...cred('5Aep861OtherUsersToken'), username: 'someone@else.example' }),
    { mode: 0o600 },
  );
  await assert.rejects(
    store.get(KEY),
    (e: Error) => /does not hold this sign-in/.test(e.message) && !e.message.includes('5Aep861OtherUsersToken'),
  );
});

test('looser permissions are fixed with a warning (dir 0755 -> 0700, file 0644 -> 0600)', {
  skip: !POSIX,
}, async () => {
  const dir = freshDir();
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  const warnings: string[] = [];
  const store = new CredentialStore(dir, { onWarning: (w) => warnings.push(w) });
  await store.put(cred('5Aep861Loose'));
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.match(warnings.join('\n'), /mode 0755; changed it to 0700/);
  chmodSync(store.fileOf(KEY), 0o644);
  const again = new CredentialStore(dir, { onWarning: (w) => warnings.push(w) });
  assert.equal((await again.get(KEY))?.refreshToken, '5Aep861Loose');
  assert.equal(statSync(store.fileOf(KEY)).mode & 0o777, 0o600);
  assert.match(warnings.join('\n'), /mode 0644; changed it to 0600/);
});

test('a store path that is a file is refused', async () => {
  const file = path.join(root, `notadir${++n}`);
  writeFileSync(file, 'x');
  await assert.rejects(
    new CredentialStore(file).get(KEY),
    (e: Error & { code?: string }) => e.code === 'UNSAFE_DIR' || e.code === 'IO',
  );
});

test('a store dir owned by another user is refused', { skip: !POSIX || process.getuid?.() !== 0 }, async () => {
  const dir = freshDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { chownSync } = await import('node:fs');
  chownSync(dir, 65534, 65534);
  await assert.rejects(
    new CredentialStore(dir).get(KEY),
    (e: Error & { code?: string }) => e.code === 'UNSAFE_DIR' && /another user/.test(e.message),
  );
});

/** An authorization server that rotates: each refresh token works once, and returns the next. */
function rotatingServer(first: string) {
  let current = first;
  let serial = 0;
  const used: string[] = [];
  const refused: string[] = [];
  return {
    current: () => current,
    used,
    refused,
    async refresh(token: string): Promise<string> {
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 10));
      if (token !== current) {
        refused.push(token);
        throw Object.assign(new Error('invalid_grant: expired access/refresh token'), { code: 'invalid_grant' });
      }
      used.push(token);
      current = `5Aep861Rotated${++serial}`;
      return current;
    },
  };
}

test('rotation: two concurrent refreshers in one process; the second re-reads and uses the rotated token', async () => {
  const store = new CredentialStore(freshDir());
  const server = rotatingServer('5Aep861Gen0');
  await store.put(cred(server.current()));
  const refreshOnce = () =>
    store.update(KEY, async (cur) => {
      assert.ok(cur);
      const next = await server.refresh(cur.refreshToken);
      return { next: { ...cur, refreshToken: next }, result: next };
    });
  const results = await Promise.all([refreshOnce(), refreshOnce(), refreshOnce(), refreshOnce()]);
  assert.equal(server.refused.length, 0, 'no refresher used a dead token');
  assert.equal(new Set(results).size, 4);
  assert.equal((await store.get(KEY))?.refreshToken, server.current());

  // The control: without the lock, concurrent refreshers do use a dead token.
  const server2 = rotatingServer('5Aep861Ctl0');
  await store.put(cred(server2.current()));
  const unlocked = async () => {
    const cur = (await store.get(KEY))!;
    const next = await server2.refresh(cur.refreshToken);
    await store.put({ ...cur, refreshToken: next });
  };
  const settled = await Promise.allSettled([unlocked(), unlocked()]);
  assert.equal(settled.filter((s) => s.status === 'rejected').length, 1, 'the race the lock prevents');
});

test('rotation across processes: 4 processes x 5 refreshes against one rotating server, none refused', {
  timeout: 60_000,
}, async () => {
  const dir = freshDir();
  const store = new CredentialStore(dir);
  let current = '5Aep861Proc0';
  let serial = 0;
  let refused = 0;
  let ok = 0;
  await store.put(cred(current));
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const token = new URLSearchParams(body).get('refresh_token');
      setTimeout(() => {
        if (token !== current) {
          refused++;
          res
            .writeHead(400, { 'content-type': 'application/json' })
            .end('{"error":"invalid_grant","error_description":"expired access/refresh token"}');
          return;
        }
        ok++;
        current = `5Aep861Proc${++serial}`;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ refresh_token: current }));
      }, 5);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const storeModule = path.resolve(__dirname, '../../src/credstore/index.ts');
  const script = `
    const { CredentialStore } = require(${JSON.stringify(storeModule)});
    const key = ${JSON.stringify(KEY)};
    (async () => {
      const store = new CredentialStore(${JSON.stringify(dir)});
      for (let i = 0; i < 5; i++) {
        await store.update(key, async (cur) => {
          const r = await fetch('http://127.0.0.1:${port}/services/oauth2/token', { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: cur.refreshToken }) });
          const j = await r.json();
          if (!r.ok) throw new Error(j.error);
          return { next: { ...cur, refreshToken: j.refresh_token }, result: undefined };
        });
      }
    })().then(() => process.exit(0), (e) => { console.error(e.message); process.exit(1); });
  `;
  try {
    const codes = await Promise.all(
      [1, 2, 3, 4].map(
        () =>
          new Promise<number>((resolve) => {
            const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
              stdio: ['ignore', 'ignore', 'pipe'],
            });
            let err = '';
            child.stderr.on('data', (d) => (err += d));
            child.on('exit', (code) => {
              if (code !== 0) console.error(err);
              resolve(code ?? 1);
            });
          }),
      ),
    );
    assert.deepEqual(codes, [0, 0, 0, 0]);
    assert.equal(refused, 0);
    assert.equal(ok, 20);
    assert.equal((await store.get(KEY))?.refreshToken, current);
    assert.deepEqual(
      readdirSync(dir).filter((f) => !f.endsWith('.json')),
      [],
      'no lock or temp file left',
    );
  } finally {
    server.close();
  }
});

test('lock: a lock left by a dead process is broken; a live holder makes others wait, then time out', async () => {
  const dir = path.join(root, `locks${++n}`);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'x.lock');
  // A process id that does not run: a child that has exited.
  const dead = await new Promise<number>((resolve) => {
    const c = spawn(process.execPath, ['-e', '0']);
    c.on('exit', () => resolve(c.pid!));
  });
  writeFileSync(file, JSON.stringify({ pid: dead, host: hostname(), nonce: 'old' }));
  assert.equal(await withLock(file, async () => 'got it', { waitMs: 2000 }), 'got it');
  assert.equal(existsSync(file), false);

  // A live holder (this process): a second caller waits until the first is done.
  const order: string[] = [];
  let release!: () => void;
  const first = withLock(file, async () => {
    order.push('first in');
    await new Promise<void>((r) => (release = r));
    order.push('first out');
  });
  await new Promise((r) => setTimeout(r, 30));
  const second = withLock(file, async () => order.push('second in'), { waitMs: 5000 });
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(order, ['first in']);
  await assert.rejects(
    withLock(file, async () => undefined, { waitMs: 100 }),
    LockTimeoutError,
  );
  release();
  await Promise.all([first, second]);
  assert.deepEqual(order, ['first in', 'first out', 'second in']);

  // A lock not touched for longer than staleMs is broken even when its pid looks alive (another host).
  writeFileSync(file, JSON.stringify({ pid: 1, host: 'another-host', nonce: 'far' }));
  const past = new Date(Date.now() - 10_000);
  const { utimesSync } = await import('node:fs');
  utimesSync(file, past, past);
  assert.equal(await withLock(file, async () => 'stale broken', { waitMs: 2000, staleMs: 5000 }), 'stale broken');
  assert.equal(readdirSync(dir).length, 0);
});

test('the store never writes a token anywhere but its entry file', async () => {
  const dir = freshDir();
  const store = new CredentialStore(dir);
  await store.put(cred('5Aep861OnlyHere'));
  const files = readdirSync(dir);
  assert.equal(files.length, 1);
  assert.ok(readFileSync(path.join(dir, files[0]!), 'utf8').includes('5Aep861OnlyHere'));
  assert.ok(!files[0]!.includes('jane'), 'the file name tells nothing about the user');
});
