/**
 * IMAP settings of common providers (Set Up Mailbox, docs). Host/port/security are the providers' published
 * IMAP endpoints; notes say what login they need. `custom` is a template for anything else.
 */
export type MailPresetId = 'gmail' | 'outlook' | 'icloud' | 'yahoo' | 'fastmail' | 'custom';

export interface MailPreset {
  host: string;
  port: number;
  security: 'implicit' | 'starttls';
  notes: string;
}

export const MAIL_PRESETS: Record<MailPresetId, MailPreset> = {
  gmail: {
    host: 'imap.gmail.com',
    port: 993,
    security: 'implicit',
    notes:
      'Needs 2-Step Verification and an app password (Google Account → Security → App passwords), or an OAuth access token. IMAP must be enabled for Workspace accounts.',
  },
  outlook: {
    host: 'outlook.office365.com',
    port: 993,
    security: 'implicit',
    notes:
      'Microsoft 365 and Outlook.com refuse passwords ("Basic authentication is disabled"): choose "Sign in with Microsoft" (OAuth, XOAUTH2 with the IMAP.AccessAsUser.All scope of your app registration); CLI: token-relay mailbox login --provider microsoft.',
  },
  icloud: {
    host: 'imap.mail.me.com',
    port: 993,
    security: 'implicit',
    notes:
      'Needs an app-specific password (appleid.apple.com → Sign-In and Security → App-Specific Passwords). User name: your iCloud address.',
  },
  yahoo: {
    host: 'imap.mail.yahoo.com',
    port: 993,
    security: 'implicit',
    notes: 'Needs an app password (Yahoo Account Security → Generate app password).',
  },
  fastmail: {
    host: 'imap.fastmail.com',
    port: 993,
    security: 'implicit',
    notes: 'Needs an app password with IMAP access (Settings → Privacy & Security → App passwords).',
  },
  custom: {
    host: '',
    port: 993,
    security: 'implicit',
    notes:
      "Your provider's IMAP server: implicit TLS is usually port 993, STARTTLS port 143. Self-signed servers need their CA in NODE_EXTRA_CA_CERTS (or the insecure TLS opt-out).",
  },
};

export const MAIL_PRESET_IDS = Object.keys(MAIL_PRESETS) as MailPresetId[];

/** The preset whose host matches (case-insensitive), e.g. to show its notes; undefined for custom hosts. */
export function presetForHost(host: string): MailPresetId | undefined {
  const h = host.trim().toLowerCase();
  if (!h) return undefined;
  for (const id of MAIL_PRESET_IDS) {
    if (id !== 'custom' && MAIL_PRESETS[id].host === h) return id;
  }
  if (/(^|\.)(gmail|googlemail)\.com$/.test(h)) return 'gmail';
  if (/(^|\.)(office365|outlook)\.com$/.test(h)) return 'outlook';
  return undefined;
}

/** Default security for a port when the user gave none: implicit TLS on 993, else STARTTLS (CONTRACTS `watch`). */
export function defaultSecurity(port: number | undefined): 'implicit' | 'starttls' {
  return port === undefined || port === 993 ? 'implicit' : 'starttls';
}

/** Default port for a security mode. */
export function defaultPort(security: 'implicit' | 'starttls' | undefined): number {
  return security === 'starttls' ? 143 : 993;
}
