/** The real process's CliIO: stdout/stderr, environment, capped stdin, TTY prompt without echo, browser opener (no shell). */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { CliIO } from './io';

export function nodeIO(signal?: AbortSignal): CliIO {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
    cwd: process.cwd(),
    signal,
    readStdin: (maxBytes) => readCapped(process.stdin, maxBytes),
    stdinIsTTY: !!process.stdin.isTTY,
    promptSecret: (q) => promptHidden(q),
    readLine: (q, sig) => readOneLine(q, sig),
    openUrl: async (url) => openInBrowser(url),
  };
}

/**
 * Reads a stream to its end, or until `maxBytes` bytes (then stops reading: the rest is never pulled, and the
 * stream is paused and released so an endless producer cannot keep us busy).
 */
export async function readCapped(stream: NodeJS.ReadableStream, maxBytes = Infinity): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  if (maxBytes <= 0) return Buffer.alloc(0);
  for await (const c of stream) {
    const b = typeof c === 'string' ? Buffer.from(c) : c;
    const room = maxBytes - total;
    chunks.push(b.length > room ? b.subarray(0, room) : b);
    total += Math.min(b.length, room);
    if (total >= maxBytes) break; // leaving for-await calls return(): the stream is destroyed, no more reads
  }
  return Buffer.concat(chunks, total);
}

function promptHidden(question: string): Promise<string | undefined> {
  const stdin = process.stdin;
  if (!stdin.isTTY || !process.stderr.isTTY) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    process.stderr.write(question);
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const onData = (ch: string) => {
      for (const c of ch) {
        if (c === '\r' || c === '\n' || c === '\u0004') {
          done(value);
          return;
        } else if (c === '\u0003') {
          done(undefined);
          return;
        } else if (c === '\u007f' || c === '\b') {
          value = value.slice(0, -1);
        } else {
          value += c;
        }
      }
    };
    const done = (v: string | undefined) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      resolve(v);
    };
    stdin.on('data', onData);
  });
}

/** One line from stdin (a terminal or a pipe), the question on stderr; undefined at end of input or on abort. */
function readOneLine(question: string, signal?: AbortSignal): Promise<string | undefined> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(undefined);
    process.stderr.write(question);
    const rl = createInterface({ input: process.stdin, terminal: false });
    let settled = false;
    const done = (v: string | undefined) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      rl.close();
      process.stdin.pause();
      // A pipe left open by the other side must not keep the process alive once the line is read.
      (process.stdin as { unref?: () => void }).unref?.();
      resolve(v);
    };
    const onAbort = () => done(undefined);
    signal?.addEventListener('abort', onAbort, { once: true });
    rl.once('line', (line) => done(line));
    rl.once('close', () => done(undefined));
  });
}

/**
 * The program and arguments that open `url` in the browser on `platform`, never through a shell: on Windows
 * `rundll32 url.dll,FileProtocolHandler <url>` (cmd's `start` would read `&`, `^`, `|` in the URL as its own
 * syntax), `open` on macOS, `xdg-open` elsewhere. Only http(s) URLs, in their normalised form (spaces, quotes
 * and control characters percent-encoded), and never one that starts with "-" (an option to the opener).
 * Undefined for anything else.
 */
export function openerCommand(
  url: string,
  platform: NodeJS.Platform = process.platform,
): { cmd: string; args: string[] } | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
  if (u.username || u.password) return undefined;
  const href = u.href;
  if (platform === 'win32') return { cmd: 'rundll32', args: ['url.dll,FileProtocolHandler', href] };
  if (platform === 'darwin') return { cmd: 'open', args: [href] };
  return { cmd: 'xdg-open', args: [href] };
}

/** Opens a URL with the platform's opener; never throws (the URL is printed anyway). */
export async function openInBrowser(url: string): Promise<void> {
  const opener = openerCommand(url);
  if (!opener) return;
  await new Promise<void>((resolve) => {
    try {
      const child = spawn(opener.cmd, opener.args, {
        stdio: 'ignore',
        detached: true,
        shell: false,
        windowsHide: true,
      });
      child.on('error', () => resolve());
      child.unref();
      setTimeout(resolve, 50);
    } catch {
      resolve();
    }
  });
}
