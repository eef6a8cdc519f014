/**
 * The "Token Relay" LogOutputChannel. Every line goes through src/core/redact.ts (createLogger does it),
 * tagged by component: `[reset]`, `[status]`, `[env]`, `[mail]`, `[salesforce]`, `[secrets]` …
 */
import * as vscode from 'vscode';
import { createLogger, type Logger, type LogLevel } from '../core/log';
import { Disposable } from './lifecycle';
import { LOG_CHANNEL_NAME } from './settings';

export class ExtensionLog extends Disposable {
  private _channel: vscode.LogOutputChannel | undefined;
  readonly logger: Logger;
  /** The last lines (redacted), for tests and "copy diagnostics". */
  readonly recent: string[] = [];

  /** The channel is created with the first line (activation writes none: its "activated" line follows it). */
  constructor(channel?: vscode.LogOutputChannel) {
    super();
    if (channel) this._channel = this._register(channel);
    this.logger = createLogger((level: LogLevel, line: string) => {
      this.recent.push(`${level} ${line}`);
      if (this.recent.length > 500) this.recent.splice(0, this.recent.length - 500);
      const ch = this.channel;
      switch (level) {
        case 'trace':
          ch.trace(line);
          break;
        case 'debug':
          ch.debug(line);
          break;
        case 'info':
          ch.info(line);
          break;
        case 'warn':
          ch.warn(line);
          break;
        case 'error':
          ch.error(line);
          break;
      }
    });
  }

  get channel(): vscode.LogOutputChannel {
    return (this._channel ??= this._register(vscode.window.createOutputChannel(LOG_CHANNEL_NAME, { log: true })));
  }

  child(component: string): Logger {
    return this.logger.child(component);
  }

  show(): void {
    this.channel.show(true);
  }
}
