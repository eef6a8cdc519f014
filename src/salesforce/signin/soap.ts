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

const TOP_LEVEL_FIELDS = new Set(['sessionId', 'serverUrl', 'sandbox']);
const USER_INFO_FIELDS = new Set(['organizationId', 'organizationName', 'userFullName', 'userName', 'userEmail']);
const SOAP_LOGIN_PATH = /\/services\/Soap\/[uc]\//;
/** A tag's local name: after `<` or `</`, an optional `prefix:`, up to whitespace, `/` or `>`. */
const TAG_NAME_RE = /\/?(?:[\w.-]+:)?([\w.-]+)(?=[\s/>])/y;

/**
 * Reads the LoginResult fields we use (and registers its sessionId as a secret): `<name>text</name>` with any
 * namespace prefix and any attributes; sessionId, serverUrl and sandbox are the first of their name anywhere, the
 * others count only inside the first userInfo element (its first start tag to the first end tag after it).
 *
 * One pass, linear in the body whatever it holds (issue 15: the regular expressions this replaces took ~90 s on
 * 1 MB of `<sessionId ` without a `>`, and ~14 s on `<userInfo>` repeated): every `<` is looked at once, the
 * search for the next `>` is remembered, and each tag name is read within its own tag. The transport caps a login
 * answer at MAX_LOGIN_BODY_BYTES before it gets here.
 */
export function parseSoapLoginResult(body: string): SoapUserInfo & { sessionId?: string; serverUrl?: string } {
  const found: Record<string, string> = {};
  const pending: Record<string, string> = {}; // userInfo fields, kept when its end tag comes
  let inUserInfo = false;
  let userInfoDone = false;
  let nextGt = -1; // the first '>' at or after the current '<' (-1: not searched yet, or none left)
  let gtSearchedFrom = -1;
  let open: string | undefined; // the field whose start tag was the last tag, and where its text starts
  let textStart = 0;
  let wanted = TOP_LEVEL_FIELDS.size + USER_INFO_FIELDS.size;
  for (let lt = body.indexOf('<'); lt >= 0 && wanted > 0; ) {
    if (gtSearchedFrom < 0 || (nextGt >= 0 && nextGt < lt)) {
      nextGt = body.indexOf('>', lt);
      gtSearchedFrom = lt;
    }
    if (nextGt < 0) break; // no tag can end any more
    const nextLt = body.indexOf('<', lt + 1);
    if (nextLt >= 0 && nextLt < nextGt) {
      // Not a tag (a '<' inside text, or a tag that never ends before the next '<').
      open = undefined;
      lt = nextLt;
      continue;
    }
    const gt = nextGt;
    TAG_NAME_RE.lastIndex = lt + 1;
    const m = TAG_NAME_RE.exec(body);
    const closing = body.charCodeAt(lt + 1) === 47; /* '/' */
    const selfClosing = body.charCodeAt(gt - 1) === 47;
    const name = m && m.index === lt + 1 ? m[1]! : undefined;
    if (name && closing) {
      if (open === name) {
        const inTop = TOP_LEVEL_FIELDS.has(name);
        if (inTop && !(name in found)) {
          found[name] = xmlUnescape(body.slice(textStart, lt));
          wanted--;
        } else if (inUserInfo && USER_INFO_FIELDS.has(name) && !(name in pending))
          pending[name] = xmlUnescape(body.slice(textStart, lt));
      } else if (name === 'userInfo' && inUserInfo) {
        inUserInfo = false;
        userInfoDone = true;
        Object.assign(found, pending);
        wanted -= USER_INFO_FIELDS.size;
      }
      open = undefined;
    } else if (name && !selfClosing) {
      if (name === 'userInfo' && !inUserInfo && !userInfoDone) inUserInfo = true;
      open = TOP_LEVEL_FIELDS.has(name) || USER_INFO_FIELDS.has(name) ? name : undefined;
      textStart = gt + 1;
    } else open = undefined;
    lt = nextLt;
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
      afterOk: (log) =>
        log.info(
          "SOAP login() is retired in Summer '27; plan a move to OAuth (token-relay oauth login) or the sf CLI login (token-relay sf-import).",
        ),
    });
  },
};
