/**
 * Test-only (dist/extension-test.js, loaded by activate() under TOKEN_RELAY_TEST=1, never in the production
 * bundles): the `ScriptedUi` the host tests drive, and the `SwitchableUi` that lets them swap it for the real one.
 */
import * as vscode from 'vscode';
import { redact } from '../core/redact';
import type { Opener, ProgressReporter, Severity, Ui } from './ui';

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
  /**
   * Answers for input boxes, in order (undefined = Escape); a function answers later (e.g. once the browser step
   * is done: the pasted URL of Switch to OAuth), and its answer is validated as a typed one.
   */
  readonly inputs: Array<
    string | undefined | ((opts: vscode.InputBoxOptions) => Thenable<string | undefined> | string | undefined)
  > = [];
  /** Answers for quick picks: a label (or predicate) to choose, in order. */
  readonly picks: Array<string | ((item: vscode.QuickPickItem) => boolean) | undefined> = [];
  /** Answers for messages: matched by a substring of the text; the value is the action to press. */
  readonly answers: Array<{ match: string | RegExp; action: string | undefined }> = [];
  private cancelSource: vscode.CancellationTokenSource | undefined;
  private readonly messageListeners: Array<(m: RecordedMessage) => void> = [];

  constructor(
    private readonly opener: Opener,
    private readonly real: Ui,
  ) {}

  onMessage(listener: (m: RecordedMessage) => void): vscode.Disposable {
    this.messageListeners.push(listener);
    return new vscode.Disposable(() => {
      const i = this.messageListeners.indexOf(listener);
      if (i >= 0) this.messageListeners.splice(i, 1);
    });
  }

  private record(m: RecordedMessage): string | undefined {
    const i = this.answers.findIndex((a) =>
      typeof a.match === 'string' ? m.text.includes(a.match) : a.match.test(m.text),
    );
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
    const next = this.inputs.length ? this.inputs.shift() : undefined;
    if (typeof next === 'function') return Promise.resolve(next(opts)).then((v) => this.answerInput(opts, v));
    return this.answerInput(opts, next);
  }

  private answerInput(opts: vscode.InputBoxOptions, value: string | undefined): Thenable<string | undefined> {
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
    const found = items.find((it) =>
      typeof want === 'string' ? it.label === want || it.label.includes(want) : want(it),
    );
    return Promise.resolve(found);
  }

  progress<R>(
    title: string,
    task: (progress: ProgressReporter, token: vscode.CancellationToken) => Promise<R>,
  ): Thenable<R> {
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
  message(s: Severity, t: string, ...a: string[]) {
    return this.current.message(s, t, ...a);
  }
  confirm(t: string, d: string, ...a: string[]) {
    return this.current.confirm(t, d, ...a);
  }
  input(o: vscode.InputBoxOptions) {
    return this.current.input(o);
  }
  pick<T extends vscode.QuickPickItem>(i: readonly T[], o: vscode.QuickPickOptions) {
    return this.current.pick(i, o);
  }
  progress<R>(t: string, task: (p: ProgressReporter, token: vscode.CancellationToken) => Promise<R>) {
    return this.current.progress(t, task);
  }
  openExternal(url: string) {
    return this.current.openExternal(url);
  }
  copy(text: string) {
    return this.current.copy(text);
  }
}
