/**
 * The mail and reset-flow functions the extension calls, behind types so tests can inject doubles.
 * The defaults import src/flow and src/mail on first use (those load imapflow/mailparser lazily themselves).
 * The types restate DEVELOPERS.md's ResetFlowDeps (src/flow/resetFlow.ts) as far as the extension uses it.
 */
import type { EnvWriteResult } from '../core/envFile';
import type { HealthResult } from '../core/health';
import type { Logger } from '../core/log';
import type { OrgProfile, OrgSecrets } from '../core/profile';
import type { MailboxConfig, TokenFound } from '../mail/watch';

export interface ExtensionResetDeps {
  profile: OrgProfile;
  secrets: OrgSecrets;
  mailbox: MailboxConfig;
  open(url: string): Promise<void>;
  storeToken(token: string): Promise<void>;
  writeEnv(token: string): Promise<EnvWriteResult | undefined>;
  onVerificationCode?(code: string): void;
  onStatus?(s: string): void;
  signal?: AbortSignal;
  timeoutMs?: number;
  log?: Logger;
  now?: () => Date;
  login?: { proxy?: { url?: string; strictSSL?: boolean }; timeoutMs?: number };
}
export type ResetRunner = (deps: ExtensionResetDeps) => Promise<{ token: TokenFound; env?: EnvWriteResult; health: HealthResult }>;
export type MailboxTester = (cfg: MailboxConfig, opts?: { signal?: AbortSignal; log?: Logger }) => Promise<{ ok: true; detail: string }>;

export const defaultResetRunner: ResetRunner = async (deps) => {
  const { runResetFlow } = await import('../flow/resetFlow');
  return runResetFlow(deps);
};

export const defaultMailboxTester: MailboxTester = async (cfg, opts) => {
  const { testMailbox } = await import('../mail/watch');
  return testMailbox(cfg, opts);
};
