/** testMailbox: the one-shot mailbox check behind the extension's "Test Mailbox" (connect, open INBOX, log out). */
import type { Logger } from '../core/log';
import { nullLogger } from '../core/log';
import { withTimeout } from '../core/async';
import { toMailboxError } from './errors';
import type { MailboxConfig } from './imapClient';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  abortError,
  connectClient,
  createImapClient,
  errorContext,
  resolvedEndpoint,
  withDeadline,
} from './imapClient';

/** Connects, opens INBOX, reports capabilities (IDLE yes/no), logs out. Rejects with MailboxError. */
export async function testMailbox(
  cfg: MailboxConfig,
  opts: { signal?: AbortSignal; log?: Logger } = {},
): Promise<{ ok: true; detail: string; idle: boolean; messages: number }> {
  const log = (opts.log ?? nullLogger).child('mail');
  const ep = resolvedEndpoint(cfg);
  const client = createImapClient({ ...cfg, forcePoll: true }, log);
  const onAbort = () => client.close();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await connectClient(client, cfg, opts.signal);
    const idle = client.capabilities.has('IDLE');
    const mb = await withDeadline(
      client,
      cfg,
      'opening INBOX',
      cfg.timeoutMs && cfg.timeoutMs > 0 ? cfg.timeoutMs : DEFAULT_CONNECT_TIMEOUT_MS,
      () => client.mailboxOpen('INBOX', { readOnly: true }),
    );
    const detail = `Connected to ${ep.host}:${ep.port} (${ep.security === 'implicit' ? 'implicit TLS' : 'STARTTLS'}${cfg.insecureTls ? ', certificate NOT verified' : ''}) as ${cfg.user}; INBOX has ${mb.exists} message(s); IDLE ${idle ? 'supported' : 'not supported (the watcher polls every second)'}.`;
    await withTimeout(client.logout(), 2000).catch(() => client.close());
    log.info(detail);
    return { ok: true, detail, idle, messages: mb.exists };
  } catch (e) {
    client.close();
    if (opts.signal?.aborted) throw abortError(opts.signal);
    throw toMailboxError(e, errorContext(cfg));
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
