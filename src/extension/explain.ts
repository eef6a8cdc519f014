/**
 * The explanations of core (health states, mailbox and .env errors: src/core/l10n.ts LocalizedText) in VS Code's
 * display language: each template goes through vscode.l10n.t (l10n/bundle.l10n.ja.json), its parts first. Text
 * without a LocalizedText (a server's or a library's own words) is shown as it is. Always redacted.
 */
import * as vscode from 'vscode';
import { isLocalizedText, renderLocalized, type LocalizedText } from '../core/l10n';
import { redact, safeErrorMessage } from '../core/redact';

/** `t` in the display language. */
export function localize(t: LocalizedText): string {
  return redact(renderLocalized(t, (template, args) => vscode.l10n.t(template, ...args)));
}

/** A health result's message in the display language (its `explain`, else the English message). */
export function healthMessage(h: { message: string; explain?: unknown }): string {
  return isLocalizedText(h.explain) ? localize(h.explain) : h.message;
}

/**
 * An error for a notification, like safeErrorMessage (message, then its code when the message lacks it), in the
 * display language when the error carries an explanation (MailboxError, EnvError).
 */
export function errorMessage(err: unknown): string {
  const explain = err && typeof err === 'object' ? (err as { explain?: unknown }).explain : undefined;
  if (!(err instanceof Error) || !isLocalizedText(explain)) return safeErrorMessage(err);
  const code = (err as { code?: unknown }).code;
  const text = localize(explain);
  return typeof code === 'string' && code && !err.message.includes(code) ? `${text} (${redact(code)})` : text;
}
