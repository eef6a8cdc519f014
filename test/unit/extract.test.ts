/** `token-relay extract` in-process through main() with a fake CliIO. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';

const fixtures = path.join(__dirname, '..', 'fixtures', 'emails');

function fakeIO(stdin: Buffer | string = '', cwd = fixtures) {
  const out: string[] = [];
  const errs: string[] = [];
  const io: CliIO = {
    stdout: (t) => void out.push(t),
    stderr: (t) => void errs.push(t),
    env: {},
    cwd,
    readStdin: async () => Buffer.from(stdin),
  };
  return { io, out, errs, json: () => JSON.parse(out.join('')) as Record<string, unknown> };
}

async function extract(args: string[], stdin?: Buffer | string, cwd?: string) {
  const f = fakeIO(stdin, cwd);
  const code = await main(['extract', ...args], f.io);
  return { code, ...f };
}

test('a token mail: one JSON object with the contract keys, exit 0', async () => {
  const r = await extract(['01-en-token-multipart.eml']);
  assert.equal(r.code, 0);
  assert.equal(r.out.length, 1);
  assert.ok(r.out[0]!.endsWith('\n'));
  const j = r.json();
  assert.deepEqual(Object.keys(j).slice(0, 6), ['kind', 'token', 'username', 'warnings', 'authenticated', 'reason']);
  assert.equal(j.kind, 'token');
  assert.equal(j.token, 'wVjzLdiCeXMC0RE0iHAaAz33H');
  assert.equal(j.username, 'jane.doe@acme.example');
  assert.deepEqual(j.warnings, []);
  assert.equal(j.authenticated, false);
  assert.equal(j.sender, 'support@salesforce.com');
  assert.deepEqual(r.errs, []);
});

test('--username: case-insensitive match, other user, sandbox suffix', async () => {
  assert.equal(
    (await extract(['--username', 'JANE.DOE@ACME.EXAMPLE', '01-en-token-multipart.eml'])).json().kind,
    'token',
  );
  const other = (await extract(['--username=jane.doe@acme.example', '03-sandbox-token-base64.eml'])).json();
  assert.equal(other.kind, 'other-user');
  assert.equal(other.username, 'jane.doe@acme.example.uat');
  assert.equal(other.token, undefined);
});

test('verification code, none, untrusted-sender', async () => {
  const code = (await extract(['06-not-token-verify-identity-code.eml'])).json();
  assert.deepEqual([code.kind, code.code, code.username], ['verification-code', '482913', 'jane.doe@acme.example']);
  const none = (await extract(['29-not-token-password-reset.eml'])).json();
  assert.equal(none.kind, 'none');
  assert.equal(typeof none.reason, 'string');
  const spoof = await extract(['21-spoof-display-name.eml']);
  assert.equal(spoof.code, 0);
  assert.equal(spoof.json().kind, 'untrusted-sender');
  assert.ok(!spoof.out.join('').includes('Sp00fTok3n'), 'an untrusted token is never printed');
});

test('--trust-forwarded, --forwarded-from, --require-dkim and --authserv-id', async () => {
  assert.equal((await extract(['24-forwarded-gmail.eml'])).json().kind, 'untrusted-sender');
  // issue 15 item 5: --trust-forwarded alone trusts nothing new, and says why.
  const tf = (await extract(['--trust-forwarded', '24-forwarded-gmail.eml'])).json();
  assert.equal(tf.kind, 'untrusted-sender');
  assert.match(String(tf.reason), /forwardedFrom|--forwarded-from/);
  assert.equal(
    (await extract(['--forwarded-from', 'jane.doe@acme.example', '24-forwarded-gmail.eml'])).json().kind,
    'token',
  );
  assert.equal(
    (
      await extract(['--trust-forwarded', '--forwarded-from', 'JANE.DOE@acme.example', '26-forwarded-outlook-wg.eml'])
    ).json().kind,
    'token',
  );
  assert.equal(
    (await extract(['--forwarded-from', 'other@acme.example', '24-forwarded-gmail.eml'])).json().kind,
    'untrusted-sender',
  );
  assert.equal((await extract(['--require-dkim', '01-en-token-multipart.eml'])).json().kind, 'untrusted-sender');
  // issue 15 item 4: only the receiving server's header counts; extract has no IMAP host to default to.
  const noId = (await extract(['--require-dkim', '36-dkim-pass.eml'])).json();
  assert.equal(noId.kind, 'untrusted-sender');
  assert.match(String(noId.reason), /authserv-id/);
  const d = (await extract(['--require-dkim', '--authserv-id', 'mx.example.org', '36-dkim-pass.eml'])).json();
  assert.equal(d.kind, 'token');
  assert.equal(d.authenticated, true);
  assert.equal(
    (await extract(['--require-dkim', '--authserv-id', 'mx.google.com,mx.example.org', '36-dkim-pass.eml'])).json()
      .kind,
    'token',
  );
  assert.equal(
    (await extract(['--require-dkim', '--authserv-id', 'mx.google.com', '36-dkim-pass.eml'])).json().kind,
    'untrusted-sender',
  );
  for (const bad of [
    ['--authserv-id', 'mx;evil'],
    ['--authserv-id', ''],
    ['--forwarded-from', 'not-an-address'],
    ['--forwarded-from', 'a@b.c,<x>'],
  ]) {
    const r = await extract([...bad, '01-en-token-multipart.eml']);
    assert.equal(r.code, 2, bad.join(' '));
  }
});

test('- reads standard input', async () => {
  const raw = readFileSync(path.join(fixtures, '10-ja-token-utf8-base64.eml'));
  const r = await extract(['-'], raw);
  assert.equal(r.code, 0);
  assert.equal(r.json().token, 'Kq7ZpR2mXw9LsT4vNc8BdY3hF');
  const empty = await extract(['-'], '');
  assert.equal(empty.code, 0);
  assert.equal(empty.json().kind, 'none');
});

test('a relative path resolves against io.cwd; an absolute path works anywhere', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'extract-'));
  mkdirSync(path.join(dir, 'sub'));
  writeFileSync(
    path.join(dir, 'sub', 'm.eml'),
    readFileSync(path.join(fixtures, '08-legacy-token-confirmation-plain.eml')),
  );
  assert.equal((await extract(['sub/m.eml'], '', dir)).json().token, 'vHEv75bqkLriz4YX4Ycyr48D');
  assert.equal((await extract([path.join(dir, 'sub', 'm.eml')], '', '/')).json().kind, 'token');
});

test('garbage input is kind none, exit 0', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'extract-'));
  writeFileSync(path.join(dir, 'junk.eml'), Buffer.from([0, 255, 1, 254, 13, 10, 13, 10, 7]));
  const r = await extract(['junk.eml'], '', dir);
  assert.equal(r.code, 0);
  assert.equal(r.json().kind, 'none');
});

test('--max-bytes cuts the input with a warning', async () => {
  const r = await extract(['--max-bytes', '200', '01-en-token-multipart.eml']);
  assert.equal(r.code, 0);
  const j = r.json();
  assert.equal(j.kind, 'none');
  assert.ok((j.warnings as string[]).some((w) => /larger than 200 bytes/.test(w)));
});

test('unreadable input and usage errors: exit 2, nothing on stdout, a clear line on stderr', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['does-not-exist.eml'], /cannot read does-not-exist\.eml: no such file/],
    [['.'], /it is a directory/],
    [[], /give a mail file/],
    [['a.eml', 'b.eml'], /one mail file at a time/],
    [['--username'], /--username needs a value/],
    [['--username', '  ', '01-en-token-multipart.eml'], /non-empty/],
    [['--bogus', 'x.eml'], /unknown option --bogus/],
    [['--max-bytes', '0', 'x.eml'], /positive whole number/],
    [['--require-dkim=yes', 'x.eml'], /takes no value/],
  ];
  for (const [args, re] of cases) {
    const r = await extract(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.deepEqual(r.out, [], args.join(' '));
    assert.match(r.errs.join(''), re, args.join(' '));
  }
});

test('--help prints the usage on stdout, exit 0', async () => {
  const r = await extract(['--help']);
  assert.equal(r.code, 0);
  assert.match(r.out.join(''), /Usage: token-relay extract \[--username U\]/);
  assert.match(r.out.join(''), /untrusted-sender/);
});

test('every fixture prints exactly one parseable JSON object', async () => {
  const { readdirSync } = await import('node:fs');
  for (const f of readdirSync(fixtures).filter((x) => x.endsWith('.eml'))) {
    const r = await extract([f]);
    assert.equal(r.code, 0, f);
    assert.equal(r.out.length, 1, f);
    const j = r.json();
    assert.ok(typeof j.kind === 'string' && Array.isArray(j.warnings) && typeof j.authenticated === 'boolean', f);
    if (j.kind !== 'token') assert.equal(j.token, undefined, f);
  }
});

test('a file of exactly --max-bytes is not reported as cut; one byte more is', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'extract-'));
  const raw = readFileSync(path.join(fixtures, '08-legacy-token-confirmation-plain.eml'));
  writeFileSync(path.join(dir, 'm.eml'), raw);
  const exact = (await extract(['--max-bytes', String(raw.length), 'm.eml'], '', dir)).json();
  assert.equal(exact.kind, 'token');
  assert.deepEqual(exact.warnings, []);
  const less = (await extract(['--max-bytes', String(raw.length - 1), 'm.eml'], '', dir)).json();
  assert.ok((less.warnings as string[]).some((w) => /larger than/.test(w)));
});
