/**
 * `npm run emulator -- --imap-host …`: the reset page's token mail is delivered by IMAP APPEND (imapflow via
 * loadImapflow) into a real mailbox (Dovecot when installed, else the embedded server), STARTTLS and IMAPS.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { startImapServer, type ImapServer } from '../servers/imap';

let imap: ImapServer;
const USER = 'emuimap';
const PASS = 'EmuImapPw-3391';

before(async () => {
  imap = await startImapServer({ quiet: true });
  await imap.addUser(USER, PASS);
});
after(async () => {
  await imap?.stop();
});

async function startCli(args: string[]): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/emulator/cli.ts', ...args], {
    cwd: path.resolve(__dirname, '../..'),
    env: { ...process.env, EMULATOR_IMAP_PASSWORD: PASS },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let errOut = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (errOut += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  while (!/\n\}\n/.test(out)) {
    if (child.exitCode !== null) throw new Error(`emulator CLI exited: ${errOut}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, url: out.split('\n')[0]!, exited };
}

async function resetVia(url: string, username: string): Promise<void> {
  const page = `${url}/lightning/settings/personal/ResetApiToken/home`;
  const html = await (await fetch(`${page}?user=${encodeURIComponent(username)}`)).text();
  const nonce = /name="nonce" value="([0-9a-f]+)"/.exec(html)![1]!;
  const res = await fetch(page, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `nonce=${nonce}&user=${encodeURIComponent(username)}`,
  });
  assert.equal(res.status, 200, await res.text());
}

async function messages(): Promise<string[]> {
  const client = new ImapFlow({
    host: imap.host,
    port: imap.port,
    secure: false,
    auth: { user: USER, pass: PASS },
    tls: { rejectUnauthorized: false },
    logger: false,
  });
  await client.connect();
  const out: string[] = [];
  try {
    const lock = await client.getMailboxLock('INBOX');
    try {
      for await (const m of client.fetch('1:*', { source: true })) out.push(m.source!.toString('utf8'));
    } catch {
      /* empty mailbox */
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
  return out;
}

test('the token mail reaches the IMAP mailbox (STARTTLS and IMAPS)', async () => {
  for (const [port, mode] of [
    [imap.port, 'starttls'],
    [imap.imapsPort, 'implicit'],
  ] as const) {
    const before = (await messages()).length;
    const { child, url, exited } = await startCli([
      '--imap-host',
      imap.host,
      '--imap-port',
      String(port),
      '--imap-tls',
      mode,
      '--imap-user',
      USER,
      '--insecure-tls',
    ]);
    try {
      await resetVia(url, 'jane.doe@acme.example');
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
    const all = await messages();
    assert.equal(all.length, before + 1, mode);
    assert.match(all.at(-1)!, /Subject: Your new Salesforce security token/);
    assert.match(all.at(-1)!, /Security token \(case-sensitive\): [A-Za-z0-9]{25}/);
  }
});
