/**
 * The login transport's keep-alive pool (src/salesforce/transport.ts): consecutive logins share one
 * connection; a server that closed the idle socket (cleanly, with a reset, or just as the next request
 * arrives) never turns into a spurious network-error; a socket verified under one TLS trust setting is
 * never reused under another. A TCP relay in front of the emulator counts connections and plays the
 * server that drops idle sockets. Also: the per-login Connection made without jsforce's API-module
 * accessors leaves jsforce's listeners as they were. Loopback only.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { startEmulator, type Emulator } from '../../src/emulator';
import { selfSignedCert } from '../servers/tls';
import { testLogin } from '../../src/salesforce/login';
import { closeIdleConnections } from '../../src/salesforce/transport';
import { loadJsforce } from '../../src/lazy';
import type { OrgProfile, OrgSecrets } from '../../src/core/profile';

type OnReuse = 'pass' | 'reset' | 'hang-up';

interface Relay {
  url: string;
  /** Client connections accepted so far. */
  connections: number;
  /** Open client connections. */
  open(): number;
  /** What happens to the next request that arrives on a connection that already carried one. */
  onReuse: OnReuse;
  /** Closes (FIN) every open client connection, as a server whose keep-alive timeout expired. */
  endIdle(): void;
  close(): Promise<void>;
}

/** A TCP relay to the emulator; each client connection gets its own upstream connection. */
async function startRelay(target: URL): Promise<Relay> {
  const clients = new Set<net.Socket>();
  const relay: Relay = {
    url: '',
    connections: 0,
    open: () => clients.size,
    onReuse: 'pass',
    endIdle: () => {
      for (const c of clients) c.end();
    },
    close: async () => {
      for (const c of clients) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = net.createServer((client) => {
    relay.connections++;
    clients.add(client);
    let requests = 0;
    const upstream = net.connect(Number(target.port), target.hostname);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', () => {
      clients.delete(client);
      upstream.destroy();
    });
    client.on('error', drop);
    upstream.on('error', drop);
    upstream.on('end', () => client.end());
    upstream.on('data', (d) => client.write(d));
    client.on('data', (d) => {
      // A new request starts with a method name; body chunks of the same request pass through.
      if (/^(POST|GET) /.test(d.toString('latin1', 0, 5))) requests++;
      if (requests > 1 && relay.onReuse !== 'pass') {
        const how = relay.onReuse;
        relay.onReuse = 'pass';
        if (how === 'reset') client.resetAndDestroy();
        else client.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(d);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  relay.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return relay;
}

let emu: Emulator;
let relay: Relay;
let n = 0;

before(async () => {
  emu = await startEmulator({ users: [], orgs: [{ name: 'Keep-alive Org' }] });
});
after(async () => {
  closeIdleConnections();
  await emu.close();
});

function newUser(loginUrl: string) {
  n++;
  const u = emu.addUser({
    username: `keep${n}@alive.test`,
    password: `Pw-${n}-alive`,
    firstName: 'Kay',
    lastName: `Alive${n}`,
  });
  const profile: OrgProfile = { id: u.username, name: u.username, loginUrl, username: u.username, apiVersion: '64.0' };
  const secrets: OrgSecrets = { password: u.password, token: u.token };
  return { u, profile, secrets };
}

async function loginOk(profile: OrgProfile, secrets: OrgSecrets) {
  const r = await testLogin(profile, secrets, { timeoutMs: 10_000, fetchLimits: false });
  assert.equal(r.status, 'ok', `${r.status} ${r.code} ${r.message}`);
  return r;
}

const settle = () => new Promise((r) => setTimeout(r, 50));

test('consecutive logins (and the follow-up calls of one) share one kept-alive connection', async () => {
  relay = await startRelay(new URL(emu.url));
  try {
    const { profile, secrets } = newUser(relay.url);
    await loginOk(profile, secrets);
    await loginOk(profile, secrets);
    const withLimits = await testLogin(profile, secrets, { timeoutMs: 10_000 });
    assert.equal(withLimits.status, 'ok');
    assert.equal(typeof withLimits.apiRequestsRemaining, 'number');
    assert.equal(relay.connections, 1, 'one TCP connection for three logins and a limits() call');
  } finally {
    closeIdleConnections();
    await relay.close();
  }
});

test('the server closed the idle connection between two logins: the second login is healthy', async () => {
  relay = await startRelay(new URL(emu.url));
  try {
    const { profile, secrets } = newUser(relay.url);
    await loginOk(profile, secrets);
    relay.endIdle();
    await settle();
    await loginOk(profile, secrets);
    assert.equal(relay.connections, 2);
  } finally {
    closeIdleConnections();
    await relay.close();
  }
});

for (const how of ['reset', 'hang-up'] as const) {
  test(`the server drops the kept-alive connection as the next login arrives (${how}): sent again, healthy`, async () => {
    relay = await startRelay(new URL(emu.url));
    try {
      const { profile, secrets } = newUser(relay.url);
      await loginOk(profile, secrets);
      const logins = emu.stats.soapLogins;
      relay.onReuse = how;
      await loginOk(profile, secrets);
      assert.equal(relay.connections, 2, 'the retry went out on a new connection');
      assert.equal(
        emu.stats.soapLogins,
        logins + 1,
        'the dropped request never reached the server; the login ran once',
      );
    } finally {
      closeIdleConnections();
      await relay.close();
    }
  });
}

test('a server that resets every login is still a network-error (the resend is bounded)', async () => {
  relay = await startRelay(new URL(emu.url));
  try {
    const { u, profile, secrets } = newUser(relay.url);
    await loginOk(profile, secrets);
    emu.setFault(u.username, 'reset');
    const r = await testLogin(profile, secrets, { timeoutMs: 10_000, fetchLimits: false });
    assert.equal(r.status, 'network-error', `${r.status} ${r.code} ${r.message}`);
    assert.equal(r.code, 'ECONNRESET');
    assert.ok(relay.connections <= 2, `connections ${relay.connections}`);
  } finally {
    closeIdleConnections();
    await relay.close();
  }
});

test('closeIdleConnections() closes the pooled sockets', async () => {
  relay = await startRelay(new URL(emu.url));
  try {
    const { profile, secrets } = newUser(relay.url);
    await loginOk(profile, secrets);
    assert.equal(relay.open(), 1);
    closeIdleConnections();
    await settle();
    assert.equal(relay.open(), 0);
  } finally {
    await relay.close();
  }
});

test('https: a socket accepted with an extra CA or strictSSL false is never reused for a strict login without it', {
  timeout: 60_000,
}, async () => {
  const c = selfSignedCert();
  const tlsEmu = await startEmulator({
    users: [{ username: 'tls@alive.test', password: 'Pw-tls-alive', token: 'TlsKeepAlive0000000000000' }],
    tls: { key: c.key, cert: c.cert },
  });
  try {
    const profile: OrgProfile = { id: 'tls', name: 'tls', loginUrl: tlsEmu.url, username: 'tls@alive.test' };
    const secrets: OrgSecrets = { password: 'Pw-tls-alive', token: 'TlsKeepAlive0000000000000' };
    const opts = { timeoutMs: 10_000, fetchLimits: false } as const;
    assert.equal((await testLogin(profile, secrets, { ...opts, ca: c.cert })).status, 'ok');
    assert.equal((await testLogin(profile, secrets, { ...opts, ca: c.cert })).status, 'ok');
    const before = tlsEmu.stats.requests;
    const strict = await testLogin(profile, secrets, opts);
    assert.equal(strict.status, 'network-error', JSON.stringify(strict));
    assert.equal(tlsEmu.stats.requests, before, 'a strict login went out on the socket verified with the extra CA');
    assert.equal((await testLogin(profile, secrets, { ...opts, proxy: { strictSSL: false } })).status, 'ok');
    const strictAgain = await testLogin(profile, secrets, opts);
    assert.equal(strictAgain.status, 'network-error', 'a strict login reused the socket accepted with strictSSL false');
    assert.equal(tlsEmu.stats.requests, before + 1);
    assert.equal((await testLogin(profile, secrets, { ...opts, ca: c.cert })).status, 'ok');
  } finally {
    closeIdleConnections();
    await tlsEmu.close();
    c.cleanup();
  }
});

test('jsforce is loaded through its core entry: no API modules, so no per-Connection module accessors', async () => {
  const jsforce = loadJsforce() as unknown as {
    default: NodeJS.EventEmitter;
    Connection: new (o: object) => Record<string, unknown>;
  };
  assert.equal(
    jsforce.default.listenerCount('connection:new'),
    0,
    'an API module (apex, bulk, tooling …) registered itself',
  );
  const { profile, secrets } = newUser(emu.url);
  await loginOk(profile, secrets);
  const other = new jsforce.Connection({ loginUrl: emu.url });
  assert.equal(Object.getOwnPropertyDescriptor(other, 'tooling'), undefined);
});
