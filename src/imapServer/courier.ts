/**
 * A real Courier-IMAP (Debian's courier-imap, extracted by scripts/ci-host-setup.sh into
 * $TOKEN_RELAY_CACHE/courier-imap-<version>, default ~/.cache/token-relay: the package conflicts with dovecot-imapd in
 * apt, so it is never installed) for the tests and benchmarks: the second real IMAP server, chosen because its IDLE
 * re-checks the mailbox only on a timer. With Debian's default IMAP_ENHANCEDIDLE=0 (no FAM inside IDLE), Courier's
 * IDLE looks at the maildir every IMAP_IDLE_TIMEOUT seconds (Debian's default 60): new mail reaches an idling client up
 * to a minute late, as with many hosted servers (measured: APPEND → EXISTS inside IDLE 59.5 s).
 *
 * How it runs (no system paths, no system daemons, files only in a temp dir D):
 *  - Courier's own pre-login half (couriertcpd → imaplogin → authdaemond) has its socket and config paths compiled in
 *    (/run/courier/…, /etc/courier/…); instead this launcher plays that part, as inetd-style spawning does: a
 *    loopback listener per port (`port`: plain IMAP with STARTTLS, `imapsPort`: implicit TLS) answers CAPABILITY,
 *    NOOP, STARTTLS, LOGIN, AUTHENTICATE PLAIN and LOGOUT against its user table, and after a good login spawns
 *    Courier's real `imapd Maildir` for the user (AUTHENTICATED=<user>, the environment of Debian's
 *    /etc/courier/imapd; as the caller's own user: the extracted binaries live in its home), then pipes the
 *    connection to it.
 *    imapd's pre-authenticated greeting is replaced by the LOGIN's tagged OK; everything after (SELECT, FETCH,
 *    SEARCH, IDLE, APPEND, EXPUNGE, LOGOUT) is Courier's own answer.
 *  - Debian's courier-imap depends on gamin: libfam spawns /usr/libexec/gam_server on first use. Extracted, that
 *    path does not exist and every FAM attempt of imapd costs ~1.4 s of reconnect tries (each command ~1.5 s slow,
 *    with an "[ALERT] Filesystem notification initialization error"): the launcher runs the extracted
 *    gam_server itself (`--notimeout`, its own GAM_CLIENT_ID, so it never meets another instance's). With
 *    IMAP_ENHANCEDIDLE=0 (Debian's default) Courier still does not use FAM inside IDLE: the 60 s timer stays.
 *  - D/mail/<user>/Maildir is a Maildir++ (INBOX, ".Archive", ".Bulk Mail"); D/courier.log gets imapd's stderr.
 * Courier has no SPECIAL-USE: watchJunk finds no \Junk folder here (Dovecot's tests cover it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
  appendFileSync,
} from 'node:fs';
import { homedir, hostname } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { freePort, makeSelfSignedCert, testTmpRoot } from './dovecot';

/** Debian's /etc/courier/imapd: IMAP_IDLE_TIMEOUT=60 (seconds), IMAP_ENHANCEDIDLE=0. */
export const COURIER_IDLE_TIMEOUT_S = 60;
export const COURIER_JUNK_FOLDER = 'Bulk Mail';
export const COURIER_ARCHIVE_FOLDER = 'Archive';
/** Debian's IMAP_CAPABILITY (without the AUTH=CRAM-* that need authdaemond's plain-text passwords). */
const CAPABILITY = 'IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE';
/** A pre-login line longer than this (or a literal larger) ends the connection. */
const MAX_PRELOGIN_BYTES = 16 * 1024;

/** The extracted package root (has usr/bin/imapd): TOKEN_RELAY_COURIER_DIR, else the newest one in the cache. */
export function courierDir(): string | undefined {
  const forced = process.env.TOKEN_RELAY_COURIER_DIR;
  if (forced) return existsSync(path.join(forced, 'usr/bin/imapd')) ? forced : undefined;
  const cache = path.resolve(process.env.TOKEN_RELAY_CACHE || path.join(homedir(), '.cache', 'token-relay'));
  let names: string[];
  try {
    names = readdirSync(cache).filter((n) => n.startsWith('courier-imap-'));
  } catch {
    return undefined;
  }
  const dirs = names
    .map((n) => path.join(cache, n))
    .filter((d) => existsSync(path.join(d, 'usr/bin/imapd')))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return dirs[0];
}

/** Why courierDir() is undefined ('' when Courier is usable). */
export function courierMissing(): string {
  return courierDir()
    ? ''
    : "Courier-IMAP not found (run scripts/ci-host-setup.sh: it extracts Debian's courier-imap into ~/.cache/token-relay)";
}

export interface CourierOptions {
  /** Leave IDLE out of the capabilities (clients poll). */
  noIdle?: boolean;
  /** IMAP_IDLE_TIMEOUT in seconds (default 60, Debian's). */
  idleTimeoutS?: number;
}

interface Conn {
  socket: net.Socket;
  child?: ChildProcess;
  user?: string;
  /** imapd answered IDLE with its continuation and the client has not sent DONE yet. */
  idling?: boolean;
}

export class Courier {
  port = 0;
  imapsPort = 0;
  readonly certPath: string;
  private readonly keyPath: string;
  private readonly users = new Map<string, string>();
  private readonly conns = new Set<Conn>();
  private servers: net.Server[] = [];
  private gam: ChildProcess | undefined;
  private readonly gamId = `token-relay-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  private stopping = false;
  /** Commands each user's sessions sent after login (name → count), as the launcher saw them pass. */
  private readonly commands = new Map<string, Map<string, number>>();
  private idleWaiters: Array<{ user: string; resolve: () => void }> = [];
  private readonly logPath: string;

  private constructor(
    readonly dir: string,
    private readonly root: string,
    private readonly opts: CourierOptions,
  ) {
    const { certPath, keyPath } = makeSelfSignedCert(dir);
    this.certPath = certPath;
    this.keyPath = keyPath;
    this.logPath = path.join(dir, 'courier.log');
    writeFileSync(this.logPath, '');
    mkdirSync(path.join(dir, 'mail'), { mode: 0o755 });
  }

  static async start(opts: CourierOptions = {}): Promise<Courier> {
    const root = courierDir();
    if (!root) throw new Error(courierMissing());
    const dir = mkdtempSync(path.join(testTmpRoot(), 'tr-courier-'));
    const c = new Courier(dir, root, opts);
    c.port = await freePort();
    c.imapsPort = await freePort();
    await c.startGamServer();
    await c.listen();
    return c;
  }

  private get libPath(): string {
    return [path.join(this.root, 'usr/lib/x86_64-linux-gnu'), path.join(this.root, 'usr/lib')].join(':');
  }

  /** gam_server (the FAM daemon libfam would start from /usr/libexec) for this instance's GAM_CLIENT_ID. */
  private async startGamServer(): Promise<void> {
    const bin = path.join(this.root, 'usr/libexec/gam_server');
    if (!existsSync(bin)) {
      appendFileSync(this.logPath, `launcher: ${bin} missing (gamin not extracted): every imapd command is slow\n`);
      return;
    }
    const gam = spawn(bin, ['--notimeout', this.gamId], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: '/usr/bin:/bin', LD_LIBRARY_PATH: this.libPath, GAM_CLIENT_ID: this.gamId },
    });
    this.gam = gam;
    gam.stderr.on('data', (d: Buffer) => appendFileSync(this.logPath, d));
    gam.on('error', (e) => appendFileSync(this.logPath, `launcher: gam_server failed: ${e.message}\n`));
    gam.on('exit', () => {
      if (this.gam === gam) this.gam = undefined;
      if (!this.stopping) void this.startGamServer();
    });
    // Its abstract socket appears within milliseconds; wait for it (a client that comes first would fork-try).
    for (let i = 0; i < 100; i++) {
      let table: string;
      try {
        table = readFileSync('/proc/net/unix', 'utf8');
      } catch {
        return; // no /proc: go ahead, the first imapd may be slow
      }
      if (table.includes(`@/tmp/fam-`) && table.includes(`-${this.gamId}`)) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private async listen(): Promise<void> {
    const key = readFileSync(this.keyPath);
    const cert = readFileSync(this.certPath);
    const plain = net.createServer((s) => this.accept(s, false, { key, cert }));
    const secure = tls.createServer({ key, cert }, (s) => this.accept(s, true, { key, cert }));
    const listenOn = (srv: net.Server, port: number) =>
      new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(port, '127.0.0.1', () => {
          srv.off('error', reject);
          resolve();
        });
      });
    await listenOn(plain, this.port);
    await listenOn(secure, this.imapsPort);
    this.servers = [plain, secure];
  }

  addUser(user: string, pass: string): void {
    if (!/^[A-Za-z0-9._@-]+$/.test(user)) throw new Error(`test IMAP (Courier): unsupported user name ${user}`);
    this.users.set(user, pass);
    const home = this.userHome(user);
    for (const d of [
      home,
      path.join(home, 'Maildir'),
      ...['', `.${COURIER_ARCHIVE_FOLDER}`, `.${COURIER_JUNK_FOLDER}`].flatMap((f) =>
        ['', 'cur', 'new', 'tmp'].map((s) => path.join(home, 'Maildir', f, s)),
      ),
    ]) {
      if (!existsSync(d)) mkdirSync(d, { mode: 0o700 });
    }
    // Maildir++ marks each subfolder with a maildirfolder file; Courier lists the folders it finds.
    for (const f of [COURIER_ARCHIVE_FOLDER, COURIER_JUNK_FOLDER]) {
      const marker = path.join(home, 'Maildir', `.${f}`, 'maildirfolder');
      writeFileSync(marker, '');
    }
  }

  password(user: string): string {
    const p = this.users.get(user);
    if (p === undefined) throw new Error(`test IMAP (Courier): unknown user ${user} (addUser first)`);
    return p;
  }

  userHome(user: string): string {
    return path.join(this.dir, 'mail', user);
  }

  /** How many times `user`'s sessions sent `command` (e.g. NOOP, IDLE) after login. */
  commandCount(user: string, command: string): number {
    return this.commands.get(user)?.get(command.toUpperCase()) ?? 0;
  }

  /** Resolves when a session of `user` is inside IDLE (imapd sent its continuation; no DONE since). */
  whenIdle(user: string): Promise<void> {
    for (const c of this.conns) if (c.user === user && c.idling) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push({ user, resolve }));
  }

  /** kill -9 every imapd: their connections drop, the listeners stay. */
  killImapProcesses(): void {
    for (const c of this.conns) c.child?.kill('SIGKILL');
  }

  /** Closes the listeners and every connection (imapd killed), then listens again on the same ports. */
  async restart(): Promise<void> {
    await this.close();
    await this.listen();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.gam?.kill('SIGTERM');
    await this.close();
  }

  private async close(): Promise<void> {
    const closing = this.servers.map((s) => new Promise<void>((r) => s.close(() => r())));
    for (const c of this.conns) {
      c.child?.kill('SIGKILL');
      c.socket.destroy();
    }
    this.conns.clear();
    this.servers = [];
    await Promise.all(closing);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  tailLog(lines = 40): string {
    try {
      return readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** As Dovecot.fillMaildir: files straight into the folder's cur/ (seen), file mtimes as INTERNALDATE. */
  fillMaildir(
    user: string,
    count: number,
    makeMessage: (i: number) => string | Buffer | { raw: string | Buffer; internalDate?: Date },
    folder = 'INBOX',
  ): void {
    if (!this.users.has(user)) throw new Error(`test IMAP (Courier): unknown user ${user} (addUser first)`);
    const base = path.join(this.userHome(user), 'Maildir');
    const box = folder === 'INBOX' ? base : path.join(base, '.' + folder.replace(/\//g, '.'));
    for (const d of [box, path.join(box, 'cur'), path.join(box, 'new'), path.join(box, 'tmp')]) {
      if (!existsSync(d)) {
        mkdirSync(d, { mode: 0o700 });
      }
    }
    const host = hostname().replace(/[/:]/g, '_');
    const stamp = Math.floor(Date.now() / 1000);
    for (let i = 0; i < count; i++) {
      const m = makeMessage(i);
      const raw = typeof m === 'string' || Buffer.isBuffer(m) ? m : m.raw;
      const when = typeof m === 'string' || Buffer.isBuffer(m) ? undefined : m.internalDate;
      const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.replace(/\r?\n/g, '\n'));
      const file = path.join(box, 'cur', `${stamp}.M${i}P${process.pid}.${host},S=${buf.length}:2,S`);
      writeFileSync(file, buf, { mode: 0o644 });
      if (when) utimesSync(file, when, when);
    }
  }

  private capabilities(tlsOn: boolean): string {
    const base = this.opts.noIdle ? CAPABILITY.replace(/ IDLE\b/, '') : CAPABILITY;
    return tlsOn ? `${base} AUTH=PLAIN` : `${base} STARTTLS AUTH=PLAIN`;
  }

  /** The pre-login half of a connection (what Courier's imaplogin does), then imapd. */
  private accept(raw: net.Socket, secure: boolean, creds: { key: Buffer; cert: Buffer }): void {
    const conn: Conn = { socket: raw };
    this.conns.add(conn);
    raw.on('error', () => {});
    raw.on('close', () => {
      this.conns.delete(conn);
      conn.child?.kill('SIGTERM');
    });
    let sock: net.Socket = raw;
    let tlsOn = secure;
    let buf = Buffer.alloc(0);
    /** A literal being read: the command line so far and how many bytes are still due. */
    let pendingLine: string | undefined;
    let literalLeft = 0;
    const send = (s: string) => {
      if (!sock.destroyed) sock.write(s + '\r\n');
    };
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length > MAX_PRELOGIN_BYTES) {
        send('* BYE Input line too long');
        sock.destroy();
        return;
      }
      drain();
    };
    const drain = () => {
      for (;;) {
        if (pendingLine !== undefined && literalLeft > 0) {
          if (buf.length < literalLeft) return;
          pendingLine += quoteLiteral(buf.subarray(0, literalLeft).toString('utf8'));
          buf = buf.subarray(literalLeft);
          literalLeft = 0;
        }
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const part = buf.subarray(0, nl).toString('utf8');
        buf = buf.subarray(nl + 2);
        const lit = /\{(\d+)(\+?)\}$/.exec(part);
        if (lit) {
          const n = Number(lit[1]);
          if (n > MAX_PRELOGIN_BYTES) {
            send('* BYE Literal too large');
            sock.destroy();
            return;
          }
          pendingLine = (pendingLine ?? '') + part.slice(0, lit.index);
          literalLeft = n;
          if (!lit[2]) send('+ OK');
          continue;
        }
        const line = (pendingLine ?? '') + part;
        pendingLine = undefined;
        if (handle(line) === 'stop') return;
      }
    };
    let authPending: string | undefined;
    const handle = (line: string): 'stop' | void => {
      if (authPending !== undefined) {
        const tag = authPending;
        authPending = undefined;
        return plainLogin(tag, line.trim());
      }
      const m = /^(\S+) (\S+)(?: (.*))?$/.exec(line);
      if (!m) {
        send('* BAD Error in IMAP command received by server.');
        return;
      }
      const [, tag, cmdRaw, rest = ''] = m;
      const cmd = cmdRaw!.toUpperCase();
      if (cmd === 'CAPABILITY') {
        send(`* CAPABILITY ${this.capabilities(tlsOn)}`);
        send(`${tag} OK CAPABILITY completed`);
      } else if (cmd === 'NOOP') {
        send(`${tag} OK NOOP completed`);
      } else if (cmd === 'LOGOUT') {
        send('* BYE Courier-IMAP server shutting down');
        send(`${tag} OK LOGOUT completed`);
        sock.end();
        return 'stop';
      } else if (cmd === 'STARTTLS' && !tlsOn) {
        send(`${tag} OK Begin SSL/TLS negotiation now.`);
        sock.off('data', onData);
        const t = new tls.TLSSocket(sock, { isServer: true, key: creds.key, cert: creds.cert });
        t.on('error', () => sock.destroy());
        t.on('data', onData);
        sock = t;
        conn.socket = t;
        tlsOn = true;
        buf = Buffer.alloc(0);
        return 'stop';
      } else if (cmd === 'LOGIN') {
        const args = parseStrings(rest);
        if (args.length !== 2) send(`${tag} BAD Invalid LOGIN arguments`);
        else return login(tag!, args[0]!, args[1]!);
      } else if (cmd === 'AUTHENTICATE') {
        const [mech, ir] = rest.split(' ');
        if (mech?.toUpperCase() !== 'PLAIN') send(`${tag} NO Unsupported authentication mechanism.`);
        else if (ir) return plainLogin(tag!, ir);
        else {
          authPending = tag;
          send('+ ');
        }
      } else {
        send(`${tag} BAD Command not allowed before login.`);
      }
    };
    const plainLogin = (tag: string, b64: string): 'stop' | void => {
      if (b64 === '*') {
        send(`${tag} BAD AUTHENTICATE cancelled`);
        return;
      }
      const parts = Buffer.from(b64, 'base64').toString('utf8').split('\0');
      if (parts.length !== 3) {
        send(`${tag} NO Login failed.`);
        return;
      }
      return login(tag, parts[1]!, parts[2]!);
    };
    const login = (tag: string, user: string, pass: string): 'stop' | void => {
      const want = this.users.get(user);
      if (want === undefined || want !== pass) {
        send(`${tag} NO [AUTHENTICATIONFAILED] Login failed.`);
        return;
      }
      sock.off('data', onData);
      this.startImapd(conn, sock, tag, user, buf);
      return 'stop';
    };
    sock.on('data', onData);
    send(
      `* OK [CAPABILITY ${this.capabilities(tlsOn)}] Courier-IMAP ready. Copyright 1998-2018 Double Precision, Inc.  See COPYING for distribution information.`,
    );
  }

  private startImapd(conn: Conn, sock: net.Socket, tag: string, user: string, early: Buffer): void {
    const home = this.userHome(user);
    const child = spawn(path.join(this.root, 'usr/bin/imapd'), ['Maildir'], {
      cwd: home,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        PATH: '/usr/bin:/bin',
        LD_LIBRARY_PATH: this.libPath,
        GAM_CLIENT_ID: this.gamId,
        HOME: home,
        AUTHENTICATED: user,
        TCPREMOTEIP: '127.0.0.1',
        TCPREMOTEPORT: String(sock.remotePort ?? 0),
        IMAP_CAPABILITY: this.opts.noIdle ? CAPABILITY.replace(/ IDLE\b/, '') : CAPABILITY,
        IMAP_KEYWORDS: '1',
        IMAP_ACL: '1',
        IMAP_IDLE_TIMEOUT: String(this.opts.idleTimeoutS ?? COURIER_IDLE_TIMEOUT_S),
        IMAP_ENHANCEDIDLE: '0',
        IMAP_MAILBOX_SANITY_CHECK: '1',
        IMAP_USELOCKS: '1',
        IMAP_UMASK: '022',
        IMAP_TRASHFOLDERNAME: 'Trash',
        IMAP_EMPTYTRASH: 'Trash:7',
        HEADERFROM: 'X-IMAP-Sender',
        MAILDIRPATH: 'Maildir',
      },
    });
    conn.child = child;
    conn.user = user;
    // Taps beside the pipes: the commands the client sends and whether the session is inside IDLE.
    let pendingCmd = '';
    sock.on('data', (d: Buffer) => {
      pendingCmd = (pendingCmd + d.toString('latin1')).slice(-4096);
      const lines = pendingCmd.split('\r\n');
      pendingCmd = lines.pop() ?? '';
      for (const line of lines) {
        if (line.toUpperCase() === 'DONE') {
          conn.idling = false;
          continue;
        }
        const m = /^\S+ (?:UID )?([A-Za-z]+)/.exec(line);
        if (!m) continue;
        const counts = this.commands.get(user) ?? new Map<string, number>();
        this.commands.set(user, counts);
        const name = m[1]!.toUpperCase();
        counts.set(name, (counts.get(name) ?? 0) + 1);
      }
    });
    child.on('error', (e) => {
      appendFileSync(this.logPath, `launcher: imapd failed to start: ${e.message}\n`);
      sock.destroy();
    });
    child.stderr.on('data', (d: Buffer) => appendFileSync(this.logPath, d));
    child.on('exit', () => sock.destroy());
    child.stdin.on('error', () => {});
    // imapd greets as a pre-authenticated session ("* PREAUTH"; after an ALERT when FAM is unreachable): replaced
    // by the tagged answer to the client's LOGIN.
    let head = Buffer.alloc(0);
    const onGreeting = (d: Buffer) => {
      head = Buffer.concat([head, d]);
      const i = head.indexOf('* PREAUTH');
      if (i < 0) return;
      const nl = head.indexOf('\r\n', i);
      if (nl < 0) return;
      child.stdout.off('data', onGreeting);
      sock.write(`${tag} OK LOGIN Ok.\r\n`);
      const after = head.subarray(nl + 2);
      if (after.length) sock.write(after);
      child.stdout.pipe(sock);
      child.stdout.on('data', (out: Buffer) => {
        if (!/^\+ entering idle mode/m.test(out.toString('latin1'))) return;
        conn.idling = true;
        const ready = this.idleWaiters.filter((w) => w.user === user);
        this.idleWaiters = this.idleWaiters.filter((w) => w.user !== user);
        for (const w of ready) w.resolve();
      });
      sock.pipe(child.stdin);
      if (early.length) child.stdin.write(early);
    };
    child.stdout.on('data', onGreeting);
  }
}

/** The IMAP strings of a LOGIN line: atoms and quoted strings (literals were turned into quoted strings). */
function parseStrings(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === ' ') {
      i++;
      continue;
    }
    if (s[i] === '"') {
      let v = '';
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        v += s[i];
        i++;
      }
      i++;
      out.push(v);
    } else {
      const j = s.indexOf(' ', i);
      const end = j < 0 ? s.length : j;
      out.push(s.slice(i, end));
      i = end;
    }
  }
  return out;
}

function quoteLiteral(v: string): string {
  return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
