/**
 * A small stand-in for the `vscode` module (which only exists inside VS Code's extension host),
 * installed by setup.ts before any test imports extension code. Tests reach the fakes through
 * `mock` to set configuration values, installed extensions and to read what the code did.
 */
import Module = require("node:module");

export class FakeStatusBarItem {
    text = "";
    tooltip: string | undefined;
    command: string | undefined;
    name: string | undefined;
    backgroundColor: unknown;
    visible = false;
    disposed = false;
    constructor(
        readonly id: string,
        readonly alignment: number,
        readonly priority: number,
    ) {}
    show(): void {
        this.visible = true;
    }
    hide(): void {
        this.visible = false;
    }
    dispose(): void {
        this.disposed = true;
    }
}

export class EventEmitter<T> {
    private listeners: ((e: T) => void)[] = [];
    event = (listener: (e: T) => void) => {
        this.listeners.push(listener);
        return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
    };
    fire(e: T): void {
        for (const l of [...this.listeners]) {
            l(e);
        }
    }
    dispose(): void {
        this.listeners = [];
    }
}

export const mock = {
    configuration: {} as Record<string, unknown>,
    activeEditor: new EventEmitter<unknown>(),
    executed: [] as { command: string; args: unknown[] }[],
    extensions: {} as Record<string, unknown>,
    statusBarItems: [] as FakeStatusBarItem[],
    messages: [] as { kind: string; message: string; items: string[] }[],
    progress: [] as {
        options: { location: number; title?: string; cancellable?: boolean };
        reports: { message?: string; increment?: number }[];
        cancel: () => void;
        done: Promise<unknown>;
    }[],
    reset(): void {
        this.progress = [];
        this.configuration = {};
        this.extensions = {};
        this.statusBarItems = [];
        this.messages = [];
        this.activeEditor = new EventEmitter<unknown>();
        this.executed = [];
        vscodeMock.window.activeTextEditor = undefined;
        vscodeMock.env.remoteName = undefined;
    },
    /** Focus moves to an editor of a document (or to none). */
    focus(uri: string | undefined, languageId = "namel3ss"): void {
        const editor = uri === undefined ? undefined : { document: { languageId, uri: { toString: () => uri, fsPath: uri.replace(/^file:\/\//, "") } } };
        vscodeMock.window.activeTextEditor = editor;
        this.activeEditor.fire(editor);
    },
};

export const vscodeMock = {
    StatusBarAlignment: { Left: 1, Right: 2 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    QuickPickItemKind: { Separator: -1, Default: 0 },
    ThemeColor: class ThemeColor {
        constructor(readonly id: string) {}
    },
    EventEmitter,
    CancellationError: class CancellationError extends Error {},
    Uri: {
        file: (fsPath: string) => ({ fsPath, scheme: "file", toString: () => `file://${fsPath}` }),
    },
    window: {
        activeTextEditor: undefined as unknown,
        onDidChangeActiveTextEditor: (listener: (e: unknown) => void) => mock.activeEditor.event(listener),
        createStatusBarItem(id: string, alignment: number, priority: number) {
            const item = new FakeStatusBarItem(id, alignment, priority);
            mock.statusBarItems.push(item);
            return item;
        },
        createOutputChannel(name: string) {
            const lines: string[] = [];
            return { name, lines, append: (s: string) => lines.push(s), appendLine: (s: string) => lines.push(`${s}\n`), clear: () => (lines.length = 0), show() {}, dispose() {} };
        },
        showInformationMessage: (message: string, ...items: string[]) => {
            mock.messages.push({ kind: "info", message, items });
            return Promise.resolve(undefined);
        },
        showWarningMessage: (message: string, ...items: string[]) => {
            mock.messages.push({ kind: "warning", message, items });
            return Promise.resolve(undefined);
        },
        showErrorMessage: (message: string, ...items: string[]) => {
            mock.messages.push({ kind: "error", message, items });
            return Promise.resolve(undefined);
        },
        setStatusBarMessage: () => ({ dispose() {} }),
        withProgress(options: { location: number; title?: string; cancellable?: boolean }, task: (progress: unknown, token: unknown) => Promise<unknown>) {
            const reports: { message?: string; increment?: number }[] = [];
            const cancelled = new EventEmitter<void>();
            const token = { isCancellationRequested: false, onCancellationRequested: cancelled.event };
            const entry = {
                options,
                reports,
                cancel: () => {
                    token.isCancellationRequested = true;
                    cancelled.fire();
                },
                done: Promise.resolve() as Promise<unknown>,
            };
            mock.progress.push(entry);
            entry.done = task({ report: (r: { message?: string; increment?: number }) => reports.push(r) }, token);
            return entry.done;
        },
    },
    workspace: {
        getConfiguration(section?: string) {
            const prefix = section ? `${section}.` : "";
            return {
                get<T>(key: string, defaultValue?: T): T | undefined {
                    const full = prefix + key;
                    return (full in mock.configuration ? mock.configuration[full] : defaultValue) as T | undefined;
                },
                has: (key: string) => prefix + key in mock.configuration,
            };
        },
        workspaceFolders: undefined,
        onDidChangeConfiguration: () => ({ dispose() {} }),
    },
    extensions: {
        getExtension(id: string) {
            return mock.extensions[id];
        },
    },
    commands: {
        registerCommand: () => ({ dispose() {} }),
        executeCommand: (command: string, ...args: unknown[]) => {
            mock.executed.push({ command, args });
            return Promise.resolve(undefined);
        },
    },
    languages: { getDiagnostics: () => [] },
    env: { clipboard: { writeText: () => Promise.resolve() }, remoteName: undefined as string | undefined },
};

export function installVscodeMock(): void {
    const mod = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string; _cache?: unknown };
    const original = mod._resolveFilename;
    mod._resolveFilename = function (request: string, ...rest: unknown[]) {
        if (request === "vscode") {
            return "vscode";
        }
        return original.call(this, request, ...rest);
    };
    require.cache["vscode"] = { id: "vscode", filename: "vscode", loaded: true, exports: vscodeMock } as unknown as NodeJS.Module;
}
