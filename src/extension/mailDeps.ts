/**
 * The mail and reset-flow functions the extension calls, behind types so tests can inject doubles.
 * The defaults import src/flow and src/mail on first use (those load imapflow/mailparser lazily themselves).
 */
import type { ResetFlowDeps, ResetFlowResult } from '../flow/resetFlow';
import type { Logger } from '../core/log';
import type { MailboxConfig } from '../mail/watch';

/** The shared reset flow's own types (type-only imports: nothing loads until the runner is called). */
export type ExtensionResetDeps = ResetFlowDeps;
export type ResetRunner = (deps: ResetFlowDeps) => Promise<ResetFlowResult>;
export type MailboxTester = (cfg: MailboxConfig, opts?: { signal?: AbortSignal; log?: Logger }) => Promise<{ ok: true; detail: string }>;

export const defaultResetRunner: ResetRunner = async (deps) => {
  const { runResetFlow } = await import('../flow/resetFlow');
  return runResetFlow(deps);
};

export const defaultMailboxTester: MailboxTester = async (cfg, opts) => {
  const { testMailbox } = await import('../mail/watch');
  return testMailbox(cfg, opts);
};
