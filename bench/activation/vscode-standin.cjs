'use strict';
/**
 * A minimal `vscode` module for the activation benchmark: enough of the API for `activate()` to run
 * in plain Node (commands, status bar, log output channel, configuration, secrets, events, l10n, Uri …).
 * Everything is inert: commands register, messages resolve to undefined, nothing is shown.
 * Any API member we did not model (a top-level export, or a member of window/workspace/commands/env …) is
 * answered by an inert catch-all and recorded in `standin.missing`, so the benchmark can report which parts of
 * the API activation touched that this file lacks.
 */
const path = require('node:path');

const missing = new Set();
const registeredCommands = new Map();

/** A callable, constructible, property-tolerant no-op (never thenable). */
function inert(name) {
  const fn = function () {
    return inert(`${name}()`);
  };
  return new Proxy(fn, {
    get(target, prop) {
      if (prop === 'then') return undefined;
      if (prop === Symbol.toPrimitive) return () => '';
      if (prop === Symbol.iterator) return function* () {};
      if (prop === 'dispose') return () => {};
      if (typeof prop === 'symbol') return undefined;
      missing.add(`${name}.${String(prop)}`);
      return inert(`${name}.${String(prop)}`);
    },
    apply() {
      missing.add(`${name}()`);
      return inert(`${name}()`);
    },
    construct() {
      missing.add(`new ${name}`);
      return inert(`new ${name}`);
    },
  });
}

/** Wraps a namespace object so unknown members become recorded inert values. */
function ns(name, obj) {
  return new Proxy(obj, {
    get(target, prop) {
      if (prop in target || typeof prop === 'symbol') return target[prop];
      if (prop === 'then' || prop === '__esModule') return undefined;
      missing.add(`${name}.${String(prop)}`);
      return inert(`${name}.${String(prop)}`);
    },
  });
}

class Disposable {
  static from(...items) {
    return new Disposable(() => items.forEach((d) => d && typeof d.dispose === 'function' && d.dispose()));
  }
  constructor(fn) {
    this._fn = fn;
  }
  dispose() {
    if (this._fn) this._fn();
    this._fn = undefined;
  }
}

class EventEmitter {
  constructor() {
    this._listeners = new Set();
    this.event = (listener, thisArg, disposables) => {
      const l = thisArg ? listener.bind(thisArg) : listener;
      this._listeners.add(l);
      const d = new Disposable(() => this._listeners.delete(l));
      if (Array.isArray(disposables)) disposables.push(d);
      return d;
    };
  }
  fire(data) {
    for (const l of [...this._listeners]) l(data);
  }
  dispose() {
    this._listeners.clear();
  }
}
const noEvent = () => new Disposable(() => {});

class Uri {
  constructor(scheme, authority, p, query, fragment) {
    this.scheme = scheme;
    this.authority = authority || '';
    this.path = p || '';
    this.query = query || '';
    this.fragment = fragment || '';
  }
  get fsPath() {
    return this.path;
  }
  static file(p) {
    return new Uri('file', '', path.resolve(p));
  }
  static parse(s) {
    const u = new URL(s);
    return new Uri(
      u.protocol.replace(/:$/, ''),
      u.host,
      decodeURIComponent(u.pathname),
      u.search.slice(1),
      u.hash.slice(1),
    );
  }
  static joinPath(base, ...parts) {
    return new Uri(base.scheme, base.authority, path.posix.join(base.path, ...parts), base.query, base.fragment);
  }
  static from(c) {
    return new Uri(c.scheme, c.authority, c.path, c.query, c.fragment);
  }
  with(c) {
    return new Uri(
      c.scheme ?? this.scheme,
      c.authority ?? this.authority,
      c.path ?? this.path,
      c.query ?? this.query,
      c.fragment ?? this.fragment,
    );
  }
  toString() {
    return `${this.scheme}://${this.authority}${this.path}${this.query ? '?' + this.query : ''}${this.fragment ? '#' + this.fragment : ''}`;
  }
  toJSON() {
    return this.toString();
  }
}

class ThemeColor {
  constructor(id) {
    this.id = id;
  }
}
class ThemeIcon {
  constructor(id, color) {
    this.id = id;
    this.color = color;
  }
}
class MarkdownString {
  constructor(value = '', supportThemeIcons = false) {
    this.value = value;
    this.supportThemeIcons = supportThemeIcons;
    this.isTrusted = false;
  }
  appendText(t) {
    this.value += t.replace(/[\\`*_{}[\]()#+\-.!]/g, '\\$&');
    return this;
  }
  appendMarkdown(t) {
    this.value += t;
    return this;
  }
  appendCodeblock(code, lang = '') {
    this.value += '\n```' + lang + '\n' + code + '\n```\n';
    return this;
  }
}
class RelativePattern {
  constructor(base, pattern) {
    this.base = base;
    this.pattern = pattern;
  }
}
class CancellationTokenSource {
  constructor() {
    const emitter = new EventEmitter();
    this.token = { isCancellationRequested: false, onCancellationRequested: emitter.event };
    this._emitter = emitter;
  }
  cancel() {
    this.token.isCancellationRequested = true;
    this._emitter.fire();
  }
  dispose() {}
}

const StatusBarAlignment = { Left: 1, Right: 2 };
const ProgressLocation = { SourceControl: 1, Window: 10, Notification: 15 };
const ConfigurationTarget = { Global: 1, Workspace: 2, WorkspaceFolder: 3 };
const LogLevel = { Off: 0, Trace: 1, Debug: 2, Info: 3, Warning: 4, Error: 5 };
const ExtensionMode = { Production: 1, Development: 2, Test: 3 };
const UIKind = { Desktop: 1, Web: 2 };
const QuickPickItemKind = { Separator: -1, Default: 0 };
const ViewColumn = { Active: -1, Beside: -2, One: 1, Two: 2 };
const TextEditorRevealType = { Default: 0, InCenter: 1, InCenterIfOutsideViewport: 2, AtTop: 3 };

function memento() {
  const m = new Map();
  return {
    get: (k, d) => (m.has(k) ? m.get(k) : d),
    update: async (k, v) => void (v === undefined ? m.delete(k) : m.set(k, v)),
    keys: () => [...m.keys()],
    setKeysForSync: () => {},
  };
}

function configuration(section) {
  const values = new Map();
  return {
    get: (key, dflt) => (values.has(key) ? values.get(key) : dflt),
    has: (key) => values.has(key),
    inspect: (key) => ({ key: section ? `${section}.${key}` : key, defaultValue: undefined }),
    update: async (key, value) => void values.set(key, value),
  };
}

function outputChannel(name, opts) {
  const log = !!(opts && typeof opts === 'object' && opts.log);
  const ch = {
    name,
    append() {},
    appendLine() {},
    replace() {},
    clear() {},
    show() {},
    hide() {},
    dispose() {},
  };
  if (log) {
    Object.assign(ch, {
      logLevel: LogLevel.Info,
      onDidChangeLogLevel: noEvent,
      trace() {},
      debug() {},
      info() {},
      warn() {},
      error() {},
    });
  }
  return ch;
}

function statusBarItem(idOrAlignment, alignment, priority) {
  const id = typeof idOrAlignment === 'string' ? idOrAlignment : undefined;
  return {
    id,
    alignment: typeof idOrAlignment === 'number' ? idOrAlignment : alignment,
    priority,
    name: undefined,
    text: '',
    tooltip: undefined,
    color: undefined,
    backgroundColor: undefined,
    command: undefined,
    accessibilityInformation: undefined,
    show() {},
    hide() {},
    dispose() {},
  };
}

const workspaceRoot = process.env.TOKEN_RELAY_BENCH_WORKSPACE;
const workspaceFolders = workspaceRoot
  ? [{ uri: Uri.file(workspaceRoot), name: path.basename(workspaceRoot), index: 0 }]
  : undefined;

const fileSystemWatcher = () => ({
  onDidChange: noEvent,
  onDidCreate: noEvent,
  onDidDelete: noEvent,
  ignoreChangeEvents: false,
  ignoreCreateEvents: false,
  ignoreDeleteEvents: false,
  dispose() {},
});

const fsApi = {
  async readFile(uri) {
    return require('node:fs/promises').readFile(uri.fsPath);
  },
  async writeFile(uri, data) {
    return require('node:fs/promises').writeFile(uri.fsPath, data);
  },
  async stat(uri) {
    const s = await require('node:fs/promises').stat(uri.fsPath);
    return { type: s.isDirectory() ? 2 : 1, ctime: s.ctimeMs, mtime: s.mtimeMs, size: s.size };
  },
  async createDirectory(uri) {
    await require('node:fs/promises').mkdir(uri.fsPath, { recursive: true });
  },
  async delete(uri) {
    await require('node:fs/promises').rm(uri.fsPath, { recursive: true, force: true });
  },
};

const vscode = {
  version: '1.96.0',
  Disposable,
  EventEmitter,
  Uri,
  ThemeColor,
  ThemeIcon,
  MarkdownString,
  RelativePattern,
  CancellationTokenSource,
  StatusBarAlignment,
  ProgressLocation,
  ConfigurationTarget,
  LogLevel,
  ExtensionMode,
  UIKind,
  QuickPickItemKind,
  ViewColumn,
  TextEditorRevealType,
  commands: ns('commands', {
    registerCommand(id, cb) {
      registeredCommands.set(id, cb);
      return new Disposable(() => registeredCommands.delete(id));
    },
    async executeCommand() {
      return undefined;
    },
    async getCommands() {
      return [...registeredCommands.keys()];
    },
  }),
  window: ns('window', {
    createStatusBarItem: statusBarItem,
    createOutputChannel: outputChannel,
    async showInformationMessage() {
      return undefined;
    },
    async showWarningMessage() {
      return undefined;
    },
    async showErrorMessage() {
      return undefined;
    },
    async showQuickPick() {
      return undefined;
    },
    async showInputBox() {
      return undefined;
    },
    async showTextDocument() {
      return undefined;
    },
    async withProgress(_opts, task) {
      return task({ report() {} }, new CancellationTokenSource().token);
    },
    setStatusBarMessage: () => new Disposable(() => {}),
    onDidChangeWindowState: noEvent,
    onDidChangeActiveTextEditor: noEvent,
    activeTextEditor: undefined,
    state: { focused: true, active: true },
  }),
  workspace: ns('workspace', {
    getConfiguration: configuration,
    onDidChangeConfiguration: noEvent,
    onDidChangeWorkspaceFolders: noEvent,
    onDidGrantWorkspaceTrust: noEvent,
    onDidSaveTextDocument: noEvent,
    onDidChangeTextDocument: noEvent,
    createFileSystemWatcher: fileSystemWatcher,
    workspaceFolders,
    isTrusted: true,
    name: workspaceFolders ? workspaceFolders[0].name : undefined,
    getWorkspaceFolder: (uri) => workspaceFolders && workspaceFolders.find((f) => uri.fsPath.startsWith(f.uri.fsPath)),
    textDocuments: [],
    fs: fsApi,
    async openTextDocument() {
      return undefined;
    },
    async findFiles() {
      return [];
    },
    async applyEdit() {
      return true;
    },
  }),
  env: ns('env', {
    appName: 'Visual Studio Code',
    appHost: 'desktop',
    uiKind: UIKind.Desktop,
    language: 'en',
    machineId: 'bench',
    sessionId: 'bench',
    remoteName: undefined,
    isTelemetryEnabled: false,
    onDidChangeTelemetryEnabled: noEvent,
    async openExternal() {
      return true;
    },
    async asExternalUri(u) {
      return u;
    },
    clipboard: {
      async readText() {
        return '';
      },
      async writeText() {},
    },
  }),
  l10n: {
    t(message, ...args) {
      if (typeof message === 'object' && message) message = message.message;
      const params = args.length === 1 && args[0] && typeof args[0] === 'object' ? args[0] : args;
      return String(message).replace(/\{(\w+)\}/g, (m, k) => (params[k] !== undefined ? String(params[k]) : m));
    },
    bundle: undefined,
    uri: undefined,
  },
  extensions: ns('extensions', { getExtension: () => undefined, all: [], onDidChange: noEvent }),
  languages: ns('languages', {}),
};

/** A fresh ExtensionContext for one activation. */
function createContext(extensionPath, storageDir) {
  const secrets = new Map();
  const secretsChanged = new EventEmitter();
  return {
    subscriptions: [],
    extensionPath,
    extensionUri: Uri.file(extensionPath),
    asAbsolutePath: (p) => path.join(extensionPath, p),
    storageUri: Uri.file(path.join(storageDir, 'workspace')),
    storagePath: path.join(storageDir, 'workspace'),
    globalStorageUri: Uri.file(path.join(storageDir, 'global')),
    globalStoragePath: path.join(storageDir, 'global'),
    logUri: Uri.file(path.join(storageDir, 'log')),
    logPath: path.join(storageDir, 'log'),
    extensionMode: ExtensionMode.Production,
    globalState: memento(),
    workspaceState: memento(),
    secrets: {
      async get(k) {
        return secrets.get(k);
      },
      async store(k, v) {
        secrets.set(k, v);
        secretsChanged.fire({ key: k });
      },
      async delete(k) {
        secrets.delete(k);
        secretsChanged.fire({ key: k });
      },
      onDidChange: secretsChanged.event,
    },
    environmentVariableCollection: inert('context.environmentVariableCollection'),
    extension: {
      id: 'token-relay.token-relay-salesforce',
      extensionPath,
      extensionUri: Uri.file(extensionPath),
      packageJSON: {},
    },
    extensionRuntime: 1,
    languageModelAccessInformation: inert('context.languageModelAccessInformation'),
  };
}

/**
 * The real API object has one own property per runtime export of the `vscode` module (about 400 in 1.96:
 * classes, enums, namespaces). Bundled code that does `import * as vscode from 'vscode'` copies all of them
 * (esbuild's __toESM) once per importing file, so the stand-in carries the same names: the ones not modelled
 * above are inert placeholders, recorded as missing only when activation actually uses them.
 */
function addRealExportNames(target) {
  let dts;
  try {
    dts = require('node:fs').readFileSync(
      require.resolve('@types/vscode/index.d.ts', { paths: [process.cwd(), __dirname] }),
      'utf8',
    );
  } catch {
    return 0;
  }
  const names = new Set();
  for (const m of dts.matchAll(/^\s{1,4}export (?:class|enum|namespace|const|let|function) ([A-Za-z_$][\w$]*)/gm))
    names.add(m[1]);
  let added = 0;
  for (const name of names) {
    if (name in target) continue;
    // A data property, as on the real API object (the copy cost differs for accessors); the inert value
    // records any use of it (a member read, a call, `new`).
    target[name] = inert(`vscode.${name}`);
    added++;
  }
  return added;
}
const placeholderExports = addRealExportNames(vscode);

// A plain object like the real one (not a Proxy: esbuild's __toESM copies every property of it, and a Proxy
// would make that copy several times slower than in VS Code). Members of the real API that are not modelled
// are recorded by their placeholder getters above.
module.exports = vscode;
Object.defineProperty(module.exports, '__standin', {
  enumerable: false,
  value: { missing, registeredCommands, createContext, exportCount: Object.keys(vscode).length, placeholderExports },
});
