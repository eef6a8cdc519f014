#!/usr/bin/env node
// `token-relay-emulator` (package.json bin): runs the bundled Salesforce emulator, dist/emulator.js. A fresh clone
// after `npm ci` has no dist/ yet: say what to run (`npm run build`, or `npm run emulator` from the sources).
'use strict';
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const target = path.join(root, 'dist', 'emulator.js');
if (!existsSync(target)) {
  process.stderr.write(
    `token-relay-emulator: ${path.relative(process.cwd(), target) || target} is not built yet. Run \`npm run build\` in ${root} first (or \`npm run emulator\`, which runs the sources).\n`,
  );
  process.exit(2);
}
require(target);
