/**
 * The mail and reset-flow functions the extension calls, as types so tests can inject doubles. The defaults
 * (src/extension.ts) call src/flow and src/mail in the on-demand bundle through loadImpl(); those load imapflow
 * and mailparser on first use themselves. Types only.
 */
import type { ResetFlowDeps, ResetFlowResult } from '../flow/resetFlow';
import type { Logger } from '../core/log';
import type { MailboxConfig } from '../mail';

/** The shared reset flow's own types (type-only imports: nothing loads until the runner is called). */
export type ResetRunner = (deps: ResetFlowDeps) => Promise<ResetFlowResult>;
export type MailboxTester = (
  cfg: MailboxConfig,
  opts?: { signal?: AbortSignal; log?: Logger },
) => Promise<{ ok: true; detail: string }>;
