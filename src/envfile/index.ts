/**
 * Env files on disk: reading, the atomic write, and git's opinion of the file. The I/O side of the pure
 * .env grammar in src/core/dotenv.ts (and the byte checks in src/core/envContent.ts).
 */
export { readEnvFile, writeEnvFile, EnvError, MAX_ENV_BYTES, decodeEnvBytes } from './envFile';
export type { EnvWriteResult, WriteEnvOptions } from './envFile';
export { isGitIgnored } from './git';
