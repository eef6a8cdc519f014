/**
 * Spoofing (issue 8): mails that only look like Salesforce's, display-name tricks, parser
 * differentials in From, forwarded copies, another user's token, forged Authentication-Results.
 * None may be accepted as a token mail — through parseAndClassify and through `token-relay extract`.
 * Positive controls make sure the refusals are not vacuous. Fixtures: test/fixtures/spoof/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAndClassify } from '../../src/mail';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import {
  DKIM_VARIANTS,
  LAYOUTS,
  TRUSTED_SENDERS,
  buildMail,
  lookalikeSenders,
  tokenHtml,
  tokenText,
} from '../fuzz/mails';
import { OUR_USER, REAL_TOKEN, SPOOF_DIR, SPOOF_FIXTURES, SPOOF_TOKEN } from '../fuzz/spoofFixtures';

function tokenMail(
  from: string,
  o: {
    username?: string;
    token?: string;
    layout?: (typeof LAYOUTS)[number];
    headers?: Array<[string, string]>;
    lang?: 'en' | 'ja' | 'legacy';
  } = {},
): Buffer {
  const body = {
    lang: o.lang ?? 'en',
    username: o.username ?? OUR_USER,
    token: o.token ?? SPOOF_TOKEN,
    firstName: 'Jane',
  } as const;
  return buildMail({
    from,
    subject: 'Your new Salesforce security token',
    layout: o.layout ?? 'alt-7bit-qp',
    text: tokenText(body),
    html: tokenHtml(body),
    headers: o.headers,
  }).raw;
}

function captureIO(): CliIO & { out: string[]; errs: string[] } {
  const out: string[] = [];
  const errs: string[] = [];
  return {
    out,
    errs,
    stdout: (t) => void out.push(t),
    stderr: (t) => void errs.push(t),
    env: {},
    cwd: process.cwd(),
    readStdin: async () => Buffer.alloc(0),
  };
}

test('spoof fixtures on disk match their generator (regenerate: node --import tsx test/fuzz/spoofFixtures.ts)', () => {
  for (const f of SPOOF_FIXTURES) {
    const onDisk = readFileSync(path.join(SPOOF_DIR, f.file));
    assert.ok(onDisk.equals(f.raw()), `${f.file} differs from its generator`);
  }
});

for (const f of SPOOF_FIXTURES) {
  test(`spoof fixture ${f.file}: ${f.what}`, async () => {
    const raw = readFileSync(path.join(SPOOF_DIR, f.file));
    const v = await parseAndClassify(raw, f.opts);
    assert.ok(f.allowed.includes(v.kind), `kind ${v.kind} (${v.reason}); allowed: ${f.allowed.join(', ')}`);
    assert.equal(v.token, undefined, 'a refused mail must not carry its token');
    if (f.opts.requireDkim && f.file.startsWith('dkim-forged'))
      assert.notEqual(v.authenticated, true, 'a forged Authentication-Results must not count');
    if (f.file.startsWith('from-'))
      assert.match(
        v.reason,
        /malformed|several|not a salesforce\.com address/,
        'a malformed From is refused for what it is',
      );

    // The same through the CLI, in-process: nothing token-shaped on stdout.
    const io = captureIO();
    const argv = [
      'extract',
      ...(f.opts.username ? ['--username', f.opts.username] : []),
      ...(f.opts.requireDkim ? ['--require-dkim'] : []),
      ...(f.opts.authservId ? ['--authserv-id', f.opts.authservId] : []),
      ...(f.opts.trustForwarded ? ['--trust-forwarded'] : []),
      ...(f.opts.forwardedFrom ? ['--forwarded-from', f.opts.forwardedFrom] : []),
      path.join(SPOOF_DIR, f.file),
    ];
    assert.equal(await main(argv, io), 0);
    const json = JSON.parse(io.out.join(''));
    assert.notEqual(json.kind, 'token');
    const all = io.out.join('') + io.errs.join('');
    assert.ok(!all.includes(SPOOF_TOKEN) && !all.includes(REAL_TOKEN), 'the refused token is printed');
  });
}

test('every lookalike sender is refused, in every layout, with and without --username', async () => {
  const bad: string[] = [];
  for (const s of lookalikeSenders()) {
    for (const layout of LAYOUTS) {
      for (const lang of ['en', 'ja', 'legacy'] as const) {
        const raw = tokenMail(s.from, {
          layout,
          headers: s.extra,
          lang: layout === 'plain-8bit-latin1' && lang === 'ja' ? 'en' : lang,
        });
        for (const opts of [{}, { username: OUR_USER }]) {
          const v = await parseAndClassify(raw, opts);
          if (v.kind === 'token' || v.token !== undefined)
            bad.push(`${s.why} [${layout}/${lang}] ${JSON.stringify(opts)} -> ${v.kind}`);
        }
      }
    }
  }
  assert.deepEqual(bad, []);
});

test('positive controls: genuine senders and layouts are accepted (the refusals above are not vacuous)', async () => {
  for (const from of [...TRUSTED_SENDERS, 'Salesforce <SUPPORT@SALESFORCE.COM>', 'support@na1.mta.salesforce.com']) {
    for (const layout of LAYOUTS) {
      const v = await parseAndClassify(tokenMail(from, { token: REAL_TOKEN, layout }), {
        username: OUR_USER.toUpperCase(),
      });
      assert.equal(v.kind, 'token', `${from} [${layout}]: ${v.reason}`);
      assert.equal(v.token, REAL_TOKEN);
      assert.equal(v.username?.toLowerCase(), OUR_USER);
    }
  }
});

test("another user's token is reported as other-user, never as token, when --username is given", async () => {
  const cases: Array<[string, string]> = [
    ['ops.admin@acme.example', OUR_USER],
    [`${OUR_USER}.uat`, OUR_USER], // sandbox suffix is part of the username
    [OUR_USER, `${OUR_USER}.uat`],
    ['jane.doe@acme.example.com', OUR_USER],
    ['x' + OUR_USER, OUR_USER],
  ];
  for (const [inMail, wanted] of cases) {
    const v = await parseAndClassify(
      tokenMail('Salesforce <support@salesforce.com>', { username: inMail, token: REAL_TOKEN }),
      { username: wanted },
    );
    assert.equal(v.kind, 'other-user', `${inMail} vs ${wanted}: ${v.reason}`);
    assert.equal(v.token, undefined);
    assert.equal(v.username, inMail);
  }
});

test('a token mail without a readable username line is not accepted for a given --username', async () => {
  const text = `Hi,\n\nSecurity token (case-sensitive): ${REAL_TOKEN}\n\nThanks,\nSalesforce\n`;
  const raw = buildMail({
    from: 'Salesforce <support@salesforce.com>',
    subject: 'Your new Salesforce security token',
    layout: 'plain-7bit',
    text,
  }).raw;
  const v = await parseAndClassify(raw, { username: OUR_USER });
  assert.notEqual(v.kind, 'token', v.reason);
  assert.equal(v.token, undefined);
});

test('Authentication-Results dkim=pass header.d=salesforce.com is recorded; requireDkim refuses everything else', async () => {
  const from = 'Salesforce <support@salesforce.com>';
  for (const variant of DKIM_VARIANTS) {
    const raw = tokenMail(from, {
      token: REAL_TOKEN,
      headers: variant.headers.map((h) => ['Authentication-Results', h] as [string, string]),
    });
    const relaxed = await parseAndClassify(raw, { username: OUR_USER, authservId: 'mx.example.org' });
    assert.equal(relaxed.kind, 'token', `${variant.name} without requireDkim: ${relaxed.reason}`);
    if (variant.trusted === true) assert.equal(relaxed.authenticated, true, `${variant.name}: DKIM pass not recorded`);
    if (variant.trusted === false)
      assert.notEqual(relaxed.authenticated, true, `${variant.name}: recorded as authenticated`);
    const strict = await parseAndClassify(raw, { username: OUR_USER, requireDkim: true, authservId: 'mx.example.org' });
    // The same header under another authserv-id than the receiver's never counts.
    const otherId = await parseAndClassify(raw, {
      username: OUR_USER,
      requireDkim: true,
      authservId: 'mx.elsewhere.example',
    });
    assert.notEqual(otherId.kind, 'token', `${variant.name}: accepted under a foreign authserv-id`);
    if (variant.trusted === true)
      assert.equal(strict.kind, 'token', `${variant.name} with requireDkim: ${strict.reason}`);
    if (variant.trusted === false) {
      assert.notEqual(strict.kind, 'token', `${variant.name} accepted with requireDkim`);
      assert.equal(strict.token, undefined);
    }
  }
  // The shared fixture with a real-looking receiver header.
  const fixture = readFileSync(path.join(__dirname, '..', 'fixtures', 'emails', '36-dkim-pass.eml'));
  const v = await parseAndClassify(fixture, { requireDkim: true, imapHost: 'imap.example.org' });
  assert.equal(v.kind, 'token');
  assert.equal(v.authenticated, true);
  assert.equal(
    (await parseAndClassify(fixture, { requireDkim: true })).kind,
    'untrusted-sender',
    'no authserv-id known: nothing counts',
  );
});
