/**
 * A real Dovecot (Debian's /usr/sbin/dovecot) for the tests, benchmarks and demo, started from a config in a temp dir.
 * Installs nothing: callers check `dovecotPath()` first (src/imapServer/index.ts does).
 *
 * Layout of the temp dir D (chmod 755: Dovecot's own users must traverse it):
 *   D/dovecot.conf  D/users/<user> (one passwd-file each, {PLAIN})  D/cert.pem D/key.pem  D/run D/state D/dovecot.log
 *   D/mail/<user>/Maildir   (owned by 65534:65534, the uid the users file gives every user)
 * Two loopback listeners: `port` (plain IMAP with STARTTLS) and `imapsPort` (implicit TLS).
 * Every mailbox has INBOX plus a junk folder named "Bulk Mail" with the \Junk special-use flag (a name no
 * watcher could guess, so tests prove junk is found by flag) and an "Archive" folder.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  chmodSync,
  chownSync,
  utimesSync,
  openSync,
  closeSync,
} from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import path from 'node:path';
import net from 'node:net';

export const DOVECOT_BIN = '/usr/sbin/dovecot';
export const MAIL_UID = 65534;
export const JUNK_FOLDER = 'Bulk Mail';
export const ARCHIVE_FOLDER = 'Archive';

/**
 * Where test servers keep their files: /dev/shm (tmpfs: maildir writes and Dovecot's index updates are several
 * times faster than on the overlay disk) when usable, else the OS temp dir. TOKEN_RELAY_TEST_TMP overrides.
 */
export function testTmpRoot(): string {
  const forced = process.env.TOKEN_RELAY_TEST_TMP;
  if (forced) return forced;
  try {
    accessSync('/dev/shm', constants.W_OK | constants.X_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

/** The binaries an IMAP Dovecot needs besides the master: Debian's dovecot-core ships the master without them. */
export const DOVECOT_IMAP_BINS = ['/usr/lib/dovecot/imap', '/usr/lib/dovecot/imap-login'];

/** The master's path when Dovecot can serve IMAP here (master AND the dovecot-imapd binaries), else undefined. */
export function dovecotPath(): string | undefined {
  return dovecotMissing() ? undefined : DOVECOT_BIN;
}

/** Why dovecotPath() is undefined ('' when Dovecot is usable): what is missing and which package brings it. */
export function dovecotMissing(master = DOVECOT_BIN, imapBins = DOVECOT_IMAP_BINS): string {
  if (!existsSync(master)) return `Dovecot not found (${master}; apt-get install dovecot-imapd)`;
  const missing = imapBins.filter((f) => !existsSync(f));
  return missing.length
    ? `Dovecot found, but not its IMAP server (${missing.join(', ')}; apt-get install dovecot-imapd)`
    : '';
}

/** A free loopback TCP port (bind to 0, read, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Writes a self-signed cert for localhost/127.0.0.1 into dir; returns the paths. */
export function makeSelfSignedCert(dir: string): { certPath: string; keyPath: string } {
  const certPath = path.join(dir, 'cert.pem');
  const keyPath = path.join(dir, 'key.pem');
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '3650',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (r.status !== 0) throw new Error(`openssl failed to make a test certificate: ${r.stderr?.toString().trim()}`);
  return { certPath, keyPath };
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tryOnce = () => {
      const sock = net.connect({ host: '127.0.0.1', port });
      sock.once('connect', () => {
        sock.destroy();
        resolve();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`Dovecot did not listen on 127.0.0.1:${port}`));
        else setTimeout(tryOnce, 20);
      });
    };
    tryOnce();
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Child processes of `ppid` (from /proc), with their command names. */
function childrenOf(ppid: number): Array<{ pid: number; comm: string }> {
  const out: Array<{ pid: number; comm: string }> = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      if (Number(fields[1]) === ppid) out.push({ pid: Number(e), comm });
    } catch {
      /* process went away */
    }
  }
  return out;
}

export interface DovecotOptions {
  /** Disable the IDLE capability (imap_capability without IDLE) to exercise NOOP polling. */
  noIdle?: boolean;
  /**
   * Also accept OAuth bearer tokens over SASL XOAUTH2 only (what Microsoft 365 and Gmail offer) through Dovecot's
   * `oauth2` passdb: each token is checked with an RFC 7662 introspection POST to `introspectionUrl` (the Microsoft
   * identity emulator's /introspect), whose `username` must be the login name. Passwords keep working.
   */
  oauth2?: { introspectionUrl: string };
}

/** Per-user mail settings, written as userdb extra fields (`userdb_<name>=<value>`). */
export interface AddUserOptions {
  /** This user's mail_location instead of the server's `maildir:~/Maildir` (`userdb_mail`), e.g. `mdbox:~/mdbox`. */
  mailLocation?: string;
  /** Other per-user mail settings, e.g. `{ maildir_very_dirty_syncs: 'yes' }`. */
  settings?: Record<string, string>;
}

export class Dovecot {
  readonly dir: string;
  readonly conf: string;
  readonly usersDir: string;
  readonly certPath: string;
  readonly keyPath: string;
  port = 0;
  imapsPort = 0;
  private masterPid: number | undefined;

  private constructor(
    dir: string,
    private readonly opts: DovecotOptions,
  ) {
    this.dir = dir;
    this.conf = path.join(dir, 'dovecot.conf');
    this.usersDir = path.join(dir, 'users');
    const { certPath, keyPath } = makeSelfSignedCert(dir);
    this.certPath = certPath;
    this.keyPath = keyPath;
  }

  static async start(opts: DovecotOptions = {}): Promise<Dovecot> {
    if (!dovecotPath()) throw new Error(dovecotMissing());
    const dir = mkdtempSync(path.join(testTmpRoot(), 'token-relay-dovecot-'));
    chmodSync(dir, 0o755);
    const d = new Dovecot(dir, opts);
    for (const sub of ['run', 'state', 'mail', 'users']) mkdirSync(path.join(dir, sub), { mode: 0o755 });
    d.port = await freePort();
    d.imapsPort = await freePort();
    d.writeConfig();
    await d.launch();
    return d;
  }

  private writeConfig(): void {
    const D = this.dir;
    const caps = this.opts.noIdle
      ? 'imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE LITERAL+ UIDPLUS NAMESPACE UNSELECT CHILDREN SPECIAL-USE'
      : '';
    const conf = `# token-relay test Dovecot (generated)
base_dir = ${D}/run
state_dir = ${D}/state
instance_name = token-relay-${path.basename(D)}
protocols = imap
listen = 127.0.0.1
log_path = ${D}/dovecot.log
info_log_path = ${D}/dovecot.log
ssl = yes
ssl_cert = <${this.certPath}
ssl_key = <${this.keyPath}
ssl_dh = </usr/share/dovecot/dh.pem
disable_plaintext_auth = no
auth_failure_delay = 0
auth_mechanisms = plain login${this.opts.oauth2 ? ' xoauth2' : ''}
mail_location = maildir:~/Maildir
# test data only: no fsync (APPEND and index updates stay fast on a busy machine)
mail_fsync = never
first_valid_uid = 1
${caps}
namespace inbox {
  inbox = yes
  separator = /
  mailbox "${JUNK_FOLDER}" {
    special_use = \\Junk
    auto = create
  }
  mailbox "${ARCHIVE_FOLDER}" {
    special_use = \\Archive
    auto = create
  }
  mailbox Trash {
    special_use = \\Trash
    auto = create
  }
}
# One passwd-file per user: Dovecot re-stats a passwd-file at most once a second, so users added to one
# shared file right after a login would be unknown for up to a second.
passdb {
  driver = passwd-file
  args = scheme=PLAIN ${this.usersDir}/%Lu${this.opts.oauth2 ? '\n  mechanisms = plain login' : ''}
}
${
  this.opts.oauth2
    ? `passdb {
  driver = oauth2
  mechanisms = xoauth2
  args = ${D}/oauth2.conf.ext
}
`
    : ''
}userdb {
  driver = passwd-file
  args = ${this.usersDir}/%Lu
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${this.port}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${this.imapsPort}
    ssl = yes
  }
}
`;
    writeFileSync(this.conf, conf, { mode: 0o644 });
    if (this.opts.oauth2) {
      // Every login asks the identity server (no auth cache): a token it revoked is refused at once.
      writeFileSync(
        path.join(D, 'oauth2.conf.ext'),
        `introspection_mode = post
introspection_url = ${this.opts.oauth2.introspectionUrl}
username_attribute = username
active_attribute = active
active_value = true
timeout_msecs = 5000
`,
        { mode: 0o644 },
      );
    }
  }

  private async launch(): Promise<void> {
    // A stale master.pid after a SIGKILL makes Dovecot refuse to start ("already running").
    const pidFile = path.join(this.dir, 'run', 'master.pid');
    if (existsSync(pidFile)) {
      const old = Number(readFileSync(pidFile, 'utf8').trim());
      if (!old || !pidAlive(old)) rmSync(pidFile, { force: true });
    }
    // Foreground (-F) so we own the master's PID; stdio to a file (a piped caller would hang).
    const out = openSync(path.join(this.dir, 'stdio.log'), 'a');
    const child = spawn(DOVECOT_BIN, ['-F', '-c', this.conf], { stdio: ['ignore', out, out], detached: false });
    closeSync(out);
    child.unref();
    this.masterPid = child.pid;
    let exited: number | null | undefined;
    child.once('exit', (code) => {
      exited = code;
    });
    try {
      await Promise.all([waitForPort(this.port, 10_000), waitForPort(this.imapsPort, 10_000)]);
    } catch (e) {
      const log = this.tailLog();
      throw new Error(`${(e as Error).message}${exited !== undefined ? ` (dovecot exited ${exited})` : ''}\n${log}`, {
        cause: e,
      });
    }
  }

  tailLog(lines = 20): string {
    try {
      const a = readFileSync(path.join(this.dir, 'dovecot.log'), 'utf8').split('\n');
      const b = existsSync(path.join(this.dir, 'stdio.log'))
        ? readFileSync(path.join(this.dir, 'stdio.log'), 'utf8').split('\n')
        : [];
      return [...a, ...b].filter(Boolean).slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  userHome(user: string): string {
    return path.join(this.dir, 'mail', user.replace(/[^A-Za-z0-9._@+-]/g, '_'));
  }

  /** Adds a user (passwd-file is re-read on every login), with per-user mail settings (userdb extra fields). */
  addUser(user: string, pass: string, opts: AddUserOptions = {}): void {
    if (/[:\n/]/.test(user) || /[:\n]/.test(pass) || user !== user.toLowerCase())
      throw new Error('test users must be lower-case without ":" or "/"; passwords without ":" or newlines');
    const extra = Object.entries({ ...opts.settings, ...(opts.mailLocation ? { mail: opts.mailLocation } : {}) });
    if (extra.some(([k, v]) => !/^[a-z0-9_]+$/.test(k) || /[\s:]/.test(v.replace(/^(\w+):/, ''))))
      throw new Error(
        'per-user settings: plain names, values without blanks (and no ":" after a mail location\'s format)',
      );
    const home = this.userHome(user);
    mkdirSync(home, { recursive: true, mode: 0o755 });
    chownSync(home, MAIL_UID, MAIL_UID);
    const fields = extra.length ? `::${extra.map(([k, v]) => `userdb_${k}=${v}`).join(' ')}` : '';
    writeFileSync(
      path.join(this.usersDir, user),
      `${user}:{PLAIN}${pass}:${MAIL_UID}:${MAIL_UID}::${home}${fields}\n`,
      { mode: 0o644 },
    );
  }

  /** Runs `doveadm -c <this config> ARGS` (e.g. `backup -R -u USER maildir:PATH` to copy a mailbox into another format). */
  doveadm(args: string[], timeoutMs = 120_000): string {
    const r = spawnSync('doveadm', ['-c', this.conf, ...args], {
      encoding: 'utf8',
      timeout: timeoutMs,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (r.error) throw new Error(`doveadm ${args[0]}: ${r.error.message}`);
    if (r.status !== 0)
      throw new Error(`doveadm ${args.join(' ')} exited ${r.status}: ${(r.stderr || r.stdout).trim().slice(0, 500)}`);
    return r.stdout;
  }

  /** SIGKILLs the per-connection `imap` processes: every client connection drops, the server stays up. */
  killImapProcesses(): number {
    if (!this.masterPid) return 0;
    let n = 0;
    for (const c of childrenOf(this.masterPid)) {
      if (c.comm === 'imap') {
        try {
          process.kill(c.pid, 'SIGKILL');
          n++;
        } catch {
          /* gone */
        }
      }
    }
    return n;
  }

  /** SIGKILLs the master and all its children (the whole server dies at once). */
  killAll(): void {
    if (!this.masterPid) return;
    const kids = childrenOf(this.masterPid);
    try {
      process.kill(this.masterPid, 'SIGKILL');
    } catch {
      /* gone */
    }
    for (const c of kids) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    this.masterPid = undefined;
  }

  /** Kill -9 everything, then start again on the same ports with the same mail. */
  async restart(): Promise<void> {
    const old = this.masterPid;
    this.killAll();
    if (old) await waitUntil(() => !pidAlive(old), 5000);
    await this.launch();
  }

  /** Stops the server. kill -9 (a graceful SIGTERM takes ~1 s and the temp dir is thrown away anyway). */
  async stop(): Promise<void> {
    const pid = this.masterPid;
    if (!pid) return;
    this.killAll();
    await waitUntil(() => !pidAlive(pid), 3000);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * Writes `count` messages straight into the user's INBOX maildir (cur/, flagged seen), with file mtimes
   * as INTERNALDATE. 50,000 messages take a few seconds; Dovecot indexes them on the next SELECT.
   */
  fillMaildir(
    user: string,
    count: number,
    makeMessage: (i: number) => string | Buffer | { raw: string | Buffer; internalDate?: Date },
    folder = 'INBOX',
  ): void {
    const base = path.join(this.userHome(user), 'Maildir');
    const box = folder === 'INBOX' ? base : path.join(base, '.' + folder.replace(/\//g, '.'));
    for (const dirPath of [
      this.userHome(user),
      base,
      box,
      path.join(box, 'cur'),
      path.join(box, 'new'),
      path.join(box, 'tmp'),
    ]) {
      if (!existsSync(dirPath)) {
        mkdirSync(dirPath, { mode: 0o700 });
        chownSync(dirPath, MAIL_UID, MAIL_UID);
      }
    }
    const host = hostname().replace(/[/:]/g, '_');
    const stamp = Math.floor(Date.now() / 1000);
    const cur = path.join(box, 'cur');
    for (let i = 0; i < count; i++) {
      const m = makeMessage(i);
      const raw = typeof m === 'string' || Buffer.isBuffer(m) ? m : m.raw;
      const when = typeof m === 'string' || Buffer.isBuffer(m) ? undefined : m.internalDate;
      const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.replace(/\r?\n/g, '\n'));
      const file = path.join(cur, `${stamp}.M${i}P${process.pid}.${host},S=${buf.length}:2,S`);
      // 0644 root-owned files: Dovecot (uid 65534) reads them, and renames/unlinks them through the folder it owns.
      writeFileSync(file, buf, { mode: 0o644 });
      if (when) utimesSync(file, when, when);
    }
  }
}

async function waitUntil(pred: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}
