/**
 * The emulator's mail-out: a token reset and the "Verify your identity" code, composed in Salesforce's layout
 * (./mailTemplates.ts), recorded in the outbox and handed to `cfg.deliver` (IMAP APPEND, .eml files, a test's array).
 */
import { composeTokenMail, composeVerificationCodeMail, randomToken, randomVerificationCode } from './mailTemplates';
import type { EmulatorState, User } from './state';
import type { OutboxMail } from './types';

async function deliver(state: EmulatorState, kind: OutboxMail['kind'], u: User, raw: Buffer): Promise<OutboxMail> {
  const mail: OutboxMail = { to: u.email, kind, username: u.username, raw, at: new Date(), delivered: false };
  state.outbox.push(mail);
  if (state.cfg.deliver) {
    try {
      await state.cfg.deliver(u.email, raw);
      mail.delivered = true;
      state.stats.mailsSent++;
    } catch (e) {
      mail.error = e instanceof Error ? e.message : String(e);
      state.log(`emulator: delivering the ${kind} mail to ${u.email} failed: ${mail.error}`);
      throw e;
    }
  }
  return mail;
}

/** New token (the old one stops working; the new one after the activation delay), then the token mail. */
export async function resetToken(
  state: EmulatorState,
  username: string,
  opts: { deliver?: boolean } = {},
): Promise<string> {
  const u = state.getUser(username);
  u.token = randomToken();
  u.tokenActiveAt = Date.now() + (u.org.tokenActivationDelayMs ?? state.activationDelay);
  state.stats.resets++;
  state.log(`emulator: token reset for ${u.username}`);
  if (opts.deliver !== false) {
    const raw = composeTokenMail({
      to: u.email,
      toName: `${u.firstName} ${u.lastName}`,
      firstName: u.firstName,
      username: u.username,
      token: u.token,
      language: u.language,
      orgId: u.org.id,
      userId: u.userId,
      sandbox: u.org.sandbox,
    });
    await deliver(state, 'token', u, raw);
  }
  return u.token;
}

export async function sendVerificationCode(state: EmulatorState, username: string): Promise<string> {
  const u = state.getUser(username);
  const code = randomVerificationCode();
  const raw = composeVerificationCodeMail({
    to: u.email,
    toName: `${u.firstName} ${u.lastName}`,
    username: u.username,
    code,
    language: u.language,
    orgId: u.org.id,
    userId: u.userId,
    sandbox: u.org.sandbox,
  });
  await deliver(state, 'verification-code', u, raw);
  return code;
}
