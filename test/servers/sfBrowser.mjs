// The "browser" the real sf CLI opens during `sf org login web` (through xdg-open → $BROWSER): headless Debian
// Chromium logs in on the emulator's authorize page and clicks Allow, then waits for sf's /OauthSuccess page.
// Run in the background by the BROWSER wrapper that test/servers/sfCli.ts writes (sf starts answering its callback
// only after the opener program has exited, so the wrapper returns at once). Config: a JSON file named by
// TOKEN_RELAY_SF_BROWSER_CONFIG: { username, password, deny?, doneFile }. Writes `ok` or `error: …` to doneFile.
import { readFileSync, writeFileSync } from 'node:fs';
import { launchChromium } from '../../scripts/lib/codeServer.mjs';

const url = process.argv[2];
const cfg = JSON.parse(readFileSync(process.env.TOKEN_RELAY_SF_BROWSER_CONFIG, 'utf8'));
let browser;
try {
  browser = await launchChromium({ headless: true });
  const page = await browser.newPage();
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  await page.fill('#username', cfg.username);
  await page.fill('#password', cfg.password);
  await Promise.all([page.waitForLoadState('domcontentloaded'), page.click('#Login')]);
  await page.waitForSelector(cfg.deny ? '#oadeny' : '#oaapprove', { timeout: 60_000 });
  await page.click(cfg.deny ? '#oadeny' : '#oaapprove');
  // sf answers the callback with 303 /OauthSuccess (or an error page) and waits until that page is fetched.
  await page.waitForURL(/\/Oauth(Success|Error)|error=/, { timeout: 60_000 });
  await page.waitForLoadState('load', { timeout: 30_000 }).catch(() => {});
  writeFileSync(cfg.doneFile, `ok ${new URL(page.url()).pathname}\n`);
} catch (e) {
  writeFileSync(cfg.doneFile, `error: ${e instanceof Error ? e.message : String(e)}\n`);
} finally {
  await browser?.close().catch(() => {});
}
