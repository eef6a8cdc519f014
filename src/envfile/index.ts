/**
 * Env files on disk: reading, the atomic write, and git's opinion of the file. The I/O side of the pure
 * .env grammar in src/core/dotenv.ts (and the byte checks in src/core/envContent.ts).
 */
export {
  readEnvFile,
  readRegularFile,
  writeEnvFile,
  envTargetOutside,
  EnvError,
  MAX_ENV_BYTES,
  decodeEnvBytes,
  ENV_LOCK_WAIT_MS,
} from './envFile';
export type { EnvWriteResult, WriteEnvOptions } from './envFile';
export { isGitIgnored, SAFE_GIT_ARGS } from './git';
