/** Every .eml under test/fixtures/emails through parseAndClassify, against expected.json. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseAndClassify } from '../../src/mail';
import type { ClassifyOptions } from '../../src/core/tokenMail';

const dir = path.join(__dirname, '..', 'fixtures', 'emails');
interface Expectation {
  opts?: ClassifyOptions;
  kind: string;
  token?: string;
  code?: string;
  username?: string;
  noToken?: boolean;
  authenticated?: boolean;
  warning?: { re: string };
}
const expected: Record<string, Expectation[]> = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8'));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.eml'))
  .sort();

test('every fixture has an expectation and an X-Sample-Note', () => {
  assert.ok(files.length >= 30, `only ${files.length} fixtures`);
  for (const f of files) {
    assert.ok(expected[f]?.length, `no expectation for ${f}`);
    assert.match(readFileSync(path.join(dir, f), 'latin1'), /^X-Sample-Note: \S/m, `${f} has no X-Sample-Note`);
  }
  for (const f of Object.keys(expected)) assert.ok(files.includes(f), `expectation for a missing file ${f}`);
});

for (const f of files) {
  for (const exp of expected[f] ?? []) {
    const label = `${f}${exp.opts ? ' ' + JSON.stringify(exp.opts) : ''} → ${exp.kind}`;
    test(label, async () => {
      const raw = readFileSync(path.join(dir, f));
      const v = await parseAndClassify(raw, exp.opts);
      assert.equal(v.kind, exp.kind, `${f}: ${v.reason}`);
      if (exp.token !== undefined) assert.equal(v.token, exp.token);
      if (exp.code !== undefined) assert.equal(v.code, exp.code);
      if (exp.username !== undefined) assert.equal(v.username, exp.username);
      if (exp.authenticated !== undefined) assert.equal(v.authenticated, exp.authenticated);
      if (exp.warning)
        assert.ok(
          v.warnings.some((w) => new RegExp(exp.warning!.re).test(w)),
          `warnings: ${JSON.stringify(v.warnings)}`,
        );
      else if (exp.kind === 'token' && !exp.opts) assert.deepEqual(v.warnings, [], `${f}: unexpected warnings`);
      if (v.kind !== 'token') assert.equal(v.token, undefined, 'only a token verdict carries a token');
      if (exp.noToken)
        assert.ok(
          !/Sp00fTok3n|[A-Za-z0-9]{24,25}/.test(JSON.stringify({ ...v, subject: '', sender: '' })),
          'token-like value leaked into the verdict',
        );
      // reason never carries a secret
      for (const s of [v.token, v.code])
        if (s) assert.ok(!v.reason.includes(s) && !v.warnings.join(' ').includes(s), 'secret in reason/warnings');
      assert.ok(v.reason.length > 10);
    });
  }
}

test('parser differentials in From: a second From field or a second angle address makes the mail untrusted', async () => {
  const body = `Content-Type: text/plain\r\n\r\nUsername: jane@acme.example\r\nSecurity token: CanaryTok3nAbCdEfGhIjKlMn\r\nThanks\r\n`;
  const cases = [
    `From: Salesforce <support@salesforce.com>\r\nFrom: Attacker <attacker@evil.test>\r\nSubject: x\r\n${body}`,
    `From: Attacker <attacker@evil.test>\r\nFrom: Salesforce <support@salesforce.com>\r\nSubject: x\r\n${body}`,
    `From: <support@salesforce.com> <attacker@evil.test>\r\nSubject: x\r\n${body}`,
    `From: Salesforce\r\n <support@salesforce.com>\r\n <attacker@evil.test>\r\nSubject: x\r\n${body}`,
  ];
  for (const raw of cases) {
    const v = await parseAndClassify(raw);
    assert.equal(v.kind, 'untrusted-sender', raw.split('\r\n')[0]);
    assert.equal(v.token, undefined);
  }
  // A display name that repeats the address is one sender.
  const ok = await parseAndClassify(
    `From: "support@emea.salesforce.com" <support@emea.salesforce.com>\r\nSubject: x\r\n${body}`,
  );
  assert.equal(ok.kind, 'token');
});
