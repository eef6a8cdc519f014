/**
 * Small git queries (no shell; git optional). The repository is the user's workspace, which may be hostile: git
 * runs with `core.fsmonitor` off (a repository's fsmonitor setting is a command git would run) and hooks pointed
 * at an empty path, and without the variables that would point it at another repository.
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';

/** Options that stop a repository's config from making git run a command of its choosing. */
export const SAFE_GIT_ARGS = [
  '-c',
  'core.fsmonitor=false',
  '-c',
  `core.hooksPath=${process.platform === 'win32' ? 'NUL' : '/dev/null'}`,
];

/** The environment without variables that would point git at another repository (e.g. inside a hook). */
function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0' };
  for (const k of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_CEILING_DIRECTORIES'])
    delete env[k];
  return env;
}

/**
 * Whether git ignores `file`: runs `git -c core.fsmonitor=false -c core.hooksPath=… check-ignore -q -- <name>` in the
 * file's directory.
 * true = ignored; false = not ignored (or tracked: a tracked file is never "ignored");
 * undefined = the directory is not in a git work tree, it does not exist, or git is not installed.
 */
export function isGitIgnored(file: string): Promise<boolean | undefined> {
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  return stat(dir).then(
    (st) =>
      !st.isDirectory()
        ? undefined
        : new Promise<boolean | undefined>((resolve) => {
            execFile(
              'git',
              [...SAFE_GIT_ARGS, 'check-ignore', '-q', '--', path.basename(abs)],
              { cwd: dir, timeout: 10_000, windowsHide: true, env: gitEnv() },
              (err) => {
                if (!err) return resolve(true);
                const code: unknown = (err as { code?: unknown }).code;
                resolve(code === 1 ? false : undefined); // 128: not a repo; ENOENT: no git; killed: timeout
              },
            );
          }),
    () => undefined,
  );
}
