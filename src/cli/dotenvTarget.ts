/**
 * Where the CLI's commands write an env file: a `.env` that is a symlink (or sits in a linked folder) leading outside
 * its own folder is written through only with `--follow-symlink`, as `env set` does. Commands that write at the end of
 * a long run (watch, reset, oauth login, sf-import, a login that refreshes) check it before they start, so a refusal
 * never costs a token that was just reset or a sign-in that was just made.
 */
import path from 'node:path';
import { envTargetOutside, type WriteEnvOptions } from '../envfile';
import { UsageError } from './io';

/** writeEnvFile's options for `file`: stay in its folder unless `follow`. */
export function dotenvWriteOptions(file: string, follow: boolean): WriteEnvOptions {
  return { allowOutside: path.dirname(path.resolve(file)), confirmOutside: async () => follow };
}

/** Throws UsageError (exit 2, nothing done) when `file` leads outside its folder and `follow` is not given. */
export async function checkDotenvTarget(file: string, follow: boolean): Promise<void> {
  if (follow) return;
  const problem = await envTargetOutside(file, path.dirname(path.resolve(file))).catch(() => undefined);
  if (problem)
    throw new UsageError(
      `${problem.message.replace(/ without confirmation\.$/, '')} unless you pass --follow-symlink. Nothing was done.`,
    );
}
