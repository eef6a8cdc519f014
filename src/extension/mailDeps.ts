/**
 * The mail and reset-flow functions the extension calls, behind types so tests can inject doubles.
 * The defaults call src/flow and src/mail in the on-demand bundle (lazyLoader.ts); those load imapflow and
 * mailparser on first use themselves.
 */
import type { ResetFlowDeps, ResetFlowResult } from '../flow/resetFlow';
import type { Logger } from '../core/log';
import type { MailboxConfig } from '../mail';
import { loadImpl } from './lazyLoader';

/** The shared reset flow's own types (type-only imports: nothing loads until the runner is called). */
export type ExtensionResetDeps = ResetFlowDeps;
export type ResetRunner = (deps: ResetFlowDeps) => Promise<ResetFlowResult>;
export type MailboxTester = (cfg: MailboxConfig, opts?: { signal?: AbortSignal; log?: Logger }) => Promise<{ ok: true; detail: string }>;

export const defaultResetRunner: ResetRunner = async (deps) => loadImpl().runResetFlow(deps);

export const defaultMailboxTester: MailboxTester = async (cfg, opts) => loadImpl().testMailbox(cfg, opts);
