/**
 * The manifest and src/extension/settings.ts name the same commands and settings: every contributed command is
 * a `CommandIds` value (and the other way round), every contributed setting a `SettingKeys` value under
 * `tokenRelay.`, and every command the menus and the walkthrough run exists. settings.ts imports `vscode`, so it
 * is read as text here (a plain object literal of string constants).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const settingsTs = readFileSync(path.join(root, 'src', 'extension', 'settings.ts'), 'utf8');

function constObject(name: string): Record<string, string> {
  const m = new RegExp(`export const ${name} = \\{([\\s\\S]*?)\\} as const;`).exec(settingsTs);
  assert.ok(m, `settings.ts has no \`export const ${name} = { … } as const\``);
  return Object.fromEntries([...m[1]!.matchAll(/^\s*(\w+):\s*'([^']+)',/gm)].map((x) => [x[1]!, x[2]!]));
}

test('contributed commands = CommandIds', () => {
  const ids = Object.values(constObject('CommandIds')).sort();
  const contributed = (pkg.contributes.commands as Array<{ command: string }>).map((c) => c.command).sort();
  assert.deepEqual(contributed, ids);
  const used =
    JSON.stringify([pkg.contributes.menus, pkg.contributes.walkthroughs]).match(
      /\bcommand:tokenRelay\.\w+|"command":\s*"tokenRelay\.\w+"/g,
    ) ?? [];
  for (const u of used) {
    const id = /tokenRelay\.\w+/.exec(u)![0];
    assert.ok(ids.includes(id), `the manifest runs ${id}, which is not a CommandIds value`);
  }
});

test('contributed settings = SettingKeys under tokenRelay.', () => {
  const section = /export const SECTION = '([^']+)';/.exec(settingsTs)?.[1];
  assert.equal(section, 'tokenRelay');
  const conf = pkg.contributes.configuration;
  const props = Array.isArray(conf)
    ? Object.assign({}, ...conf.map((c: { properties?: object }) => c.properties ?? {}))
    : conf.properties;
  const keys = Object.values(constObject('SettingKeys'))
    .map((k) => `${section}.${k}`)
    .sort();
  assert.deepEqual(Object.keys(props).sort(), keys);
});
