/**
 * Disposables, the way vscode-pull-request-github's `src/common/lifecycle.ts` does them: a `Disposable` base
 * class whose `_register()` collects what the object owns and whose `dispose()` (idempotent) disposes it all,
 * newest first. Objects made at activation are themselves registered once, in `context.subscriptions`
 * (src/extension.ts). Only a type import of `vscode`: this file adds nothing to activation but a few lines.
 */
import type * as vscode from 'vscode';

/** A disposable that runs `fn` (once). */
export function toDisposable(fn: () => void): vscode.Disposable {
  let done = false;
  return {
    dispose: () => {
      if (done) return;
      done = true;
      fn();
    },
  };
}

/** Disposes every item, newest first, and empties the array. */
export function disposeAll(disposables: vscode.Disposable[]): void {
  while (disposables.length) disposables.pop()?.dispose();
}

export abstract class Disposable implements vscode.Disposable {
  private _isDisposed = false;
  private readonly _disposables: vscode.Disposable[] = [];

  /** Disposes everything registered (once; later calls do nothing). */
  dispose(): void {
    if (this._isDisposed) return;
    this._isDisposed = true;
    disposeAll(this._disposables);
  }

  /** Takes ownership of `d`: disposed with this object (at once if this object is already disposed). */
  protected _register<T extends vscode.Disposable>(d: T): T {
    if (this._isDisposed) d.dispose();
    else this._disposables.push(d);
    return d;
  }

  protected get isDisposed(): boolean {
    return this._isDisposed;
  }
}
