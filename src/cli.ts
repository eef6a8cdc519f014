/** Entry of dist/cli.js (bin `token-relay`). Wiring only: real stdio, Ctrl-C, exit code. */
import { main } from './cli/main';
import { nodeIO } from './cli/nodeIO';

const controller = new AbortController();
let interrupted = 0;
process.on('SIGINT', () => {
  interrupted++;
  if (interrupted > 1) process.exit(130);
  controller.abort(new Error('cancelled by Ctrl-C'));
});

main(process.argv.slice(2), nodeIO(controller.signal)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`token-relay: internal error: ${e instanceof Error ? e.name : 'unknown'}\n`);
    process.exitCode = 1;
  },
);
