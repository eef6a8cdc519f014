/**
 * Secret-hygiene canary harness (issue 8). Known fake secrets (Salesforce password, wrong password,
 * security token before and after the reset, IMAP password, OAuth client secret) are fed to the CLI
 * (in-process `main()` and a freshly built bundle run as a real process), the watcher, the login and the
 * reset flow, against the emulator and Dovecot (or the embedded IMAP server). Every stdout/stderr, log
 * line (trace level), status line, thrown message, JSON output and file written is scanned for the
 * secrets in their raw, URL-encoded, JSON-escaped, XML-escaped and base64 forms, and for session ids.
 * Zero hits allowed; the one exception is the new token on stdout of extract/watch/reset, whose job is to
 * print it. Passwords never appear anywhere. Between scenarios the process-wide redactor is cleared, so
 * each code path must register its own secrets.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
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
import os from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import dotenv from 'dotenv';
import type { ImapServer } from '../servers/imap';
import { startImapServer, sampleTokenMail } from '../servers/imap';
import type { Emulator } from '../../src/emulator';
import { startEmulator } from '../../src/emulator';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { globalRedactor } from '../../src/core/redact';
import { createLogger } from '../../src/core/log';
import { runResetFlow } from '../../src/flow/resetFlow';
import { watchForToken, testMailbox } from '../../src/mail';
import { testLogin } from '../../src/salesforce/login';
import { writeEnvFile } from '../../src/envfile';
import type { Artifact } from '../fuzz/secretScan';
import { scanForSecrets, secretForms } from '../fuzz/secretScan';

const ROOT = path.join(__dirname, '..', '..');
const SF_USER = 'canary.user@acme.example';
const CLIENT_ID = 'canary-client-id';
const CANARY = {
  sfPassword: 'Canary-SF-Pw-3f9c1e77!',
  sfPasswordWrong: 'Canary-SF-WrongPw-1d2e3f',
  oldToken: 'CanaryOldTok3n00000000000',
  imapPassword: 'Canary-IMAP-Pw-8a2b44d0',
  imapPasswordWrong: 'Canary-IMAP-WrongPw-77aa',
  clientSecret: 'Canary-Client-Secret-5e6f7a8b9c',
} as const;
const PASSWORDS = ['sfPassword', 'sfPasswordWrong', 'imapPassword', 'imapPasswordWrong', 'clientSecret'] as const;

let imap: ImapServer;
let emu: Emulator;
let work: string;
let home: string;
let bundleDir: string | undefined;
/** Every token the emulator handed out during the run (each is a secret once superseded). */
const tokensSeen = new Set<string>();

/** Every secret the run has seen, for the scanner (the current token is allowed only where an artifact says so). */
function scan(artifacts: Artifact[]): string[] {
  return scanForSecrets(artifacts, [
    ...PASSWORDS.map((k) => [k, CANARY[k]] as [string, string]),
    ...[...tokensSeen].map((t) => [t === CANARY.oldToken ? 'oldToken' : 'a security token', t] as [string, string]),
  ]);
}

function files(dir: string, exclude: string[] = []): Artifact[] {
  const out: Artifact[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (exclude.includes(p)) continue;
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && statSync(p).size < 8 * 1024 * 1024)
        out.push({ source: `file ${path.relative(work, p)}`, text: readFileSync(p, 'latin1') });
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

function envFile(name: string, extra: Record<string, string> = {}): string {
  const p = path.join(work, name);
  const vars: Record<string, string> = {
    SF_USERNAME: SF_USER,
    SF_PASSWORD: CANARY.sfPassword,
    SF_SECURITY_TOKEN: emu.currentToken(SF_USER),
    SF_LOGIN_URL: emu.url,
    TOKEN_RELAY_IMAP_PASSWORD: CANARY.imapPassword,
    ...extra,
  };
  writeFileSync(
    p,
    Object.entries(vars)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
    { mode: 0o600 },
  );
  return p;
}

function io(env: Record<string, string> = {}, openUrl?: (url: string) => Promise<void>) {
  const out: string[] = [];
  const errs: string[] = [];
  const cli: CliIO = {
    stdout: (t) => void out.push(t),
    stderr: (t) => void errs.push(t),
    env: { HOME: home, ...env },
    cwd: work,
    readStdin: async () => Buffer.alloc(0),
    promptSecret: async () => undefined,
    openUrl,
  };
  return { cli, out, errs };
}

const imapFlags = () => [
  '--imap-host',
  '127.0.0.1',
  '--imap-port',
  String(imap.port),
  '--imap-tls',
  'starttls',
  '--insecure-tls',
  '--imap-user',
  SF_USER,
];

function track(): string {
  const t = emu.currentToken(SF_USER);
  tokensSeen.add(t);
  return t;
}

async function resetAndTrack(): Promise<string> {
  track();
  const t = await emu.resetToken(SF_USER);
  tokensSeen.add(t);
  return t;
}

before(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'tr-canary-'));
  home = path.join(work, 'home');
  mkdirSync(home);
  imap = await startImapServer();
  await imap.addUser(SF_USER, CANARY.imapPassword);
  emu = await startEmulator({
    orgs: [
      {
        id: '00D5g000004CaNaRY',
        name: 'Canary Org',
        clients: [{ clientId: CLIENT_ID, clientSecret: CANARY.clientSecret }],
      },
    ],
    users: [{ username: SF_USER, password: CANARY.sfPassword, token: CANARY.oldToken, email: SF_USER, language: 'en' }],
    deliver: async (to, raw) => {
      await imap.append(to.toLowerCase(), raw);
    },
  });
  tokensSeen.add(CANARY.oldToken);
});

after(async () => {
  await emu?.close();
  await imap?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the scanner itself finds every form of a secret (the harness is not vacuous)', () => {
  for (const k of PASSWORDS) {
    for (const f of secretForms(CANARY[k]))
      assert.equal(scan([{ source: 'probe', text: `x ${f} y` }]).length, 1, `${k} form not detected`);
  }
  assert.equal(
    scan([{ source: 'probe', text: 'sid 00D5g000004XyZ1!AQ0AQK5.abcdefghijklmnopqrstuvwxyz012345' }]).length,
    1,
  );
  assert.equal(scan([{ source: 'probe', text: `ok ${CANARY.oldToken}`, allowToken: CANARY.oldToken }]).length, 0);
});

test('CLI in-process: login (ok, verbose, wrong password, garbage/HTML answers, OAuth with client secret)', async () => {
  const artifacts: Artifact[] = [];
  const run = async (name: string, argv: string[], env: Record<string, string> = {}) => {
    globalRedactor.clear();
    const c = io(env);
    let thrown = '';
    const code = await main(argv, c.cli).catch(
      (e: unknown) => ((thrown = String(e instanceof Error ? e.message : e)), -1),
    );
    artifacts.push(
      { source: `${name} stdout`, text: c.out.join('') },
      { source: `${name} stderr`, text: c.errs.join('') },
      { source: `${name} thrown`, text: thrown },
    );
    const stdout = c.out.join('');
    // `doctor --markdown` prints Markdown, every other run one JSON object.
    return { code, json: stdout && !stdout.startsWith('#') ? JSON.parse(stdout) : undefined };
  };
  track();
  const ok = await run('login', ['login', '--verbose', '--dotenv', envFile('login.env')]);
  assert.equal(ok.code, 0);
  assert.equal(ok.json.status, 'ok');
  const wrong = await run('login wrong pw', [
    'login',
    '--verbose',
    '--dotenv',
    envFile('wrong.env', { SF_PASSWORD: CANARY.sfPasswordWrong }),
  ]);
  assert.equal(wrong.code, 1);
  for (const fault of ['garbage', 'html', 'html-500', 'reset'] as const) {
    emu.setFault(SF_USER, fault);
    const r = await run(`login ${fault}`, ['login', '--verbose', '--dotenv', envFile('fault.env')]);
    emu.setFault(SF_USER, null);
    assert.equal(r.code, 1);
  }
  const oauth = await run('login oauth', [
    'login',
    '--verbose',
    '--dotenv',
    envFile('oauth.env', { SF_CLIENT_ID: CLIENT_ID, SF_CLIENT_SECRET: CANARY.clientSecret }),
  ]);
  assert.equal(oauth.code, 0, JSON.stringify(oauth.json));
  const oauthBad = await run('login oauth wrong secret', [
    'login',
    '--verbose',
    '--dotenv',
    envFile('oauth-bad.env', {
      SF_CLIENT_ID: CLIENT_ID,
      SF_CLIENT_SECRET: CANARY.clientSecret + 'x',
      SF_PASSWORD: CANARY.sfPasswordWrong,
    }),
  ]);
  assert.equal(oauthBad.code, 1);
  // The same values from the process environment instead of a file.
  const fromEnv = await run(
    'login from environment',
    ['login', '--verbose', '--dotenv', path.join(work, 'missing.env')],
    {
      SF_USERNAME: SF_USER,
      SF_PASSWORD: CANARY.sfPassword,
      SF_SECURITY_TOKEN: emu.currentToken(SF_USER),
      SF_LOGIN_URL: emu.url,
    },
  );
  assert.ok([0, 1, 2].includes(fromEnv.code));
  // token-relay doctor (issue 14): several env files, a real login each, JSON and Markdown; a wrong password too.
  const doctor = await run('doctor', [
    'doctor',
    '--verbose',
    '--dotenv',
    envFile('doctor-soap.env'),
    '--dotenv',
    envFile('doctor-oauth.env', { SF_CLIENT_ID: CLIENT_ID, SF_CLIENT_SECRET: CANARY.clientSecret }),
    '--dotenv',
    envFile('doctor-wrong.env', { SF_PASSWORD: CANARY.sfPasswordWrong }),
  ]);
  assert.equal(doctor.code, 1);
  assert.equal(doctor.json.orgs.length, 3);
  const markdown = await run('doctor markdown', ['doctor', '--markdown', '--dotenv', envFile('doctor-md.env')]);
  assert.ok([0, 1].includes(markdown.code));
  assert.deepEqual(scan(artifacts), []);
});

test('CLI in-process: env set never echoes a value, also when refusing one', async () => {
  globalRedactor.clear();
  const artifacts: Artifact[] = [];
  const target = path.join(work, 'set.env');
  for (const [name, argv] of [
    [
      'set password',
      [
        'env',
        'set',
        '--dotenv',
        target,
        `SF_PASSWORD=${CANARY.sfPassword}`,
        `TOKEN_RELAY_IMAP_PASSWORD=${CANARY.imapPassword}`,
      ],
    ],
    ['set unrepresentable', ['env', 'set', '--dotenv', target, `SF_PASSWORD=${CANARY.sfPasswordWrong}'"\`# x`]],
    ['set bad key', ['env', 'set', '--dotenv', target, `BAD KEY=${CANARY.clientSecret}`]],
    ['set no equals', ['env', 'set', '--dotenv', target, CANARY.clientSecret]],
    [
      'set read-only target',
      ['env', 'set', '--dotenv', path.join(work, 'no-such-dir', 'x.env'), `SF_PASSWORD=${CANARY.sfPassword}`],
    ],
  ] as const) {
    const c = io();
    await main([...argv], c.cli);
    artifacts.push(
      { source: `${name} stdout`, text: c.out.join('') },
      { source: `${name} stderr`, text: c.errs.join('') },
    );
  }
  assert.equal(dotenv.parse(readFileSync(target, 'utf8')).SF_PASSWORD, CANARY.sfPassword);
  assert.deepEqual(scan(artifacts), []);
});

test('CLI in-process: extract prints the token only in its JSON on stdout', async () => {
  globalRedactor.clear();
  const tok = 'CanaryExtractTok000000000';
  tokensSeen.add(tok);
  const eml = path.join(work, 'token.eml');
  writeFileSync(eml, sampleTokenMail({ username: SF_USER, token: tok }));
  const c = io();
  assert.equal(await main(['extract', '--username', SF_USER, eml], c.cli), 0);
  assert.equal(JSON.parse(c.out.join('')).token, tok);
  assert.deepEqual(
    scan([
      { source: 'extract stdout', text: c.out.join(''), allowToken: tok },
      { source: 'extract stderr', text: c.errs.join('') },
    ]),
    [],
  );
  rmSync(eml);
});

test('CLI in-process: watch and reset print the token only in their stdout JSON, never on stderr', async () => {
  // watch: the mail is already there (after --since), so catch-up finds it.
  globalRedactor.clear();
  const since = new Date(Date.now() - 5000).toISOString();
  const newTok = await resetAndTrack();
  const w = io();
  const watchEnv = envFile('watch.env');
  const code = await main(
    [
      'watch',
      '--verbose',
      '--dotenv',
      watchEnv,
      ...imapFlags(),
      '--username',
      SF_USER,
      '--since',
      since,
      '--timeout',
      '60',
    ],
    w.cli,
  );
  assert.equal(code, 0, w.errs.join(''));
  assert.equal(JSON.parse(w.out.join('')).token, newTok);
  const artifacts: Artifact[] = [
    { source: 'watch stdout', text: w.out.join(''), allowToken: newTok },
    { source: 'watch stderr', text: w.errs.join('') },
  ];
  assert.deepEqual(scan(artifacts), []);

  // reset: the "browser" clicks Reset.
  globalRedactor.clear();
  const resetEnv = envFile('reset.env');
  let clicked: Promise<string> | undefined;
  const r = io({}, async (url) => {
    assert.doesNotMatch(url, /ResetApiTokenConfirm/);
    clicked = new Promise((res) => setTimeout(() => res(resetAndTrack()), 50));
  });
  const rc = await main(['reset', '--verbose', '--dotenv', resetEnv, ...imapFlags(), '--timeout', '60'], r.cli);
  const resetTok = await clicked!;
  assert.equal(rc, 0, r.errs.join(''));
  assert.equal(JSON.parse(r.out.join('')).status, 'ok');
  assert.equal(dotenv.parse(readFileSync(resetEnv, 'utf8')).SF_SECURITY_TOKEN, resetTok);
  assert.deepEqual(
    scan([
      { source: 'reset stdout', text: r.out.join(''), allowToken: resetTok },
      { source: 'reset stderr', text: r.errs.join('') },
    ]),
    [],
  );
});

test('library: runResetFlow, watcher and login at trace level — logs, status lines, results', async () => {
  globalRedactor.clear();
  const lines: string[] = [];
  const statuses: string[] = [];
  const log = createLogger((level, line) => lines.push(`${level} ${line}`));
  const envPath = envFile('flow.env');
  let clicked: Promise<string> | undefined;
  const result = await runResetFlow({
    profile: { id: 'p', name: 'Canary', loginUrl: emu.url, username: SF_USER, clientId: CLIENT_ID },
    secrets: { password: CANARY.sfPassword, clientSecret: CANARY.clientSecret, token: emu.currentToken(SF_USER) },
    mailbox: imap.mailboxConfig(SF_USER, CANARY.imapPassword),
    log,
    onStatus: (s) => statuses.push(s),
    open: async () => {
      clicked = new Promise((res) => setTimeout(() => res(resetAndTrack()), 50));
    },
    storeToken: async () => {},
    writeEnv: (t) => writeEnvFile(envPath, { SF_SECURITY_TOKEN: t }, { checkGitIgnore: false }),
    timeoutMs: 60_000,
    retryInvalidLogin: { attempts: 5, delayMs: 200 },
  });
  const tok = await clicked!;
  assert.equal(result.token.token, tok);
  assert.equal(result.health.status, 'ok');
  const { token: _t, ...verdictWithoutToken } = result.token;
  const artifacts: Artifact[] = [
    { source: 'flow log', text: lines.join('\n') },
    { source: 'flow status', text: statuses.join('\n') },
    { source: 'flow health', text: JSON.stringify(result.health) },
    { source: 'flow verdict (without its token field)', text: JSON.stringify(verdictWithoutToken) },
    { source: 'flow env result', text: JSON.stringify(result.env) },
  ];
  // testMailbox and a direct login with a log, too.
  globalRedactor.clear();
  const more: string[] = [];
  const log2 = createLogger((level, line) => more.push(`${level} ${line}`));
  const mb = await testMailbox(imap.mailboxConfig(SF_USER, CANARY.imapPassword), { log: log2 });
  const h = await testLogin(
    { id: 'p', name: 'x', loginUrl: emu.url, username: SF_USER },
    { password: CANARY.sfPasswordWrong, token: tok },
    { log: log2 },
  );
  artifacts.push(
    { source: 'testMailbox log+result', text: more.join('\n') + JSON.stringify(mb) },
    { source: 'wrong-password health', text: JSON.stringify(h) },
  );
  assert.deepEqual(scan(artifacts), []);
});

async function buildBundle(): Promise<string> {
  const dir = path.join(work, 'bundle');
  mkdirSync(dir, { recursive: true });
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [path.join(ROOT, 'src', 'cli.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: path.join(dir, 'cli.js'),
    external: ['vscode', './vendor/*'],
    define: { __TOKEN_RELAY_BUNDLED__: 'true', __TOKEN_RELAY_VERSION__: '"canary"' },
    logLevel: 'silent',
  });
  const vendor = path.join(ROOT, 'dist', 'vendor');
  if (['jsforce', 'imapflow', 'mailparser'].every((l) => existsSync(path.join(vendor, `${l}.js`)))) {
    symlinkSync(vendor, path.join(dir, 'vendor'));
  } else {
    for (const lib of ['jsforce', 'imapflow', 'mailparser']) {
      await esbuild.build({
        absWorkingDir: ROOT,
        stdin: { contents: `module.exports = require(${JSON.stringify(lib)});`, resolveDir: ROOT },
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: 'node20',
        outfile: path.join(dir, 'vendor', `${lib}.js`),
        logLevel: 'silent',
      });
    }
  }
  return path.join(dir, 'cli.js');
}

function runBundle(
  cli: string,
  argv: string[],
  o: { onStderr?: (text: string) => void; env?: Record<string, string> } = {},
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, ...argv], {
      cwd: work,
      env: { PATH: process.env.PATH ?? '', HOME: home, NODE_EXTRA_CA_CERTS: imap.caCertPath, ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => {
      err += d;
      o.onStderr?.(err);
    });
    p.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

test('built CLI bundle as a real process: login, env set, extract, watch, reset — stdout, stderr, files', {
  timeout: 300_000,
}, async () => {
  const cli = await buildBundle();
  bundleDir = path.dirname(cli);
  const artifacts: Artifact[] = [];
  const add = (name: string, r: { out: string; err: string }, allowToken?: string) =>
    artifacts.push(
      { source: `bundle ${name} stdout`, text: r.out, allowToken },
      { source: `bundle ${name} stderr`, text: r.err },
    );

  let r = await runBundle(cli, ['login', '--verbose', '--dotenv', envFile('b-login.env')]);
  assert.equal(r.code, 0, r.err);
  add('login', r);
  r = await runBundle(cli, [
    'login',
    '--verbose',
    '--dotenv',
    envFile('b-wrong.env', { SF_PASSWORD: CANARY.sfPasswordWrong }),
  ]);
  assert.equal(r.code, 1);
  add('login wrong', r);
  r = await runBundle(cli, [
    'login',
    '--verbose',
    '--dotenv',
    envFile('b-oauth.env', { SF_CLIENT_ID: CLIENT_ID, SF_CLIENT_SECRET: CANARY.clientSecret }),
  ]);
  add('login oauth', r);
  r = await runBundle(cli, [
    'env',
    'set',
    '--dotenv',
    path.join(work, 'b-set.env'),
    `SF_PASSWORD=${CANARY.sfPassword}`,
  ]);
  assert.equal(r.code, 0, r.err);
  add('env set', r);
  r = await runBundle(cli, [
    'env',
    'set',
    '--dotenv',
    path.join(work, 'b-set.env'),
    `SF_PASSWORD=${CANARY.sfPasswordWrong}'"\`# x`,
  ]);
  assert.equal(r.code, 2);
  add('env set refused', r);

  const extractTok = 'CanaryBundleExtractTok000';
  tokensSeen.add(extractTok);
  const eml = path.join(work, 'b-token.eml');
  writeFileSync(eml, sampleTokenMail({ username: SF_USER, token: extractTok }));
  r = await runBundle(cli, ['extract', '--username', SF_USER, eml]);
  assert.equal(r.code, 0, r.err);
  assert.equal(JSON.parse(r.out).token, extractTok);
  add('extract', r, extractTok);
  rmSync(eml);

  const since = new Date(Date.now() - 5000).toISOString();
  const tok = await resetAndTrack();
  r = await runBundle(cli, [
    'watch',
    '--verbose',
    '--dotenv',
    envFile('b-watch.env'),
    ...imapFlags(),
    '--username',
    SF_USER,
    '--since',
    since,
    '--timeout',
    '60',
  ]);
  assert.equal(r.code, 0, r.err);
  assert.equal(JSON.parse(r.out).token, tok);
  add('watch', r, tok);
  assert.deepEqual(scan(artifacts), []);

  const resetEnv = envFile('b-reset.env');
  let clicked: Promise<string> | undefined;
  r = await runBundle(
    cli,
    ['reset', '--no-open', '--verbose', '--dotenv', resetEnv, ...imapFlags(), '--timeout', '60'],
    {
      onStderr: (text) => {
        if (!clicked && /ResetApiToken/.test(text)) clicked = resetAndTrack();
      },
    },
  );
  const resetTok = await clicked!;
  assert.equal(r.code, 0, r.err);
  assert.doesNotMatch(r.err, /ResetApiTokenConfirm/);
  add('reset', r, resetTok);
  assert.equal(dotenv.parse(readFileSync(resetEnv, 'utf8')).SF_SECURITY_TOKEN, resetTok);
  assert.deepEqual(scan(artifacts), []);
});

test('files: nothing written outside the intended env files carries a secret (workspace, HOME, bundle dir)', () => {
  const envFiles = readdirSync(work)
    .filter((f) => f.endsWith('.env'))
    .map((f) => path.join(work, f));
  const artifacts = [
    ...files(work, [
      ...envFiles,
      ...(bundleDir ? [path.join(bundleDir, 'cli.js'), path.join(bundleDir, 'vendor')] : []),
    ]),
  ];
  assert.deepEqual(scan(artifacts), []);
  // The CLI creates no config or cache files of its own.
  assert.deepEqual(readdirSync(home), []);
});

test('static: the clipboard (token or code) is written only after the user clicks a "Copy" button', () => {
  const src = path.join(ROOT, 'src');
  const ui = path.join('src', 'extension', 'ui.ts');
  // Test-only (dist/extension-test.js): SwitchableUi forwards copy() to the current Ui, ScriptedUi records it.
  const scripted = path.join('src', 'extension', 'scriptedUi.ts');
  const offenders: string[] = [];
  // Comments removed (block comments keep their newlines, so line numbers stay right).
  const code = (text: string) =>
    text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, '')).replace(/(^|[^:])\/\/.*$/gm, '$1');
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ts$/.test(e.name)) {
        const rel = path.relative(ROOT, p);
        if (rel === ui) continue;
        const text = code(readFileSync(p, 'utf8'));
        if (rel === scripted) {
          if (/clipboard/.test(text))
            offenders.push(`${rel}: touches the clipboard directly (only src/extension/ui.ts may)`);
          continue;
        }
        if (/clipboard/.test(text))
          offenders.push(`${rel}: touches the clipboard directly (only src/extension/ui.ts may)`);
        text.split('\n').forEach((line, i) => {
          if (!/\.copy\(/.test(line)) return;
          // `a === copy ? ….copy(x)` or `if (a === copy) ….copy(x)`, where `copy` is a button label saying Copy.
          // (on the same line, so an unguarded copy next to a guarded one is still caught)
          const m = /(\w+)\s*===\s*(\w+)\s*(?:\?|\))\s*(?:await\s+)?[\w.]*\.copy\(/.exec(line);
          const isCopyLabel = m && new RegExp(`const\\s+${m[2]}\\s*=\\s*[^;]*['"\`]Copy`).test(text);
          if (!m || !isCopyLabel)
            offenders.push(`${rel}:${i + 1}: copy() not guarded by the answer of a "Copy" button`);
        });
      }
    }
  };
  walk(src);
  assert.deepEqual(offenders, []);
  assert.match(
    readFileSync(path.join(ROOT, ui), 'utf8'),
    /copy\(text: string\)[^{]*\{\s*return vscode\.env\.clipboard\.writeText\(text\)/,
    'ui.copy is the one clipboard writer',
  );
});

test('static: every user-visible text leaves through a redacting choke point', () => {
  // Messages, progress, prompts and the log channel only in src/extension/ui.ts and log.ts (both redact);
  // the CLI writes only through its CliIO (src/cli/nodeIO.ts), whose stderr lines go through err()/redact.
  const allowed = new Set([
    path.join('src', 'extension', 'ui.ts'),
    path.join('src', 'extension', 'log.ts'),
    path.join('src', 'cli', 'nodeIO.ts'),
    path.join('src', 'cli.ts'),
  ]);
  // src/emulator and src/imapServer are support servers, not the product: the emulator's CLI prints its fake users'
  // passwords and tokens on purpose, the IMAP server warns on stderr when it falls back to the embedded server, and
  // nothing of the extension or token-relay CLI imports either (test/unit/supportServers.test.ts).
  const notProduct = new Set([path.join('src', 'emulator'), path.join('src', 'imapServer')]);
  const api =
    /\b(?:show(?:Information|Warning|Error)Message|createOutputChannel|withProgress|showInputBox|console\.(?:log|error|warn|info|debug)|process\.std(?:out|err)\.write)\b/;
  const offenders: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (!notProduct.has(path.relative(ROOT, p))) walk(p);
      } else if (/\.ts$/.test(e.name)) {
        const rel = path.relative(ROOT, p);
        if (allowed.has(rel)) continue;
        readFileSync(p, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            if (api.test(line) && !/^\s*(\/\/|\*)/.test(line))
              offenders.push(`${rel}:${i + 1}: ${line.trim().slice(0, 100)}`);
          });
      }
    }
  };
  walk(path.join(ROOT, 'src'));
  assert.deepEqual(offenders, []);
  for (const f of ['ui.ts', 'log.ts'])
    assert.match(readFileSync(path.join(ROOT, 'src', 'extension', f), 'utf8'), /\bredact\b/, `${f} does not redact`);
});

// Wrong IMAP passwords last: Dovecot delays every later login from 127.0.0.1 after a failure.
test('wrong IMAP password (CLI in-process, bundle, library): exit 3 / MailboxError, no password anywhere', {
  timeout: 120_000,
}, async () => {
  globalRedactor.clear();
  const artifacts: Artifact[] = [];
  const env = envFile('imap-wrong.env', { TOKEN_RELAY_IMAP_PASSWORD: CANARY.imapPasswordWrong });
  const c = io();
  const code = await main(['watch', '--verbose', '--dotenv', env, ...imapFlags(), '--timeout', '30'], c.cli);
  assert.equal(code, 3, c.errs.join(''));
  artifacts.push(
    { source: 'watch wrong imap stdout', text: c.out.join('') },
    { source: 'watch wrong imap stderr', text: c.errs.join('') },
  );
  globalRedactor.clear();
  const lines: string[] = [];
  const err = await watchForToken({
    mailbox: imap.mailboxConfig(SF_USER, CANARY.imapPasswordWrong),
    since: new Date(),
    log: createLogger((l, line) => lines.push(line)),
  }).catch((e: unknown) => e);
  assert.ok(err instanceof Error);
  artifacts.push(
    { source: 'watcher error', text: `${err.name} ${err.message} ${JSON.stringify(err)}` },
    { source: 'watcher log', text: lines.join('\n') },
  );
  if (bundleDir) {
    const r = await runBundle(path.join(bundleDir, 'cli.js'), [
      'watch',
      '--verbose',
      '--dotenv',
      env,
      ...imapFlags(),
      '--timeout',
      '30',
    ]);
    assert.equal(r.code, 3, r.err);
    artifacts.push(
      { source: 'bundle watch wrong imap stdout', text: r.out },
      { source: 'bundle watch wrong imap stderr', text: r.err },
    );
  }
  assert.deepEqual(scan(artifacts), []);
  await imap.restart(); // clear Dovecot's auth penalty for whatever runs next
});
