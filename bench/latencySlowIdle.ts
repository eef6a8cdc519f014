/**
 * latency_ms_slow_idle (issue 16, target ≤ 5 s): token mail APPENDed → watchForToken() found it → writeEnvFile() wrote
 * SF_SECURITY_TOKEN, on a server whose IDLE looks at the mailbox only every 60 s: Courier-IMAP (src/imapServer/
 * courier.ts, IMAP_IDLE_TIMEOUT=60 without FAM, Debian's default). The watcher finds it through its re-checks
 * (src/core/recheck.ts: NOOP every 2 s in the first minutes of the reset window).
 *
 * In the same run, on the bench's Dovecot (which announces mail inside IDLE within ~0.5 s), the same path with the
 * default re-checks and with `recheck: false`: the re-checks must not make Dovecot slower (details only; the
 * figure that guards Dovecot is latency_ratio_idle of ./latency.ts, which runs the watcher with its defaults).
 * Runs alternate Courier / Dovecot-with / Dovecot-without; each APPEND lands at a stratified, shuffled phase of the
 * 2 s re-check period (a real mail lands at a random moment), the same phases for the three series.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeEnvFile } from '../src/envfile';
import { watchForToken } from '../src/mail';
import type { ImapServer } from '../src/imapServer';
import { startImapServer } from '../src/imapServer';
import { createLogger } from '../src/core/log';
import { DEFAULT_RECHECK } from '../src/core/recheck';
import { randomToken } from '../src/emulator';
import { Deliverer, withTimeout } from './lib/imap';
import { median, now, round, shuffled, sleep, summarize } from './lib/stats';
import type { BenchContext, FigureSet } from './lib/types';
import { tokenMail } from './latency';

const SF_USER = 'jane.doe@acme.example';
/** As ./latency.ts: time between "watching" and the APPEND's phase 0 (imapflow auto-IDLE starts after 150 ms). */
const SETTLE_MS = 400;

interface Series {
  name: string;
  server: ImapServer;
  deliverer: Deliverer;
  mailbox: ReturnType<ImapServer['mailboxConfig']>;
  recheck?: false;
  ms: number[];
  rechecks: number[];
  firstUid: number;
}

export async function benchSlowIdle(ctx: BenchContext, dovecot: ImapServer): Promise<FigureSet> {
  const courier = await startImapServer({ prefer: 'courier' });
  const work = mkdtempSync(path.join(tmpdir(), 'tr-bench-slowidle-'));
  const envPath = path.join(work, '.env');
  const envText = `# bench\nSF_USERNAME=${SF_USER}\nSF_PASSWORD=not-a-real-password\nSF_SECURITY_TOKEN=oldtoken\nSF_LOGIN_URL=http://127.0.0.1:1\n`;
  const series: Series[] = [];
  try {
    const open = async (name: string, server: ImapServer, recheck?: false): Promise<Series> => {
      const acct = { user: `bench-slowidle-${series.length}`, pass: `bench-slowidle-pw-${series.length}` };
      await server.addUser(acct.user, acct.pass);
      const deliverer = await Deliverer.open(server, acct);
      const s: Series = {
        name,
        server,
        deliverer,
        mailbox: server.mailboxConfig(acct.user, acct.pass),
        ...(recheck === false ? { recheck } : {}),
        ms: [],
        rechecks: [],
        firstUid: await deliverer.uidNext(),
      };
      series.push(s);
      return s;
    };
    const slow = await open('courier', courier);
    const fastWith = await open('dovecot', dovecot);
    const fastWithout = await open('dovecot-no-recheck', dovecot, false);

    const period = DEFAULT_RECHECK[0]!.everyMs;
    const runs = Math.max(5, Math.round(ctx.runs.latency / 2));
    const phases = shuffled(
      Array.from({ length: runs }, (_, i) => ((i + 0.5) / runs) * period),
      11,
    );

    const once = async (s: Series, phase: number): Promise<number> => {
      writeFileSync(envPath, envText, { mode: 0o600 });
      const token = randomToken();
      const ac = new AbortController();
      let rechecks = 0;
      let ready!: () => void;
      const isReady = new Promise<void>((r) => (ready = r));
      const watching = watchForToken({
        mailbox: s.mailbox,
        since: new Date(),
        username: SF_USER,
        newOnly: true,
        signal: ac.signal,
        ...(s.recheck === false ? { recheck: false as const } : {}),
        log: createLogger((_l, line) => {
          if (/re-check \d+: NOOP/.test(line)) rechecks++;
        }),
        onStatus: (st) => st === 'idle' && ready(),
      });
      watching.catch(() => {});
      try {
        await withTimeout(Promise.race([isReady, watching]), 15_000, `${s.name}: watcher did not reach idle`);
        await sleep(SETTLE_MS + phase);
        const before = rechecks;
        const t0 = now();
        await s.deliverer.append(tokenMail(token));
        const found = await withTimeout(
          watching,
          20_000,
          `${s.name}: the watcher did not find the token mail within 20 s`,
        );
        await writeEnvFile(envPath, { SF_SECURITY_TOKEN: found.token }, { checkGitIgnore: false });
        const ms = now() - t0;
        if (found.token !== token) throw new Error(`${s.name}: the watcher returned a different token`);
        if (!readFileSync(envPath, 'utf8').includes(`SF_SECURITY_TOKEN=${token}`))
          throw new Error('.env was not updated');
        s.rechecks.push(rechecks - before);
        return ms;
      } finally {
        ac.abort();
        await s.deliverer.removeFrom(s.firstUid);
        s.firstUid = await s.deliverer.uidNext();
      }
    };

    ctx.progress(
      `slow IDLE: ${runs} runs each on Courier (IDLE re-checks every 60 s) and on Dovecot with/without the watcher's re-checks (~${Math.round((runs * 3 * (SETTLE_MS + period)) / 1000 + runs * 2)} s)`,
    );
    // One warm-up run each (TLS, parser, Courier's first SELECT), not counted.
    for (const s of series) await once(s, 0);
    for (const s of series) s.rechecks.length = 0;
    for (let i = 0; i < runs; i++) {
      const order =
        i % 3 === 0
          ? series
          : i % 3 === 1
            ? [series[1]!, series[2]!, series[0]!]
            : [series[2]!, series[0]!, series[1]!];
      for (const s of order) s.ms.push(await once(s, phases[i]!));
    }
    const slowMed = median(slow.ms);
    return {
      figures: {
        latency_ms_slow_idle: round(slowMed),
      },
      details: {
        latency_slow_idle: {
          what: "APPEND start → token found and .env written (newOnly, the extension's write), on Courier-IMAP (IDLE re-checks the maildir every 60 s: IMAP_IDLE_TIMEOUT, no FAM) and, in the same run, on Dovecot with the watcher's default re-checks and without them; STARTTLS on loopback; APPENDs at stratified phases of the re-check period",
          recheck_schedule: DEFAULT_RECHECK.map((s) => ({ until_ms: s.untilMs, every_ms: s.everyMs })),
          server_idle_recheck_s: courier.idleRecheckS,
          courier_ms: summarize(slow.ms),
          courier_rechecks_until_found: summarize(slow.rechecks),
          dovecot_ms: summarize(fastWith.ms),
          dovecot_no_recheck_ms: summarize(fastWithout.ms),
          dovecot_recheck_ratio: round(median(fastWith.ms) / median(fastWithout.ms)),
          courier_samples: slow.ms.map((x) => round(x)),
          dovecot_samples: fastWith.ms.map((x) => round(x)),
          dovecot_no_recheck_samples: fastWithout.ms.map((x) => round(x)),
        },
      },
    };
  } finally {
    for (const s of series) await s.deliverer.close();
    await courier.stop().catch(() => {});
    rmSync(work, { recursive: true, force: true });
  }
}
