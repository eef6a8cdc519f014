/**
 * The UI seam: every message, prompt, progress notification and browser open goes through a `Ui`.
 * The real one talks to `vscode.window`; every text is redacted first, so no secret the extension knows
 * reaches a notification. Under TOKEN_RELAY_TEST=1 the host tests install a `ScriptedUi` (see test API in
 * ../extension.ts) that records messages and answers prompts from a queue.
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
  constructor(private readonly mode: 'browser' | 'record' = process.env.TOKEN_RELAY_TEST_OPENER === 'record' ? 'record' : 'browser') {}

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

  progress<R>(title: string, task: (progress: ProgressReporter, token: vscode.CancellationToken) => Promise<R>): Thenable<R> {
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

export interface RecordedMessage {
  severity: Severity | 'confirm';
  text: string;
  actions: string[];
  answer?: string;
}

/**
 * For host tests: records every message; answers prompts from queues (an unanswered prompt resolves to
 * undefined at once, like a user pressing Escape, so no test hangs on a dialog). Progress still shows a real
 * notification, and `cancelProgress()` cancels the running one like the notification's Cancel button.
 */
export class ScriptedUi implements Ui {
  readonly messages: RecordedMessage[] = [];
  readonly progressTitles: string[] = [];
  readonly progressReports: string[] = [];
  readonly copied: string[] = [];
  /** Answers for input boxes, in order (undefined = Escape). */
  readonly inputs: Array<string | undefined> = [];
  /** Answers for quick picks: a label (or predicate) to choose, in order. */
  readonly picks: Array<string | ((item: vscode.QuickPickItem) => boolean) | undefined> = [];
  /** Answers for messages: matched by a substring of the text; the value is the action to press. */
  readonly answers: Array<{ match: string | RegExp; action: string | undefined }> = [];
  private cancelSource: vscode.CancellationTokenSource | undefined;
  private readonly messageListeners: Array<(m: RecordedMessage) => void> = [];

  constructor(private readonly opener: Opener, private readonly real: Ui) {}

  onMessage(listener: (m: RecordedMessage) => void): vscode.Disposable {
    this.messageListeners.push(listener);
    return new vscode.Disposable(() => {
      const i = this.messageListeners.indexOf(listener);
      if (i >= 0) this.messageListeners.splice(i, 1);
    });
  }

  private record(m: RecordedMessage): string | undefined {
    const i = this.answers.findIndex((a) => (typeof a.match === 'string' ? m.text.includes(a.match) : a.match.test(m.text)));
    if (i >= 0) {
      m.answer = this.answers[i].action;
      this.answers.splice(i, 1);
    }
    this.messages.push(m);
    for (const l of [...this.messageListeners]) l(m);
    return m.answer;
  }

  message(severity: Severity, text: string, ...actions: string[]): Thenable<string | undefined> {
    return Promise.resolve(this.record({ severity, text: redact(text), actions }));
  }

  confirm(text: string, detail: string, ...actions: string[]): Thenable<string | undefined> {
    return Promise.resolve(this.record({ severity: 'confirm', text: redact(`${text} ${detail}`), actions }));
  }

  input(opts: vscode.InputBoxOptions): Thenable<string | undefined> {
    const value = this.inputs.length ? this.inputs.shift() : undefined;
    if (value !== undefined && opts.validateInput) {
      return Promise.resolve(opts.validateInput(value)).then((err) => {
        const msg = typeof err === 'string' ? err : err?.message;
        if (msg) {
          this.record({ severity: 'error', text: `input rejected: ${msg}`, actions: [] });
          return undefined;
        }
        return value;
      });
    }
    return Promise.resolve(value);
  }

  pick<T extends vscode.QuickPickItem>(items: readonly T[], _opts: vscode.QuickPickOptions): Thenable<T | undefined> {
    const want = this.picks.length ? this.picks.shift() : undefined;
    if (want === undefined) return Promise.resolve(undefined);
    const found = items.find((it) => (typeof want === 'string' ? it.label === want || it.label.includes(want) : want(it)));
    return Promise.resolve(found);
  }

  progress<R>(title: string, task: (progress: ProgressReporter, token: vscode.CancellationToken) => Promise<R>): Thenable<R> {
    this.progressTitles.push(redact(title));
    return this.real.progress(title, (p, token) => {
      const source = new vscode.CancellationTokenSource();
      this.cancelSource = source;
      const sub = token.onCancellationRequested(() => source.cancel());
      const reporter = {
        report: (m: string) => {
          this.progressReports.push(redact(m));
          p.report(m);
        },
      };
      return task(reporter, source.token).finally(() => {
        sub.dispose();
        if (this.cancelSource === source) this.cancelSource = undefined;
        source.dispose();
      });
    });
  }

  /** Presses the running progress notification's Cancel button; false when none runs. */
  cancelProgress(): boolean {
    if (!this.cancelSource) return false;
    this.cancelSource.cancel();
    return true;
  }

  openExternal(url: string): Promise<boolean> {
    return this.opener.open(url);
  }

  copy(text: string): Thenable<void> {
    this.copied.push(text);
    return Promise.resolve();
  }

  reset(): void {
    this.messages.length = 0;
    this.progressTitles.length = 0;
    this.progressReports.length = 0;
    this.copied.length = 0;
    this.inputs.length = 0;
    this.picks.length = 0;
    this.answers.length = 0;
  }
}

/** A Ui that forwards to whichever implementation is current (lets tests swap it after activation). */
export class SwitchableUi implements Ui {
  constructor(public current: Ui) {}
  message(s: Severity, t: string, ...a: string[]) { return this.current.message(s, t, ...a); }
  confirm(t: string, d: string, ...a: string[]) { return this.current.confirm(t, d, ...a); }
  input(o: vscode.InputBoxOptions) { return this.current.input(o); }
  pick<T extends vscode.QuickPickItem>(i: readonly T[], o: vscode.QuickPickOptions) { return this.current.pick(i, o); }
  progress<R>(t: string, task: (p: ProgressReporter, token: vscode.CancellationToken) => Promise<R>) { return this.current.progress(t, task); }
  openExternal(url: string) { return this.current.openExternal(url); }
  copy(text: string) { return this.current.copy(text); }
}
