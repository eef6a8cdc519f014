/**
 * The retirement reminder (issue 14, the migration assistant): when a working login's method is being retired (the
 * result carries `notice`), one notification with "Switch to OAuth" / "Use the sf CLI login" / "Don't Remind Me".
 * Not nagging: at most once per org per 30 days (the time it was shown is kept in globalState, keyed by profile id,
 * so other windows and restarts count too), never for a result that carries no notice, "Don't Remind Me" silences
 * that org for good, and the setting `tokenRelay.retirementReminders` (default true) silences every org. The status
 * bar marks such an org either way (statusBar.ts).
 * On-demand bundle: healthCheck.ts calls it after a test.
 */
import * as vscode from 'vscode';
import type { HealthResult } from '../core/healthStates';
import type { Logger } from '../core/log';
import type { OrgProfile } from '../core/profile';
import { CommandIds, retirementReminderKey, retirementRemindersOn } from './settings';
import { retiringNotice } from './statusBar';
import type { Ui } from './ui';

/** At most one reminder per org in this many days. */
export const REMINDER_INTERVAL_DAYS = 30;
const DAY_MS = 86_400_000;

export interface ReminderDeps {
  ui: Ui;
  state: vscode.Memento;
  log: Logger;
  now: Date;
}

/** Orgs whose reminder is being shown in this window (two tests finishing together show one). */
const showing = new Set<string>();

/** Whether `org` is due a reminder now (setting on, not silenced, none in the last 30 days). */
export function reminderDue(state: vscode.Memento, org: OrgProfile, now: Date): boolean {
  if (!retirementRemindersOn()) return false;
  const last = state.get<string>(retirementReminderKey(org.id));
  if (last === 'off') return false;
  const at = last ? Date.parse(last) : NaN;
  return Number.isNaN(at) || now.getTime() - at >= REMINDER_INTERVAL_DAYS * DAY_MS || at > now.getTime();
}

/**
 * Shows the reminder for a working login of a retiring method when it is due; resolves once the user answered (or
 * dismissed it). Returns the button chosen, if any (for tests).
 */
export async function remindRetirement(
  deps: ReminderDeps,
  org: OrgProfile,
  health: HealthResult,
): Promise<string | undefined> {
  const notice = retiringNotice(health, deps.now);
  if (!notice || showing.has(org.id) || !reminderDue(deps.state, org, deps.now)) return undefined;
  showing.add(org.id);
  try {
    // Recorded when shown, not when answered: a dismissed toast counts as a reminder.
    await deps.state.update(retirementReminderKey(org.id), deps.now.toISOString());
    deps.log.info(`${org.name}: retirement reminder shown`);
    const oauth = vscode.l10n.t('Switch to OAuth');
    const sfCli = vscode.l10n.t('Use the sf CLI login');
    const never = vscode.l10n.t("Don't Remind Me");
    const chosen = await deps.ui.message('warn', `${org.name}: ${notice}`, oauth, sfCli, never);
    if (chosen === oauth) await vscode.commands.executeCommand(CommandIds.switchToOAuth, org.id);
    else if (chosen === sfCli) await vscode.commands.executeCommand(CommandIds.importFromSfCli);
    else if (chosen === never) {
      await deps.state.update(retirementReminderKey(org.id), 'off');
      deps.log.info(`${org.name}: retirement reminders turned off for this org`);
    }
    return chosen;
  } finally {
    showing.delete(org.id);
  }
}
