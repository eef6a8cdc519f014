/**
 * The pure parts of an env file that are not its grammar (./dotenv.ts): the size limit, the byte checks a file
 * must pass before it is edited, and the shape of a write's result (src/envfile/ does the file I/O).
 */
import { EnvError, checkParseCost } from './dotenv';
import { lt } from './l10n';

/** Larger files are refused: no real .env is anywhere near this. */
export const MAX_ENV_BYTES = 4 * 1024 * 1024;

export interface EnvWriteResult {
  /** The path as given (resolved to absolute). */
  path: string;
  /** The file actually written (differs from `path` when `path` is a symlink). */
  target: string;
  created: boolean;
  /** Keys whose value changed (keys already holding the value are not listed). */
  changed: string[];
  warnings: string[];
}

export function envTooLarge(file: string, size: number): EnvError {
  return new EnvError(
    'INVALID_FILE',
    lt`${file} is ${size} bytes, too large for an env file (limit ${MAX_ENV_BYTES} bytes); not editing it.`,
  );
}

/** Decodes file bytes as dotenv would see them, refusing anything that is not an editable UTF-8 text file. */
export function decodeEnvBytes(buf: Buffer, file: string): string {
  if (buf.length > MAX_ENV_BYTES) throw envTooLarge(file, buf.length);
  if ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff)) {
    throw new EnvError(
      'INVALID_FILE',
      lt`${file} is UTF-16 encoded; dotenv reads UTF-8. Convert it to UTF-8 (e.g. re-save it in your editor) and try again.`,
    );
  }
  if (buf.includes(0)) {
    throw new EnvError(
      'INVALID_FILE',
      lt`${file} contains NUL bytes and looks binary, not like an env file; not editing it.`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf);
  } catch {
    throw new EnvError(
      'INVALID_FILE',
      lt`${file} is not valid UTF-8 text; not editing it (rewriting it would corrupt its bytes).`,
    );
  }
  checkParseCost(text, file);
  return text;
}
