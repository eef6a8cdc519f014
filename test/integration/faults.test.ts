/**
 * Fault injection (issue 8): the mailbox server killed mid-IDLE again and again while the token mail
 * arrives; stale token mails; the Salesforce side answering slowly, resetting, sending garbage, HTML,
 * nothing, redirect loops or endless bodies; IMAP servers that stall, reset or talk nonsense.
 * Every case must end in a clear state (a HealthResult / a MailboxError with a kind), never a hang.
 * Real Dovecot when installed (else the embedded server, said loudly by the harness) + the emulator.
 * No wall-clock assertions: timeouts given to the code under test only bound its waiting.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ImapServer } from '../servers/imap';
import { startImapServer, sampleTokenMail, sampleVerificationMail } from '../servers/imap';
import type { Emulator, EmulatorFault } from '../../src/emulator';
import { startEmulator } from '../../src/emulator';
import { misbehavingServer } from '../servers/fakeTcp';
import { runResetFlow } from '../../src/flow/resetFlow';
import type { WatchStatus } from '../../src/mail';
import { watchForToken, testMailbox, MailboxError } from '../../src/mail';
import { testLogin } from '../../src/salesforce/login';
import { writeEnvFile } from '../../src/envfile';
import { createLogger } from '../../src/core/log';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import dotenv from 'dotenv';

const SF_USER = 'jane.doe@acme.example';
const SF_PASS = 'Faults-Passw0rd!';
const IMAP_PASS = 'faults-imap-pass-1';
let imap: ImapServer;
let emu: Emulator;
let dir: string;
let nUser = 0;

before(async () => {
  imap = await startImapServer();
  emu = await startEmulator({
    users: [{ username: SF_USER, password: SF_PASS, email: SF_USER, language: 'en' }],
    deliver: async (to, raw) => {
      await imap.append(to.toLowerCase(), raw);
    },
    slowMs: 60_000,
  });
  await imap.addUser(SF_USER, IMAP_PASS);
  dir = mkdtempSync(path.join(os.tmpdir(), 'tr-faults-'));
});
after(async () => {
  await emu?.close();
  await imap?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function freshImapUser(): Promise<{ name: string; pass: string }> {
  const name = `faults${++nUser}`;
  const pass = `pw-faults-${nUser}`;
  await imap.addUser(name, pass);
  return { name, pass };
}

const profile = () => ({ id: 'p', name: SF_USER, loginUrl: emu.url, username: SF_USER });

// ------------------------------------------------------------------------------------------------
// The mailbox server dies mid-IDLE

test(`IMAP killed mid-IDLE ten times in a row while the token mail arrives: found once, stored once, written once`, async (t) => {
  const envPath = path.join(dir, 'kill.env');
  writeFileSync(envPath, `SF_USERNAME=${SF_USER}\nSF_SECURITY_TOKEN=old-token-value\n`, { mode: 0o600 });
  const stored: string[] = [];
  const written: string[] = [];
  const statuses: string[] = [];
  const logLines: string[] = [];
  let idles = 0;
  let idleWaiter: (() => void) | undefined;
  const nextIdle = () => new Promise<void>((r) => (idleWaiter = r));
  let kills = 0;
  let chaos: Promise<void> | undefined;

  const result = await runResetFlow({
    profile: profile(),
    secrets: { password: SF_PASS },
    mailbox: imap.mailboxConfig(SF_USER, IMAP_PASS),
    log: createLogger((_l, line) => logLines.push(line)),
    watch: { reconnect: { initialMs: 20, maxMs: 200 } },
    onStatus: (s) => {
      statuses.push(s);
      if (s.startsWith('Waiting for the token mail')) {
        idles++;
        idleWaiter?.();
      }
    },
    open: async () => {
      // The user clicks Reset while the mailbox server keeps dying.
      chaos = (async () => {
        for (let i = 1; i <= 10; i++) {
          const idle = nextIdle();
          if (i > 1) await idle; // reconnected and idling again
          if (i === 10) {
            // The mail lands, and the server dies right behind it (the watcher may be fetching it).
            await emu.resetToken(SF_USER);
          }
          await imap.kill();
          kills++;
        }
      })();
      chaos.catch(() => {});
    },
    storeToken: async (tok) => void stored.push(tok),
    writeEnv: async (tok) => {
      written.push(tok);
      return writeEnvFile(envPath, { SF_SECURITY_TOKEN: tok }, { checkGitIgnore: false });
    },
    timeoutMs: 120_000,
    retryInvalidLogin: { attempts: 5, delayMs: 200 },
  });
  await chaos;
  t.diagnostic(
    `server kind ${imap.kind}; kills ${kills}; idle phases ${idles}; reconnect notices ${statuses.filter((s) => /reconnecting/.test(s)).length}`,
  );
  assert.equal(kills, 10);
  assert.ok(idles >= 10, `the watcher idled ${idles} times`);
  assert.equal(result.token.token, emu.currentToken(SF_USER));
  assert.deepEqual(stored, [result.token.token], 'stored more than once');
  assert.deepEqual(written, [result.token.token], 'written more than once');
  const text = readFileSync(envPath, 'utf8');
  assert.equal(text.split('SF_SECURITY_TOKEN=').length - 1, 1, 'the key appears more than once');
  assert.equal(dotenv.parse(text).SF_SECURITY_TOKEN, result.token.token);
  assert.equal(result.health.status, 'ok');
  for (const line of logLines) {
    assert.ok(!line.includes(IMAP_PASS) && !line.includes(SF_PASS), `secret in log: ${line}`);
    assert.ok(!line.includes(result.token.token), `token in log: ${line}`);
  }
});

// ------------------------------------------------------------------------------------------------
// Stale token mails

function watchUntilIdle(o: {
  mailbox: ReturnType<ImapServer['mailboxConfig']>;
  since: Date;
  username?: string;
  newOnly?: boolean;
}) {
  const ac = new AbortController();
  let ready!: () => void;
  const idle = new Promise<void>((r) => (ready = r));
  const codes: string[] = [];
  const p = watchForToken({
    ...o,
    signal: ac.signal,
    onStatus: (s: WatchStatus) => s === 'idle' && ready(),
    onVerificationCode: (v) => v.code && codes.push(v.code),
  });
  p.catch(() => {});
  return { p, idle, ac, codes };
}

test('an old token mail already in the mailbox is never taken; the new one is', async () => {
  const u = await freshImapUser();
  const since = new Date();
  const old = new Date(since.getTime() - 3 * 3600_000);
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: 'OldTokenFromLastWeek00000', date: old }), {
    internalDate: old,
  });
  const w = watchUntilIdle({ mailbox: imap.mailboxConfig(u.name, u.pass), since, username: SF_USER });
  await w.idle;
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: 'NewTokenAfterTheReset0000' }));
  const found = await w.p;
  assert.equal(found.token, 'NewTokenAfterTheReset0000');
});

test('a stale token mail (Date and arrival hours before the reset) delivered late is not taken', async () => {
  const u = await freshImapUser();
  const since = new Date();
  const old = new Date(since.getTime() - 3 * 3600_000);
  const w = watchUntilIdle({ mailbox: imap.mailboxConfig(u.name, u.pass), since, username: SF_USER });
  await w.idle;
  // e.g. greylisted mail of the previous reset, or a mail moved into INBOX from elsewhere
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: 'StaleTokenDeliveredLate00', date: old }), {
    internalDate: old,
  });
  // A later verification mail proves the watcher has looked at everything before it.
  await imap.append(u.name, sampleVerificationMail({ username: SF_USER, code: '314159' }));
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: 'FreshTokenAfterTheReset00' }));
  const found = await w.p;
  assert.equal(found.token, 'FreshTokenAfterTheReset00', 'the stale token was taken');
});

test('two `token-relay watch` runs on one mailbox and one .env at once: both find the token, the file holds it once', async () => {
  const u = await freshImapUser();
  const envPath = path.join(dir, 'two-watchers.env');
  writeFileSync(
    envPath,
    `SF_USERNAME=${SF_USER}\nSF_SECURITY_TOKEN=old-token-value\nTOKEN_RELAY_IMAP_PASSWORD=${u.pass}\n`,
    { mode: 0o600 },
  );
  const since = new Date(Date.now() - 5000).toISOString();
  await imap.append(u.name, sampleTokenMail({ username: SF_USER, token: 'TwoWatchersSameToken00000' }));
  const run = async () => {
    const out: string[] = [];
    const errs: string[] = [];
    const io: CliIO = {
      stdout: (t) => void out.push(t),
      stderr: (t) => void errs.push(t),
      env: {},
      cwd: dir,
      readStdin: async () => Buffer.alloc(0),
    };
    const code = await main(
      [
        'watch',
        '--dotenv',
        envPath,
        '--imap-host',
        '127.0.0.1',
        '--imap-port',
        String(imap.port),
        '--imap-tls',
        'starttls',
        '--insecure-tls',
        '--imap-user',
        u.name,
        '--username',
        SF_USER,
        '--since',
        since,
        '--timeout',
        '60',
      ],
      io,
    );
    return { code, out: out.join(''), err: errs.join('') };
  };
  const [a, b] = await Promise.all([run(), run()]);
  assert.equal(a.code, 0, a.err);
  assert.equal(b.code, 0, b.err);
  assert.equal(JSON.parse(a.out).token, 'TwoWatchersSameToken00000');
  assert.equal(JSON.parse(b.out).token, 'TwoWatchersSameToken00000');
  const text = readFileSync(envPath, 'utf8');
  assert.equal(text.split('SF_SECURITY_TOKEN=').length - 1, 1);
  assert.deepEqual(dotenv.parse(text), {
    SF_USERNAME: SF_USER,
    SF_SECURITY_TOKEN: 'TwoWatchersSameToken00000',
    TOKEN_RELAY_IMAP_PASSWORD: u.pass,
  });
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.includes('two-watchers') && f !== 'two-watchers.env'),
    [],
    'temp files left behind',
  );
});

/** Polls `cond` every 20 ms (the test's own timeout bounds it). */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 20));
}

test('two `token-relay reset` runs at once on one org and one .env: the second is refused clearly (or joins); the .env ends with the valid token', {
  timeout: 240_000,
}, async (t) => {
  // Deterministic replay of the race: both runs open the reset page and both "clicks" reset the token;
  // the mail of the first reset arrives first, the second one's only after both runs have written .env.
  const envPath = path.join(dir, 'two-resets.env');
  writeFileSync(
    envPath,
    `SF_USERNAME=${SF_USER}\nSF_PASSWORD=${SF_PASS}\nSF_LOGIN_URL=${emu.url}\nSF_SECURITY_TOKEN=old-token-value\nTOKEN_RELAY_IMAP_PASSWORD=${IMAP_PASS}\n`,
    { mode: 0o600 },
  );
  const clicks: string[] = [];
  const runs = ['A', 'B'].map((name) => {
    const st = {
      name,
      errs: [] as string[],
      out: [] as string[],
      code: undefined as number | undefined,
      clicked: false,
    };
    const io: CliIO = {
      stdout: (x) => void st.out.push(x),
      stderr: (x) => void st.errs.push(x),
      env: {},
      cwd: dir,
      readStdin: async () => Buffer.alloc(0),
      openUrl: async () => {
        st.clicked = true;
        clicks.push(await emu.resetToken(SF_USER, { deliver: false })); // the user clicks Reset in this tab
      },
    };
    const done = main(
      [
        'reset',
        '--dotenv',
        envPath,
        '--imap-host',
        '127.0.0.1',
        '--imap-port',
        String(imap.port),
        '--imap-tls',
        'starttls',
        '--insecure-tls',
        '--imap-user',
        SF_USER,
        '--timeout',
        '120',
      ],
      io,
    ).then((c) => void (st.code = c));
    return { st, done };
  });
  const finished = (r: (typeof runs)[number]) => r.st.code !== undefined;
  const wroteEnv = (r: (typeof runs)[number]) => /SF_SECURITY_TOKEN/.test(r.st.errs.join(''));
  // The first click's mail arrives; a second click's mail only once every run still going has written .env
  // (a run that is refused or joins never clicks, so this cannot wait on it).
  await until(() => clicks.length >= 1);
  await imap.append(SF_USER, sampleTokenMail({ username: SF_USER, token: clicks[0]! }));
  await until(() => runs.every(finished) || (clicks.length > 1 && runs.every((r) => finished(r) || wroteEnv(r))));
  if (clicks.length > 1) await imap.append(SF_USER, sampleTokenMail({ username: SF_USER, token: clicks[1]! }));
  await Promise.all(runs.map((r) => r.done));
  const finalToken = dotenv.parse(readFileSync(envPath, 'utf8')).SF_SECURITY_TOKEN;
  const summary = runs
    .map((r) => `${r.st.name} exit ${r.st.code}: ${r.st.errs.join('').split('\n').filter(Boolean).slice(-1)[0] ?? ''}`)
    .join(' | ');
  t.diagnostic(`${clicks.length} reset(s); ${summary}`);
  assert.equal(clicks.length, 1, `both runs reset the token (${summary})`);
  assert.equal(finalToken, emu.currentToken(SF_USER), `the .env holds a superseded token (${summary})`);
  for (const r of runs.filter((x) => x.st.code !== 0)) {
    assert.match(
      r.st.errs.join(''),
      /another|already|in progress|lock/i,
      `run ${r.st.name} failed without saying a reset was already running`,
    );
  }
});

// ------------------------------------------------------------------------------------------------
// Salesforce side: slow, reset, garbage …

const EXPECT: Array<[EmulatorFault, string, string]> = [
  ['slow', 'network-error', 'ETIMEDOUT'],
  ['hang', 'network-error', 'ETIMEDOUT'],
  ['reset', 'network-error', 'ECONNRESET'],
  ['garbage', 'unexpected-response', ''],
  ['html', 'unexpected-response', ''],
  ['html-500', 'unexpected-response', ''],
  ['empty', 'unexpected-response', ''],
];

for (const [fault, status, code] of EXPECT) {
  test(`emulator fault "${fault}": testLogin ends in ${status}, with a message, no secrets, never a hang`, async () => {
    emu.setFault(SF_USER, fault);
    try {
      const token = emu.currentToken(SF_USER);
      const lines: string[] = [];
      const r = await testLogin(
        profile(),
        { password: SF_PASS, token },
        { timeoutMs: 1500, log: createLogger((_l, line) => lines.push(line)) },
      );
      assert.equal(r.status, status, JSON.stringify(r));
      if (code) assert.equal(r.code, code);
      assert.ok(r.message.length > 20 && r.label.length > 0);
      for (const s of [JSON.stringify(r), ...lines])
        assert.ok(!s.includes(SF_PASS) && !s.includes(token), `secret leaked: ${s}`);
    } finally {
      emu.setFault(SF_USER, null);
    }
  });
}

test('CLI login under every fault: exit 1, all seven keys, clear status', async () => {
  const envPath = path.join(dir, 'login.env');
  writeFileSync(
    envPath,
    `SF_USERNAME=${SF_USER}\nSF_PASSWORD=${SF_PASS}\nSF_SECURITY_TOKEN=${emu.currentToken(SF_USER)}\nSF_LOGIN_URL=${emu.url}\n`,
  );
  for (const [fault, status] of EXPECT.filter(([f]) => f !== 'slow' && f !== 'hang')) {
    emu.setFault(SF_USER, fault);
    const out: string[] = [];
    const errs: string[] = [];
    const io: CliIO = {
      stdout: (t) => void out.push(t),
      stderr: (t) => void errs.push(t),
      env: {},
      cwd: dir,
      readStdin: async () => Buffer.alloc(0),
    };
    const code = await main(['login', '--dotenv', envPath], io);
    emu.setFault(SF_USER, null);
    assert.equal(code, 1, fault);
    const json = JSON.parse(out.join(''));
    assert.deepEqual(Object.keys(json), [
      'status',
      'label',
      'code',
      'message',
      'organizationId',
      'username',
      'instanceUrl',
    ]);
    assert.equal(json.status, status, fault);
    assert.ok(!(out.join('') + errs.join('')).includes(SF_PASS));
  }
});

test("a hanging Salesforce answer is cut by the caller's signal, not only by the timeout", async () => {
  emu.setFault(SF_USER, 'hang');
  try {
    const ac = new AbortController();
    const p = testLogin(
      profile(),
      { password: SF_PASS, token: 'x'.repeat(25) },
      { timeoutMs: 600_000, signal: ac.signal },
    );
    setTimeout(() => ac.abort(), 100);
    const r = await p;
    assert.notEqual(r.status, 'ok');
    assert.ok(r.message.length > 0);
  } finally {
    emu.setFault(SF_USER, null);
  }
});

test('raw HTTP faults: byte-drip body, header drip, redirect loop, endless body — each a clear state', async () => {
  let mode = '';
  const server = http.createServer((req, res) => {
    if (mode === 'drip') {
      res.writeHead(200, { 'content-type': 'text/xml' });
      const t = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(t));
    } else if (mode === 'header-drip') {
      req.socket.write('HTTP/1.1 200 OK\r\n');
      const t = setInterval(() => req.socket.write('X-A: b\r\n'), 50);
      req.socket.on('close', () => clearInterval(t));
    } else if (mode === 'redirect') {
      res.writeHead(302, { location: req.url });
      res.end();
    } else if (mode === 'endless') {
      res.writeHead(200, { 'content-type': 'text/xml' });
      const chunk = Buffer.alloc(1 << 20, 0x41);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  try {
    const want: Record<string, string> = {
      drip: 'network-error',
      'header-drip': 'network-error',
      redirect: 'unexpected-response',
      endless: 'unexpected-response',
    };
    for (const m of Object.keys(want)) {
      mode = m;
      const r = await testLogin(
        { id: 'p', name: 'x', loginUrl: url, username: SF_USER },
        { password: SF_PASS, token: 'y'.repeat(25) },
        { timeoutMs: 1500 },
      );
      assert.equal(r.status, want[m], `${m}: ${JSON.stringify(r)}`);
      assert.ok(!JSON.stringify(r).includes(SF_PASS));
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

// ------------------------------------------------------------------------------------------------
// IMAP side: servers that stall, reset or talk nonsense

// Each misbehaviour separately, so one hang cannot hide the others. The caller's signal (20 s) only
// bounds a broken implementation: the code under test must end on its own timeoutMs (1.5 s) with a
// MailboxError; if only our abort ends it, the assertion says so.
for (const mode of ['silent', 'reset', 'garbage', 'flood', 'no-newline', 'bye', 'greet-then-silent'] as const) {
  test(`IMAP server "${mode}": watchForToken and testMailbox reject with a MailboxError of their own`, {
    timeout: 120_000,
  }, async () => {
    const srv = await misbehavingServer(mode);
    try {
      for (const security of ['starttls', 'implicit'] as const) {
        const cfg = {
          host: '127.0.0.1',
          port: srv.port,
          security,
          user: 'u',
          password: IMAP_PASS,
          timeoutMs: 1500,
          insecureTls: true,
        };
        for (const what of ['watchForToken', 'testMailbox'] as const) {
          const ac = new AbortController();
          const guard = setTimeout(() => ac.abort(new Error('test guard: no answer within 20 s')), 20_000);
          try {
            const call =
              what === 'watchForToken'
                ? watchForToken({ mailbox: cfg, since: new Date(), signal: ac.signal })
                : testMailbox(cfg, { signal: ac.signal });
            await assert.rejects(call, (e: unknown) => {
              assert.ok(
                !ac.signal.aborted,
                `${security}/${what}: still waiting after 20 s; only the caller's abort ended it (timeoutMs 1500 not honoured)`,
              );
              assert.ok(e instanceof MailboxError, `${security}/${what}: ${String(e)}`);
              assert.ok(
                ['timeout', 'connect', 'protocol', 'tls'].includes(e.kind),
                `${security}/${what}: kind ${e.kind}`,
              );
              assert.ok(e.message.length > 20 && !e.message.includes(IMAP_PASS));
              return true;
            });
          } finally {
            clearTimeout(guard);
          }
        }
      }
      // Never a password in clear text to a server that did not get TLS.
      assert.ok(!srv.received.join('').includes(IMAP_PASS), 'the IMAP password was sent without TLS');
      assert.ok(
        !srv.received.join('').includes(Buffer.from(`\0u\0${IMAP_PASS}`).toString('base64')),
        'the IMAP password was sent without TLS (AUTH PLAIN)',
      );
    } finally {
      srv.close();
    }
  });
}

test('no temp files or stray .env copies are left in the test folder', () => {
  const stray = readdirSync(dir).filter((f) => f.endsWith('.tmp'));
  assert.deepEqual(stray, []);
});
