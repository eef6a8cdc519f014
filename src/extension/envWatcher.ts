/**
 * Watches the active org's `.env` for changes on disk (activation bundle). What a change means (our own write,
 * or an outside edit to offer importing) is decided by EnvWriter.onDiskChange in the on-demand bundle.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Disposable, toDisposable } from './lifecycle';
import type { ProfileStore } from './profiles';

export class EnvWatcher extends Disposable {
  private watcher: vscode.FileSystemWatcher | undefined;
  private watchedFile: string | undefined;

  constructor(
    private readonly profiles: ProfileStore,
    private readonly onDiskChange: (file: string) => void,
  ) {
    super();
    this._register(profiles.onDidChange(() => this.watchActive()));
    this._register(
      toDisposable(() => {
        this.watcher?.dispose();
      }),
    );
    this.watchActive();
  }

  /** Watches the active org's .env for outside edits. */
  private watchActive(): void {
    const org = this.profiles.active();
    const file = org ? this.profiles.envFile(org) : undefined;
    if (file === this.watchedFile) return;
    this.watcher?.dispose();
    this.watcher = undefined;
    this.watchedFile = file;
    if (!file) return;
    const w = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)),
    );
    const changed = () => this.onDiskChange(file);
    w.onDidChange(changed);
    w.onDidCreate(changed);
    this.watcher = w;
  }
}
