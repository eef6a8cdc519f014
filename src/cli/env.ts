/**
 * token-relay env set [--dotenv PATH] KEY=VALUE...
 * Sets keys in an env file, keeping every other byte (src/core/dotenv.ts, src/envfile/envFile.ts).
 * Prints nothing on stdout and one line on stderr naming the keys and the file, never the values.
 */
import path from 'node:path';
import type { CliIO } from './io';
import { EXIT, UsageError, err } from './io';
import { EnvError, isValidKey } from '../core/dotenv';
import { writeEnvFile } from '../envfile';
import { registerSecret } from '../core/redact';

export const help = `Usage: token-relay env set [--dotenv PATH] KEY=VALUE...
       token-relay env set --follow-symlink [--dotenv PATH] KEY=VALUE...

Sets KEY to VALUE in an env file (default ./.env), changing only those assignments:
comments, blank lines, order, quotes, "export " prefixes and line endings stay as they are.
A missing key is appended; for a key given several times in the file the last one (the one
dotenv reads) is changed. Values are quoted so that dotenv reads back exactly VALUE; a value
no quoting can represent is refused and the file is left untouched.

Writes are atomic; a new file is created with mode 0600; a symlinked file stays a symlink.
A symlink that leads outside the env file's folder is not written through unless --follow-symlink
is given. Concurrent writers of one file take turns (a lock file in the per-user lock folder).
Prints nothing on stdout and one line on stderr naming the keys and the file (never the values),
plus a warning line when the file is readable by others or not ignored by git.

Note: values given as arguments can end up in your shell history and are visible to other
processes while this runs.

Options:
  --dotenv PATH      the env file to edit (default: .env in the current folder)
  --follow-symlink   write through a symlink even when it leads outside the env file's folder
  --help             this text

Exit codes: 0 written; 2 bad usage, invalid key, a value that cannot be written, or a file that
cannot be written (the file is left untouched).
`;

const SECRET_KEY = /PASS|TOKEN|SECRET|PWD|KEY|CREDENTIAL/i;

export async function run(argv: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'set') {
    throw new UsageError(
      sub === undefined
        ? 'missing subcommand: token-relay env set KEY=VALUE...'
        : `unknown subcommand "${sub.slice(0, 40)}" (expected "set")`,
    );
  }
  const args = splitArgs(rest);
  if (args.dotenv === '') throw new UsageError('--dotenv needs a path');
  if (args.positionals.length === 0) throw new UsageError('give at least one KEY=VALUE');

  const values = Object.create(null) as Record<string, string>;
  const keys: string[] = [];
  for (const a of args.positionals) {
    const eq = a.indexOf('=');
    if (eq < 0) throw new UsageError(`expected KEY=VALUE, got an argument without "=" (argument ${keys.length + 1})`);
    const key = a.slice(0, eq);
    const value = a.slice(eq + 1);
    if (SECRET_KEY.test(key)) registerSecret(value);
    if (!isValidKey(key)) {
      err(
        io,
        `token-relay env: invalid key "${safeKey(key)}": dotenv keys use only letters, digits, "_", "." and "-". Nothing was written.`,
      );
      return EXIT.usage;
    }
    if (Object.prototype.hasOwnProperty.call(values, key)) throw new UsageError(`${key} is given more than once`);
    values[key] = value;
    keys.push(key);
  }

  const file = path.resolve(io.cwd, args.dotenv ?? '.env');
  try {
    // A symlink (or symlinked folder) leading outside the env file's own folder is followed only when asked to.
    const res = await writeEnvFile(
      file,
      { ...values },
      { allowOutside: path.dirname(file), confirmOutside: async () => args.followSymlink },
    );
    const where = res.target !== res.path ? `${res.path} (→ ${res.target})` : res.path;
    const unchanged = keys.filter((k) => !res.changed.includes(k));
    let line: string;
    if (res.changed.length === 0) line = `token-relay env: ${keys.join(', ')} already set in ${where}; nothing written`;
    else {
      line = `token-relay env: wrote ${res.changed.join(', ')} to ${where}${res.created ? ' (new file, mode 0600)' : ''}`;
      if (unchanged.length) line += `; ${unchanged.join(', ')} unchanged`;
    }
    err(io, line);
    for (const w of res.warnings) err(io, `token-relay env: warning: ${w}`);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof EnvError) {
      if (e.code === 'SYMLINK_OUTSIDE') {
        err(
          io,
          `token-relay env: ${e.message.replace(/ without confirmation\.$/, '')} unless you pass --follow-symlink. Nothing was written.`,
        );
        return EXIT.usage;
      }
      err(
        io,
        `token-relay env: ${e.message}${/untouched|Nothing was written/.test(e.message) ? '' : ' Nothing was written.'}`,
      );
      return EXIT.usage;
    }
    throw e;
  }
}

/**
 * Like io.parseArgs, but an argument that looks like KEY=VALUE is always an assignment (a dotenv key
 * may start with "-"), and no error message ever repeats a value.
 */
function splitArgs(argv: string[]): { dotenv?: string; followSymlink: boolean; positionals: string[] } {
  let dotenv: string | undefined;
  let followSymlink = false;
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    const eq = a.indexOf('=');
    if (a === '--dotenv') {
      const v = argv[++i];
      if (v === undefined) throw new UsageError('--dotenv needs a path');
      dotenv = v;
    } else if (a === '--follow-symlink') {
      followSymlink = true;
    } else if (a.startsWith('--dotenv=')) {
      dotenv = a.slice('--dotenv='.length);
    } else if (eq > 0 && isValidKey(a.slice(0, eq)) && !a.startsWith('--')) {
      positionals.push(a);
    } else if (a.startsWith('-') && a !== '-') {
      throw new UsageError(`unknown option ${safeKey(eq >= 0 ? a.slice(0, eq) : a)}`);
    } else {
      positionals.push(a);
    }
  }
  return { dotenv, followSymlink, positionals };
}

function safeKey(key: string): string {
  const k = key.length > 40 ? key.slice(0, 40) + '…' : key;
  return k.replace(/[^\x20-\x7e]/g, '?');
}
