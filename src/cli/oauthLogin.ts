/**
 * `token-relay login` on an SF_AUTH=oauth env file: the test over REST (the oauth sign-in method through testLogin),
 * with the kept refresh token from the credential store (else SF_REFRESH_TOKEN). When the access token is refused it is
 * refreshed, and the new one is written back to the env file (a rotated refresh token to the store, and to the env
 * file when it holds SF_REFRESH_TOKEN) before the test is repeated. The whole test runs under the store entry's lock,
 * so that concurrent `login`/`oauth refresh` runs never use a refresh token another one has just rotated away.
 */
import path from 'node:path';
import { type CliIO, err } from './io';
import { CredentialStore, type CredentialKey } from '../credstore';
import type { HealthResult } from '../core/health';
import type { OrgSecrets, ValidProfile } from '../core/profile';
import { readEnvFile, writeEnvFile } from '../envfile';
import { dotenvWriteOptions } from './dotenvTarget';
import type { LoginOptions } from '../salesforce/signin/types';

export async function testOAuthLogin(
  io: CliIO,
  profile: ValidProfile,
  secrets: OrgSecrets,
  file: string | undefined,
  opts: LoginOptions,
  follow = false,
): Promise<HealthResult> {
  const { testLogin } = await import('../salesforce/login');
  const store = CredentialStore.fromEnv(io.env, { onWarning: (w) => err(io, `token-relay login: warning: ${w}`) });
  const key: CredentialKey = { loginUrl: profile.loginUrl, clientId: profile.clientId!, username: profile.username };
  return store.withEntryLock(
    key,
    async () => {
      const kept = await store.get(key);
      const fromStore = !!kept;
      const s: OrgSecrets = { ...secrets, ...(kept ? { refreshToken: kept.refreshToken } : {}) };
      return testLogin(profile, s, {
        ...opts,
        onRefresh: async (r) => {
          const rotated = r.secrets?.refreshToken;
          if (rotated) {
            await store.put({
              ...key,
              ...(kept ?? {}),
              refreshToken: rotated,
              ...(r.env?.SF_INSTANCE_URL ? { instanceUrl: r.env.SF_INSTANCE_URL } : {}),
            });
          } else if (!fromStore && s.refreshToken) {
            // Only SF_REFRESH_TOKEN had it: the store learns it too.
            await store.put({
              ...key,
              refreshToken: s.refreshToken,
              ...(r.env?.SF_INSTANCE_URL ? { instanceUrl: r.env.SF_INSTANCE_URL } : {}),
            });
          }
          if (!r.env) return;
          if (!file) {
            err(
              io,
              'token-relay login: refreshed the access token, but there is no env file to write it to (the values came from the environment).',
            );
            return;
          }
          const values = { ...r.env };
          if (rotated) {
            const current = await readEnvFile(file);
            if (current?.vars.SF_REFRESH_TOKEN !== undefined) values.SF_REFRESH_TOKEN = rotated;
          }
          const res = await writeEnvFile(file, values, dotenvWriteOptions(file, follow));
          for (const w of res.warnings) err(io, `token-relay login: warning: ${w}`);
          err(
            io,
            `token-relay login: the access token was refreshed; wrote ${res.changed.join(', ') || 'nothing new'} in ${path.relative(io.cwd, file) || file}`,
          );
        },
      });
    },
    { signal: io.signal },
  );
}
