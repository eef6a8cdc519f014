/**
 * The IMAP server the integration tests, host tests, vsix-smoke, the benchmarks and the demo run against (a
 * support server beside the product, like src/emulator: nothing of the extension or the CLI imports it, and it
 * imports only itself, src/core and its npm packages). `startImapServer()` gives a real Dovecot when it can serve
 * IMAP here (/usr/sbin/dovecot and dovecot-imapd's imap binaries; required when CI=true), else the embedded
 * in-process hoodiecrow server, and says so loudly. TOKEN_RELAY_TEST_IMAP=dovecot|embedded forces a kind
 * (imapPreference()).
 *
 *   const imap = await startImapServer();
 *   await imap.addUser('alice', 'alice-pass');
 *   await imap.append('alice', rawEml, { internalDate: new Date() });
 *   const cfg = imap.mailboxConfig('alice', 'alice-pass');     // settings for watchForToken (a MailboxConfig)
 *   await imap.kill();      // kill -9 the imap processes: connections drop, server stays
 *   await imap.restart();   // kill -9 the whole server, start again (same ports, same mail)
 *   await imap.stop();
 *
 * Certificates: self-signed for localhost/127.0.0.1; `caCert` (PEM) / `caCertPath` for NODE_EXTRA_CA_CERTS or
 * `tls.ca`, or use `insecureTls: true`. Installs nothing.
 */
import { ImapFlow } from 'imapflow';
import { existsSync, readFileSync } from 'node:fs';
import {
  Dovecot,
  DOVECOT_BIN,
  dovecotMissing,
  dovecotPath,
  JUNK_FOLDER,
  ARCHIVE_FOLDER,
  type AddUserOptions,
} from './dovecot';
import { EmbeddedImap } from './embedded';

export interface AppendOptions {
  folder?: string;
  internalDate?: Date;
  flags?: string[];
}

export type { AddUserOptions } from './dovecot';

/**
 * Client settings for this server: the fields of the product's MailboxConfig (src/mail/imapClient.ts) a support
 * server fills in, declared here rather than imported (support servers import only src/core). A MailboxConfig
 * accepts it; `over` is spread on top, so any other MailboxConfig field passes through (test/servers/imap.ts
 * types it as Partial<MailboxConfig> for the tests).
 */
export interface ServerMailboxConfig {
  host: string;
  port: number;
  security: 'implicit' | 'starttls';
  user: string;
  password: string;
  insecureTls: boolean;
}

export type MakeMessage = (i: number) => string | Buffer | { raw: string | Buffer; internalDate?: Date };

export interface ImapServer {
  kind: 'dovecot' | 'embedded';
  host: string;
  /** Plain IMAP port offering STARTTLS. */
  port: number;
  /** Implicit-TLS (IMAPS) port. */
  imapsPort: number;
  /** The self-signed certificate (PEM) both ports present, and its file. */
  caCert: string;
  caCertPath: string;
  /** Whether the server advertises IDLE. */
  idle: boolean;
  /** Name of the folder carrying the \Junk special-use flag (deliberately not "Junk"/"Spam"). */
  junkFolder: string;
  archiveFolder: string;
  /** `opts` (Dovecot only; the embedded server refuses them): a per-user mail_location / mail settings. */
  addUser(user: string, pass: string, opts?: AddUserOptions): Promise<void>;
  /** APPEND over IMAP (Dovecot) or in-process (embedded); returns the new UID when known. */
  append(user: string, raw: string | Buffer, opts?: AppendOptions): Promise<number | undefined>;
  /** kill -9 the per-connection imap processes (embedded: destroy client sockets). */
  kill(): Promise<void>;
  /** kill -9 the whole server and start it again on the same ports with the same mail. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** Writes many messages fast (Dovecot: raw maildir files; embedded: in memory). */
  fillMaildir(user: string, count: number, makeMessage: MakeMessage, folder?: string): Promise<void>;
  /** Settings for a MailboxConfig on this server (STARTTLS on `port` by default), trusting the self-signed cert. */
  mailboxConfig(user: string, pass: string, over?: Partial<ServerMailboxConfig>): ServerMailboxConfig;
  /** The Dovecot log tail (debugging), '' for embedded. */
  logTail(): string;
  /** Dovecot only: `doveadm -c <the server's config> ARGS`, stdout (throws on failure). */
  doveadm?(args: string[]): Promise<string>;
  /** Dovecot only: the user's home directory (its maildir is `<home>/Maildir`). */
  userHome?(user: string): string;
}

export interface StartImapOptions {
  /** 'auto' (default): Dovecot when installed, else embedded (refused under CI=true). */
  prefer?: 'auto' | 'dovecot' | 'embedded';
  /** Server without the IDLE capability (to exercise NOOP polling). */
  noIdle?: boolean;
  /** Silence the loud embedded warning (the demo). */
  quiet?: boolean;
  /** Dovecot only: also accept XOAUTH2 tokens checked at this RFC 7662 introspection URL. */
  oauth2?: { introspectionUrl: string };
}

let warned = false;

/**
 * The server kind the tests (and everything started like them: host tests, vsix-smoke) use when the caller does
 * not choose: TOKEN_RELAY_TEST_IMAP=embedded|dovecot forces one (to run the suite on the fallback path), else 'auto'.
 */
export function imapPreference(): 'auto' | 'dovecot' | 'embedded' {
  const envPrefer = process.env.TOKEN_RELAY_TEST_IMAP;
  return envPrefer === 'embedded' || envPrefer === 'dovecot' ? envPrefer : 'auto';
}

export async function startImapServer(opts: StartImapOptions = {}): Promise<ImapServer> {
  const prefer = opts.prefer ?? imapPreference();
  // The harness runs Dovecot's master as root (it switches to uid 65534 for mail): without root, use embedded.
  const isRoot = typeof process.getuid !== 'function' || process.getuid() === 0;
  const haveDovecot = !!dovecotPath() && isRoot;
  if (prefer === 'dovecot' || (prefer === 'auto' && haveDovecot)) {
    if (!haveDovecot)
      throw new Error(
        isRoot
          ? `Dovecot is required here: ${dovecotMissing()}`
          : "the Dovecot test harness needs root (it starts Dovecot's master process)",
      );
    return startDovecotServer(opts);
  }
  if (process.env.CI === 'true' && prefer === 'auto') {
    throw new Error(
      `CI=true: the integration tests need a real Dovecot: ${dovecotMissing() || 'the harness needs root'}`,
    );
  }
  if (!opts.quiet && !warned && opts.prefer !== 'embedded') {
    warned = true;
    process.stderr.write(
      '\n' +
        '#####################################################################\n' +
        (prefer === 'embedded'
          ? '#  WARNING: TOKEN_RELAY_TEST_IMAP=embedded (Dovecot not used).     #\n'
          : dovecotPath()
            ? '#  WARNING: Dovecot found, but the harness needs root to run it.   #\n'
            : existsSync(DOVECOT_BIN)
              ? '#  WARNING: Dovecot found, but not its imap binary (dovecot-imapd). #\n'
              : '#  WARNING: Dovecot not found (/usr/sbin/dovecot).                  #\n') +
        '#  IMAP tests run against the EMBEDDED hoodiecrow server instead.   #\n' +
        '#  That is NOT the real thing: apt-get install dovecot-imapd.       #\n' +
        '#####################################################################\n\n',
    );
  }
  return startEmbeddedServer(opts);
}

async function appendOverImap(
  host: string,
  port: number,
  ca: string,
  user: string,
  pass: string,
  raw: string | Buffer,
  o: AppendOptions,
): Promise<number | undefined> {
  const client = new ImapFlow({
    host,
    port,
    secure: false,
    doSTARTTLS: true,
    tls: { ca, servername: 'localhost' },
    auth: { user, pass },
    logger: false,
    disableAutoIdle: true,
  });
  try {
    await client.connect();
    const res = await client.append(
      o.folder ?? 'INBOX',
      typeof raw === 'string' ? raw.replace(/\r?\n/g, '\r\n') : raw,
      o.flags ?? [],
      o.internalDate ?? new Date(),
    );
    return res ? res.uid : undefined;
  } finally {
    await client.logout().catch(() => client.close());
  }
}

async function startDovecotServer(opts: StartImapOptions): Promise<ImapServer> {
  const d = await Dovecot.start({ noIdle: opts.noIdle, ...(opts.oauth2 ? { oauth2: opts.oauth2 } : {}) });
  const caCert = readFileSync(d.certPath, 'utf8');
  const passwords = new Map<string, string>();
  const srv: ImapServer = {
    kind: 'dovecot',
    host: '127.0.0.1',
    get port() {
      return d.port;
    },
    get imapsPort() {
      return d.imapsPort;
    },
    caCert,
    caCertPath: d.certPath,
    idle: !opts.noIdle,
    junkFolder: JUNK_FOLDER,
    archiveFolder: ARCHIVE_FOLDER,
    async addUser(user, pass, o) {
      d.addUser(user, pass, o);
      passwords.set(user, pass);
    },
    async append(user, raw, o = {}) {
      const pass = passwords.get(user);
      if (pass === undefined) throw new Error(`test IMAP: unknown user ${user} (addUser first)`);
      return appendOverImap('127.0.0.1', d.port, caCert, user, pass, raw, o);
    },
    async kill() {
      d.killImapProcesses();
    },
    async restart() {
      await d.restart();
    },
    async stop() {
      await d.stop();
      d.remove();
    },
    async fillMaildir(user, count, makeMessage, folder) {
      d.fillMaildir(user, count, makeMessage, folder);
    },
    mailboxConfig(user, pass, over = {}) {
      return {
        host: '127.0.0.1',
        port: d.port,
        security: 'starttls',
        user,
        password: pass,
        insecureTls: true,
        ...over,
      };
    },
    logTail: () => d.tailLog(),
    async doveadm(args) {
      return d.doveadm(args);
    },
    userHome: (user) => d.userHome(user),
  };
  return srv;
}

async function startEmbeddedServer(opts: StartImapOptions): Promise<ImapServer> {
  const e = await EmbeddedImap.start({ noIdle: opts.noIdle });
  const caCert = readFileSync(e.certPath, 'utf8');
  const srv: ImapServer = {
    kind: 'embedded',
    host: '127.0.0.1',
    get port() {
      return e.port;
    },
    get imapsPort() {
      return e.imapsPort;
    },
    caCert,
    caCertPath: e.certPath,
    idle: !opts.noIdle,
    junkFolder: 'Bulk Mail',
    archiveFolder: 'Archive',
    async addUser(user, pass, o) {
      if (o?.mailLocation || (o?.settings && Object.keys(o.settings).length))
        throw new Error('the embedded IMAP server has no mail formats or settings (Dovecot only)');
      e.addUser(user, pass);
    },
    async append(user, raw, o = {}) {
      return e.append(user, raw, o.folder ?? 'INBOX', o.internalDate, o.flags ?? []);
    },
    async kill() {
      e.killConnections();
    },
    async restart() {
      await e.restart();
    },
    async stop() {
      await e.stop();
      e.remove();
    },
    async fillMaildir(user, count, makeMessage, folder) {
      e.fillMaildir(user, count, makeMessage, folder);
    },
    mailboxConfig(user, pass, over = {}) {
      return {
        host: '127.0.0.1',
        port: e.port,
        security: 'starttls',
        user,
        password: pass,
        insecureTls: true,
        ...over,
      };
    },
    logTail: () => '',
  };
  return srv;
}
