/**
 * Salesforce: Switch to OAuth — signs an org in with the OAuth web-server flow with PKCE through the user's External
 * Client App (issue 13 item 5), from an org on password / password-oauth (or signed out, or none yet):
 *  1. asks the app's client id (with a short how-to for creating the app);
 *  2. signs in: a loopback listener on `tokenRelay.oauth.callbackPort` (default 1717) and the authorize URL opened
 *     in the browser; on a remote extension host (`vscode.env.remoteName`: code-server, Remote-SSH…), a busy port,
 *     or when the user picks "Paste URL instead", asks for the address the browser landed on (the verifier stays
 *     in memory); cancellable progress, 2-minute timeout;
 *  3. stores the refresh and access tokens in SecretStorage, switches the profile (`auth: 'oauth'`, instance URL,
 *     client id), writes .env (SF_PASSWORD / SF_SECURITY_TOKEN removed only when the user agrees in a modal), keeps
 *     the token fresh, and tests.
 * Arguments (the fixes, tests): an org id, or `{ orgId?, clientId?, loginUrl?, paste? }`.
 */
import * as vscode from 'vscode';
import { isAbortError } from '../../core/async';
import {
  DEFAULT_SIGNIN_TIMEOUT_MS,
  authorizeUrl,
  challengeOf,
  isOAuthError,
  makeState,
  makeVerifier,
  parseRedirect,
  redirectUriFor,
} from '../../core/oauth';
import { profileId, type OrgProfile } from '../../core/profile';
import { registerSecret, safeErrorMessage } from '../../core/redact';
import { exchangeCode, listenForCallback, restHealth, type CallbackListener } from '../../salesforce/oauth';
import { OAuthKeeper } from '../oauthFreshness';
import { clientIdProblem, signInPath, switchedProfile } from '../oauthPlan';
import { saveProfile, setActiveProfile } from '../profileEdits';
import type { Services } from '../services';
import { oauthCallbackPort, oauthRedirectMode, proxySettings } from '../settings';
import { labelFor } from '../statusBar';
import { passwordKeysToRemove, reportError, stateLabel } from './common';
import { openOAuthHelp } from './oauthHelp';

interface SwitchArgs {
  orgId?: string;
  clientId?: string;
  loginUrl?: string;
  /** Skip the loopback listener: ask for the landed URL (as on a remote host). */
  paste?: boolean;
}

function argsOf(arg: unknown): SwitchArgs {
  if (typeof arg === 'string') return { orgId: arg };
  if (arg && typeof arg === 'object') return arg;
  return {};
}

class Cancelled extends Error {}

export async function switchToOAuth(s: Services, arg?: unknown): Promise<OrgProfile | undefined> {
  const a = argsOf(arg);
  try {
    return await run(s, a);
  } catch (err) {
    if (err instanceof Cancelled || isAbortError(err)) {
      s.logger.info('Switch to OAuth cancelled');
      return undefined;
    }
    await reportError(s, vscode.l10n.t('Switch to OAuth failed'), err);
    return undefined;
  }
}

async function pickOrg(s: Services, a: SwitchArgs): Promise<OrgProfile | undefined | null> {
  if (a.orgId) return s.profiles.get(a.orgId) ?? null;
  const active = s.profiles.active();
  if (active || !s.profiles.list().length) return active; // no org at all: a new one
  return null;
}

async function askLoginUrl(s: Services, a: SwitchArgs): Promise<string> {
  if (a.loginUrl) return a.loginUrl;
  const prod = { label: 'https://login.salesforce.com', description: vscode.l10n.t('production, Developer Edition') };
  const sandbox = { label: 'https://test.salesforce.com', description: vscode.l10n.t('sandbox') };
  const other = { label: vscode.l10n.t('My Domain URL…'), description: 'https://<name>.my.salesforce.com' };
  const pick = await s.ui.pick([prod, sandbox, other], {
    title: vscode.l10n.t('Switch to OAuth: where do you log in?'),
  });
  if (!pick) throw new Cancelled();
  if (pick !== other) return pick.label;
  const url = await s.ui.input({
    title: vscode.l10n.t('Switch to OAuth: login URL'),
    prompt: vscode.l10n.t('Your My Domain URL, e.g. https://acme.my.salesforce.com'),
    validateInput: (v) =>
      /^https?:\/\/\S+$/.test(v.trim()) ? undefined : vscode.l10n.t('Enter a URL starting with https://'),
  });
  if (!url) throw new Cancelled();
  return url.trim().replace(/\/+$/, '');
}

async function run(s: Services, a: SwitchArgs): Promise<OrgProfile | undefined> {
  const found = await pickOrg(s, a);
  const org = found === null ? await resolveOrgPick(s) : found;
  if (found === null && !org) return undefined;
  const loginUrl = org?.loginUrl ?? (await askLoginUrl(s, a));
  const port = oauthCallbackPort();
  const redirectUri = redirectUriFor(port);

  let clientId = a.clientId?.trim();
  if (!clientId) {
    // The how-to (README, "Life after tokens") one click away while the input box waits (it keeps its focus).
    const howTo = vscode.l10n.t('How to Create the App');
    if (!org?.clientId)
      void s.ui
        .message(
          'info',
          vscode.l10n.t(
            'Switch to OAuth needs the Consumer Key of an External Client App in your org: the README\'s "Life after tokens" section says how to create one.',
          ),
          howTo,
        )
        .then((x) =>
          x === howTo
            ? openOAuthHelp(s.context.extensionUri).then(undefined, (e: unknown) =>
                s.logger.warn(`could not open the how-to: ${safeErrorMessage(e)}`),
              )
            : undefined,
        );
    const entered = await s.ui.input({
      title: vscode.l10n.t('Switch to OAuth{0}: External Client App', org ? ` (${org.name})` : ''),
      prompt: vscode.l10n.t(
        'Paste the Consumer Key of your External Client App. To create one: Setup → External Client App Manager → New; enable OAuth with callback URL {0}, scopes api and refresh_token, and "Require Proof Key for Code Exchange (PKCE)". More: README, "Life after tokens".',
        redirectUri,
      ),
      value: org?.clientId ?? '',
      ignoreFocusOut: true,
      validateInput: (v) => {
        const p = clientIdProblem(v);
        return p ? vscode.l10n.t(p) : undefined;
      },
    });
    if (!entered) return undefined;
    clientId = entered.trim();
  }
  // A confidential app's secret: the one kept for this org, only when the client id is the same app.
  const stored = org ? await s.secrets.getOrgSecrets(org.id) : {};
  const clientSecret = org && org.clientId === clientId ? stored.clientSecret : undefined;

  const verifier = makeVerifier();
  const state = makeState();
  registerSecret(verifier, { ephemeral: true });
  const url = authorizeUrl({ loginUrl, clientId, redirectUri, state, challenge: challengeOf(verifier) });
  const log = s.logger.child('oauth');
  const proxy = proxySettings();

  // ---- the browser ----
  const mode = oauthRedirectMode();
  let path = signInPath({ remoteName: vscode.env.remoteName, paste: a.paste, mode });
  if (mode !== 'auto') log.info(`tokenRelay.oauth.redirect is "${mode}": the ${path} path`);
  let code: string | undefined;
  let opened = false;
  if (path === 'loopback') {
    const controller = new AbortController();
    let listener: CallbackListener | undefined;
    try {
      listener = await listenForCallback({
        port,
        state,
        timeoutMs: DEFAULT_SIGNIN_TIMEOUT_MS,
        signal: controller.signal,
      });
    } catch (e) {
      if (!isOAuthError(e) || e.kind !== 'port-busy') throw e;
      log.info(`port ${port} is busy: asking for the landed URL instead`);
      void s.ui.message(
        'warn',
        vscode.l10n.t(
          'Port {0} is taken by another program, so the browser cannot hand the sign-in back. Sign in in the browser, then paste the address it lands on.',
          port,
        ),
      );
      path = 'paste';
    }
    if (listener) {
      const l = listener;
      try {
        log.info(`signing in through the browser (loopback on port ${port})`);
        await s.ui.openExternal(url);
        opened = true;
        const pasteInstead = vscode.l10n.t('Paste URL instead');
        const choice = new Promise<'paste'>((resolve) => {
          void s.ui
            .message(
              'info',
              vscode.l10n.t(
                'Sign in to Salesforce in the browser and allow access. If the browser cannot reach this machine, paste the address it lands on.',
              ),
              pasteInstead,
            )
            .then((x) => {
              if (x === pasteInstead) resolve('paste');
            });
        });
        const got = await s.ui.progress(
          vscode.l10n.t('Switch to OAuth: waiting for the browser…'),
          async (_p, token) => {
            const cancelled = new Promise<'cancel'>((resolve) =>
              token.onCancellationRequested(() => resolve('cancel')),
            );
            return Promise.race([l.code.then((c) => ({ code: c })), choice, cancelled]);
          },
        );
        if (got === 'cancel') throw new Cancelled();
        if (got === 'paste') path = 'paste';
        else code = got.code;
      } finally {
        l.close();
        controller.abort();
      }
    }
  }
  if (path === 'paste') {
    log.info(
      `signing in through the browser (paste the landed URL${vscode.env.remoteName ? `; remote extension host: ${vscode.env.remoteName}` : ''})`,
    );
    if (!opened) await s.ui.openExternal(url);
    let parsed: string | undefined;
    const landed = await s.ui.input({
      title: vscode.l10n.t('Switch to OAuth: paste the address the browser landed on'),
      prompt: vscode.l10n.t(
        'Sign in in the browser and allow access. The browser then tries to open {0}… and may show an error page: copy that whole address from the address bar and paste it here.',
        redirectUri,
      ),
      placeHolder: `${redirectUri}?code=…&state=…`,
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => {
        try {
          parsed = parseRedirect(v, state).code;
          return undefined;
        } catch (e) {
          return safeErrorMessage(e);
        }
      },
    });
    if (!landed) throw new Cancelled();
    code = parsed ?? parseRedirect(landed, state).code;
  }
  if (!code) throw new Cancelled();

  // ---- the tokens ----
  const { tokens, health } = await s.ui.progress(vscode.l10n.t('Switch to OAuth: signing in…'), async () => {
    const t = await exchangeCode({ loginUrl, clientId, clientSecret, redirectUri, code, verifier }, { proxy, log });
    const h = await restHealth(
      { instanceUrl: t.instanceUrl, accessToken: t.accessToken, apiVersion: org?.apiVersion, username: org?.username },
      { proxy, log },
    );
    return { tokens: t, health: h };
  });
  const username = health.username ?? org?.username;
  if (!username)
    throw new Error(
      vscode.l10n.t('Salesforce did not say which user signed in ({0}).', health.message || health.label),
    );
  if (org && org.username.toLowerCase() !== username.toLowerCase())
    log.warn(`${org.name}: signed in as ${username}, not ${org.username}: the org now uses ${username}`);
  const profile = switchedProfile(org, {
    id: profileId(loginUrl, username),
    loginUrl,
    username,
    instanceUrl: tokens.instanceUrl,
    clientId,
  });

  return s.monitor.hold(async () => {
    await saveProfile(s.profiles, profile);
    if (!tokens.refreshToken)
      log.warn(
        'Salesforce gave no refresh token: add the refresh_token scope to the app; the access token will not be refreshed',
      );
    await s.secrets.setSecret(profile.id, 'refreshToken', tokens.refreshToken ?? '');
    await s.secrets.setSecret(profile.id, 'accessToken', tokens.accessToken);
    if (!org) await setActiveProfile(s.profiles, profile.id);
    OAuthKeeper.of(s.monitor).track(profile, tokens.issuedAt);

    // ---- .env ----
    let envNote: string;
    if (!s.isTrusted()) envNote = vscode.l10n.t('.env is not written in Restricted Mode.');
    else {
      try {
        const remove = await passwordKeysToRemove(
          s,
          profile,
          undefined,
          vscode.l10n.t(
            '{0} now signs in with OAuth: the password and security token are no longer needed in .env (they stay in SecretStorage). Remove them?',
            profile.name,
          ),
        );
        const secrets = await s.secrets.getOrgSecrets(profile.id);
        const out = await s.envWriter.write(profile, s.envWriter.valuesFor(profile, secrets), undefined, remove);
        envNote = out.viaEditor
          ? vscode.l10n.t('.env updated in its unsaved editor: save it to write it to disk.')
          : vscode.l10n.t('{0} written to .env.', out.changed.join(', ') || vscode.l10n.t('nothing new'));
      } catch (err) {
        envNote = vscode.l10n.t('.env not written: {0}', safeErrorMessage(err));
        log.warn(envNote);
      }
    }
    const h = await s.monitor.checkFresh({ reason: 'switched to OAuth' });
    const who = h?.username ?? username;
    const text = vscode.l10n.t(
      '{0} now signs in with OAuth as {1}; the refresh token is in SecretStorage. {2} Login: {3}.',
      profile.name,
      who,
      envNote,
      h ? labelFor(h) : stateLabel(health),
    );
    void s.ui.message(h && h.status !== 'ok' ? 'warn' : 'info', text);
    return profile;
  });
}

async function resolveOrgPick(s: Services): Promise<OrgProfile | undefined> {
  const all = s.profiles.list();
  const pick = await s.ui.pick(
    all.map((p) => ({ label: p.name, description: p.username, detail: p.auth ?? '', id: p.id })),
    { placeHolder: vscode.l10n.t('Which org switches to OAuth?') },
  );
  return pick ? s.profiles.get(pick.id) : undefined;
}
