/**
 * The status bar item `tokenRelay.health` ("Salesforce Connection"): `$(icon) <label> · <org name>`,
 * a spinning icon while checking, a markdown tooltip with the org's details and command links.
 * Clicking it re-tests the login.
 */
import * as vscode from 'vscode';
import { HEALTH_STATES, type HealthResult } from '../core/healthStates';
import type { OrgProfile } from '../core/profile';
import { retirementStatus } from '../core/retirement';
import { Disposable } from './lifecycle';
import { CommandIds, STATUS_BAR_ID } from './settings';
import { healthMessage } from './explain';

export type StatusView =
  | { kind: 'no-org' }
  | { kind: 'unchecked'; org: OrgProfile; note?: string }
  | { kind: 'checking'; org: OrgProfile; last?: HealthResult }
  | { kind: 'result'; org: OrgProfile; health: HealthResult };

const LINK_COMMANDS = [
  CommandIds.testConnection,
  CommandIds.resetToken,
  CommandIds.switchOrg,
  CommandIds.showLog,
  CommandIds.addOrg,
  CommandIds.importOrgFromEnv,
  CommandIds.switchToOAuth,
  CommandIds.signOut,
  CommandIds.importFromSfCli,
  CommandIds.checkReadiness,
];

export class HealthStatusBar extends Disposable {
  readonly item: vscode.StatusBarItem;
  private view: StatusView = { kind: 'no-org' };
  private shown = false;

  constructor(private readonly now: () => Date = () => new Date()) {
    super();
    this.item = this._register(vscode.window.createStatusBarItem(STATUS_BAR_ID, vscode.StatusBarAlignment.Left, 50));
    this.item.name = vscode.l10n.t('Salesforce Connection');
    // Rendered and shown by the first show() (activation paints the real state at once: one render, not two).
  }

  get current(): StatusView {
    return this.view;
  }

  show(view: StatusView): void {
    this.view = view;
    this.render();
    if (!this.shown) {
      this.shown = true;
      this.item.show();
    }
  }

  private render(): void {
    const v = this.view;
    const item = this.item;
    item.backgroundColor = undefined;
    item.command = { command: CommandIds.testConnection, title: vscode.l10n.t('Test Connection') };
    switch (v.kind) {
      case 'no-org':
        item.text = `$(plug) ${vscode.l10n.t('Set up Salesforce org')}`;
        item.command = { command: CommandIds.addOrg, title: vscode.l10n.t('Add Org') };
        item.accessibilityInformation = {
          label: vscode.l10n.t('Salesforce Connection: no org set up. Click to add one.'),
        };
        break;
      case 'unchecked':
        item.text = `$(circle-outline) ${vscode.l10n.t('Not checked')} · ${v.org.name}`;
        item.accessibilityInformation = {
          label: vscode.l10n.t('Salesforce Connection {0}: not checked yet. Click to test.', v.org.name),
        };
        break;
      case 'checking':
        item.text = `$(sync~spin) ${vscode.l10n.t('Checking…')} · ${v.org.name}`;
        item.accessibilityInformation = { label: vscode.l10n.t('Salesforce Connection {0}: checking', v.org.name) };
        break;
      case 'result': {
        const st = HEALTH_STATES[v.health.status] ?? HEALTH_STATES['login-failed'];
        const label = labelFor(v.health);
        const retiring = retiringNotice(v.health, this.now());
        // A working login whose method Salesforce is retiring: a warning (icon and background, as VS Code's status
        // bar guidance has it for warnings), the notice in the tooltip.
        item.text = `$(${retiring ? 'warning' : st.icon}) ${label} · ${v.org.name}`;
        if (retiring) item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
        if (v.health.status !== 'ok') {
          const warnOnly = v.health.status === 'rate-limited' || v.health.status === 'org-unavailable';
          item.backgroundColor = new vscode.ThemeColor(
            warnOnly ? 'statusBarItem.warningBackground' : 'statusBarItem.errorBackground',
          );
        }
        item.accessibilityInformation = {
          label: retiring
            ? vscode.l10n.t('Salesforce Connection {0}: {1}. {2}', v.org.name, label, retiring)
            : vscode.l10n.t('Salesforce Connection {0}: {1}', v.org.name, label),
        };
        break;
      }
    }
    item.tooltip = this.tooltip();
  }

  /** The tooltip as markdown; exposed for tests. */
  tooltip(): vscode.MarkdownString {
    const v = this.view;
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = { enabledCommands: LINK_COMMANDS };
    md.appendMarkdown(`**${vscode.l10n.t('Salesforce Connection')}**\n\n`);
    if (v.kind === 'no-org') {
      md.appendText(vscode.l10n.t('No org is set up yet.'));
      md.appendMarkdown(
        `\n\n[${vscode.l10n.t('Add Org')}](command:${CommandIds.addOrg}) · [${vscode.l10n.t('Import Org from .env')}](command:${CommandIds.importOrgFromEnv})`,
      );
      md.appendMarkdown(
        ` · [${vscode.l10n.t('Import Org from Salesforce CLI')}](command:${CommandIds.importFromSfCli})`,
      );
      return md;
    }
    const h = v.kind === 'result' ? v.health : v.kind === 'checking' ? v.last : undefined;
    const row = (name: string, value: string | null | undefined) => {
      if (value === undefined || value === null || value === '') return;
      md.appendMarkdown(`${name}: `);
      md.appendText(value);
      md.appendMarkdown('  \n');
    };
    const state =
      v.kind === 'checking'
        ? vscode.l10n.t('Checking…')
        : v.kind === 'unchecked'
          ? vscode.l10n.t('Not checked')
          : labelFor(v.health);
    row(vscode.l10n.t('Status'), state);
    row(vscode.l10n.t('Org'), h?.orgName ? `${v.org.name} (${h.orgName})` : v.org.name);
    row(vscode.l10n.t('User'), h?.username ?? v.org.username);
    row(vscode.l10n.t('Instance'), h?.instanceUrl ?? v.org.loginUrl);
    if (h?.checkedAt) {
      const when = new Date(h.checkedAt);
      const ago = Math.max(0, Math.round((this.now().getTime() - when.getTime()) / 60000));
      row(
        vscode.l10n.t('Last check'),
        `${when.toLocaleString()}${ago > 0 ? ` (${vscode.l10n.t('{0} min ago', ago)})` : ''}${h.latencyMs !== undefined ? ` · ${h.latencyMs} ms` : ''}`,
      );
    }
    if (h?.apiRequestsRemaining !== undefined && h?.apiRequestsRemaining !== null) {
      row(
        vscode.l10n.t('API requests remaining'),
        h.apiRequestsMax ? `${h.apiRequestsRemaining} / ${h.apiRequestsMax}` : String(h.apiRequestsRemaining),
      );
    }
    if (v.kind === 'result' && v.health.status !== 'ok' && v.health.message)
      row(vscode.l10n.t('Problem'), healthMessage(v.health));
    if (v.kind === 'unchecked' && v.note) row(vscode.l10n.t('Note'), v.note);
    const retiring = h ? retiringNotice(h, this.now()) : undefined;
    if (retiring) {
      md.appendMarkdown(`\n$(warning) `);
      md.appendText(retiring);
      md.appendMarkdown(
        `\n\n[$(account) ${vscode.l10n.t('Switch to OAuth')}](command:${CommandIds.switchToOAuth}) · ` +
          `[$(terminal) ${vscode.l10n.t('Use the sf CLI login')}](command:${CommandIds.importFromSfCli}) · ` +
          `[$(checklist) ${vscode.l10n.t('Check Readiness')}](command:${CommandIds.checkReadiness})\n\n`,
      );
    }
    md.appendMarkdown(
      `\n[$(refresh) ${vscode.l10n.t('Re-test')}](command:${CommandIds.testConnection}) · ` +
        `[$(key) ${vscode.l10n.t('Reset Token')}](command:${CommandIds.resetToken}) · ` +
        `[$(arrow-swap) ${vscode.l10n.t('Switch Org')}](command:${CommandIds.switchOrg}) · ` +
        `[$(output) ${vscode.l10n.t('Show Log')}](command:${CommandIds.showLog})`,
    );
    // OAuth (issue 13): an org on OAuth can sign out; the others (and a signed-out one) can switch.
    const oauthOk = v.org.auth === 'oauth' && !(v.kind === 'result' && v.health.status === 'signin-required');
    md.appendMarkdown(
      oauthOk
        ? ` · [$(sign-out) ${vscode.l10n.t('Sign Out')}](command:${CommandIds.signOut})`
        : ` · [$(account) ${vscode.l10n.t('Switch to OAuth')}](command:${CommandIds.switchToOAuth})`,
    );
    return md;
  }
}

/** The CONTRACTS label of a health state, localized. */
export function labelFor(h: HealthResult): string {
  const st = HEALTH_STATES[h.status];
  return st ? vscode.l10n.t(st.label) : h.label;
}

/**
 * The localized retirement notice of a working login whose method Salesforce is retiring (the result carries the
 * core `notice`; its flow tells the method: SOAP = `password`, OAuth = `password-oauth`), else undefined.
 */
export function retiringNotice(h: HealthResult, today: Date): string | undefined {
  if (h.status !== 'ok' || !h.notice) return undefined;
  const r = retirementStatus(h.flow === 'oauth' ? 'password-oauth' : 'password', today);
  if (!r) return undefined;
  if (r.past)
    return vscode.l10n.t(
      'Salesforce switched this sign-in method off on {0}: this login can stop working at any moment. Switch to OAuth or use the sf CLI login now.',
      r.date,
    );
  return r.method === 'password'
    ? vscode.l10n.t(
        "Salesforce retires SOAP API login() with the Summer '27 release (about {0}, {1} days left): this login stops working then. Switch to OAuth or use the sf CLI login before that date.",
        r.date,
        r.daysLeft,
      )
    : vscode.l10n.t(
        'Salesforce switches the OAuth username-password flow off on {0} ({1} days left): this login stops working then. Switch to OAuth or use the sf CLI login before that date.',
        r.date,
        r.daysLeft,
      );
}
