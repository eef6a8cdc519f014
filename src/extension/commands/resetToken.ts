/**
 * Salesforce: Reset Token. The shared path of src/flow/resetFlow.ts with VS Code's UI parts: the watcher
 * starts first, then the reset page opens; a cancellable progress notification shows the elapsed time and the
 * timeout; verification codes that arrive meanwhile are shown with a Copy button; the token is stored in
 * SecretStorage, written to .env and the login tested; without a mailbox, on timeout or on a mailbox failure,
 * Enter Token Manually is offered.
 */
import * as vscode from 'vscode';
import { isAbortError, isTimeoutError } from '../../core/async';
import { safeErrorMessage } from '../../core/redact';
import { resetPageUrl } from '../../core/resetUrl';
import { isResetFlowError } from '../../flow/resetFlow';
import { isMailboxError } from '../../mail';
import type { EnvWriteOutcome } from '../envWriter';
import { mailboxConfig, migrateLegacyMailbox } from '../mailbox';
import { watchTrustOf } from '../mailboxesModel';
import type { Services } from '../services';
import {
  CommandIds,
  proxySettings,
  resetAuthservId,
  resetForwardedFrom,
  resetRequireDkim,
  resetTimeoutMs,
} from '../settings';
import { requireTrust } from '../trust';
import { reportError, reportTokenSaved, resolveOrg } from './common';
import { errorMessage } from '../explain';

function isAbort(err: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (err instanceof Error && isAbortError(err));
}

/** The flow's own timeout: watchForToken rejects with an AbortError marked `timedOut`. */
function isTimeout(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const e = err as { timedOut?: unknown; cause?: { name?: unknown } };
  return e.timedOut === true || isTimeoutError(err) || isTimeoutError(e.cause);
}

function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export async function resetToken(s: Services, arg?: unknown): Promise<void> {
  if (!requireTrust(s.ui, vscode.l10n.t('reset the token (it writes .env and tests the login)'))) return;
  if (s.resetInProgress) {
    void s.ui.message('info', vscode.l10n.t('A token reset is already running: see its notification.'));
    return;
  }
  const org = await resolveOrg(s, arg);
  if (!org) return;
  const log = s.logger.child('reset');
  const manual = vscode.l10n.t('Enter Token Manually');

  if (org.mfaForApi) {
    const test = vscode.l10n.t('Test Connection');
    const edit = vscode.l10n.t('Edit Org');
    const a = await s.ui.message(
      'info',
      vscode.l10n.t(
        '{0} uses multi-factor authentication for API logins: Salesforce issues no security token for it. Test Connection asks for the code from your authenticator app instead.',
        org.name,
      ),
      test,
      edit,
    );
    if (a === test) await vscode.commands.executeCommand(CommandIds.testConnection);
    if (a === edit) await vscode.commands.executeCommand(CommandIds.editOrg, org.id);
    return;
  }

  const classic = org.ui === 'classic';
  await migrateLegacyMailbox(s.secrets, s.logger).catch((err: unknown) =>
    log.warn(`mailbox migration: ${safeErrorMessage(err)}`),
  );
  const mb = await mailboxConfig(s.secrets, { org });
  if (!mb.ok) {
    const setUp = vscode.l10n.t('Set Up Mailbox');
    const openManual = vscode.l10n.t('Open Reset Page and Enter Manually');
    const a = await s.ui.message(
      'warn',
      vscode.l10n.t(
        'Token Relay watches your mailbox for the token mail, but {0}. Set up the mailbox, or reset in the browser and paste the token yourself.',
        mb.missing,
      ),
      setUp,
      openManual,
    );
    if (a === setUp) await vscode.commands.executeCommand(CommandIds.setUpMailbox);
    if (a === openManual) {
      await s.ui.openExternal(resetPageUrl(org.loginUrl, { classic }));
      await vscode.commands.executeCommand(CommandIds.enterTokenManually, org.id);
    }
    return;
  }

  const secrets = await s.secrets.getOrgSecrets(org.id);
  const timeoutMs = resetTimeoutMs();
  const ac = new AbortController();
  let envOutcome: EnvWriteOutcome | undefined;
  let envProblem: string | undefined;
  log.info(
    `reset started for ${org.name}; mailbox ${mb.mailbox.id}${classic ? '; Classic reset page' : ''}; timeout ${Math.round(timeoutMs / 1000)} s`,
  );

  const run = s.monitor.hold(async () =>
    s.ui.progress(vscode.l10n.t('Reset Token: {0}', org.name), async (progress, cancel) => {
      const sub = cancel.onCancellationRequested(() => ac.abort());
      const started = s.now().getTime();
      let status = vscode.l10n.t('connecting to the mailbox…');
      const paint = () =>
        progress.report(`${status} ${formatElapsed(s.now().getTime() - started)} / ${formatElapsed(timeoutMs)}`);
      paint();
      const ticker = setInterval(paint, 1000);
      try {
        return await s.runReset({
          profile: org,
          secrets,
          mailbox: mb.config,
          open: async (url) => {
            const ok = await s.ui.openExternal(url);
            if (!ok) throw new Error(vscode.l10n.t('the browser did not open'));
          },
          storeToken: (token) => s.secrets.setSecret(org.id, 'token', token),
          writeEnv: async (token) => {
            try {
              envOutcome = await s.envWriter.writeToken(org, token);
              return envOutcome;
            } catch (err) {
              envProblem = errorMessage(err);
              log.warn(`.env not written: ${safeErrorMessage(err)}`);
              return undefined;
            }
          },
          onVerificationCode: (code) => {
            const copy = vscode.l10n.t('Copy');
            void s.ui
              .message('info', vscode.l10n.t('Salesforce sent a verification code for {0}: {1}', org.name, code), copy)
              .then((a) => (a === copy ? s.ui.copy(code) : undefined));
          },
          onStatus: (st) => {
            log.debug(`status: ${st}`);
            status = vscode.l10n.t(st); // the flow's English status lines; l10n bundles translate them
            paint();
          },
          signal: ac.signal,
          timeoutMs,
          classic,
          login: { proxy: proxySettings() },
          watch: {
            requireDkim: resetRequireDkim(),
            authservId: resetAuthservId(),
            // The mailbox's own forwarding addresses and the user-level tokenRelay.reset.forwardedFrom.
            ...watchTrustOf(mb.mailbox, resetForwardedFrom()),
          },
          log,
          now: s.now,
        });
      } finally {
        clearInterval(ticker);
        sub.dispose();
      }
    }),
  );
  s.resetInProgress = run;
  try {
    const result = await run;
    s.monitor.setResult(org, result.health);
    log.info(`reset of ${org.name} done: ${result.health.status}`);
    void reportTokenSaved(
      s,
      org,
      envOutcome ?? (result.env ? { ...result.env, viaEditor: false } : undefined),
      result.health,
      envProblem,
    );
  } catch (err) {
    if (isTimeout(err) && !ac.signal.aborted) {
      log.warn(`no token mail within ${Math.round(timeoutMs / 1000)} s`);
      const again = vscode.l10n.t('Try Again');
      const showLog = vscode.l10n.t('Show Log');
      const a = await s.ui.message(
        'warn',
        vscode.l10n.t(
          'No token mail for {0} arrived within {1} minutes. Check that you clicked "Reset Security Token" and that the mail is not in a folder Token Relay does not watch, or enter the token manually.',
          org.name,
          Math.round(timeoutMs / 60000),
        ),
        manual,
        again,
        showLog,
      );
      if (a === manual) await vscode.commands.executeCommand(CommandIds.enterTokenManually, org.id);
      if (a === again) await vscode.commands.executeCommand(CommandIds.resetToken, org.id);
      if (a === showLog) s.log.show();
      return;
    }
    if (isAbort(err, ac.signal)) {
      log.info('reset cancelled');
      const a = await s.ui.message(
        'info',
        vscode.l10n.t(
          'Token reset cancelled. If you already clicked Reset in the browser, the mail still arrives: enter the token from it manually.',
        ),
        manual,
      );
      if (a === manual) await vscode.commands.executeCommand(CommandIds.enterTokenManually, org.id);
      return;
    }
    if (isMailboxError(err)) {
      log.error(`mailbox: ${safeErrorMessage(err)}`);
      const setUp = vscode.l10n.t('Set Up Mailbox');
      const showLog = vscode.l10n.t('Show Log');
      const a = await s.ui.message(
        'error',
        vscode.l10n.t('The mailbox failed: {0}', errorMessage(err)),
        setUp,
        manual,
        showLog,
      );
      if (a === setUp) await vscode.commands.executeCommand(CommandIds.setUpMailbox);
      if (a === manual) await vscode.commands.executeCommand(CommandIds.enterTokenManually, org.id);
      if (a === showLog) s.log.show();
      return;
    }
    const found = (err as { token?: { token?: string } } | undefined)?.token?.token;
    if (isResetFlowError(err) && found) {
      // The token arrived but could not be stored: do not lose it. Copy puts it on the clipboard (never shown).
      log.error(safeErrorMessage(err));
      const copy = vscode.l10n.t('Copy Token');
      const a = await s.ui.message('error', vscode.l10n.t('Reset Token: {0}', safeErrorMessage(err)), copy, manual);
      if (a === copy) await s.ui.copy(found);
      if (a === manual) await vscode.commands.executeCommand(CommandIds.enterTokenManually, org.id);
      return;
    }
    await reportError(s, vscode.l10n.t('Reset Token failed'), err);
  } finally {
    s.resetInProgress = undefined;
  }
}
