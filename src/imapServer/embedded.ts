/**
 * An in-process IMAP server (hoodiecrow-imap, memory only) for machines without Dovecot and for the demo.
 * Not the tests' truth (Dovecot is): no \Recent, no UIDPLUS. hoodiecrow itself is single-account; here every
 * user gets a mailbox of its own (a second hoodiecrow instance that never listens): after a successful LOGIN /
 * AUTHENTICATE the connection is re-bound to that user's instance, so tests see Dovecot-like isolation. STARTTLS uses our own self-signed cert (hoodiecrow's bundled one expired);
 * implicit TLS is a TLS terminator in front of the same server.
 */
import net from 'node:net';
import tls from 'node:tls';
import { mkdtempSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { makeSelfSignedCert, testTmpRoot } from './dovecot';

// hoodiecrow has no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const hoodiecrow = require('hoodiecrow-imap') as (opts: Record<string, unknown>) => HoodiecrowServer;

interface HoodiecrowConnection {
  server: HoodiecrowServer;
  state: string;
  inputHandler?: ((str: string) => void) | false;
  _notificationCallback: (...a: unknown[]) => void;
}
type CommandHandler = (
  conn: HoodiecrowConnection,
  parsed: { attributes?: Array<{ value?: unknown }> },
  data: unknown,
  cb: () => void,
) => void;

interface HoodiecrowServer {
  server: net.Server;
  getCommandHandler(name: string): CommandHandler | false;
  setCommandHandler(name: string, h: CommandHandler): void;
  on(ev: string, f: (...a: unknown[]) => void): void;
  removeListener(ev: string, f: (...a: unknown[]) => void): void;
  users: Record<string, { password: string; xoauth2?: { accessToken: string; sessionTimeout: number } }>;
  listen(port: number, host: string, cb: () => void): void;
  close(cb?: () => void): void;
  getMailbox(path: string): unknown;
  appendMessage(
    mailbox: unknown,
    flags: string[],
    internaldate: Date | string | undefined,
    raw: string,
  ): { message: { uid: number } };
  capabilities: Record<string, unknown>;
}

export const EMBEDDED_JUNK_FOLDER = 'Bulk Mail';
export const EMBEDDED_ARCHIVE_FOLDER = 'Archive';

export interface EmbeddedOptions {
  noIdle?: boolean;
}

export class EmbeddedImap {
  readonly dir: string;
  readonly certPath: string;
  readonly keyPath: string;
  port = 0;
  imapsPort = 0;
  private hc!: HoodiecrowServer;
  private tlsFront!: tls.Server;
  private readonly sockets = new Set<net.Socket>();
  private users: Record<string, string> = {};

  private constructor(private readonly opts: EmbeddedOptions) {
    this.dir = mkdtempSync(path.join(testTmpRoot(), 'token-relay-embedded-imap-'));
    chmodSync(this.dir, 0o755);
    const c = makeSelfSignedCert(this.dir);
    this.certPath = c.certPath;
    this.keyPath = c.keyPath;
  }

  static async start(opts: EmbeddedOptions = {}): Promise<EmbeddedImap> {
    const e = new EmbeddedImap(opts);
    await e.listen(0, 0);
    return e;
  }

  private readonly perUser = new Map<string, HoodiecrowServer>();

  private makeServer(): HoodiecrowServer {
    const plugins = [
      'ID',
      'STARTTLS',
      'SASL-IR',
      'AUTH-PLAIN',
      'NAMESPACE',
      'ENABLE',
      'UNSELECT',
      'SPECIAL-USE',
      'XOAUTH2',
    ];
    if (!this.opts.noIdle) plugins.push('IDLE');
    return hoodiecrow({
      plugins,
      id: { name: 'hoodiecrow (token-relay embedded test server)', version: '2.1.0' },
      credentials: { key: readFileSync(this.keyPath), cert: readFileSync(this.certPath) },
      users: {},
      storage: {
        INBOX: { messages: [] },
        '': {
          separator: '/',
          folders: {
            [EMBEDDED_JUNK_FOLDER]: { 'special-use': '\\Junk', messages: [] },
            [EMBEDDED_ARCHIVE_FOLDER]: { 'special-use': '\\Archive', messages: [] },
          },
        },
      },
    });
  }

  /** The user named by a SASL PLAIN / XOAUTH2 response (base64). */
  private static saslUser(v: string): string | undefined {
    if (!/^[A-Za-z0-9+/=]{4,}$/.test(v.trim())) return undefined;
    const text = Buffer.from(v.trim(), 'base64').toString('utf8');
    // eslint-disable-next-line no-control-regex -- XOAUTH2's initial response separates its fields with \x01 (^A)
    const x = /^user=([^\x01]*)\x01/.exec(text);
    if (x) return x[1];
    const parts = text.split('\0');
    return parts.length === 3 ? parts[1] : undefined;
  }

  /**
   * Re-binds a connection to its user's own mailbox after LOGIN / AUTHENTICATE succeeded. The user comes from
   * LOGIN's first argument, an AUTHENTICATE initial response (SASL-IR), or the continuation line.
   */
  private hookLogins(main: HoodiecrowServer): void {
    for (const name of ['LOGIN', 'AUTHENTICATE PLAIN', 'AUTHENTICATE XOAUTH2']) {
      const orig = main.getCommandHandler(name);
      if (!orig) continue;
      main.setCommandHandler(name, (conn, parsed, data, cb) => {
        const vals = (parsed.attributes ?? []).map((a) => (typeof a?.value === 'string' ? a.value : ''));
        let user = name === 'LOGIN' ? vals[0] : vals.map((v) => EmbeddedImap.saslUser(v)).find((u) => u !== undefined);
        const bind = () => {
          const target = user !== undefined ? this.perUser.get(user) : undefined;
          if (conn.state === 'Authenticated' && target && conn.server !== target) {
            conn.server.removeListener('notify', conn._notificationCallback);
            conn.server = target;
            target.on('notify', conn._notificationCallback);
          }
        };
        orig(conn, parsed, data, () => {
          bind();
          cb();
        });
        // Without SASL-IR the handler returns at once and authenticates on the continuation line.
        const ih = conn.inputHandler;
        if (user === undefined && typeof ih === 'function') {
          conn.inputHandler = (str: string) => {
            user = EmbeddedImap.saslUser(str);
            ih.call(conn, str);
            bind();
          };
        }
      });
    }
  }

  private mailboxOf(user: string): HoodiecrowServer {
    const s = this.perUser.get(user);
    if (!s) throw new Error(`embedded IMAP: unknown user ${user} (addUser first)`);
    return s;
  }

  private async listen(port: number, imapsPort: number): Promise<void> {
    this.hc = this.makeServer();
    this.hookLogins(this.hc);
    for (const [u, p] of Object.entries(this.users)) this.hc.users[u] = { password: p };
    this.hc.server.on('connection', (s: net.Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.hc.listen(port, '127.0.0.1', resolve));
    this.port = (this.hc.server.address() as net.AddressInfo).port;
    const plainPort = this.port;
    this.tlsFront = tls.createServer(
      { key: readFileSync(this.keyPath), cert: readFileSync(this.certPath) },
      (clear) => {
        const back = net.connect({ host: '127.0.0.1', port: plainPort });
        this.sockets.add(clear);
        clear.on('close', () => this.sockets.delete(clear));
        clear.pipe(back).pipe(clear);
        clear.on('error', () => back.destroy());
        back.on('error', () => clear.destroy());
        back.on('close', () => clear.destroy());
        clear.on('close', () => back.destroy());
      },
    );
    await new Promise<void>((resolve) => this.tlsFront.listen(imapsPort, '127.0.0.1', () => resolve()));
    this.imapsPort = (this.tlsFront.address() as net.AddressInfo).port;
  }

  addUser(user: string, pass: string, accessToken?: string): void {
    this.users[user] = pass;
    this.hc.users[user] = {
      password: pass,
      ...(accessToken ? { xoauth2: { accessToken, sessionTimeout: 3600_000 } } : {}),
    };
    if (!this.perUser.has(user)) this.perUser.set(user, this.makeServer());
  }

  /** Appends in-process to the user's own mailbox. */
  append(user: string, raw: string | Buffer, folder = 'INBOX', internalDate?: Date, flags: string[] = []): number {
    const server = this.mailboxOf(user);
    const box = server.getMailbox(folder);
    if (!box) throw new Error(`embedded IMAP: no folder ${folder}`);
    const text = Buffer.isBuffer(raw) ? raw.toString('binary') : raw;
    return server.appendMessage(box, flags, internalDate ?? new Date(), text.replace(/\r?\n/g, '\r\n')).message.uid;
  }

  /** Drops every client connection (like killing Dovecot's imap processes). */
  killConnections(): number {
    const n = this.sockets.size;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    return n;
  }

  /** Drops connections and closes the listeners, then listens again on the same ports (mail is kept). */
  async restart(): Promise<void> {
    this.killConnections();
    await new Promise<void>((r) => this.tlsFront.close(() => r()));
    await new Promise<void>((r) => this.hc.server.close(() => r()));
    const storageServer = this.hc;
    const { port, imapsPort } = this;
    // hoodiecrow keeps its mailboxes in the server object: reuse it by listening again.
    await new Promise<void>((resolve) => storageServer.server.listen(port, '127.0.0.1', () => resolve()));
    await new Promise<void>((resolve) => this.tlsFront.listen(imapsPort, '127.0.0.1', () => resolve()));
  }

  async stop(): Promise<void> {
    this.killConnections();
    await new Promise<void>((r) => this.tlsFront.close(() => r()));
    await new Promise<void>((r) => this.hc.close(() => r()));
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  fillMaildir(
    user: string,
    count: number,
    makeMessage: (i: number) => string | Buffer | { raw: string | Buffer; internalDate?: Date },
    folder = 'INBOX',
  ): void {
    for (let i = 0; i < count; i++) {
      const m = makeMessage(i);
      if (typeof m === 'string' || Buffer.isBuffer(m)) this.append(user, m, folder, undefined, ['\\Seen']);
      else this.append(user, m.raw, folder, m.internalDate, ['\\Seen']);
    }
  }
}
