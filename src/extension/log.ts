/**
 * The "Token Relay" LogOutputChannel. Every line goes through src/core/redact.ts (createLogger does it),
 * tagged by component: `[reset]`, `[status]`, `[env]`, `[mail]`, `[salesforce]`, `[secrets]` …
 */
import * as vscode from 'vscode';
import { createLogger, type Logger, type LogLevel } from '../core/log';
import { Disposable } from './lifecycle';
import { LOG_CHANNEL_NAME } from './settings';

export class ExtensionLog extends Disposable {
  readonly channel: vscode.LogOutputChannel;
  readonly logger: Logger;
  /** The last lines (redacted), for tests and "copy diagnostics". */
  readonly recent: string[] = [];

  constructor(channel?: vscode.LogOutputChannel) {
    super();
    this.channel = this._register(channel ?? vscode.window.createOutputChannel(LOG_CHANNEL_NAME, { log: true }));
    this.logger = createLogger((level: LogLevel, line: string) => {
      this.recent.push(`${level} ${line}`);
      if (this.recent.length > 500) this.recent.splice(0, this.recent.length - 500);
      switch (level) {
        case 'trace': this.channel.trace(line); break;
        case 'debug': this.channel.debug(line); break;
        case 'info': this.channel.info(line); break;
        case 'warn': this.channel.warn(line); break;
        case 'error': this.channel.error(line); break;
      }
    });
  }

  child(component: string): Logger {
    return this.logger.child(component);
  }

  show(): void {
    this.channel.show(true);
  }
}
