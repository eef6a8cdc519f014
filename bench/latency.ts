/**
 * latency_ms / latency_ratio_idle / latency_ratio_poll5s (informational, no target) on the same Dovecot.
 *
 *  ours     token mail APPENDed → watchForToken() resolved (fetch, parse, classify) → writeEnvFile() wrote
 *           SF_SECURITY_TOKEN into a .env: the steps of the reset flow (which watches with newOnly: true), written as
 *           the extension writes it (src/extension/envWriter.ts: checkGitIgnore false, the "not ignored by git"
 *           warning asked afterwards, off the token's path). The CLI's writeEnvFile() with default options waits
 *           for `git check-ignore` (a child process) before it writes: that write is timed too, untimed for the
 *           figure, and gives `details.latency.cli_path` (the same runs with the CLI's write instead).
 *  raw      raw imapflow: SELECT INBOX, IDLE, the same APPEND → the 'exists' event.
 *  poll5s   a plain watcher that polls STATUS every 5 s, then fetches + parses (bench/lib/imap.ts Poller).
 *
 * Both IDLE watchers are given the same settle time after they report ready, so the APPEND never races the
 * IDLE command itself (in real use the mail arrives seconds after the watcher went idle). ours and raw
 * alternate run by run; the poller's runs are interleaved between those pairs (it polls its own mailbox all
 * along, so the three are measured side by side). Its APPENDs land at stratified offsets within its 5 s period
 * (shuffled), as real mail lands at a random phase of a poll cycle.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeEnvFile } from '../src/envfile';
import { watchForToken } from '../src/mail';
import type { ImapServer } from '../src/imapServer';
import { composeTokenMail, randomToken } from '../src/emulator';
import { Deliverer, Poller, rawIdleLatency, withTimeout } from './lib/imap';
import { alternate, median, now, round, shuffled, sleep, summarize } from './lib/stats';
import type { BenchContext, FigureSet } from './lib/types';

const SF_USER = 'jane.doe@acme.example';
/** Time between "watching" and the APPEND, for both IDLE watchers (imapflow auto-IDLE starts after 150 ms). */
const SETTLE_MS = 400;
const POLL_MS = 5000;

export function tokenMail(token: string, date = new Date()): string {
  return composeTokenMail({ to: SF_USER, username: SF_USER, token, date, firstName: 'Jane' }).toString('utf8');
}

export async function benchLatency(ctx: BenchContext, imap: ImapServer): Promise<FigureSet> {
  const acct = { user: 'bench-latency', pass: 'bench-latency-pw' };
  await imap.addUser(acct.user, acct.pass);
  const deliverer = await Deliverer.open(imap, acct);
  const work = mkdtempSync(path.join(tmpdir(), 'tr-bench-latency-'));
  const envPath = path.join(work, '.env');
  const envText = `# bench\nSF_USERNAME=${SF_USER}\nSF_PASSWORD=not-a-real-password\nSF_SECURITY_TOKEN=oldtoken\nSF_LOGIN_URL=http://127.0.0.1:1\n`;
  const mailbox = imap.mailboxConfig(acct.user, acct.pass);
  let firstUid = await deliverer.uidNext();
  /** Per run of ours: the timed write (extension's options) and, untimed, the CLI's write (default options). */
  const extWriteMs: number[] = [];
  const cliWriteMs: number[] = [];

  const ours = async (): Promise<number> => {
    writeFileSync(envPath, envText, { mode: 0o600 });
    const token = randomToken();
    const ac = new AbortController();
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const watching = watchForToken({
      mailbox,
      since: new Date(),
      username: SF_USER,
      newOnly: true,
      signal: ac.signal,
      onStatus: (s) => s === 'idle' && ready(),
    });
    watching.catch(() => {});
    try {
      await withTimeout(Promise.race([isReady, watching]), 15_000, 'watcher did not reach idle');
      await sleep(SETTLE_MS);
      const t0 = now();
      await deliverer.append(tokenMail(token));
      const found = await withTimeout(watching, 15_000, 'watcher did not find the token mail within 15 s');
      const w0 = now();
      await writeEnvFile(envPath, { SF_SECURITY_TOKEN: found.token }, { checkGitIgnore: false });
      const ms = now() - t0;
      const extWrite = now() - w0;
      if (found.token !== token) throw new Error('watcher returned a different token than the one just delivered');
      if (!readFileSync(envPath, 'utf8').includes(`SF_SECURITY_TOKEN=${token}`))
        throw new Error('.env was not updated');
      // Untimed: the CLI's write of the same file (default options: git check-ignore first).
      writeFileSync(envPath, envText, { mode: 0o600 });
      const c0 = now();
      await writeEnvFile(envPath, { SF_SECURITY_TOKEN: found.token });
      extWriteMs.push(extWrite);
      cliWriteMs.push(now() - c0);
      return ms;
    } finally {
      ac.abort();
      await cleanup();
    }
  };

  const raw = async (): Promise<number> => {
    try {
      return await rawIdleLatency(imap, acct, deliverer, tokenMail(randomToken()), SETTLE_MS);
    } finally {
      await cleanup();
    }
  };

  async function cleanup(): Promise<void> {
    await deliverer.removeFrom(firstUid);
    firstUid = await deliverer.uidNext();
  }

  // The poller watches its own mailbox (so it never fetches the other runs' mails) and polls all along.
  const pollAcct = { user: 'bench-poll', pass: 'bench-poll-pw' };
  await imap.addUser(pollAcct.user, pollAcct.pass);
  const pollDeliverer = await Deliverer.open(imap, pollAcct);
  const poller = new Poller(imap, pollAcct, POLL_MS);
  await poller.start();
  // Stratified arrival phases (i + ½)/n of the period, shuffled: the median is that of a uniform phase.
  const offsets = shuffled(
    Array.from({ length: ctx.runs.poll }, (_, i) => ((i + 0.5) / ctx.runs.poll) * POLL_MS),
    7,
  );
  const pollMs: number[] = [];
  const pollEvery = Math.max(1, Math.floor(ctx.runs.latency / Math.max(1, ctx.runs.poll)));

  const pollRun = async (offset: number): Promise<number> => {
    // The next tick boundary (ticks at origin + k·period), then `offset` into that period.
    const k = Math.floor((now() - poller.origin) / POLL_MS) + 1;
    let at = poller.origin + (k - 1) * POLL_MS + offset;
    if (at < now() + 20) at += POLL_MS;
    await sleep(at - now());
    const token = randomToken();
    const seen = poller.waitFor(token);
    const t0 = now();
    await pollDeliverer.append(tokenMail(token));
    return (await withTimeout(seen, POLL_MS * 3, 'the 5 s poller did not see the token mail')) - t0;
  };

  try {
    ctx.progress(
      `latency: ${ctx.runs.latency} alternating runs each of our watcher and raw IDLE, with ${ctx.runs.poll} runs of the 5 s poller in between (~${Math.round(ctx.runs.latency * 1.2 + (ctx.runs.poll * POLL_MS) / 1000)} s)`,
    );
    const { a: oursMs, b: rawMs } = await alternate(ctx.runs.latency, ours, raw, {
      warmup: 1,
      onPair: async (i) => {
        if ((i + 1) % pollEvery === 0 && pollMs.length < offsets.length)
          pollMs.push(await pollRun(offsets[pollMs.length]!));
      },
    });
    while (pollMs.length < offsets.length) pollMs.push(await pollRun(offsets[pollMs.length]!));

    const oursMed = median(oursMs);
    const rawMed = median(rawMs);
    // The same runs as the CLI would have them: its write (git check-ignore first) instead of the extension's.
    const extWrite = extWriteMs.slice(-oursMs.length); // without the warm-up run
    const cliWrite = cliWriteMs.slice(-oursMs.length);
    const cliMs = oursMs.map((x, i) => x - extWrite[i]! + cliWrite[i]!);
    const pollMed = median(pollMs);
    return {
      figures: {
        latency_ms: round(oursMed),
        latency_ratio_idle: round(oursMed / rawMed),
        latency_ratio_poll5s: round(pollMed / oursMed),
      },
      details: {
        latency: {
          what: "APPEND start → token found and .env written (ours, newOnly like the reset flow, the extension's write: no git check-ignore on the way) vs → EXISTS (raw imapflow IDLE) vs → token parsed (5 s STATUS poller, its own mailbox, runs interleaved); same Dovecot, STARTTLS on loopback",
          settle_ms_before_append: SETTLE_MS,
          ours_ms: summarize(oursMs),
          raw_idle_exists_ms: summarize(rawMs),
          poll5s_ms: summarize(pollMs),
          // The best any IDLE watcher could reach on this server: Dovecot reports new mail to an IDLE session
          // NOTIFY_DELAY_MSECS (500 ms, compiled in) after the first change it notices (src/lib-storage/mailbox-watch.c).
          poll5s_over_raw_idle: round(pollMed / rawMed),
          env_write_ms: summarize(extWrite),
          cli_path: {
            what: "the same runs with the CLI reset's write (writeEnvFile default options: waits for git check-ignore before writing) instead of the extension's",
            env_write_ms: summarize(cliWrite),
            latency_ms: round(median(cliMs)),
            ratio_idle: round(median(cliMs) / rawMed),
          },
          ours_samples: oursMs.map((x) => round(x)),
          raw_samples: rawMs.map((x) => round(x)),
          poll5s_samples: pollMs.map((x) => round(x)),
        },
      },
    };
  } finally {
    await poller.stop();
    await pollDeliverer.close();
    await deliverer.close();
    rmSync(work, { recursive: true, force: true });
  }
}
