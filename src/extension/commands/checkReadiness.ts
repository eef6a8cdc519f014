/**
 * Salesforce: Check Readiness (issue 14, the migration assistant): for every org, which method it signs in with,
 * whether that works now, the date the method stops, the days left and the next step (a command), as a Markdown
 * preview of a read-only virtual document (`token-relay-readiness:`; a TextDocumentContentProvider needs no file and
 * no permission, and works in code-server). Returns the report (automation, tests).
 *
 * Testing: the active org through the health monitor (its usual path: an OAuth refresh is stored, the status bar
 * follows; in Restricted Mode a password org directly); the other password orgs with the login tester directly (a login has no side effects); the other OAuth
 * and sf-cli orgs are not refreshed behind their keeper's back: their last result counts, else "not tested". An org
 * with MFA for API logins is not tested (it needs a code). Cancellable: orgs not reached are "not tested".
 * `checkReadiness({ test: false })` only reads. No secret reaches the report (core/readiness.ts redacts it too).
 */
import * as vscode from 'vscode';
import type { HealthResult } from '../../core/healthStates';
import { authMethodOf, profileProblems, type OrgProfile } from '../../core/profile';
import { buildReadiness, readinessMarkdown, type ReadinessOrg, type ReadinessReport } from '../../core/readiness';
import { safeErrorMessage } from '../../core/redact';
import type { Services } from '../services';
import { proxySettings, READINESS_SCHEME } from '../settings';
import { noOrg } from './common';

/** The report documents of this window, by URI path (the provider serves them; they never change once made). */
const documents = new Map<string, string>();
let registered: vscode.Disposable | undefined;

function ensureProvider(s: Services): void {
  if (registered) return;
  registered = vscode.workspace.registerTextDocumentContentProvider(READINESS_SCHEME, {
    provideTextDocumentContent: (uri) => documents.get(uri.path) ?? '',
  });
  s.context.subscriptions.push(registered, { dispose: () => ((registered = undefined), documents.clear()) });
}

async function examine(
  s: Services,
  org: OrgProfile,
  test: boolean,
  token: vscode.CancellationToken,
): Promise<ReadinessOrg> {
  const secrets = await s.secrets.getOrgSecrets(org.id);
  const method = authMethodOf(org, secrets);
  const base: ReadinessOrg = { name: org.name, username: org.username, method, loginUrl: org.loginUrl };
  const last = s.monitor.lastResult(org.id);
  const untested = (reason: string): ReadinessOrg =>
    last ? { ...base, health: last } : { ...base, untestedReason: reason };
  if (!test) return untested(vscode.l10n.t('only read'));
  if (token.isCancellationRequested) return untested(vscode.l10n.t('cancelled'));
  if (org.mfaForApi) return untested(vscode.l10n.t('MFA for API logins needs a code: use Test Connection'));
  const problems = profileProblems(org, secrets);
  if (problems.length) return untested(problems.map((p) => p.message).join(' '));
  let health: HealthResult | undefined;
  const password = method === 'password' || method === 'password-oauth';
  // The active org through the monitor (the status bar follows); in Restricted Mode the monitor tests only on a
  // click, so a password org is tested directly there too (the user asked for this report).
  if (s.profiles.active()?.id === org.id && (s.isTrusted() || !password)) {
    health = await s.monitor.checkFresh({ reason: 'Check Readiness' });
  } else if (password) {
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort());
    try {
      health = await s.tester(org, secrets, {
        signal: abort.signal,
        timeoutMs: 30_000,
        fetchLimits: false,
        proxy: proxySettings(),
        log: s.logger.child('readiness'),
      });
    } finally {
      sub.dispose();
    }
  } else {
    return untested(vscode.l10n.t('switch to this org to test its sign-in'));
  }
  return health ? { ...base, health } : untested(vscode.l10n.t('not tested in Restricted Mode'));
}

export async function checkReadiness(s: Services, arg?: unknown): Promise<ReadinessReport | undefined> {
  const orgs = s.profiles.list();
  if (!orgs.length) {
    await noOrg(s);
    return undefined;
  }
  const test = !(arg && typeof arg === 'object' && (arg as { test?: unknown }).test === false);
  const rows = await s.ui.progress(vscode.l10n.t('Salesforce: Check Readiness'), async (progress, token) => {
    const out: ReadinessOrg[] = [];
    for (const org of orgs) {
      progress.report(vscode.l10n.t('Testing {0}…', org.name));
      try {
        out.push(await examine(s, org, test, token));
      } catch (err) {
        s.logger.warn(`Check Readiness: ${org.name}: ${safeErrorMessage(err)}`);
        out.push({ name: org.name, username: org.username, method: org.auth ?? 'password', untestedReason: 'error' });
      }
    }
    return out;
  });
  const report = buildReadiness(rows, { today: s.now(), audience: 'extension' });
  const markdown = readinessMarkdown(report);
  ensureProvider(s);
  const path = `/Salesforce Readiness ${report.generatedAt.slice(0, 19).replace(/:/g, '-')}.md`;
  documents.set(path, markdown);
  const uri = vscode.Uri.from({ scheme: READINESS_SCHEME, path });
  const doc = await vscode.workspace.openTextDocument(uri);
  try {
    await vscode.commands.executeCommand('markdown.showPreview', uri);
  } catch (err) {
    // No Markdown preview (the built-in extension disabled): the source is readable too.
    s.logger.warn(`Check Readiness: no Markdown preview (${safeErrorMessage(err)}); showing the text`);
    await vscode.window.showTextDocument(doc, { preview: true });
  }
  s.logger.info(
    `Check Readiness: ${report.orgs.map((r) => `${r.name} ${r.status}${r.retires ? ` (stops ${r.retires})` : ''}`).join('; ')}`,
  );
  return report;
}
