/**
 * login_ratio_raw: testLogin()'s login call alone (SOAP login(); the org name and user come from the
 * LoginResult, fetchLimits: false, so no identity(), query or limits() call) inside this process, vs a raw
 * node:http POST of the same SOAP envelope to the same emulator. Alternating, medians; jsforce is loaded
 * and both paths are warmed up before the clock runs.
 */
import * as http from 'node:http';
import { DEFAULT_API_VERSION, type OrgProfile, type OrgSecrets } from '../src/core/profile';
import { testLogin } from '../src/salesforce/login';
import { loadJsforce } from '../src/lazy';
import { startEmulator, type Emulator } from '../src/emulator';
import { alternate, median, now, round, summarize } from './lib/stats';
import type { BenchContext, FigureSet } from './lib/types';

const xmlEsc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The envelope exactly as jsforce 3.10.16's loginBySoap sends it (salesforce-facts.md §3.1). */
export function soapLoginEnvelope(username: string, password: string): string {
  return (
    '<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Header/><se:Body>' +
    `<login xmlns="urn:partner.soap.sforce.com"><username>${xmlEsc(username)}</username><password>${xmlEsc(password)}</password></login>` +
    '</se:Body></se:Envelope>'
  );
}

/** One raw POST; resolves when the whole body has arrived. `agent: false` = a fresh connection each time. */
function rawPost(url: URL, body: string, agent: http.Agent | false | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'text/xml', soapaction: '""', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200 || !text.includes('<sessionId>'))
            reject(new Error(`raw SOAP login failed: HTTP ${res.statusCode}`));
          else resolve(text);
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function slowServerRatio(runs: number): Promise<Record<string, unknown>> {
  const SLOW_MS = 20;
  const em = await startEmulator({ users: [], slowMs: SLOW_MS });
  try {
    const username = 'bench.slow@acme.example';
    const password = 'Bench-Passw0rd!';
    const user = em.addUser({ username, password, email: username });
    em.setFault(username, 'slow');
    const profile: OrgProfile = {
      id: 'bench-slow',
      name: 'Bench slow',
      loginUrl: em.url,
      username,
      apiVersion: DEFAULT_API_VERSION,
    };
    const url = new URL(`/services/Soap/u/${DEFAULT_API_VERSION}`, em.url);
    const envelope = soapLoginEnvelope(username, password + user.token);
    const r = await alternate(
      runs,
      async () => {
        const t0 = now();
        const res = await testLogin(profile, { password, token: user.token }, { fetchLimits: false });
        if (res.status !== 'ok')
          throw new Error(`testLogin against the slow emulator failed: ${res.status} ${res.code ?? ''}`);
        return now() - t0;
      },
      async () => {
        const t0 = now();
        await rawPost(url, envelope, undefined);
        return now() - t0;
      },
      { warmup: 2 },
    );
    return {
      server_delay_ms: SLOW_MS,
      ours_ms: summarize(r.a),
      raw_ms: summarize(r.b),
      ratio: round(median(r.a) / median(r.b)),
    };
  } finally {
    await em.close();
  }
}

export async function benchLogin(ctx: BenchContext, emulator: Emulator): Promise<FigureSet> {
  const username = 'bench.login@acme.example';
  const password = 'Bench-Passw0rd!';
  const user = emulator.addUser({ username, password, email: username, firstName: 'Bench', lastName: 'Login' });
  const profile: OrgProfile = {
    id: 'bench',
    name: 'Bench',
    loginUrl: emulator.url,
    username,
    apiVersion: DEFAULT_API_VERSION,
  };
  const secrets: OrgSecrets = { password, token: user.token };
  const url = new URL(`/services/Soap/u/${DEFAULT_API_VERSION}`, emulator.url);
  const envelope = soapLoginEnvelope(username, password + user.token);

  loadJsforce(); // loading the library is activation's business, not the login's

  const ours = async () => {
    const t0 = now();
    const r = await testLogin(profile, secrets, { fetchLimits: false });
    const ms = now() - t0;
    if (r.status !== 'ok')
      throw new Error(`testLogin against the emulator failed: ${r.status} ${r.code ?? ''} ${r.message}`);
    return ms;
  };
  const raw = (agent: http.Agent | false | undefined) => async () => {
    const t0 = now();
    await rawPost(url, envelope, agent);
    return now() - t0;
  };

  // How many HTTP requests one testLogin makes (must be 1: the login alone).
  const before = emulator.stats.requests;
  await ours();
  const requestsPerLogin = emulator.stats.requests - before;

  // Figure: vs the plainest raw POST (Node's default agent, which keeps connections alive in Node 20).
  const runs = ctx.runs.login;
  const vsDefault = await alternate(runs, ours, raw(undefined), { warmup: 20 });
  // Detail: vs a raw POST on a fresh connection each time (our transport keeps connections alive per endpoint).
  const vsFresh = await alternate(runs, ours, raw(false), { warmup: 5 });

  // Detail: the same comparison when the server needs 20 ms to answer (the emulator's 'slow' fault), as a real
  // org does (and more): the fixed client-side cost of ours then hardly shows in the ratio.
  const slow = await slowServerRatio(Math.max(20, Math.round(runs / 5)));

  const oursMed = median(vsDefault.a);
  const rawMed = median(vsDefault.b);
  return {
    figures: { login_ratio_raw: round(oursMed / rawMed) },
    details: {
      login: {
        what: 'testLogin(profile, secrets, { fetchLimits: false }) (SOAP login() only) vs a raw node:http POST of the same envelope, same emulator, one process, alternating',
        http_requests_per_testLogin: requestsPerLogin,
        ours_ms: summarize(vsDefault.a),
        raw_default_agent_ms: summarize(vsDefault.b),
        ours_ms_second_series: summarize(vsFresh.a),
        raw_fresh_connection_ms: summarize(vsFresh.b),
        ratio_vs_fresh_connection: round(median(vsFresh.a) / median(vsFresh.b)),
        client_overhead_ms: round(oursMed - rawMed),
        with_20ms_server_latency: slow,
      },
    },
  };
}
