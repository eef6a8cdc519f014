#!/usr/bin/env node
// `token-relay` (package.json bin): runs the bundled CLI, dist/cli.js. A fresh clone after `npm ci` has no dist/
// yet: say what to run instead of failing with a "Cannot find module" stack trace.
'use strict';
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const target = path.join(root, 'dist', 'cli.js');
if (!existsSync(target)) {
  process.stderr.write(
    `token-relay: ${path.relative(process.cwd(), target) || target} is not built yet. Run \`npm run build\` in ${root} first.\n`,
  );
  process.exit(2);
}
require(target);
