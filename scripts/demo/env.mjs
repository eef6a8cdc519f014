// What the demo hands to the extension host through its environment, and how it reads .env back.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * Environment for VS Code / code-server and its extension host (inherited; never put in a URL, never printed):
 *   NODE_EXTRA_CA_CERTS     the demo mailbox's self-signed certificate, so TLS is verified, not switched off
 *   TOKEN_RELAY_DEMO_SETUP  what scripts/demo/host-setup.ts hands to `tokenRelay.setUpMailbox` (incl. the demo
 *                           mailbox password, which ends up in SecretStorage) and where it reports back
 */
export function demoExtensionEnv(stack, { tmp }) {
  return {
    NODE_EXTRA_CA_CERTS: stack.mailbox.caCertPath,
    TOKEN_RELAY_DEMO_SETUP: JSON.stringify({
      mailbox: {
        host: stack.mailbox.host,
        port: stack.mailbox.port,
        security: stack.mailbox.security,
        user: stack.mailbox.user,
        password: stack.mailbox.password,
      },
      statusFile: setupStatusFile(tmp),
    }),
  };
}

/** Where host-setup.ts reports { mailbox: boolean, error? }. */
export function setupStatusFile(tmp) {
  return path.join(tmp, 'demo-setup.json');
}

/** The setup step's report, or undefined while it has not run yet. */
export function readSetupStatus(tmp) {
  try {
    return JSON.parse(readFileSync(setupStatusFile(tmp), 'utf8'));
  } catch {
    return undefined;
  }
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
    // The demo org's session timeout (its OAuth access tokens live DEMO_OAUTH_LIFETIME_MS = 8 s): Token Relay
    // refreshes at 75 % of it, so .env never holds a dead token in the OAuth scene.
    'tokenRelay.oauth.lifetimeMinutes': 8 / 60,
  };
}
