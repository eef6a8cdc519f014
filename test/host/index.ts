/**
 * The mocha runner inside the extension host (the `extensionTestsPath` of @vscode/test-electron and of the
 * code-server payload). Runs the compiled *.test.js next to it (TOKEN_RELAY_HOST_SUITE=restricted selects the
 * Restricted Mode suite) and writes a results file with counts: the driver treats a missing file or zero
 * tests as a failure, since the workbench reports exit 0 when the extension host dies.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export async function run(): Promise<void> {
  const suite = process.env.TOKEN_RELAY_HOST_SUITE || 'main';
  const resultsFile = process.env.TOKEN_RELAY_HOST_RESULTS;
  const grep = process.env.TOKEN_RELAY_HOST_GREP;
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec', ...(grep ? { grep } : {}) });
  const dir = __dirname;
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.test.js'))
    // restricted.*.test.js / multiroot.*.test.js run only in their own launch; the rest in "main".
    .filter((f) => (suite === 'main' ? !/^(restricted|multiroot)\./.test(f) : f.startsWith(`${suite}.`)))
    .sort();
  for (const f of files) mocha.addFile(path.join(dir, f));
  const results = {
    suite,
    files,
    passed: 0,
    failed: 0,
    pending: 0,
    total: 0,
    failures: [] as Array<{ title: string; error: string }>,
    finished: false,
  };
  const write = () => {
    if (resultsFile) fs.writeFileSync(resultsFile, JSON.stringify(results, null, 2));
  };
  write();
  await new Promise<void>((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        results.finished = true;
        write();
        if (failures > 0) reject(new Error(`${failures} host test(s) failed`));
        else resolve();
      });
      runner.on('pass', () => {
        results.passed++;
        results.total++;
        write();
        // Self-test of the driver's false-pass guard: the host "dies" mid-run (the workbench then reports 0).
        if (process.env.TOKEN_RELAY_HOST_SIMULATE_CRASH === '1') process.exit(0);
      });
      runner.on('fail', (test, err: Error) => {
        results.failed++;
        results.total++;
        results.failures.push({ title: test.fullTitle(), error: String(err?.stack ?? err).slice(0, 2000) });
        write();
      });
      runner.on('pending', () => {
        results.pending++;
        write();
      });
    } catch (e) {
      reject(e);
    }
  });
}
