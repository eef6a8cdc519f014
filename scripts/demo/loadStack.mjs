// Loads scripts/demo/stack.ts (and the TypeScript support servers it uses) through tsx, in this process.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

let registered = false;

/** -> startDemoStack(opts) from scripts/demo/stack.ts */
export async function loadDemoStack() {
  if (!registered) {
    // The repo has no "type": "module", so tsx treats .ts files as CommonJS: both hooks are needed.
    const { register } = await import('tsx/esm/api');
    const { register: registerCjs } = await import('tsx/cjs/api');
    register();
    registerCjs();
    registered = true;
  }
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'stack.ts');
  const mod = await import(pathToFileURL(file).href);
  const start = mod.startDemoStack ?? mod.default?.startDemoStack;
  if (typeof start !== 'function') throw new Error(`${file} does not export startDemoStack()`);
  return start;
}
