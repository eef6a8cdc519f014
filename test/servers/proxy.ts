/**
 * A forwarding HTTP proxy on 127.0.0.1 for tests: absolute-URI requests (`GET http://host/path`) are forwarded,
 * `CONNECT host:port` opens a tunnel (or is refused with `opts.refuse`, e.g. 407). Records what it saw.
 */
import * as http from 'node:http';
import * as net from 'node:net';

export interface TestProxy {
  /** `http://127.0.0.1:<port>`, with `opts.credentials` as userinfo when given. */
  url: string;
  port: number;
  /** `METHOD absolute-url` per forwarded request, `CONNECT host:port` per tunnel asked for. */
  seen: string[];
  /** The Proxy-Authorization header of every request and CONNECT ('' when absent). */
  auth: string[];
  /** CONNECT requests seen. */
  tunnels(): number;
  close(): Promise<void>;
}

export async function startProxy(opts: { refuse?: number; credentials?: string } = {}): Promise<TestProxy> {
  const seen: string[] = [];
  const auth: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    auth.push(String(req.headers['proxy-authorization'] ?? ''));
    let u: URL;
    try {
      u = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end();
      return;
    }
    const up = http.request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  });
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    auth.push(String(req.headers['proxy-authorization'] ?? ''));
    if (opts.refuse) {
      socket.end(`HTTP/1.1 ${opts.refuse} Refused\r\n\r\n`);
      return;
    }
    const [h, p] = (req.url ?? '').split(':');
    const up = net.connect(Number(p), h, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    sockets.add(up);
    up.on('close', () => sockets.delete(up));
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://${opts.credentials ? `${opts.credentials}@` : ''}127.0.0.1:${port}`,
    port,
    seen,
    auth,
    tunnels: () => seen.filter((s) => s.startsWith('CONNECT ')).length,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
