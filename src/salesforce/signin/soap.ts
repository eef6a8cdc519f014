/**
 * Sign-in method `password`: SOAP login() with password + security token (API ≤ 64.0; default 64.0). Org name and
 * user come from the LoginResult's userInfo (no extra call). Salesforce retires SOAP login() in Summer '27.
 */
import { registerSecret } from '../../core/redact';
import { SIGN_IN_INFO } from '../../core/signin';
import { xmlUnescape } from '../../core/xml';
import { DEFAULT_API_VERSION } from '../../core/profile';
import { passwordLogin, passwordPrecheck } from './shared';
import type { SignInMethod } from './types';

interface SoapUserInfo {
  organizationId?: string;
  organizationName?: string;
  userFullName?: string;
  userName?: string;
  userEmail?: string;
  sandbox?: boolean;
}

/**
 * The LoginResult fields we read, `<name>text</name>` with any namespace prefix, in one pass over the body
 * (one regex per field scanned the ~2 KB body seven times per login). sessionId, serverUrl and sandbox are
 * the first of their name anywhere; the others count only inside userInfo.
 */
const SOAP_FIELDS_RE =
  /<(?:\w+:)?(sessionId|serverUrl|sandbox|organizationId|organizationName|userFullName|userName|userEmail)(?:\s[^>]*)?>([^<]*)<\/(?:\w+:)?\1>/g;
const SOAP_USER_INFO_RE = /<(?:\w+:)?userInfo(?:\s[^>]*)?>([\s\S]*?)<\/(?:\w+:)?userInfo>/;
const SOAP_TOP_LEVEL_FIELDS = new Set(['sessionId', 'serverUrl', 'sandbox']);
const SOAP_LOGIN_PATH = /\/services\/Soap\/[uc]\//;

/** Reads the userInfo of a SOAP LoginResult (and registers its sessionId as a secret). */
export function parseSoapLoginResult(body: string): SoapUserInfo & { sessionId?: string; serverUrl?: string } {
  const ui = SOAP_USER_INFO_RE.exec(body);
  const uiStart = ui ? ui.index + ui[0].indexOf('>') + 1 : -1;
  const uiEnd = ui ? uiStart + ui[1]!.length : -1;
  const found: Record<string, string> = {};
  SOAP_FIELDS_RE.lastIndex = 0;
  for (let m = SOAP_FIELDS_RE.exec(body); m; m = SOAP_FIELDS_RE.exec(body)) {
    const name = m[1]!;
    if (name in found) continue;
    if (SOAP_TOP_LEVEL_FIELDS.has(name) || (m.index >= uiStart && m.index + m[0].length <= uiEnd)) found[name] = xmlUnescape(m[2]!);
  }
  const sessionId = found.sessionId;
  registerSecret(sessionId, { ephemeral: true });
  return {
    sessionId,
    serverUrl: found.serverUrl,
    sandbox: found.sandbox === 'true',
    organizationId: found.organizationId,
    organizationName: found.organizationName,
    userFullName: found.userFullName,
    userName: found.userName,
    userEmail: found.userEmail,
  };
}

export const soapSignIn: SignInMethod = {
  ...SIGN_IN_INFO.password,
  precheck: (profile, secrets) => passwordPrecheck(profile, secrets, false),
  test(profile, secrets, opts) {
    let soapInfo: ReturnType<typeof parseSoapLoginResult> | undefined;
    return passwordLogin(profile, secrets, opts, {
      flow: 'soap',
      describe: `SOAP login() (API ${profile.apiVersion ?? DEFAULT_API_VERSION})`,
      onResponse: (req, res) => {
        if (res.statusCode < 300 && SOAP_LOGIN_PATH.test(req.url)) soapInfo = parseSoapLoginResult(res.body);
      },
      enrich: (result) => {
        if (!soapInfo) return;
        result.organizationId = soapInfo.organizationId ?? result.organizationId;
        result.orgName = soapInfo.organizationName ?? null;
        result.userFullName = soapInfo.userFullName ?? null;
        result.username = soapInfo.userName ?? result.username;
      },
      afterOk: (log) => log.info("SOAP login() is retired in Summer '27; plan a move to OAuth (SF_CLIENT_ID / SF_CLIENT_SECRET)."),
    });
  },
};
