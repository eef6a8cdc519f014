/** The real process's CliIO: stdout/stderr, environment, TTY prompt without echo, browser opener. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CliIO } from './io';

export function nodeIO(signal?: AbortSignal): CliIO {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
    cwd: process.cwd(),
    signal,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    },
    promptSecret: (q) => promptHidden(q),
    readLine: (q, sig) => readOneLine(q, sig),
    openUrl: async (url) => openInBrowser(url),
  };
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

/** Opens a URL with the platform's opener; never throws (the URL is printed anyway). */
export async function openInBrowser(url: string): Promise<void> {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'cmd' : 'xdg-open';
  const args = process.platform === 'win32' ? ['/c', 'start', '""', url] : [url];
  await new Promise<void>((resolve) => {
    try {
      const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
      child.on('error', () => resolve());
      child.unref();
      setTimeout(resolve, 50);
    } catch {
      resolve();
    }
  });
}
