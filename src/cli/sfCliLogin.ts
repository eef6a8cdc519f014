/**
 * `token-relay login` on an SF_AUTH=sf-cli env file (written by `token-relay sf-import`): the REST test of the sf-cli
 * sign-in method; a refused access token is replaced by the sf CLI's (SF_TARGET_ORG), written back to the env file,
 * then the new one is what was tested. sf: SF_CLI_PATH (env file or environment), else PATH.
 */
import path from 'node:path';
import { type CliIO, err } from './io';
import type { HealthResult } from '../core/health';
import type { OrgSecrets, ValidProfile } from '../core/profile';
import { writeEnvFile } from '../envfile';
import type { LoginOptions } from '../salesforce/signin/types';

/**
 * `token-relay login` on an SF_AUTH=sf-cli env file: testLogin with a refresh through sf when the token is refused;
 * the new SF_ACCESS_TOKEN / SF_INSTANCE_URL / SF_USERNAME are written back to the env file before the result returns.
 */
export async function testSfCliLogin(
  io: CliIO,
  profile: ValidProfile,
  secrets: OrgSecrets,
  file: string | undefined,
  vars: Record<string, string | undefined>,
  opts: LoginOptions,
): Promise<HealthResult> {
  const { testLogin } = await import('../salesforce/login');
  return testLogin(profile, secrets, {
    ...opts,
    sfCliPath: vars.SF_CLI_PATH?.trim() || undefined,
    sfCliEnv: io.env,
    onRefresh: async (r) => {
      if (!r.env) return;
      if (!file) {
        err(
          io,
          'token-relay login: the sf CLI gave a fresh access token, but there is no env file to write it to (the values came from the environment).',
        );
        return;
      }
      const res = await writeEnvFile(file, r.env);
      for (const w of res.warnings) err(io, `token-relay login: warning: ${w}`);
      err(
        io,
        `token-relay login: the access token was refreshed through the sf CLI; wrote ${res.changed.join(', ') || 'nothing new'} in ${path.relative(io.cwd, file) || file}`,
      );
    },
  });
}
