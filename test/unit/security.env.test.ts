/**
 * .env security and robustness (issue 8), against dotenv's own parser as the oracle:
 *  - 10,000 random files × random values (every printable ASCII character, Unicode incl. astral,
 *    quotes, newlines): a write either reads back exactly through dotenv, keeping every other key,
 *    or is refused with an EnvError whose message never contains a value;
 *  - every printable character, alone and in context, is representable;
 *  - a symlinked .env pointing outside the workspace is written through only after confirmation;
 *  - a read-only .env gives a clear error and stays untouched;
 *  - two writers of one .env, and a .env changed on disk while a write is pending: no lost update,
 *    no corruption, no temp files left behind.
 * FC_SEED replays a property failure; FC_RUNS changes the number of runs (default 10,000).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import dotenv from 'dotenv';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { EnvError, setEnvText } from '../../src/core/dotenv';
import { writeEnvFile } from '../../src/envfile';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';

const RUNS = Number(process.env.FC_RUNS) > 0 ? Number(process.env.FC_RUNS) : 10_000;
const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : 0x5ec0de;

const KEYS = ['SF_PASSWORD', 'SF_SECURITY_TOKEN', 'SF_USERNAME', 'A', 'x.y', 'k-1', 'TOKEN_RELAY_IMAP_PASSWORD'];
const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i));
const UNICODE = [
  'é',
  'ß',
  'Ω',
  'я',
  '中',
  '日本',
  '😀',
  '𝔘',
  '\u00a0',
  '\u2028',
  '\u2029',
  '\u200b',
  '\u202e',
  '\ufeff',
  'e\u0301',
  'ﬁ',
  'Ａ',
  '\t',
  '\n',
  '\r\n',
];

const valueArb = fc.oneof(
  fc.string({ unit: fc.constantFrom(...PRINTABLE), maxLength: 40 }),
  fc.string({ unit: fc.constantFrom(...PRINTABLE, ...UNICODE), maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }).filter((s) => !s.includes('\0')),
);

/** Random env files: assignments in every quoting, comments, blanks, export, CRLF, BOM, junk lines. */
const lineArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({
        key: fc.constantFrom(...KEYS, 'OTHER', 'B_2'),
        value: fc.string({ unit: fc.constantFrom(...PRINTABLE), maxLength: 16 }),
        q: fc.constantFrom('', "'", '"', '`'),
        exp: fc.boolean(),
        sp: fc.constantFrom('=', ' = ', '= ', ': '),
      })
      .map(
        ({ key, value, q, exp, sp }) =>
          `${exp ? 'export ' : ''}${key}${sp}${q}${q ? value.split(q).join('') : value.replace(/[#\s]/g, '')}${q}`,
      ),
  },
  {
    weight: 2,
    arbitrary: fc.string({ unit: fc.constantFrom(...PRINTABLE, 'é', '😀'), maxLength: 30 }).map((s) => `# ${s}`),
  },
  { weight: 2, arbitrary: fc.constantFrom('', '   ', '\t') },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.constantFrom(...PRINTABLE, ...UNICODE.filter((u) => !/[\r\n]/.test(u))),
      maxLength: 30,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'MULTI="line one\nline two"',
      "SINGLE='a # not a comment'",
      'TRAIL=value # comment',
      'EMPTY=',
      'BACK=`x`',
    ),
  },
);
const fileArb = fc
  .record({
    lines: fc.array(lineArb, { maxLength: 12 }),
    eol: fc.constantFrom('\n', '\r\n'),
    bom: fc.boolean(),
    final: fc.boolean(),
  })
  .map(({ lines, eol, bom, final }) => (bom ? '\ufeff' : '') + lines.join(eol) + (final && lines.length ? eol : ''));

function assertHygienicError(e: unknown, values: Record<string, string>): void {
  assert.ok(e instanceof EnvError, `not an EnvError: ${String(e)}`);
  assert.ok(['UNREPRESENTABLE', 'INVALID_FILE', 'INVALID_KEY'].includes(e.code), `code ${e.code}`);
  for (const v of Object.values(values)) {
    if (v.trim().length >= 4) assert.ok(!e.message.includes(v), 'the error message contains the value');
  }
  assert.ok(e.message.length > 20, 'the error says what happened');
}

test(`property (${RUNS} runs): random files × random values read back exactly through dotenv, other keys kept`, () => {
  let refused = 0;
  fc.assert(
    fc.property(
      fileArb,
      fc.dictionary(fc.constantFrom(...KEYS), valueArb, { minKeys: 1, maxKeys: 3 }),
      (text, values) => {
        let out: string;
        try {
          out = setEnvText(text, values);
        } catch (e) {
          assertHygienicError(e, values);
          refused++;
          return;
        }
        const before = dotenv.parse(text);
        const after = dotenv.parse(out);
        for (const [k, v] of Object.entries(values)) assert.equal(after[k], v, `key ${k} does not read back`);
        for (const [k, v] of Object.entries(before))
          if (!(k in values)) assert.equal(after[k], v, `other key ${k} changed`);
        for (const k of Object.keys(after)) assert.ok(k in before || k in values, `new key ${k} appeared`);
      },
    ),
    { numRuns: RUNS, seed: SEED },
  );
  assert.ok(refused < RUNS * 0.2, `too many refusals: ${refused}/${RUNS}`);
});

test('every printable ASCII character and a range of Unicode is representable, alone and in context', () => {
  const files = [
    '',
    'SF_PASSWORD=old\n',
    "SF_PASSWORD='old'\r\n",
    'export SF_PASSWORD="old"  # keep\nOTHER=1\n',
    'A=1\nSF_PASSWORD=`old`',
  ];
  for (const c of [...PRINTABLE, ...UNICODE]) {
    for (const value of [c, `a${c}b`, `${c}x`, `x${c}`, `${c}${c}${c}`, ` ${c} `, `pa55${c}w0rd!`]) {
      for (const text of files) {
        const out = setEnvText(text, { SF_PASSWORD: value });
        assert.equal(
          dotenv.parse(out).SF_PASSWORD,
          value,
          `char U+${c.codePointAt(0)!.toString(16)} in ${JSON.stringify(value)} over ${JSON.stringify(text)}`,
        );
        if (text.includes('OTHER=1')) assert.equal(dotenv.parse(out).OTHER, '1');
      }
    }
  }
});

test('a value dotenv cannot hold is refused cleanly: EnvError, no value in the message, file untouched', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tr-sec-'));
  try {
    const file = path.join(dir, '.env');
    const original = 'SF_USERNAME=jane@acme.example\nSF_PASSWORD=old\n';
    writeFileSync(file, original, { mode: 0o600 });
    const impossible = PRINTABLE.join(''); // all three quotes, '#', spaces
    await assert.rejects(writeEnvFile(file, { SF_PASSWORD: impossible }, { checkGitIgnore: false }), (e: unknown) => {
      assertHygienicError(e, { SF_PASSWORD: impossible });
      assert.equal((e as EnvError).code, 'UNREPRESENTABLE');
      return true;
    });
    assert.equal(readFileSync(file, 'utf8'), original);
    assert.deepEqual(readdirSync(dir), ['.env'], 'temp files left behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ------------------------------------------------------------------------------------------------
// Symlinks and paths outside the workspace

function workspace(): { root: string; ws: string; outside: string; cleanup: () => void } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tr-sec-'));
  const ws = path.join(root, 'workspace');
  const outside = path.join(root, 'outside');
  mkdirSync(ws);
  mkdirSync(outside);
  return { root, ws, outside, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

test('a .env symlink to a file outside the workspace is written only after the user confirms', async () => {
  const w = workspace();
  try {
    const target = path.join(w.outside, 'shared.env');
    writeFileSync(target, 'SHARED=1\nSF_SECURITY_TOKEN=old\n');
    const link = path.join(w.ws, '.env');
    symlinkSync(target, link);
    const before = readFileSync(target, 'utf8');

    // No confirmation callback: refused.
    await assert.rejects(
      writeEnvFile(
        link,
        { SF_SECURITY_TOKEN: 'NewToken1234567890abcdefg' },
        { allowOutside: w.ws, checkGitIgnore: false },
      ),
      (e: unknown) =>
        e instanceof EnvError && e.code === 'SYMLINK_OUTSIDE' && !e.message.includes('NewToken1234567890abcdefg'),
    );
    // The user says no: refused, and asked about the real target.
    const asked: string[] = [];
    await assert.rejects(
      writeEnvFile(
        link,
        { SF_SECURITY_TOKEN: 'NewToken1234567890abcdefg' },
        { allowOutside: w.ws, checkGitIgnore: false, confirmOutside: async (t) => (asked.push(t), false) },
      ),
      (e: unknown) => e instanceof EnvError && e.code === 'SYMLINK_OUTSIDE',
    );
    assert.deepEqual(asked, [target]);
    assert.equal(readFileSync(target, 'utf8'), before, 'written without confirmation');
    // A confirmation that is not exactly `true` does not count.
    await assert.rejects(
      writeEnvFile(
        link,
        { SF_SECURITY_TOKEN: 'NewToken1234567890abcdefg' },
        { allowOutside: w.ws, checkGitIgnore: false, confirmOutside: async () => 'yes' as unknown as boolean },
      ),
    );
    assert.equal(readFileSync(target, 'utf8'), before);

    // The user says yes: written through; the link stays a link.
    const r = await writeEnvFile(
      link,
      { SF_SECURITY_TOKEN: 'NewToken1234567890abcdefg' },
      { allowOutside: w.ws, checkGitIgnore: false, confirmOutside: async () => true },
    );
    assert.equal(r.target, target);
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(readlinkSync(link), target);
    assert.deepEqual(dotenv.parse(readFileSync(target, 'utf8')), {
      SHARED: '1',
      SF_SECURITY_TOKEN: 'NewToken1234567890abcdefg',
    });
  } finally {
    w.cleanup();
  }
});

test('symlink chains, relative escapes and dangling links outside the workspace all need confirmation', async () => {
  const w = workspace();
  try {
    const cases: Array<[string, () => string]> = [
      [
        'chain',
        () => {
          writeFileSync(path.join(w.outside, 'a.env'), 'X=1\n');
          symlinkSync(path.join(w.outside, 'a.env'), path.join(w.ws, 'hop'));
          symlinkSync(path.join(w.ws, 'hop'), path.join(w.ws, 'chain.env'));
          return path.join(w.ws, 'chain.env');
        },
      ],
      [
        'relative',
        () => {
          writeFileSync(path.join(w.outside, 'b.env'), 'X=1\n');
          symlinkSync('../outside/b.env', path.join(w.ws, 'rel.env'));
          return path.join(w.ws, 'rel.env');
        },
      ],
      [
        'dangling',
        () => {
          symlinkSync(path.join(w.outside, 'not-yet.env'), path.join(w.ws, 'dangling.env'));
          return path.join(w.ws, 'dangling.env');
        },
      ],
    ];
    for (const [name, make] of cases) {
      const link = make();
      let asked = 0;
      await assert.rejects(
        writeEnvFile(
          link,
          { SF_SECURITY_TOKEN: 'NewToken1234567890abcdefg' },
          { allowOutside: w.ws, checkGitIgnore: false, confirmOutside: async () => (asked++, false) },
        ),
        (e: unknown) => e instanceof EnvError && e.code === 'SYMLINK_OUTSIDE',
        name,
      );
      assert.equal(asked, 1, `${name}: not asked`);
    }
    assert.ok(!readdirSync(w.outside).includes('not-yet.env'), 'dangling target created without confirmation');
    // A symlink that stays inside the workspace needs no confirmation.
    writeFileSync(path.join(w.ws, 'real.env'), 'X=1\n');
    symlinkSync('real.env', path.join(w.ws, 'inside.env'));
    await writeEnvFile(
      path.join(w.ws, 'inside.env'),
      { Y: '2' },
      {
        allowOutside: w.ws,
        checkGitIgnore: false,
        confirmOutside: async () => assert.fail('asked for an inside link'),
      },
    );
    assert.equal(dotenv.parse(readFileSync(path.join(w.ws, 'real.env'), 'utf8')).Y, '2');
  } finally {
    w.cleanup();
  }
});

test('a .env reached through a symlinked folder or given as a path outside the workspace also needs confirmation', async () => {
  // Hostile workspace settings can point the env path anywhere (../../.bashrc, a linked folder).
  const w = workspace();
  try {
    writeFileSync(path.join(w.outside, '.env'), 'KEEP=1\n');
    symlinkSync(w.outside, path.join(w.ws, 'config'));
    const viaFolder = path.join(w.ws, 'config', '.env');
    const plainOutside = path.join(w.ws, '..', 'outside', '.env');
    for (const p of [viaFolder, plainOutside]) {
      let asked = 0;
      await assert.rejects(
        writeEnvFile(
          p,
          { SF_SECURITY_TOKEN: 'NewToken1234567890abcdefg' },
          { allowOutside: w.ws, checkGitIgnore: false, confirmOutside: async () => (asked++, false) },
        ),
        (e: unknown) => e instanceof EnvError && e.code === 'SYMLINK_OUTSIDE',
        `${p} written outside the workspace without confirmation`,
      );
      assert.equal(asked, 1);
    }
    assert.equal(readFileSync(path.join(w.outside, '.env'), 'utf8'), 'KEEP=1\n');
  } finally {
    w.cleanup();
  }
});

// ------------------------------------------------------------------------------------------------
// Read-only files

function captureIO(cwd: string): CliIO & { out: string[]; errs: string[] } {
  const out: string[] = [];
  const errs: string[] = [];
  return {
    out,
    errs,
    stdout: (t) => void out.push(t),
    stderr: (t) => void errs.push(t),
    env: {},
    cwd,
    readStdin: async () => Buffer.alloc(0),
  };
}

test('a read-only .env gives a clear error (library and CLI), and stays untouched', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tr-sec-'));
  try {
    const file = path.join(dir, '.env');
    writeFileSync(file, 'SF_SECURITY_TOKEN=old\n');
    chmodSync(file, 0o444);
    await assert.rejects(
      writeEnvFile(file, { SF_SECURITY_TOKEN: 'NewToken1234567890abcdefg' }, { checkGitIgnore: false }),
      (e: unknown) => {
        assert.ok(e instanceof EnvError && e.code === 'READ_ONLY', String(e));
        assert.match(e.message, /read-only/);
        assert.match(e.message, /chmod|writable/);
        assert.ok(!e.message.includes('NewToken1234567890abcdefg'));
        return true;
      },
    );
    const io = captureIO(dir);
    const code = await main(['env', 'set', '--dotenv', file, 'SF_SECURITY_TOKEN=NewToken1234567890abcdefg'], io);
    assert.equal(code, 2);
    const said = io.errs.join('');
    assert.match(said, /read-only/);
    assert.ok(
      !said.includes('NewToken1234567890abcdefg') && !io.out.join('').includes('NewToken1234567890abcdefg'),
      'the CLI echoed the value',
    );
    assert.equal(readFileSync(file, 'utf8'), 'SF_SECURITY_TOKEN=old\n');
    assert.equal(statSync(file).mode & 0o777, 0o444);
    assert.deepEqual(readdirSync(dir), ['.env']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ------------------------------------------------------------------------------------------------
// Concurrency: two writers, and a file changed on disk while a write is pending

test('two writers of one .env in one process: no lost update (50 rounds)', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tr-sec-'));
  try {
    const file = path.join(dir, '.env');
    for (let round = 0; round < 50; round++) {
      writeFileSync(file, '# shared\nKEEP=1\n', { mode: 0o600 });
      await Promise.all([
        writeEnvFile(file, { SF_SECURITY_TOKEN: `TokenA${round}`.padEnd(25, 'a') }, { checkGitIgnore: false }),
        writeEnvFile(file, { SF_PASSWORD: `pw-B-${round}` }, { checkGitIgnore: false }),
        writeEnvFile(file, { SF_USERNAME: `c${round}@x.example` }, { checkGitIgnore: false }),
      ]);
      const vars = dotenv.parse(readFileSync(file, 'utf8'));
      assert.deepEqual(
        vars,
        {
          KEEP: '1',
          SF_SECURITY_TOKEN: `TokenA${round}`.padEnd(25, 'a'),
          SF_PASSWORD: `pw-B-${round}`,
          SF_USERNAME: `c${round}@x.example`,
        },
        `round ${round}`,
      );
    }
    assert.deepEqual(readdirSync(dir), ['.env'], 'temp files left behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('two `token-relay env set` processes on one .env at once: both keys land', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tr-sec-'));
  const cli = path.join(__dirname, '..', '..', 'src', 'cli.ts');
  const run = (kv: string) =>
    new Promise<number>((resolve) => {
      const p = spawn(
        process.execPath,
        ['--import', 'tsx', cli, 'env', 'set', '--dotenv', path.join(dir, '.env'), kv],
        { cwd: path.join(__dirname, '..', '..'), stdio: ['ignore', 'ignore', 'pipe'] },
      );
      p.on('close', (c) => resolve(c ?? 1));
    });
  try {
    for (let round = 0; round < 1; round++) {
      writeFileSync(path.join(dir, '.env'), 'KEEP=1\n', { mode: 0o600 });
      const codes = await Promise.all([run(`A=${round}a`), run(`B=${round}b`), run(`C=${round}c`)]);
      assert.deepEqual(codes, [0, 0, 0]);
      assert.deepEqual(
        dotenv.parse(readFileSync(path.join(dir, '.env'), 'utf8')),
        { KEEP: '1', A: `${round}a`, B: `${round}b`, C: `${round}c` },
        `round ${round}`,
      );
    }
    assert.deepEqual(readdirSync(dir), ['.env']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('.env edited on disk while a write is pending: the edit is kept and the key is set', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tr-sec-'));
  try {
    const file = path.join(dir, '.env');
    writeFileSync(file, 'SF_USERNAME=jane@acme.example\n', { mode: 0o600 });
    let edits = 0;
    const r = await writeEnvFile(
      file,
      { SF_SECURITY_TOKEN: 'NewToken1234567890abcdefg' },
      {
        checkGitIgnore: false,
        beforeRename: () => {
          if (edits++ === 0) writeFileSync(file, 'SF_USERNAME=jane@acme.example\nADDED_BY_EDITOR=yes\n');
        },
      },
    );
    assert.equal(edits, 2, 'the write was not redone on the new content');
    assert.deepEqual(dotenv.parse(readFileSync(file, 'utf8')), {
      SF_USERNAME: 'jane@acme.example',
      ADDED_BY_EDITOR: 'yes',
      SF_SECURITY_TOKEN: 'NewToken1234567890abcdefg',
    });
    assert.deepEqual(r.changed, ['SF_SECURITY_TOKEN']);
    assert.deepEqual(readdirSync(dir), ['.env']);

    // An editor that keeps saving: the write gives up with a clear error and leaves the editor's content.
    let n = 0;
    await assert.rejects(
      writeEnvFile(
        file,
        { SF_SECURITY_TOKEN: 'OtherToken234567890abcdef' },
        { checkGitIgnore: false, beforeRename: () => writeFileSync(file, `EDIT=${++n}\n`) },
      ),
      (e: unknown) =>
        e instanceof EnvError && /keeps changing/.test(e.message) && !e.message.includes('OtherToken234567890abcdef'),
    );
    assert.equal(readFileSync(file, 'utf8'), `EDIT=${n}\n`);
    assert.deepEqual(readdirSync(dir), ['.env']);

    // The file deleted while the write is pending: no resurrection of stale content.
    writeFileSync(file, 'OLD=1\n');
    let deleted = false;
    await writeEnvFile(
      file,
      { SF_SECURITY_TOKEN: 'NewToken1234567890abcdefg' },
      { checkGitIgnore: false, beforeRename: () => void (deleted || (rmSync(file), (deleted = true))) },
    );
    assert.deepEqual(dotenv.parse(readFileSync(file, 'utf8')), { SF_SECURITY_TOKEN: 'NewToken1234567890abcdefg' });
    assert.equal(statSync(file).mode & 0o777, 0o600, 'a re-created .env is private');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
