/**
 * IMAP helpers for the benchmarks: a persistent "deliverer" connection that APPENDs test mail (so the clock
 * starts at the APPEND itself, not at a fresh login), and the two reference watchers the issue compares
 * against: raw imapflow IDLE (`exists` event) and a plain 5-second poller.
 */
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import type { ImapServer } from '../../src/imapServer';
import { withTimeout } from '../../src/core/async';
import { now, sleep } from './stats';

/** One copy of the helper (src/core/async.ts); latency.ts and scan.ts take it from here. */
export { withTimeout };

export interface Account {
  user: string;
  pass: string;
}

/** An imapflow client on the server's STARTTLS port with the watcher's TLS posture; 'error' events are swallowed. */
export function clientFor(server: ImapServer, acct: Account, extra: Record<string, unknown> = {}): ImapFlow {
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: false,
    doSTARTTLS: true,
    // The same TLS posture as the watcher under test (server.mailboxConfig gives insecureTls: true).
    tls: { rejectUnauthorized: false },
    auth: { user: acct.user, pass: acct.pass },
    logger: false,
    ...extra,
  });
  // Failures surface as rejected commands; an unhandled 'error' event must not kill the benchmark.
  client.on('error', () => {});
  return client;
}

/** One long-lived connection that appends and clears mail; it never IDLEs. */
export class Deliverer {
  private constructor(private readonly client: ImapFlow) {}

  static async open(server: ImapServer, acct: Account): Promise<Deliverer> {
    const client = clientFor(server, acct, { disableAutoIdle: true });
    await client.connect();
    await client.mailboxOpen('INBOX');
    return new Deliverer(client);
  }

  /** APPENDs to INBOX; resolves when the server has answered. */
  async append(raw: string, internalDate = new Date()): Promise<number | undefined> {
    const res = await this.client.append('INBOX', raw.replace(/\r?\n/g, '\r\n'), [], internalDate);
    return res ? res.uid : undefined;
  }

  /** Selects INBOX again (Dovecot syncs the maildir into its index); returns the time that took. */
  async resync(): Promise<number> {
    const t0 = now();
    await this.client.mailboxOpen('INBOX');
    return now() - t0;
  }

  /** UIDNEXT of INBOX as this session sees it (its own APPENDs included). */
  async uidNext(): Promise<number> {
    const st = await this.client.status('INBOX', { uidNext: true });
    return (st && st.uidNext) || 1;
  }

  /**
   * Deletes (and expunges) every message with UID >= fromUid: the runs' own mails. The UIDs are searched and
   * filtered first, because "N:*" with N above the highest UID would match the highest message.
   */
  async removeFrom(fromUid: number): Promise<void> {
    const found = await this.client.search({ uid: `${fromUid}:*` }, { uid: true });
    const uids = (Array.isArray(found) ? found : []).filter((u) => u >= fromUid);
    if (uids.length) await this.client.messageDelete(uids.join(','), { uid: true });
  }

  async close(): Promise<void> {
    await this.client.logout().catch(() => this.client.close());
  }
}

/**
 * Raw imapflow IDLE latency: connect, SELECT INBOX, start IDLE, wait `settleMs`, APPEND from the deliverer,
 * and time APPEND start → the `exists` event.
 */
export async function rawIdleLatency(
  server: ImapServer,
  acct: Account,
  deliverer: Deliverer,
  raw: string,
  settleMs: number,
): Promise<number> {
  const client = clientFor(server, acct, { disableAutoIdle: true });
  await client.connect();
  try {
    await client.mailboxOpen('INBOX');
    let t1 = 0;
    const exists = new Promise<void>((resolve) =>
      client.on('exists', () => {
        t1 = now();
        resolve();
      }),
    );
    void client.idle().catch(() => {});
    await sleep(settleMs);
    const t0 = now();
    await deliverer.append(raw);
    await withTimeout(exists, 10_000, 'raw IDLE saw no EXISTS within 10 s');
    return t1 - t0;
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/**
 * A deliberately simple polling watcher (the `latency_ratio_poll5s` reference): every `intervalMs` it asks
 * STATUS for UIDNEXT; when it grew, it fetches the new messages, parses them with mailparser, and takes the
 * 24–25 character value after a "token …:" label. Ticks run on a fixed grid from `start()`, so a mail's
 * latency depends on where in the period it lands.
 */
export class Poller {
  private client: ImapFlow;
  private timer: NodeJS.Timeout | undefined;
  private lastUidNext = 0;
  private busy = false;
  private waiters: Array<{ token: string; resolve: (t: number) => void }> = [];
  /** Monotonic time of the first tick (the grid origin). */
  origin = 0;

  constructor(
    server: ImapServer,
    acct: Account,
    readonly intervalMs: number,
  ) {
    this.client = clientFor(server, acct, { disableAutoIdle: true });
  }

  async start(): Promise<void> {
    await this.client.connect();
    const st = await this.client.status('INBOX', { uidNext: true });
    this.lastUidNext = (st && st.uidNext) || 1;
    this.origin = now();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
  }

  /** Resolves with the monotonic time at which the poller extracted `token`. */
  waitFor(token: string): Promise<number> {
    return new Promise((resolve) => this.waiters.push({ token, resolve }));
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const st = await this.client.status('INBOX', { uidNext: true });
      const next = (st && st.uidNext) || this.lastUidNext;
      if (next > this.lastUidNext) {
        const lock = await this.client.getMailboxLock('INBOX');
        try {
          for await (const msg of this.client.fetch(
            `${this.lastUidNext}:*`,
            { source: true, uid: true },
            { uid: true },
          )) {
            if (!msg.source || msg.uid < this.lastUidNext) continue;
            const parsed = await simpleParser(msg.source);
            const text = parsed.text ?? '';
            const m = text.match(/token[^:\n]*[:：]\s*([A-Za-z0-9]{24,25})\s*$/im);
            if (m) this.found(m[1]);
          }
        } finally {
          lock.release();
        }
        // Leave the mailbox: Dovecot answers STATUS on the *selected* mailbox from the session's own
        // (stale) view, so the next poll must run unselected.
        await this.client.mailboxClose();
        this.lastUidNext = next;
      }
    } catch (err) {
      /* a failed poll is retried at the next tick */
      if (process.env.BENCH_DEBUG) console.error('poller tick failed:', err);
    } finally {
      this.busy = false;
    }
  }

  private found(token: string): void {
    const t = now();
    const hit = this.waiters.filter((w) => w.token === token);
    this.waiters = this.waiters.filter((w) => w.token !== token);
    for (const w of hit) w.resolve(t);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.client.logout().catch(() => this.client.close());
  }
}
