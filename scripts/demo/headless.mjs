// The headless end-to-end driver: Debian Chromium (playwright-core) drives code-server like a person.
//   1. open the demo workspace; accept the notification offering to import the org from .env; the status bar
//      says "Login rejected" (the .env token is expired)
//   2. F1 → "Salesforce: Reset Token" → Enter
//   3. the page the extension asked VS Code to open (vscode.env.openExternal → the tab code-server opens in the
//      browser; a code-server /proxy/<port>/ URL is mapped back to the org's own URL) → opened in a second tab
//      → click "Reset Security Token"
//   4. back in VS Code: wait for the progress notification to finish, read the status bar ("Connected")
//   5. "Open .env" on the success notification (else the Explorer); and check the file on disk: the emulator's
//      current token, every other byte unchanged, still 0600
//   6-10. the OAuth scene (./oauthScene.mjs): the org switches SOAP login() off → "SOAP login disabled" →
//      Switch to OAuth through the emulator's authorize page (paste path: code-server is remote) → Connected; the
//      access token expires at the emulator and a developer's app reading .env keeps working; the token canary
// Every step leaves a screenshot; secret values in the .env editor are blurred in screenshots.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseEnvFile, readSetupStatus } from './env.mjs';
import { launchDemoChromium, onCleanup } from './cleanup.mjs';
import { workbenchUrl } from './bundle.mjs';
import { runOAuthScene } from './oauthScene.mjs';

const RESET_PATH = '/lightning/settings/personal/ResetApiToken/home';
const STATUS_OK = /^\s*Connected\b/;
const STATUS_REJECTED = /Login rejected/;

class StepError extends Error {}

/**
 * runHeadless({ root, codeServer, stack, workspace: { dir, envPath }, setupExtension, tmp, screensDir, deadline, log })
 *   -> { ok, reason?, checks: [{ name, ok, detail }], screenshots: [file], timings: [[name, ms]], diagnostics? }
 */
export async function runHeadless(o) {
  const { codeServer, stack, workspace, screensDir, deadline } = o;
  // Every line printed is kept: the OAuth scene's canary checks that no token ever reached the output.
  const logged = [];
  const log = (line) => {
    logged.push(line);
    o.log(line);
  };
  const checks = [];
  const timings = [];
  const screenshots = [];
  const consoleLines = [];
  // detail: shown with the result; a function gets `ok` (for details that only make sense on failure).
  const check = (name, ok, detailArg = '') => {
    const detail = typeof detailArg === 'function' ? detailArg(!!ok) : detailArg;
    checks.push({ name, ok: !!ok, detail });
    if (!ok) throw new StepError(`${name}${detail ? `: ${detail}` : ''}`);
  };
  const remaining = () => Math.max(1000, deadline - Date.now());
  const within = (ms) => Math.min(ms, remaining());
  let t = Date.now();
  const lap = (name) => {
    timings.push([name, Date.now() - t]);
    t = Date.now();
  };

  // Screenshots: a fresh folder of this run's images only (the README's docs/screenshots are refreshed with
  // `--screens docs/screenshots`).
  mkdirSync(screensDir, { recursive: true });
  for (const f of safeReaddir(screensDir))
    if (/^\d\d-[\w-]+\.png$|^failure.*\.png$/.test(f)) rmSync(path.join(screensDir, f));
  let page;
  const shot = async (name, target = page, extra = {}) => {
    const file = path.join(screensDir, `${name}.png`);
    // No hover tooltips in screenshots: park the mouse over the empty editor area.
    await target.mouse.move(560, 640).catch(() => undefined);
    await target.waitForTimeout(150).catch(() => undefined);
    await target
      .screenshot({ path: file, ...extra, timeout: 15_000 })
      .catch((err) => log(`  (screenshot ${name} failed: ${err.message})`));
    if (existsSync(file)) screenshots.push(file);
  };

  const originalEnv = readFileSync(workspace.envPath, 'utf8');
  const browser = await launchDemoChromium();
  const closeBrowser = onCleanup('browser', () => browser.close()); // Ctrl-C mid-run closes it too
  const result = { ok: false, checks, timings, screenshots };
  const globalTimer = setTimeout(() => {
    log('demo: global timeout reached, closing the browser');
    browser.close().catch(() => undefined);
  }, remaining());
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
    page = await context.newPage();
    const popups = [];
    context.on('page', (p) => popups.push(p));
    page.on('console', (m) => {
      const text = m.text();
      if (/ENOTFOUND|gallery|marketplace/i.test(text)) return; // harmless: no extension gallery offline
      consoleLines.push(`[${m.type()}] ${text}`.slice(0, 500));
      if (consoleLines.length > 200) consoleLines.shift();
    });
    page.on('pageerror', (err) => consoleLines.push(`[pageerror] ${err.message}`.slice(0, 500)));

    // ------------------------------------------------------------------ 1. workbench, Login rejected
    log('  › opening the demo workspace in code-server (headless Chromium)');
    await page.goto(workbenchUrl(codeServer.url, { folder: workspace.dir, extensionDevelopmentPaths: [o.root] }), {
      timeout: within(60_000),
    });
    await page.locator('.monaco-workbench').waitFor({ timeout: within(60_000) });
    lap('workbench loaded');

    // Token Relay is active once its status bar item is there ("Set up Salesforce org" while it has no org).
    const anyTokenRelayItem = page
      .locator('.statusbar-item', { hasText: /Salesforce|Login rejected|Connected|Token required/ })
      .first();
    await anyTokenRelayItem.waitFor({ state: 'visible', timeout: within(90_000) });
    log("  › importing the org from .env (the extension's offer, else the command)");
    const offer = page.locator('.notification-list-item', { hasText: /Import them as an org/ }).first();
    const offered = await offer.waitFor({ state: 'visible', timeout: within(20_000) }).then(
      () => true,
      () => false,
    );
    if (offered) {
      await shot('01-import-offer');
      await offer
        .locator('.monaco-button', { hasText: /^Import$/ })
        .first()
        .click({ timeout: within(10_000) });
      await page
        .locator('.notification-list-item', { hasText: /imported from/ })
        .first()
        .waitFor({ state: 'visible', timeout: within(10_000) })
        .catch(() => undefined);
      checks.push({ name: 'the extension offered to import the org from .env; accepted', ok: true, detail: '' });
    } else {
      await runCommand(page, 'Salesforce: Import Org from .env', within(15_000));
      await page
        .locator('.notification-list-item', { hasText: /imported from/ })
        .first()
        .waitFor({ state: 'visible', timeout: within(10_000) })
        .catch(() => undefined);
      await shot('01-import-offer');
      checks.push({
        name: 'org imported from .env with "Salesforce: Import Org from .env"',
        ok: true,
        detail: 'no startup offer within 20 s',
      });
    }
    await waitFor(() => readSetupStatus(o.tmp) !== undefined, within(60_000)).catch(() => undefined);
    const setup = readSetupStatus(o.tmp);
    check(
      'the demo mailbox was handed to the extension (Set Up Mailbox → SecretStorage)',
      setup?.mailbox === true,
      (ok) => (ok ? '' : (setup?.error ?? (setup ? 'setUpMailbox returned false' : 'the setup step never reported'))),
    );
    lap('org imported, mailbox set up');
    const statusItem = page
      .locator('.statusbar-item', {
        hasText: /Login rejected|Connected|Token required|Login failed|Network error|Unexpected response|Salesforce/,
      })
      .first();
    await waitForText(statusItem, STATUS_REJECTED, within(60_000)).catch(() => undefined);
    const before = await textOf(statusItem);
    await shot('02-login-rejected');
    check(
      'status bar shows "Login rejected" for the expired token',
      STATUS_REJECTED.test(before),
      JSON.stringify(before),
    );
    lap('workbench ready, status Login rejected');

    // ------------------------------------------------------------------ 2. F1 → Salesforce: Reset Token
    log('  › F1 → "Salesforce: Reset Token"');
    await dismissToasts(page);
    await clearNotifications(page); // what was said before the reset (the import, the rejected login) is read
    await openPalette(page, 'Salesforce: Reset Token', within(15_000));
    await shot('03-command-palette');
    await page.keyboard.press('Enter');
    checks.push({ name: '"Salesforce: Reset Token" found in the command palette and run', ok: true, detail: '' });
    lap('command palette');

    // ------------------------------------------------------------------ 3. the page the extension opened
    log('  › waiting for the page the extension asks to open');
    const opened = await waitForOpenedUrl({ page, popups, codeServerUrl: codeServer.url, timeoutMs: within(30_000) });
    check("the extension opened the org's reset page", !!opened.url, opened.url ? '' : 'no new browser tab');
    const url = new URL(opened.url);
    check(
      '…and only the safe Reset My Security Token page',
      !/ResetApiTokenConfirm/i.test(opened.url) &&
        url.pathname === RESET_PATH &&
        url.origin === new URL(stack.org.loginUrl).origin,
      opened.url.replace(/[?#].*$/, ''),
    );
    // The workbench shows the progress notification while the mailbox is watched.
    // code-server's smoke-test mode shows no toasts, so look where a person would: the Notifications list (bell).
    await openNotifications(page);
    // The reset's progress notification: a running progress bar, or the extension's "waiting for the mail" text
    // with its Cancel button (withProgress removes it when the flow ends).
    const progressBar = page
      .locator('.notifications-center .monaco-list-row, .notification-toast')
      .filter({ has: page.locator('.monaco-progress-container.active') });
    const progress = progressBar.or(
      page
        .locator('.notifications-center .monaco-list-row, .notification-toast')
        .filter({ hasText: /waiting for the (token )?(e-?)?mail/i }),
    );
    const sawProgress = await progress
      .first()
      .waitFor({ state: 'visible', timeout: within(15_000) })
      .then(
        () => true,
        () => false,
      );
    const barSeen = sawProgress && (await progressBar.count().catch(() => 0)) > 0;
    const progressText = sawProgress
      ? `${barSeen ? '[progress bar] ' : ''}${await textOf(progress.first().locator('.notification-list-item-message').first())}`
      : '';
    await shot('04-waiting-for-email');
    lap(`reset page URL (${opened.via})`);

    log(`  › following it in a second tab (${opened.via}) and clicking "Reset Security Token"`);
    const resetPage = await context.newPage();
    await resetPage.goto(opened.url, { timeout: within(20_000) });
    await resetPage.bringToFront();
    const button = resetPage
      .locator('button, input[type="submit"], input[type="button"]')
      .filter({ hasText: /reset/i })
      .or(resetPage.locator('input[type="submit"][value*="Reset" i], input[title*="Reset" i]'))
      .first();
    await button.waitFor({ state: 'visible', timeout: within(15_000) });
    await shot('04-reset-page', resetPage);
    const mailsBefore = stack.mailsSent();
    await button.click({ timeout: within(10_000) });
    // Some orgs ask for a confirmation ("OK") after the first click.
    const ok = resetPage.locator('button:text-is("OK"), input[type="submit"][value="OK"]').first();
    await ok.click({ timeout: 1500 }).catch(() => undefined);
    await resetPage.waitForLoadState('domcontentloaded').catch(() => undefined);
    await waitFor(() => stack.mailsSent() > mailsBefore, within(15_000)).catch(() => undefined);
    await shot('04-reset-page-sent', resetPage);
    check('clicking Reset made the org mail a new token', stack.mailsSent() > mailsBefore);
    lap('reset clicked, token mailed');

    // ------------------------------------------------------------------ 4. progress finishes, status bar healthy
    log('  › back in VS Code: waiting for the notification and the status bar');
    await page.bringToFront();
    await openNotifications(page);
    await waitForText(statusItem, STATUS_OK, within(90_000)).catch(() => undefined);
    await waitFor(
      async () =>
        (await progress.count()) === 0 ||
        !(await progress
          .first()
          .isVisible()
          .catch(() => false)),
      within(30_000),
    ).catch(() => undefined);
    const progressDone =
      (await progress.count()) === 0 ||
      !(await progress
        .first()
        .isVisible()
        .catch(() => false));
    const after = await textOf(statusItem);
    await shot('05-healthy');
    check('the progress notification was shown while waiting for the mail', sawProgress, progressText.slice(0, 80));
    check('…and finished', progressDone);
    check('status bar shows "Connected" after the reset', STATUS_OK.test(after), JSON.stringify(after));
    lap('token caught, status Connected');

    // ------------------------------------------------------------------ 5. .env
    log('  › opening .env');
    const vars = parseEnvFile(workspace.envPath);
    const current = stack.currentToken();
    check(
      ".env holds the org's new security token",
      vars.SF_SECURITY_TOKEN === current && current !== stack.org.expiredToken,
      (ok) =>
        ok
          ? ''
          : vars.SF_SECURITY_TOKEN === stack.org.expiredToken
            ? 'still the expired token'
            : vars.SF_SECURITY_TOKEN
              ? 'a different value'
              : 'SF_SECURITY_TOKEN missing',
    );
    const expected = replaceTokenLine(originalEnv, stack.org.expiredToken, current);
    check('…and every other byte of .env is unchanged', readFileSync(workspace.envPath, 'utf8') === expected);
    const mode = statSync(workspace.envPath).mode & 0o777;
    check('…and .env is still private (mode 0600)', mode === 0o600, (ok) => (ok ? '' : `mode ${mode.toString(8)}`));

    await dismissToasts(page);
    // Open it like a person: the success notification's "Open .env" button, else a click on .env in the Explorer.
    const openEnv = page.locator('.notification-list-item .monaco-button', { hasText: /^Open \.env$/ }).first();
    if (await openEnv.isVisible().catch(() => false)) await openEnv.click({ timeout: within(10_000) });
    else
      await page
        .locator('.explorer-folders-view .monaco-list-row', { hasText: /^\s*\.env\s*$/ })
        .first()
        .click({ timeout: within(10_000) });
    const editorLine = page.locator('.editor-instance .view-line', { hasText: 'SF_SECURITY_TOKEN' }).first();
    await editorLine.waitFor({ timeout: within(15_000) });
    await page
      .locator('.tab.active', { hasText: '.env' })
      .first()
      .waitFor({ timeout: within(5_000) })
      .catch(() => undefined);
    // Secrets stay out of screenshots: the password and token values are blurred (masked if blurring fails).
    const blurred = await blurSecretValues(page);
    await shot(
      '06-env',
      page,
      blurred
        ? {}
        : { mask: [page.locator('.editor-instance .view-line', { hasText: /SF_PASSWORD=|SF_SECURITY_TOKEN=/ })] },
    );
    check('.env opens in the editor', await editorLine.isVisible());
    lap('.env opened');

    // ------------------------------------------------------------------ 6-10. SOAP off → Switch to OAuth
    await runOAuthScene({
      page,
      context,
      popups,
      codeServer,
      stack,
      workspace,
      check,
      lap,
      shot,
      within,
      log,
      logged,
      consoleLines,
      ui: {
        runCommand,
        openNotifications,
        clearNotifications,
        dismissToasts,
        waitFor,
        waitForText,
        textOf,
        waitForOpenedUrl,
      },
    });

    result.ok = true;
  } catch (err) {
    result.ok = false;
    result.reason = err instanceof StepError ? err.message : `${err?.message ?? err}`.split('\n')[0];
    if (!(err instanceof StepError)) checks.push({ name: 'driver step', ok: false, detail: result.reason });
    if (page) {
      await blurSecretValues(page);
      await shot('failure', page);
      // The extension's log tells why; open it like a person would.
      try {
        await dismissToasts(page);
        await page.keyboard.press('Escape');
        await runCommand(page, 'Salesforce: Show Log', 5000);
        await page.waitForTimeout(1500);
        await shot('failure-log', page);
      } catch {
        /* best effort */
      }
    }
    const tail = codeServer.output().split('\n').slice(-40).join('\n');
    result.diagnostics = [
      'browser console (last lines):',
      ...consoleLines.slice(-25).map((l) => `  ${l}`),
      'code-server output (last lines):',
      ...tail.split('\n').map((l) => `  ${l}`),
    ].join('\n');
  } finally {
    clearTimeout(globalTimer);
    await closeBrowser();
  }
  return result;
}

// ---------------------------------------------------------------------------------------------- helpers
function safeReaddir(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

async function textOf(locator) {
  try {
    return ((await locator.innerText({ timeout: 2000 })) || '').replace(/\s+/g, ' ').trim();
  } catch {
    return '';
  }
}

async function waitForText(locator, re, timeoutMs) {
  await waitFor(async () => re.test(await textOf(locator)), timeoutMs);
}

async function waitFor(pred, timeoutMs, every = 200) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return true;
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, every));
  }
}

/** "Clear All Notifications" in the Notifications list (progress notifications are not cleared by it). */
async function clearNotifications(page) {
  await openNotifications(page);
  const clearAll = page
    .locator(
      '.notifications-center .codicon-notifications-clear-all, .notifications-center [aria-label^="Clear All Notifications"]',
    )
    .first();
  if (await clearAll.isVisible().catch(() => false)) await clearAll.click({ timeout: 3000 }).catch(() => undefined);
}

/**
 * Blurs the values of SF_PASSWORD= and SF_SECURITY_TOKEN= lines in the visible editor (rendering only; the file is
 * untouched). Returns true when every such line was found and blurred.
 */
async function blurSecretValues(page) {
  return page
    .evaluate(() => {
      // eslint-disable-next-line no-undef -- this function runs in the browser page (page.evaluate), where document exists
      const lines = [...document.querySelectorAll('.editor-instance .view-line')];
      const secret = lines.filter((l) =>
        /^(SF_PASSWORD|SF_SECURITY_TOKEN)\s*=/.test((l.textContent ?? '').replace(/\u00a0/g, ' ')),
      );
      if (secret.length < 2) return false;
      for (const line of secret) {
        // Monaco renders one line as spans; everything after the "=" is the value.
        let seenEquals = false;
        const spans = [...line.querySelectorAll('span span')];
        for (const span of spans) {
          if (seenEquals) span.style.filter = 'blur(5px)';
          if ((span.textContent ?? '').includes('=')) {
            seenEquals = true;
            const t = span.textContent ?? '';
            if (t.indexOf('=') < t.length - 1) return false; // key, "=" and value share a span: cannot blur only the value
          }
        }
        if (!seenEquals) return false;
      }
      return true;
    })
    .catch(() => false);
}

/** Opens the Notifications list (the bell in the status bar) unless it is open. */
async function openNotifications(page) {
  const center = page.locator('.notifications-center.visible');
  if (await center.isVisible().catch(() => false)) return;
  await page
    .locator('.statusbar-item[id="status.notifications"]')
    .first()
    .click({ timeout: 5000 })
    .catch(() => undefined);
  await center.waitFor({ state: 'visible', timeout: 5000 }).catch(() => undefined);
}

/** F1, type the command's title, wait for its row (does not run it). */
async function openPalette(page, title, timeoutMs) {
  await page
    .locator('.monaco-workbench')
    .click({ position: { x: 640, y: 300 } })
    .catch(() => undefined);
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input').first();
  await input.waitFor({ state: 'visible', timeout: timeoutMs });
  await input.fill('');
  await input.type(`>${title}`.replace(/^>>/, '>'), { delay: 10 });
  await page
    .locator('.quick-input-list .monaco-list-row', { hasText: title })
    .first()
    .waitFor({ state: 'visible', timeout: timeoutMs });
}

/** Runs a command from the palette like a person. */
async function runCommand(page, title, timeoutMs) {
  await openPalette(page, title, timeoutMs);
  await page.keyboard.press('Enter');
}

async function dismissToasts(page) {
  // Clear finished notifications so they do not cover the palette or screenshots (progress ones stay).
  const close = page.locator(
    '.notifications-toasts .notification-toast .codicon-notifications-clear, .notifications-toasts .action-label.codicon-close',
  );
  for (let i = 0; i < 5; i++) {
    const n = await close.count().catch(() => 0);
    if (!n) break;
    await close
      .first()
      .click({ timeout: 1000 })
      .catch(() => undefined);
  }
}

/**
 * The URL the extension asked VS Code to open. In code-server `vscode.env.openExternal` makes the workbench open a
 * browser tab (window.open); the driver reads that tab's address and closes it. code-server may route a loopback
 * URL through its own port proxy (`<code-server>/proxy/<port>/path`): that is mapped back to
 * `http://127.0.0.1:<port>/path`, the address the extension asked for. When VS Code asks "Do you want to open the
 * external website?" the driver answers Open, as a person would.
 */
async function waitForOpenedUrl({ page, popups, codeServerUrl, timeoutMs }) {
  const until = Date.now() + timeoutMs;
  let answered = '';
  for (;;) {
    const popup = popups.find((p) => !p.isClosed() && /^https?:/.test(p.url()));
    if (popup) {
      let url = popup.url();
      const proxied = new RegExp(
        `^${codeServerUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/(?:absproxy|proxy)/(\\d+)(/.*)?$`,
      ).exec(url);
      if (proxied) url = `http://127.0.0.1:${proxied[1]}${proxied[2] ?? '/'}`;
      for (const p of popups) await p.close().catch(() => undefined);
      return { url, via: `${proxied ? 'browser tab (code-server proxy URL mapped back)' : 'browser tab'}${answered}` };
    }
    const dialogOpen = page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Open$/ }).first();
    if (await dialogOpen.isVisible().catch(() => false)) {
      await dialogOpen.click().catch(() => undefined);
      answered = ', after "Open" in VS Code\'s external-website question';
    }
    if (Date.now() > until) return { url: '', via: 'nothing' };
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The .env text as it must be after the reset: the token assignment swapped, nothing else touched. */
function replaceTokenLine(text, oldToken, newToken) {
  return text.replace(new RegExp(`^(SF_SECURITY_TOKEN=)${oldToken}$`, 'm'), (_, k) => `${k}${newToken}`);
}
