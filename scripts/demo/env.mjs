// What the demo hands to the extension host through its environment, and how it reads .env back.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * Environment for VS Code / code-server and its extension host:
 *   TOKEN_RELAY_IMAP_PASSWORD   the demo mailbox's password (the extension's documented env fallback for the
 *                               mailbox secret; settings never hold secrets)
 *   NODE_EXTRA_CA_CERTS         the demo mailbox's self-signed certificate, so TLS is verified, not switched off
 *   TOKEN_RELAY_OPEN_LOG        the extension's opener seam: every URL it asks VS Code to open is appended to this
 *                               file as one line (the headless driver follows it in a second tab)
 */
export function demoExtensionEnv(stack, { tmp }) {
  return {
    TOKEN_RELAY_IMAP_PASSWORD: stack.mailbox.password,
    NODE_EXTRA_CA_CERTS: stack.mailbox.caCertPath,
    TOKEN_RELAY_OPEN_LOG: path.join(tmp, 'opened-urls.log'),
  };
}

/** .env as dotenv reads it ({} when missing or unreadable). */
export function parseEnvFile(file) {
  try {
    return require('dotenv').parse(readFileSync(file));
  } catch {
    return {};
  }
}

/** User settings for the demo's code-server profile: no chat panel, no tips, nothing that hides the flow. */
export function demoWorkbenchSettings() {
  return {
    'chat.disableAIFeatures': true,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'workbench.tips.enabled': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'git.openRepositoryInParentFolders': 'never',
  };
}
