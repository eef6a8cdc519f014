// The demo workspace: a temp folder made from scripts/demo/template with an expired token in .env.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const templateDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'template');

/** Replaces {{name}} placeholders; an unknown placeholder is a bug in the template, not a silent blank. */
export function fillTemplate(text, values) {
  return text.replace(/\{\{(\w+)\}\}/g, (_, key) => {
    if (!(key in values)) throw new Error(`demo template: no value for {{${key}}}`);
    return String(values[key]);
  });
}

/**
 * Writes the demo workspace into `dir` (which must exist and be empty):
 *   .env (0600) with SF_LOGIN_URL/SF_USERNAME/SF_PASSWORD and an expired SF_SECURITY_TOKEN,
 *   .gitignore with .env (and `git init`, so Token Relay's git-ignore check is satisfied when git is installed),
 *   .vscode/settings.json pointing the extension at the demo mailbox, README.md with the steps.
 * Returns { dir, envPath }.
 */
export function createDemoWorkspace(dir, v) {
  const values = {
    loginUrl: v.loginUrl,
    username: v.username,
    password: v.password,
    expiredToken: v.expiredToken,
    imapHost: v.mailbox.host,
    imapPort: v.mailbox.port,
    imapSecurity: v.mailbox.security ?? 'starttls',
    imapUser: v.mailbox.user,
    imapInsecureTls: v.mailbox.insecureTls ? 'true' : 'false',
    resetTimeoutSeconds: v.resetTimeoutSeconds ?? 300,
  };
  for (const [k, val] of Object.entries(values)) {
    if (/[\r\n"\\]/.test(String(val)))
      throw new Error(`demo workspace: ${k} contains a character the template cannot hold`);
  }
  const read = (name) => readFileSync(path.join(templateDir, name), 'utf8');
  const envPath = path.join(dir, '.env');
  writeFileSync(envPath, fillTemplate(read('env.tmpl'), values), { mode: 0o600 });
  chmodSync(envPath, 0o600);
  writeFileSync(path.join(dir, '.gitignore'), read('gitignore.tmpl'));
  writeFileSync(path.join(dir, 'README.md'), read('README.md'));
  mkdirSync(path.join(dir, '.vscode'), { recursive: true });
  writeFileSync(path.join(dir, '.vscode', 'settings.json'), fillTemplate(read('.vscode/settings.json.tmpl'), values));
  // A git repo makes `git check-ignore .env` answer "ignored"; without git the extension just cannot tell.
  spawnSync('git', ['-c', 'init.defaultBranch=main', 'init', '-q', dir], { stdio: 'ignore' });
  return { dir, envPath };
}
