/** What a CLI command gets from the outside world; tests pass their own. */
import { redact } from '../core/redact';
import { escapeTerminal } from '../core/terminal';

export interface CliIO {
  stdout: (text: string) => void;
  /** stderr lines are always redacted (see `err` below). */
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
  /**
   * Standard input: all of it, or at most `maxBytes` bytes (the reader stops there and reads no further; a caller
   * that asks for N + 1 bytes can tell "exactly N" from "cut").
   */
  readStdin: (maxBytes?: number) => Promise<Buffer>;
  /** True when standard input is a terminal (a secret is then asked for with promptSecret, never read visibly). */
  stdinIsTTY?: boolean;
  /** Asks for a secret on the terminal without echo; undefined when there is no TTY. */
  promptSecret?: (question: string) => Promise<string | undefined>;
  /**
   * Asks for one line on the terminal (or reads the next line of piped stdin), with `question` on stderr; undefined at
   * the end of input or when `signal` aborts. Without it, commands read the first line of readStdin().
   */
  readLine?: (question: string, signal?: AbortSignal) => Promise<string | undefined>;
  /** Opens a URL in the browser (reset). */
  openUrl?: (url: string) => Promise<void>;
  /** Cancels long-running commands (Ctrl-C). */
  signal?: AbortSignal;
}

/**
 * The CLI's output choke point: the same IO with every byte printed (stdout, stderr, the prompt's question) passed
 * through escapeTerminal (src/core/terminal.ts), so no ESC/OSC/C1/bidi control from a .env, a mail or a server
 * reaches the terminal raw. main() applies it once to the IO it is given.
 */
export function terminalSafeIO(io: CliIO): CliIO {
  return {
    ...io,
    stdout: (t) => io.stdout(escapeTerminal(t)),
    stderr: (t) => io.stderr(escapeTerminal(t)),
    ...(io.promptSecret ? { promptSecret: (q: string) => io.promptSecret!(escapeTerminal(q)) } : {}),
    ...(io.readLine ? { readLine: (q: string, signal?: AbortSignal) => io.readLine!(escapeTerminal(q), signal) } : {}),
  };
}

/** Exit codes of CONTRACTS.md. */
export const EXIT = { ok: 0, failed: 1, usage: 2, mailbox: 3 } as const;

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Prints one JSON object on stdout (the only thing a command prints there). */
export function printJson(io: CliIO, value: unknown): void {
  io.stdout(JSON.stringify(value) + '\n');
}

/** A redacted line on stderr. */
export function err(io: CliIO, line: string): void {
  io.stderr(redact(line) + '\n');
}

export interface ParsedArgs {
  flags: Map<string, string | true>;
  positionals: string[];
}

/**
 * Parses `--flag value`, `--flag=value` and boolean `--flag`. `booleans` lists the flags that take no
 * value; every other known flag needs one. Unknown flags are a UsageError. `-` alone is a positional.
 */
export function parseArgs(argv: string[], spec: { values: string[]; booleans: string[] }): ParsedArgs {
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      if (spec.booleans.includes(name)) {
        if (eq >= 0) throw new UsageError(`--${name} takes no value`);
        flags.set(name, true);
      } else if (spec.values.includes(name)) {
        let v: string | undefined;
        if (eq >= 0) v = a.slice(eq + 1);
        else {
          v = argv[++i];
          if (v === undefined) throw new UsageError(`--${name} needs a value`);
        }
        flags.set(name, v);
      } else {
        throw new UsageError(`unknown option --${name}`);
      }
    } else if (a.startsWith('-') && a !== '-') {
      throw new UsageError(`unknown option ${a}`);
    } else {
      positionals.push(a);
    }
  }
  return { flags, positionals };
}

export function flagString(p: ParsedArgs, name: string): string | undefined {
  const v = p.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** `--NAME S` (seconds) in milliseconds; undefined when absent; not a positive number: UsageError. */
export function secondsFlag(p: ParsedArgs, name: string): number | undefined {
  const t = flagString(p, name);
  if (t === undefined) return undefined;
  const n = Number(t);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} needs a positive number of seconds`);
  return Math.round(n * 1000);
}
