/**
 * scan_ratio_50k_1k: catch-up time of watchForToken() with 50,000 messages in INBOX vs 1,000.
 * scan_vs_bare_50k: the same catch-up on the 50,000-message INBOX vs a bare imapflow client's (EXAMINE, UID SEARCH
 * SINCE, UID FETCH of the hit's source, no parsing), each run of ours paired with one of the bare client's on the same
 * mailbox, their order alternating round by round.
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
 *
 * Mailbox formats (`--scan-formats`, default maildir,mdbox): the primary figure is always the maildir one (the
 * test Dovecot's `mail_location`, what the issue describes). Each further format gets its own pair of users whose
 * INBOX is a copy of the maildir pair's (`doveadm backup -R`, UIDs and INTERNALDATEs kept) and is timed the same
 * way, interleaved with the maildir runs round by round, so load drift hits every format alike:
 *   mdbox        Dovecot's multi-dbox (`mail_location = mdbox:~/mdbox`)
 *   sdbox        single-dbox, one file per message named by UID (`sdbox:~/sdbox`)
 *   maildir-vds  maildir with `maildir_very_dirty_syncs = yes` (a server admin's tunable), filled like maildir
 * dbox mailboxes are settled with one untimed re-select (no maildir "dirty directory" rule to wait out).
 */
import { watchForToken } from '../src/mail';
import type { ImapServer } from '../src/imapServer';
import { randomToken } from '../src/emulator';
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
 * Timed from the connect to the last body in hand (`ms`); the LOGOUT after it is not timed (the watcher, too,
 * hands over the token without waiting for its LOGOUT).
 */
async function rawCatchUp(
  imap: ImapServer,
  user: string,
  pass: string,
  since: Date,
  serverMs?: Record<string, number[]>,
): Promise<{ n: number; ms: number }> {
  // Dovecot ends every tagged OK with "(a + b + c secs)": a = time the command ran on the server.
  const logger = {
    debug: (o: { src?: string; msg?: string }) => {
      const m = o?.src === 's' ? /^\S+ OK (?:\[[^\]]*\] )?(\w+) completed \((\d+\.\d+) \+/.exec(String(o.msg)) : null;
      if (m && serverMs) (serverMs[m[1]!.toLowerCase()] ??= []).push(Number(m[2]) * 1000);
    },
    trace() {},
    info() {},
    warn() {},
    error() {},
  };
  const t0 = now();
  const c = clientFor(imap, { user, pass }, { logger: serverMs ? logger : false, disableAutoIdle: true });
  await c.connect();
  try {
    await c.mailboxOpen('INBOX', { readOnly: true });
    const uids = await c.search({ since: new Date(since.getTime() - DAY) }, { uid: true });
    let n = 0;
    if (Array.isArray(uids) && uids.length) {
      for await (const m of c.fetch(uids.join(','), { uid: true, source: true }, { uid: true })) if (m.source) n++;
    }
    return { n, ms: now() - t0 };
  } finally {
    await c.logout().catch(() => c.close());
  }
}

/** Lets Dovecot index the mailbox (untimed): SELECT builds the index, SEARCH SINCE caches received dates. */
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
 * user's own mail client), not the watcher's catch-up: an untimed session pays it, twice, 2.1 s apart. dbox
 * formats have no such rule: one untimed re-select.
 */
async function settle(d: Deliverer, format: ScanFormat, record?: number[]): Promise<void> {
  const first = await d.resync();
  if (format === 'maildir' || format === 'maildir-vds') {
    await sleep(2100);
    await d.resync();
  }
  record?.push(first);
}

export const SCAN_FORMATS = ['maildir', 'mdbox', 'sdbox', 'maildir-vds'] as const;
export type ScanFormat = (typeof SCAN_FORMATS)[number];
/** mdbox adds ~35 s to `npm run bench`; sdbox and maildir-vds ~35–45 s each, on request. */
export const DEFAULT_SCAN_FORMATS: ScanFormat[] = ['maildir', 'mdbox'];

export function parseScanFormats(list: string): ScanFormat[] {
  const want = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = want.filter((w) => !(SCAN_FORMATS as readonly string[]).includes(w));
  if (bad.length) throw new Error(`unknown mailbox format(s): ${bad.join(', ')} (known: ${SCAN_FORMATS.join(', ')})`);
  // maildir is the benchmark itself (the primary figure); the others are comparisons next to it.
  const out: ScanFormat[] = ['maildir'];
  for (const f of want as ScanFormat[]) if (!out.includes(f)) out.push(f);
  return out;
}

type Key = 'small' | 'large';
interface Account {
  user: string;
  pass: string;
}
interface FormatSetup {
  format: ScanFormat;
  accounts: Record<Key, Account>;
  /** Writing the maildir files, or copying the maildir INBOX into this format (doveadm). */
  prepare_ms: Record<Key, number>;
  index_ms: Record<Key, number>;
  deliverers?: Record<Key, Deliverer>;
}

const PASS = 'bench-scan-pw';
const LOCATION: Partial<Record<ScanFormat, string>> = { mdbox: 'mdbox:~/mdbox', sdbox: 'sdbox:~/sdbox' };

async function prepareFormat(
  ctx: BenchContext,
  imap: ImapServer,
  format: ScanFormat,
  sizes: Record<Key, number>,
  source?: FormatSetup,
): Promise<FormatSetup> {
  const suffix = format === 'maildir' ? '' : `-${format}`;
  const accounts: Record<Key, Account> = {
    small: { user: `bench-scan-1k${suffix}`, pass: PASS },
    large: { user: `bench-scan-50k${suffix}`, pass: PASS },
  };
  const setup: FormatSetup = { format, accounts, prepare_ms: { small: 0, large: 0 }, index_ms: { small: 0, large: 0 } };
  for (const key of ['small', 'large'] as const) {
    const { user, pass } = accounts[key];
    const location = LOCATION[format];
    const t0 = now();
    if (location) {
      if (!imap.doveadm || !imap.userHome || !source) throw new Error(`${format}: needs Dovecot's doveadm`);
      await imap.addUser(user, pass, { mailLocation: location });
      // Makes this user's (empty) mdbox/sdbox an exact copy of the maildir user's mailboxes: same UIDs, dates, flags.
      await imap.doveadm(['backup', '-R', '-u', user, `maildir:${imap.userHome(source.accounts[key].user)}/Maildir`]);
    } else {
      await imap.addUser(
        user,
        pass,
        format === 'maildir-vds' ? { settings: { maildir_very_dirty_syncs: 'yes' } } : undefined,
      );
      await imap.fillMaildir(user, sizes[key], filler(sizes[key]));
    }
    setup.prepare_ms[key] = now() - t0;
    const w = await warmIndex(imap, user, pass);
    setup.index_ms[key] = w.ms;
    if (w.exists !== sizes[key]) throw new Error(`${user}: Dovecot sees ${w.exists} messages, expected ${sizes[key]}`);
    ctx.progress(
      `scan: ${format} ${sizes[key]} messages ${location ? 'copied from maildir' : 'written'} in ${Math.round(setup.prepare_ms[key])} ms, indexed by Dovecot in ${Math.round(w.ms)} ms`,
    );
  }
  return setup;
}

type Samples = Record<string, Record<Key, number[]>>;

/**
 * Runs every (format, size) measurement `runs` times in rounds: each round visits the formats in a rotated order,
 * within a format the large and small mailboxes in alternating order (A B, B A, …), and on each mailbox one run of
 * `a` (ours) and one of `b` (the bare client), their order alternating too. `warmup` rounds first.
 */
async function rounds(
  runs: number,
  warmup: number,
  formats: ScanFormat[],
  a: (f: ScanFormat, k: Key) => Promise<number>,
  b: (f: ScanFormat, k: Key) => Promise<number>,
): Promise<{ a: Samples; b: Samples }> {
  const empty = (): Samples => Object.fromEntries(formats.map((f) => [f, { small: [], large: [] }]));
  const out = { a: empty(), b: empty() };
  for (let i = -warmup; i < runs; i++) {
    const r = ((i % formats.length) + formats.length) % formats.length;
    const even = ((i % 2) + 2) % 2 === 0;
    for (const f of [...formats.slice(r), ...formats.slice(0, r)]) {
      for (const k of (even ? ['large', 'small'] : ['small', 'large']) as Key[]) {
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- TypeScript 7 (tsc) needs it; the TypeScript 6 API ESLint uses does not
        for (const which of (even === (k === 'large') ? ['a', 'b'] : ['b', 'a']) as Array<'a' | 'b'>) {
          const v = await (which === 'a' ? a : b)(f, k);
          if (i >= 0) out[which][f]![k].push(v);
        }
      }
    }
  }
  return out;
}

export async function benchScan(
  ctx: BenchContext,
  imap: ImapServer,
  opts: { formats?: ScanFormat[]; sizes?: Record<Key, number> } = {},
): Promise<FigureSet> {
  const sizes = opts.sizes ?? { small: 1_000, large: 50_000 };
  const formats = parseScanFormats((opts.formats ?? DEFAULT_SCAN_FORMATS).join(','));
  const setups = {} as Record<ScanFormat, FormatSetup>;
  setups.maildir = await prepareFormat(ctx, imap, 'maildir', sizes);
  for (const f of formats) if (f !== 'maildir') setups[f] = await prepareFormat(ctx, imap, f, sizes, setups.maildir);
  for (const f of formats) {
    const s = setups[f];
    s.deliverers = {
      small: await Deliverer.open(imap, s.accounts.small),
      large: await Deliverer.open(imap, s.accounts.large),
    };
  }
  const acct = (f: ScanFormat, k: Key) => setups[f].accounts[k];
  const deliverer = (f: ScanFormat, k: Key) => setups[f].deliverers![k];

  const syncMs = Object.fromEntries(
    formats.map((f) => [f, { small: [] as number[], large: [] as number[] }]),
  ) as Record<ScanFormat, Record<Key, number[]>>;
  const catchUp = async (f: ScanFormat, key: Key): Promise<number> => {
    const d = deliverer(f, key);
    const firstUid = await d.uidNext();
    const token = randomToken();
    const since = new Date();
    await d.append(tokenMail(token));
    await settle(d, f, syncMs[f][key]);
    const ac = new AbortController();
    try {
      const t0 = now();
      const found = await withTimeout(
        watchForToken({
          mailbox: imap.mailboxConfig(acct(f, key).user, acct(f, key).pass),
          since,
          username: SF_USER,
          signal: ac.signal,
        }),
        60_000,
        `catch-up over ${sizes[key]} messages (${f}) took more than 60 s`,
      );
      const ms = now() - t0;
      if (found.token !== token)
        throw new Error(`catch-up (${f}, ${sizes[key]}) returned a different token than the one just delivered`);
      return ms;
    } finally {
      ac.abort();
      await d.removeFrom(firstUid);
    }
  };

  const serverMs = Object.fromEntries(formats.map((f) => [f, { small: {}, large: {} }])) as Record<
    ScanFormat,
    Record<Key, Record<string, number[]>>
  >;
  const rawRun = async (f: ScanFormat, key: Key): Promise<number> => {
    const d = deliverer(f, key);
    const firstUid = await d.uidNext();
    const since = new Date();
    await d.append(tokenMail(randomToken()));
    await settle(d, f);
    try {
      const { n, ms } = await rawCatchUp(imap, acct(f, key).user, acct(f, key).pass, since, serverMs[f][key]);
      if (n < 1) throw new Error('the raw catch-up found no mail');
      return ms;
    } finally {
      await d.removeFrom(firstUid);
    }
  };

  const toIdle = (key: Key) => async (): Promise<number> => {
    const ac = new AbortController();
    let reached!: (t: number) => void;
    const idle = new Promise<number>((r) => (reached = r));
    const t0 = now();
    const w = watchForToken({
      mailbox: imap.mailboxConfig(acct('maildir', key).user, acct('maildir', key).pass),
      since: new Date(),
      username: SF_USER,
      signal: ac.signal,
      onStatus: (s) => s === 'idle' && reached(now()),
    });
    w.catch(() => {});
    try {
      const t1 = await withTimeout(
        Promise.race([
          idle,
          w.then(() => {
            throw new Error('found a token where none was');
          }),
        ]),
        60_000,
        'no idle within 60 s',
      );
      return t1 - t0;
    } finally {
      ac.abort();
    }
  };

  const serverMedians = (f: ScanFormat) =>
    Object.fromEntries(
      (['large', 'small'] as const).map((k) => [
        k,
        Object.fromEntries(Object.entries(serverMs[f][k]).map(([cmd, xs]) => [cmd, round(median(xs))])),
      ]),
    );

  try {
    ctx.progress(
      `scan: ${ctx.runs.scan} rounds of catch-up runs (ours and the bare client, paired) on ${sizes.large} vs ${sizes.small} messages, formats ${formats.join(', ')}`,
    );
    const { a: found, b: raw } = await rounds(ctx.runs.scan, 1, formats, catchUp, rawRun);
    await Promise.all(formats.flatMap((f) => (['large', 'small'] as const).map((k) => settle(deliverer(f, k), f))));
    const idle = await alternate(ctx.runs.scan, toIdle('large'), toIdle('small'), { warmup: 1 });
    const ratio = (f: ScanFormat) => round(median(found[f]!.large) / median(found[f]!.small));
    const rawRatio = (f: ScanFormat) => round(median(raw[f]!.large) / median(raw[f]!.small));
    // Ours ÷ the bare client on the same (large) mailbox; the per-pair ratios as a check on the ratio of medians.
    const vsBare = (f: ScanFormat, k: Key = 'large') => round(median(found[f]![k]) / median(raw[f]![k]));
    const vsBarePairs = (f: ScanFormat, k: Key = 'large') => found[f]![k].map((x, i) => round(x / raw[f]![k][i]!));
    for (const f of formats) {
      const sm = serverMedians(f);
      const cmds = ['examine', 'search', 'fetch']
        .map((c) => `${c} ${sm.large[c] ?? '?'}/${sm.small[c] ?? '?'}`)
        .join(', ');
      ctx.progress(
        `scan: ${f.padEnd(11)} ours ${ratio(f)} (${Math.round(median(found[f]!.large))}/${Math.round(median(found[f]!.small))} ms), bare client ${rawRatio(f)} (${Math.round(median(raw[f]!.large))}/${Math.round(median(raw[f]!.small))} ms), ours/bare ${vsBare(f)} / ${vsBare(f, 'small')}; Dovecot ms 50k/1k: ${cmds}`,
      );
    }
    const other = Object.fromEntries(
      formats
        .filter((f) => f !== 'maildir')
        .map((f) => [
          f,
          {
            what: `the same measurement with both INBOXes in ${f === 'maildir-vds' ? 'maildir with maildir_very_dirty_syncs = yes' : `Dovecot ${f} (${LOCATION[f]}), copied from the maildir ones with doveadm backup`}, interleaved with the maildir runs`,
            ratio: ratio(f),
            raw_ratio: rawRatio(f),
            vs_bare: { large: vsBare(f), small: vsBare(f, 'small'), large_pairs: vsBarePairs(f) },
            catch_up_found_ms: { large: summarize(found[f]!.large), small: summarize(found[f]!.small) },
            raw_imap_catch_up_ms: { large: summarize(raw[f]!.large), small: summarize(raw[f]!.small) },
            dovecot_server_ms: serverMedians(f),
            prepare_ms: { small: round(setups[f].prepare_ms.small), large: round(setups[f].prepare_ms.large) },
            dovecot_first_index_ms: { small: round(setups[f].index_ms.small), large: round(setups[f].index_ms.large) },
            dovecot_resync_after_delivery_ms: { large: summarize(syncMs[f].large), small: summarize(syncMs[f].small) },
          },
        ]),
    );
    const m = setups.maildir;
    return {
      figures: { scan_ratio_50k_1k: ratio('maildir'), scan_vs_bare_50k: vsBare('maildir') },
      details: {
        scan: {
          what: `watchForToken() start → token found, the token mail already in INBOX (maildir) among ${sizes.large} vs ${sizes.small} older messages (indexing excluded), alternating`,
          messages: sizes,
          formats,
          fill_ms: { small: round(m.prepare_ms.small), large: round(m.prepare_ms.large) },
          dovecot_first_index_ms: { small: round(m.index_ms.small), large: round(m.index_ms.large) },
          dovecot_resync_after_delivery_ms: {
            large: summarize(syncMs.maildir.large),
            small: summarize(syncMs.maildir.small),
          },
          catch_up_found_ms: { large: summarize(found.maildir!.large), small: summarize(found.maildir!.small) },
          raw_imap_catch_up_ms: { large: summarize(raw.maildir!.large), small: summarize(raw.maildir!.small) },
          raw_imap_catch_up_ratio: rawRatio('maildir'),
          // scan_vs_bare_50k: ours ÷ the bare client on the same mailbox, runs paired (order alternating).
          vs_bare: { large: vsBare('maildir'), small: vsBare('maildir', 'small'), large_pairs: vsBarePairs('maildir') },
          // What Dovecot itself reports per command ("completed (x + …)") in those bare-client runs, medians in ms.
          dovecot_server_ms: serverMedians('maildir'),
          connect_to_idle_ms: { large: summarize(idle.a), small: summarize(idle.b) },
          connect_to_idle_ratio: round(median(idle.a) / median(idle.b)),
          ...other,
        },
      },
    };
  } finally {
    for (const f of formats) {
      const ds = setups[f]?.deliverers;
      if (ds) {
        await ds.small.close();
        await ds.large.close();
      }
    }
  }
}
