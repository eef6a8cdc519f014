// The headless demo's OAuth scene (issue 13), after the token reset worked:
//   6. Summer '27 comes to the demo org: the emulator switches SOAP login() off; "Salesforce: Test Connection" →
//      the status bar says "SOAP login disabled" and the notification offers "Switch to OAuth"
//   7. Switch to OAuth: the demo External Client App's consumer key in the input box; the authorize page the
//      extension opened is followed in a second tab: log in, Allow; code-server is a remote host, so the browser
//      lands on http://localhost:1717/OauthRedirect?code=… that nothing answers (as for a real code-server user),
//      and its address is pasted into VS Code; "Remove SF_PASSWORD, SF_SECURITY_TOKEN from .env?" → Remove Them
//   8. status bar Connected; .env holds SF_AUTH=oauth and an access token, no password
//   9. the demo org's access tokens live 8 s: a developer's app (scripts/demo/app-reader.mjs, its own process)
//      reads .env and calls /services/data/v64.0/limits, then again after the token it first read has expired at
//      the emulator: it works because Token Relay refreshed the token and rewrote .env; .env never held a dead
//      token for more than 1 s meanwhile
//  10. the canary: no access or refresh token the emulator issued appears in the demo's output, the app's
//      output, the browser console or code-server's output
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnvFile } from './env.mjs';

const STATUS_OK = /^\s*Connected\b/;
const STATUS_SOAP_OFF = /SOAP login disabled/;
const AUTHORIZE_PATH = '/services/oauth2/authorize';
const reader = path.join(path.dirname(fileURLToPath(import.meta.url)), 'app-reader.mjs');

/** The developer's app: one run of app-reader.mjs on .env → { status, dailyApiRequestsRemaining?, error?, raw }. */
export function runAppReader(envPath) {
  return new Promise((resolve) => {
    execFile(process.execPath, [reader, envPath], { timeout: 15_000 }, (err, stdout, stderr) => {
      const raw = `${stdout}${stderr}`;
      try {
        resolve({ ...JSON.parse(stdout.trim().split('\n').pop() ?? ''), raw });
      } catch {
        resolve({ status: 0, error: (err?.message ?? stderr).slice(0, 200), raw });
      }
    });
  });
}

/** Whether the emulator accepts an access token right now (the demo's own look, not the app's). */
async function accepted(instanceUrl, token) {
  const res = await fetch(`${instanceUrl}/services/data/v64.0/limits`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(5000),
  }).catch(() => undefined);
  await res?.text().catch(() => undefined);
  return res?.status === 200;
}

/**
 * runOAuthScene(ctx): ctx = { page, context, popups, codeServer, stack, workspace, check, lap, shot, within, log,
 * logged (every line the demo printed), consoleLines, ui: { runCommand, openNotifications, clearNotifications,
 * dismissToasts, waitFor, waitForText, textOf, waitForOpenedUrl } }. Throws (through check) on the first failure.
 */
export async function runOAuthScene(ctx) {
  const { page, context, popups, codeServer, stack, workspace, check, lap, shot, within, log, ui } = ctx;
  const appOutput = [];
  const statusItem = page
    .locator('.statusbar-item', {
      hasText: /Connected|SOAP login disabled|Login rejected|Login failed|Sign-in required|App not approved|Salesforce/,
    })
    .first();

  // ------------------------------------------------------------------ 6. SOAP login() is switched off
  log('  › Summer \'27 in the emulator: the org switches SOAP login() off; F1 → "Salesforce: Test Connection"');
  await ui.dismissToasts(page);
  await ui.runCommand(page, 'View: Close All Editors', within(15_000)); // .env stays out of the screenshots
  await ui.clearNotifications(page);
  stack.oauth.soapLoginOff();
  await ui.runCommand(page, 'Salesforce: Test Connection', within(15_000));
  await ui.waitForText(statusItem, STATUS_SOAP_OFF, within(30_000)).catch(() => undefined);
  const soapOff = await ui.textOf(statusItem);
  await ui.openNotifications(page);
  const fixButton = page
    .locator('.notification-list-item', { hasText: /SOAP/ })
    .locator('.monaco-button', { hasText: /^Switch to OAuth$/ })
    .first();
  const offered = await fixButton.waitFor({ state: 'visible', timeout: within(10_000) }).then(
    () => true,
    () => false,
  );
  await shot('07-soap-login-disabled');
  check('status bar shows "SOAP login disabled" once the org turned it off', STATUS_SOAP_OFF.test(soapOff), soapOff);
  lap('SOAP login off, status SOAP login disabled');

  // ------------------------------------------------------------------ 7. Switch to OAuth
  // The tabs of the reset scene are done with: the next tab opened is the authorize page.
  for (const p of popups.splice(0)) await p.close().catch(() => undefined);
  if (offered) {
    log('  › the notification\'s "Switch to OAuth" button');
    await fixButton.click({ timeout: within(10_000) });
    check('the notification offered "Switch to OAuth" as the fix; clicked', true);
  } else {
    log('  › F1 → "Salesforce: Switch to OAuth" (no fix button within 10 s)');
    await ui.runCommand(page, 'Salesforce: Switch to OAuth', within(15_000));
    check('"Salesforce: Switch to OAuth" run from the command palette', true, 'no fix button within 10 s');
  }
  const quickInput = page.locator('.quick-input-widget').first();
  const quickTitle = quickInput.locator('.quick-input-title');
  const inputBox = quickInput.locator('input').first();
  await quickTitle.filter({ hasText: /External Client App/ }).waitFor({ state: 'visible', timeout: within(15_000) });
  await inputBox.fill(stack.oauth.clientId);
  await shot('08-client-id');
  await page.keyboard.press('Enter');
  check("asked for the External Client App's consumer key (with the how-to); the demo app's entered", true);

  log('  › following the authorize page in a second tab: log in, Allow');
  const opened = await ui.waitForOpenedUrl({ page, popups, codeServerUrl: codeServer.url, timeoutMs: within(30_000) });
  check("the extension opened the org's authorize page", !!opened.url, opened.url ? '' : 'no new browser tab');
  const auth = new URL(opened.url);
  check(
    '…with PKCE (S256), a state and the callback URL http://localhost:1717/OauthRedirect',
    auth.origin === new URL(stack.org.loginUrl).origin &&
      auth.pathname === AUTHORIZE_PATH &&
      auth.searchParams.get('code_challenge_method') === 'S256' &&
      !!auth.searchParams.get('code_challenge') &&
      !!auth.searchParams.get('state') &&
      auth.searchParams.get('client_id') === stack.oauth.clientId &&
      auth.searchParams.get('redirect_uri') === stack.oauth.callbackUrl,
    `${auth.origin}${auth.pathname}`,
  );
  const tab = await context.newPage();
  // Where the browser lands: nothing listens there (code-server's extension host is remote), so Chromium shows its
  // "cannot be reached" page, whose address the user copies. The request is seen here even though it fails.
  const landedRequest = tab.waitForRequest((r) => r.url().startsWith(`${stack.oauth.callbackUrl}?`), {
    timeout: within(30_000),
  });
  await tab.goto(opened.url, { timeout: within(20_000) });
  await tab.bringToFront();
  await tab.locator('#username').fill(stack.org.username, { timeout: within(10_000) });
  await tab.locator('#password').fill(stack.org.password);
  await shot('09-salesforce-login', tab);
  await tab
    .locator('#login_form [type="submit"], #login_form button')
    .first()
    .click({ timeout: within(10_000) });
  const allow = tab.locator('#oaapprove');
  await allow.waitFor({ state: 'visible', timeout: within(15_000) });
  await shot('10-allow-access', tab);
  await allow.click({ timeout: within(10_000) });
  const landed = (await landedRequest).url();
  await tab.waitForLoadState('domcontentloaded').catch(() => undefined);
  await shot('11-landed', tab);
  check(
    'Allow sent the browser to the callback URL with a code and the state',
    /[?&]code=/.test(landed) && new URL(landed).searchParams.get('state') === auth.searchParams.get('state'),
  );
  await tab.close().catch(() => undefined);
  lap('authorize page: logged in, allowed');

  log('  › back in VS Code: pasting the address the browser landed on');
  await page.bringToFront();
  await quickTitle.filter({ hasText: /paste the address/i }).waitFor({ state: 'visible', timeout: within(15_000) });
  await inputBox.fill(landed); // a password box: the code never shows on screen
  await shot('12-paste-landed-url');
  await page.keyboard.press('Enter');
  check('VS Code asked for the landed address (code-server is a remote host: the paste path)', true);
  const removeButton = page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Remove Them$/ }).first();
  await removeButton.waitFor({ state: 'visible', timeout: within(30_000) });
  await shot('13-remove-password');
  await removeButton.click({ timeout: within(10_000) });
  check('asked before removing SF_PASSWORD / SF_SECURITY_TOKEN from .env; Remove Them', true);

  // ------------------------------------------------------------------ 8. Connected with OAuth
  await ui.waitForText(statusItem, STATUS_OK, within(30_000)).catch(() => undefined);
  const connected = await ui.textOf(statusItem);
  await ui.openNotifications(page);
  await shot('14-oauth-connected');
  check('status bar shows "Connected" after Switch to OAuth', STATUS_OK.test(connected), connected);
  const vars = parseEnvFile(workspace.envPath);
  check(
    '.env: SF_AUTH=oauth, SF_INSTANCE_URL, SF_ACCESS_TOKEN, SF_CLIENT_ID; SF_PASSWORD and SF_SECURITY_TOKEN removed',
    vars.SF_AUTH === 'oauth' &&
      !!vars.SF_INSTANCE_URL &&
      !!vars.SF_ACCESS_TOKEN &&
      vars.SF_CLIENT_ID === stack.oauth.clientId &&
      vars.SF_PASSWORD === undefined &&
      vars.SF_SECURITY_TOKEN === undefined &&
      vars.APP_LOG_LEVEL === 'info',
    Object.keys(vars).join(', '),
  );
  const mode = statSync(workspace.envPath).mode & 0o777;
  check('…and .env is still private (mode 0600)', mode === 0o600, (ok) => (ok ? '' : `mode ${mode.toString(8)}`));
  lap('switched to OAuth, status Connected');

  // ------------------------------------------------------------------ 9. the app keeps working after expiry
  const lifeS = stack.oauth.accessTokenLifetimeMs / 1000;
  log(`  › a developer's app reads .env and calls /limits; the org's access tokens live ${lifeS} s`);
  const first = vars.SF_ACCESS_TOKEN;
  const run1 = await runAppReader(workspace.envPath);
  appOutput.push(run1.raw);
  log(`    app: GET /services/data/v64.0/limits → ${run1.status}${run1.error ? ` ${run1.error}` : ''}`);
  check("the app works with .env's access token", run1.status === 200, run1.error ?? '');
  const refreshesBefore = stack.oauth.stats().refreshGrants;
  // Watch .env while the first token expires: a token the emulator refuses may sit in .env at most 1 s.
  const until = Date.now() + within(stack.oauth.accessTokenLifetimeMs + 15_000);
  let firstDead = false;
  let deadSince; // when .env's current token was first seen refused
  let worstDeadMs = 0;
  while (Date.now() < until) {
    const now = parseEnvFile(workspace.envPath).SF_ACCESS_TOKEN;
    if (!firstDead) firstDead = !(await accepted(vars.SF_INSTANCE_URL, first));
    const live = now ? await accepted(vars.SF_INSTANCE_URL, now) : false;
    if (live) deadSince = undefined;
    else {
      deadSince ??= Date.now();
      worstDeadMs = Math.max(worstDeadMs, Date.now() - deadSince);
    }
    if (firstDead && live && now !== first) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  check(`the emulator expired the first access token (after ${lifeS} s)`, firstDead);
  const run2 = await runAppReader(workspace.envPath);
  appOutput.push(run2.raw);
  const after = parseEnvFile(workspace.envPath);
  log(
    `    app, after the expiry: GET /services/data/v64.0/limits → ${run2.status}${run2.error ? ` ${run2.error}` : ''}`,
  );
  await shot('15-after-expiry');
  check(
    '…and the app still works: Token Relay refreshed the token and rewrote .env',
    run2.status === 200 && after.SF_ACCESS_TOKEN !== first && stack.oauth.stats().refreshGrants > refreshesBefore,
    (ok) => (ok ? `${stack.oauth.stats().refreshGrants - refreshesBefore} refresh(es)` : (run2.error ?? 'same token')),
  );
  check('.env never held a refused access token for more than 1 s', worstDeadMs <= 1000, (ok) =>
    ok ? '' : `${worstDeadMs} ms`,
  );
  lap('access token expired, .env kept fresh');

  // ------------------------------------------------------------------ 10. the canary
  const tokens = stack.oauth.issuedTokens();
  const seen = [...ctx.logged, ...appOutput, ...ctx.consoleLines, codeServer.output()].join('\n');
  const leaked = tokens.filter((t) => seen.includes(t));
  check(
    `no access or refresh token in the demo's output, the app's, the browser console or code-server's (${tokens.length} issued)`,
    tokens.length >= 3 && leaked.length === 0,
    (ok) => (ok ? '' : tokens.length < 3 ? `only ${tokens.length} tokens issued` : `${leaked.length} leaked`),
  );
}
