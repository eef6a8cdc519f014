/**
 * The UI seam: every message, prompt, progress notification and browser open goes through a `Ui`.
 * The real one talks to `vscode.window`; every text is redacted first, so no secret the extension knows
 * reaches a notification. Under TOKEN_RELAY_TEST=1 the host tests install a `ScriptedUi` (scriptedUi.ts, in the
 * test-only bundle with the test API) that records messages and answers prompts from a queue.
 */
import * as vscode from 'vscode';
import { redact } from '../core/redact';

export type Severity = 'info' | 'warn' | 'error';

export interface ProgressReporter {
  report(message: string): void;
}

export interface Ui {
  message(severity: Severity, text: string, ...actions: string[]): Thenable<string | undefined>;
  /** A modal confirmation; resolves to the chosen action. */
  confirm(text: string, detail: string, ...actions: string[]): Thenable<string | undefined>;
  input(opts: vscode.InputBoxOptions): Thenable<string | undefined>;
  pick<T extends vscode.QuickPickItem>(items: readonly T[], opts: vscode.QuickPickOptions): Thenable<T | undefined>;
  progress<R>(
    title: string,
    task: (progress: ProgressReporter, token: vscode.CancellationToken) => Promise<R>,
  ): Thenable<R>;
  /** Opens a URL in the user's browser (the test opener records it instead). */
  openExternal(url: string): Promise<boolean>;
  copy(text: string): Thenable<void>;
}

/** Opens URLs: `vscode.env.openExternal`, or records them when TOKEN_RELAY_TEST_OPENER=record. */
export class Opener {
  readonly opened: string[] = [];
  private readonly listeners: Array<(url: string) => void> = [];
  constructor(
    private readonly mode: 'browser' | 'record' = process.env.TOKEN_RELAY_TEST_OPENER === 'record'
      ? 'record'
      : 'browser',
  ) {}

  onOpen(listener: (url: string) => void): vscode.Disposable {
    this.listeners.push(listener);
    return new vscode.Disposable(() => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    });
  }

  async open(url: string): Promise<boolean> {
    this.opened.push(url);
    for (const l of [...this.listeners]) l(url);
    if (this.mode === 'record') return true;
    return vscode.env.openExternal(vscode.Uri.parse(url, true));
  }
}

export class VsCodeUi implements Ui {
  constructor(private readonly opener: Opener) {}

  message(severity: Severity, text: string, ...actions: string[]): Thenable<string | undefined> {
    const t = redact(text);
    if (severity === 'error') return vscode.window.showErrorMessage(t, ...actions);
    if (severity === 'warn') return vscode.window.showWarningMessage(t, ...actions);
    return vscode.window.showInformationMessage(t, ...actions);
  }

  confirm(text: string, detail: string, ...actions: string[]): Thenable<string | undefined> {
    return vscode.window.showWarningMessage(redact(text), { modal: true, detail: redact(detail) }, ...actions);
  }

  input(opts: vscode.InputBoxOptions): Thenable<string | undefined> {
    return vscode.window.showInputBox({ ignoreFocusOut: true, ...opts });
  }

  pick<T extends vscode.QuickPickItem>(items: readonly T[], opts: vscode.QuickPickOptions): Thenable<T | undefined> {
    return vscode.window.showQuickPick(items, { ignoreFocusOut: true, ...opts });
  }

  progress<R>(
    title: string,
    task: (progress: ProgressReporter, token: vscode.CancellationToken) => Promise<R>,
  ): Thenable<R> {
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: redact(title), cancellable: true },
      (p, token) => task({ report: (message) => p.report({ message: redact(message) }) }, token),
    );
  }

  openExternal(url: string): Promise<boolean> {
    return this.opener.open(url);
  }

  copy(text: string): Thenable<void> {
    return vscode.env.clipboard.writeText(text);
  }
}
