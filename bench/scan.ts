/**
 * scan_ratio_50k_1k: catch-up time of watchForToken() with 50,000 messages in INBOX vs 1,000.
 *
 * Two users on the same Dovecot, their INBOX maildirs written directly (test/servers harness filler) with
 * ordinary mail spread over the past three years (INTERNALDATE = file mtime), among them every 500th an old
 * Salesforce token mail from an earlier reset (it must be ignored: it predates `since`). Dovecot indexes
 * each mailbox once before timing (SELECT + SEARCH SINCE + a warm-up run): indexing is not catch-up.
 *
 * One run: the token mail arrives (APPEND, untimed), then the clock runs from watchForToken() (default
 * options: the mail already there counts when its INTERNALDATE ≥ since − skew) to its resolution, i.e.
 * connect + SELECT + catch-up search + fetch + parse. The mail is deleted after each run. Runs alternate
 * between the two mailboxes. A second series times connect → 'idle' with no token mail present.
 */
import { watchForToken } from '../src/mail/watch';
import type { ImapServer } from '../test/servers/imap';
import { randomToken } from '../test/servers/mailTemplates';
import { Deliverer, clientFor, withTimeout } from './lib/imap';
import { tokenMail } from './latency';
import { alternate, median, now, round, sleep, summarize } from './lib/stats';
import type { BenchContext, FigureSet } from './lib/types';

const SF_USER = 'jane.doe@acme.example';
const DAY = 24 * 3600_000;
const SPAN = 3 * 365 * DAY;

function filler(count: number) {
  const end = Date.now() - 3 * DAY;
  return (i: number) => {
    const date = new Date(end - SPAN + Math.floor((SPAN * i) / count));
    if (i % 500 === 250) return { raw: tokenMail(randomToken(), date), internalDate: date };
    const d = date.toUTCString().replace('GMT', '+0000');
    const raw =
      `From: Newsletter ${i % 37} <news${i % 37}@example.org>\r\nTo: <${SF_USER}>\r\nSubject: Issue ${i}: what happened this week\r\n` +
      `Date: ${d}\r\nMessage-ID: <fill${i}.${end}@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n` +
      `Hello,\r\n\r\nthis is message ${i} of the filler.\r\n${'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(1 + (i % 8))}\r\n`;
    return { raw, internalDate: date };
  };
}

/**
 * The floor any IMAP client pays for the same catch-up: a fresh connection, EXAMINE, UID SEARCH SINCE (day
 * granularity), UID FETCH of the hits' bodies. No parsing. The server-side part of this grows with the
 * folder for maildir (Dovecot reads dovecot-uidlist to map a UID to its file in every new session).
 */
async function rawCatchUp(imap: ImapServer, user: string, pass: string, since: Date, serverMs?: Record<string, number[]>): Promise<number> {
  // Dovecot ends every tagged OK with "(a + b + c secs)": a = time the command ran on the server.
  const logger = {
    debug: (o: { src?: string; msg?: string }) => {
      const m = o?.src === 's' ? /^\S+ OK (?:\[[^\]]*\] )?(\w+) completed \((\d+\.\d+) \+/.exec(String(o.msg)) : null;
      if (m && serverMs) (serverMs[m[1]!.toLowerCase()] ??= []).push(Number(m[2]) * 1000);
    },
    trace() {}, info() {}, warn() {}, error() {},
  };
  const c = clientFor(imap, { user, pass }, { logger: serverMs ? logger : false, logRaw: !!serverMs, disableAutoIdle: true });
  await c.connect();
  try {
    await c.mailboxOpen('INBOX', { readOnly: true });
    const uids = await c.search({ since: new Date(since.getTime() - DAY) }, { uid: true });
    let n = 0;
    if (Array.isArray(uids) && uids.length) {
      for await (const m of c.fetch(uids.join(','), { uid: true, source: true }, { uid: true })) if (m.source) n++;
    }
    return n;
  } finally {
    await c.logout().catch(() => c.close());
  }
}

/** Lets Dovecot index the maildir (untimed): SELECT builds the index, SEARCH SINCE caches received dates. */
async function warmIndex(imap: ImapServer, user: string, pass: string): Promise<{ exists: number; ms: number }> {
  const t0 = now();
  const c = clientFor(imap, { user, pass }, { disableAutoIdle: true });
  await c.connect();
  try {
    const mb = await c.mailboxOpen('INBOX', { readOnly: true });
    await c.search({ since: new Date(Date.now() - 2 * DAY) }, { uid: true });
    return { exists: mb.exists, ms: now() - t0 };
  } finally {
    await c.logout().catch(() => c.close());
  }
}

/**
 * Dovecot re-syncs a changed maildir when a session next opens it (readdir of cur/ + dovecot-uidlist: O(messages)
 * work on the server), and a directory changed less than MAILDIR_SYNC_SECS (1 s) before that sync stays "dirty",
 * so the next open more than a second later reads it all again (Dovecot's maildir-sync.c, DIR_DELAYED_REFRESH).
 * That is the server indexing a delivery, paid by whichever session comes first (on a live mailbox usually the
 * user's own mail client), not the watcher's catch-up: an untimed session pays it, twice, 2.1 s apart.
 */
async function settleMaildir(d: Deliverer, record?: number[]): Promise<void> {
  const first = await d.resync();
  await sleep(2100);
  await d.resync();
  record?.push(first);
}

export async function benchScan(ctx: BenchContext, imap: ImapServer, sizes = { small: 1_000, large: 50_000 }): Promise<FigureSet> {
  const accounts = {
    small: { user: 'bench-scan-1k', pass: 'bench-scan-pw' },
    large: { user: 'bench-scan-50k', pass: 'bench-scan-pw' },
  };
  const fill: Record<string, number> = {};
  const index: Record<string, number> = {};
  for (const key of ['small', 'large'] as const) {
    const { user, pass } = accounts[key];
    await imap.addUser(user, pass);
    const t0 = now();
    await imap.fillMaildir(user, sizes[key], filler(sizes[key]));
    fill[key] = now() - t0;
    const w = await warmIndex(imap, user, pass);
    index[key] = w.ms;
    if (w.exists !== sizes[key]) throw new Error(`${user}: Dovecot sees ${w.exists} messages, expected ${sizes[key]}`);
    ctx.progress(`scan: ${sizes[key]} messages written in ${Math.round(fill[key])} ms, indexed by Dovecot in ${Math.round(w.ms)} ms`);
  }
  const deliverers = {
    small: await Deliverer.open(imap, accounts.small),
    large: await Deliverer.open(imap, accounts.large),
  };

  const syncMs = { small: [] as number[], large: [] as number[] };
  const catchUp = (key: 'small' | 'large') => async (): Promise<number> => {
    const d = deliverers[key];
    const firstUid = await d.uidNext();
    const token = randomToken();
    const since = new Date();
    await d.append(tokenMail(token));
    await settleMaildir(d, syncMs[key]);
    const ac = new AbortController();
    try {
      const t0 = now();
      const found = await withTimeout(
        watchForToken({ mailbox: imap.mailboxConfig(accounts[key].user, accounts[key].pass), since, username: SF_USER, signal: ac.signal }),
        60_000,
        `catch-up over ${sizes[key]} messages took more than 60 s`,
      );
      const ms = now() - t0;
      if (found.token !== token) throw new Error(`catch-up (${sizes[key]}) returned a different token than the one just delivered`);
      return ms;
    } finally {
      ac.abort();
      await d.removeFrom(firstUid);
    }
  };

  const serverMs: Record<'small' | 'large', Record<string, number[]>> = { small: {}, large: {} };
  const rawRun = (key: 'small' | 'large') => async (): Promise<number> => {
    const d = deliverers[key];
    const firstUid = await d.uidNext();
    const since = new Date();
    await d.append(tokenMail(randomToken()));
    await settleMaildir(d);
    try {
      const t0 = now();
      const n = await rawCatchUp(imap, accounts[key].user, accounts[key].pass, since, serverMs[key]);
      const ms = now() - t0;
      if (n < 1) throw new Error('the raw catch-up found no mail');
      return ms;
    } finally {
      await d.removeFrom(firstUid);
    }
  };

  const toIdle = (key: 'small' | 'large') => async (): Promise<number> => {
    const ac = new AbortController();
    let reached!: (t: number) => void;
    const idle = new Promise<number>((r) => (reached = r));
    const t0 = now();
    const w = watchForToken({
      mailbox: imap.mailboxConfig(accounts[key].user, accounts[key].pass),
      since: new Date(),
      username: SF_USER,
      signal: ac.signal,
      onStatus: (s) => s === 'idle' && reached(now()),
    });
    w.catch(() => {});
    try {
      const t1 = await withTimeout(Promise.race([idle, w.then(() => { throw new Error('found a token where none was'); })]), 60_000, 'no idle within 60 s');
      return t1 - t0;
    } finally {
      ac.abort();
    }
  };

  try {
    ctx.progress(`scan: ${ctx.runs.scan} alternating catch-up runs on ${sizes.large} vs ${sizes.small} messages`);
    const found = await alternate(ctx.runs.scan, catchUp('large'), catchUp('small'), { warmup: 1 });
    const raw = await alternate(Math.max(3, Math.ceil(ctx.runs.scan / 2)), rawRun('large'), rawRun('small'), { warmup: 0 });
    await Promise.all([settleMaildir(deliverers.large), settleMaildir(deliverers.small)]);
    const idle = await alternate(ctx.runs.scan, toIdle('large'), toIdle('small'), { warmup: 1 });
    const large = median(found.a);
    const small = median(found.b);
    return {
      figures: { scan_ratio_50k_1k: round(large / small) },
      details: {
        scan: {
          what: `watchForToken() start → token found, the token mail already in INBOX among ${sizes.large} vs ${sizes.small} older messages (indexing excluded), alternating`,
          messages: sizes,
          fill_ms: { small: round(fill.small), large: round(fill.large) },
          dovecot_first_index_ms: { small: round(index.small), large: round(index.large) },
          dovecot_resync_after_delivery_ms: { large: summarize(syncMs.large), small: summarize(syncMs.small) },
          catch_up_found_ms: { large: summarize(found.a), small: summarize(found.b) },
          raw_imap_catch_up_ms: { large: summarize(raw.a), small: summarize(raw.b) },
          raw_imap_catch_up_ratio: round(median(raw.a) / median(raw.b)),
          // What Dovecot itself reports per command ("completed (x + …)") in those bare-client runs, medians in ms.
          dovecot_server_ms: Object.fromEntries(
            (['large', 'small'] as const).map((k) => [k, Object.fromEntries(Object.entries(serverMs[k]).map(([cmd, xs]) => [cmd, round(median(xs))]))]),
          ),
          connect_to_idle_ms: { large: summarize(idle.a), small: summarize(idle.b) },
          connect_to_idle_ratio: round(median(idle.a) / median(idle.b)),
        },
      },
    };
  } finally {
    await deliverers.small.close();
    await deliverers.large.close();
  }
}
