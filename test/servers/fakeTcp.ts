/**
 * Fake TCP (or TLS) servers on 127.0.0.1 that misbehave on purpose: silent, reset, garbage, floods, a scripted
 * half-IMAP. They record what clients sent (`received`, latin1) so tests can prove a secret never arrived.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';

export interface FakeServer {
  port: number;
  /** Every chunk a client sent (after TLS decryption for a TLS server). */
  received: string[];
  /** Destroys the open connections and stops listening. */
  close(): void;
}

/** A server whose every connection is handed to `onConnection` (after recording its data and muting its errors). */
export async function startFakeServer(
  onConnection: (s: net.Socket) => void,
  opts: { tls?: { key: string | Buffer; cert: string | Buffer } } = {},
): Promise<FakeServer> {
  const received: string[] = [];
  const sockets = new Set<net.Socket>();
  const handle = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.on('data', (d: Buffer) => received.push(d.toString('latin1')));
    onConnection(s);
  };
  const server = opts.tls
    ? tls.createServer({ key: opts.tls.key, cert: opts.tls.cert }, handle)
    : net.createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

export type Misbehaviour = 'silent' | 'reset' | 'garbage' | 'flood' | 'no-newline' | 'bye' | 'greet-then-silent';

/**
 * A fake IMAP server that misbehaves in one way:
 *  silent             accepts, never greets          reset        RST at once
 *  garbage            bytes that are no IMAP          flood        endless 1000-char untagged lines
 *  no-newline         an endless greeting line        bye          `* BYE` and close
 *  greet-then-silent  greets (offering STARTTLS), then never answers a command
 */
export function misbehavingServer(mode: Misbehaviour): Promise<FakeServer> {
  return startFakeServer((s) => {
    const drip = (text: string) => {
      const t = setInterval(() => s.write(text), 20);
      s.on('close', () => clearInterval(t));
    };
    switch (mode) {
      case 'silent':
        return;
      case 'reset':
        s.resetAndDestroy();
        return;
      case 'garbage':
        s.write('\x00\xff HELLO THIS IS NOT IMAP\r\n');
        return;
      case 'flood':
        drip('* ' + 'x'.repeat(1000) + '\r\n');
        return;
      case 'no-newline':
        drip('* OK aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
        return;
      case 'bye':
        s.end('* BYE go away\r\n');
        return;
      case 'greet-then-silent':
        s.write('* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] ready\r\n');
        return;
    }
  });
}

/** A loopback port nothing listens on (bound, read, closed): connecting gets ECONNREFUSED. */
export async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
