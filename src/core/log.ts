/**
 * A tiny logger interface shared by core, salesforce, mail, the CLI and the extension.
 * Every implementation must pass text through `redact` (./redact.ts); `createLogger` does.
 * Components tag their lines: `[mail]`, `[salesforce]`, `[env]`, `[reset]`, `[status]` …
 */
import { redact } from './redact';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** A logger whose lines carry `[component]`. */
  child(component: string): Logger;
}

export type LogSink = (level: LogLevel, line: string) => void;

export function createLogger(sink: LogSink, component?: string): Logger {
  const tag = component ? `[${component}] ` : '';
  const emit = (level: LogLevel) => (message: string) => sink(level, redact(tag + message));
  return {
    trace: emit('trace'),
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (c: string) => createLogger(sink, component ? `${component}/${c}` : c),
  };
}

/**
 * Discards everything (default when a caller passes no logger). A real no-op: it does not redact lines
 * nobody will read (a login made four such calls, each scanning every registered secret).
 */
const noop = (): void => {};
export const nullLogger: Logger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => nullLogger,
};
