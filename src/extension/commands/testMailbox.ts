/**
 * Salesforce: Test Mailbox — connects, logs in, opens INBOX, and reports clearly. Tests the active org's mailbox;
 * an argument names a mailbox id or an org id (its mailbox).
 */
import * as vscode from 'vscode';
import { safeErrorMessage } from '../../core/redact';
import { mailboxConfig, migrateLegacyMailbox } from '../mailbox';
import { describeMailbox } from '../mailboxesModel';
import type { Services } from '../services';
import { CommandIds } from '../settings';
import { errorMessage } from '../explain';

export async function testMailbox(s: Services, arg?: unknown): Promise<boolean> {
  await migrateLegacyMailbox(s.secrets, s.logger).catch((err: unknown) =>
    s.logger.warn(`mailbox migration: ${safeErrorMessage(err)}`),
  );
  const org = typeof arg === 'string' ? s.profiles.get(arg) : undefined;
  const target =
    typeof arg === 'string' && !org ? { id: arg.trim().toLowerCase() } : { org: org ?? s.profiles.active() };
  const mb = await mailboxConfig(s.secrets, target);
  const setUp = vscode.l10n.t('Set Up Mailbox');
  if (!mb.ok) {
    const a = await s.ui.message('warn', vscode.l10n.t('The mailbox is not set up: {0}.', mb.missing), setUp);
    if (a === setUp) await vscode.commands.executeCommand(CommandIds.setUpMailbox);
    return false;
  }
  const log = s.logger.child('mail');
  try {
    const res = await s.ui.progress(
      vscode.l10n.t('Test Mailbox: {0}@{1}', mb.config.user, mb.config.host),
      async (progress, cancel) => {
        const ac = new AbortController();
        const sub = cancel.onCancellationRequested(() => ac.abort());
        progress.report(vscode.l10n.t('connecting…'));
        try {
          return await s.testMailbox(mb.config, { signal: ac.signal, log });
        } finally {
          sub.dispose();
        }
      },
    );
    log.info(`mailbox ${mb.mailbox.id} (${describeMailbox(mb.mailbox)}) test ok: ${res.detail}`);
    void s.ui.message('info', vscode.l10n.t('Mailbox works: {0}', res.detail));
    return true;
  } catch (err) {
    const msg = safeErrorMessage(err);
    log.error(`mailbox ${mb.mailbox.id} test failed: ${msg}`);
    const show = vscode.l10n.t('Show Log');
    const a = await s.ui.message('error', vscode.l10n.t('Mailbox test failed: {0}', errorMessage(err)), setUp, show);
    if (a === setUp) await vscode.commands.executeCommand(CommandIds.setUpMailbox);
    if (a === show) s.log.show();
    return false;
  }
}
