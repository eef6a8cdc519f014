/** removeEnvKeys (src/core/dotenv.ts) and writeEnvFile's `remove` option: only the removed assignments' lines go. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as dotenv from 'dotenv';
import { parseEnv, removeEnvKeys } from '../../src/core/dotenv';
import { writeEnvFile } from '../../src/envfile';

test('removes every assignment of the keys, keeping every other byte', () => {
  const text =
    '# Salesforce\nSF_USERNAME=jane@acme.example\nSF_PASSWORD=old\n\n# token below\nexport SF_SECURITY_TOKEN="abc" # inline\nSF_PASSWORD=\'newer\'\nOTHER=1\n';
  const out = removeEnvKeys(text, ['SF_PASSWORD', 'SF_SECURITY_TOKEN']);
  assert.equal(out, '# Salesforce\nSF_USERNAME=jane@acme.example\n\n# token below\nOTHER=1\n');
  assert.deepEqual(dotenv.parse(out), { SF_USERNAME: 'jane@acme.example', OTHER: '1' });
});

test('nothing to remove: the same text', () => {
  const text = 'A=1\r\nB=2';
  assert.equal(removeEnvKeys(text, ['C']), text);
  assert.equal(removeEnvKeys('', ['C']), '');
});

test('CRLF, CR, no final newline, a comment line right after a value, multi-line quoted values', () => {
  assert.equal(removeEnvKeys('A=1\r\nB=2\r\nC=3\r\n', ['B']), 'A=1\r\nC=3\r\n');
  assert.equal(removeEnvKeys('A=1\rB=2\rC=3', ['C']), 'A=1\rB=2');
  assert.equal(removeEnvKeys('A=1\nB=2', ['B']), 'A=1');
  assert.equal(removeEnvKeys('B=2', ['B']), '');
  assert.equal(removeEnvKeys('A=1\n# keep me\nB=2\n', ['A']), '# keep me\nB=2\n');
  assert.equal(removeEnvKeys('A=1\n\n\nB=2\n', ['B']), 'A=1\n\n\n');
  const multi = 'A=1\nKEY="line1\nline2"\nB=2\n';
  assert.equal(removeEnvKeys(multi, ['KEY']), 'A=1\nB=2\n');
  assert.equal(removeEnvKeys('\uFEFFKEY=1\nA=2\n', ['KEY']), '\uFEFFA=2\n');
  assert.equal(removeEnvKeys('EMPTY=\nA=2\n', ['EMPTY']), 'A=2\n');
});

test('every other assignment still reads the same (random files)', () => {
  const keys = ['A', 'B', 'SF_PASSWORD', 'SF_SECURITY_TOKEN'];
  const vals = ['x', '"q u"', "'s'", '`b`', '', 'v # c', '"multi\nline"'];
  let seed = 7;
  const rnd = (k: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % k;
  };
  for (let i = 0; i < 500; i++) {
    const lines: string[] = [];
    for (let j = rnd(8); j >= 0; j--) {
      const r = rnd(10);
      if (r === 0) lines.push('# comment');
      else if (r === 1) lines.push('');
      else lines.push(`${rnd(4) === 0 ? 'export ' : ''}${keys[rnd(keys.length)]}=${vals[rnd(vals.length)]}`);
    }
    const eol = ['\n', '\r\n'][rnd(2)]!;
    const text = lines.join(eol) + (rnd(2) ? eol : '');
    let out: string;
    try {
      out = removeEnvKeys(text, ['SF_PASSWORD', 'SF_SECURITY_TOKEN']);
    } catch (e) {
      assert.equal((e as { code?: string }).code, 'UNREPRESENTABLE');
      continue;
    }
    const want = { ...parseEnv(text) };
    delete want.SF_PASSWORD;
    delete want.SF_SECURITY_TOKEN;
    assert.deepEqual(dotenv.parse(out), want, JSON.stringify(text));
  }
});

test('an invalid key is refused', () => {
  assert.throws(
    () => removeEnvKeys('A=1', ['bad key']),
    (e: Error & { code?: string }) => e.code === 'INVALID_KEY',
  );
});

test('writeEnvFile({remove}): sets, removes, lists removed keys in changed; a missing file with only removals stays missing', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tr-dotenv-remove-'));
  try {
    const file = path.join(dir, '.env');
    writeFileSync(file, '# mine\nSF_USERNAME=u\nSF_PASSWORD=p\nSF_SECURITY_TOKEN=t\n', { mode: 0o600 });
    const res = await writeEnvFile(
      file,
      { SF_AUTH: 'oauth' },
      { remove: ['SF_PASSWORD', 'SF_SECURITY_TOKEN'], checkGitIgnore: false },
    );
    assert.deepEqual(res.changed, ['SF_AUTH', 'SF_PASSWORD', 'SF_SECURITY_TOKEN']);
    assert.equal(readFileSync(file, 'utf8'), '# mine\nSF_USERNAME=u\nSF_AUTH=oauth\n');
    const again = await writeEnvFile(file, {}, { remove: ['SF_PASSWORD'], checkGitIgnore: false });
    assert.deepEqual(again.changed, []);
    const missing = path.join(dir, 'none.env');
    const r = await writeEnvFile(missing, {}, { remove: ['SF_ACCESS_TOKEN'], checkGitIgnore: false });
    assert.equal(r.created, false);
    assert.throws(() => readFileSync(missing));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
