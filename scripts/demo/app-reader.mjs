#!/usr/bin/env node
// A developer's app, as small as it gets: reads SF_INSTANCE_URL and SF_ACCESS_TOKEN from .env (dotenv, as apps do)
// and calls GET /services/data/v64.0/limits. The OAuth scene of `npm run demo` runs it after the emulator expired the
// access token it started with: it works only if Token Relay refreshed the token and rewrote .env.
//   node scripts/demo/app-reader.mjs PATH/TO/.env   → one JSON line on stdout; exit 0 on HTTP 200, else 1
// It never prints the token: only the HTTP status, Salesforce's error code and the API requests left.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const envFile = process.argv[2];
if (!envFile) {
  console.error('usage: app-reader.mjs PATH/TO/.env');
  process.exit(2);
}
const vars = require('dotenv').parse(readFileSync(envFile));
const { SF_INSTANCE_URL: instance, SF_ACCESS_TOKEN: token } = vars;
if (!instance || !token) {
  console.log(JSON.stringify({ status: 0, error: 'SF_INSTANCE_URL or SF_ACCESS_TOKEN missing in .env' }));
  process.exit(1);
}
const res = await fetch(`${instance}/services/data/v64.0/limits`, {
  headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
  signal: AbortSignal.timeout(10_000),
});
const body = await res.json().catch(() => undefined);
const out = { status: res.status };
if (res.ok) out.dailyApiRequestsRemaining = body?.DailyApiRequests?.Remaining ?? null;
else out.error = Array.isArray(body) ? body[0]?.errorCode : (body?.error ?? null);
console.log(JSON.stringify(out));
process.exit(res.ok ? 0 : 1);
