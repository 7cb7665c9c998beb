/**
 * The language server's lifecycle: which command starts it (serverResolver), the LanguageClient,
 * start / stop / restart (one at a time, in order), crash restarts, settings sent to the server,
 * and the problem notice while it cannot run.
 */
import { existsSync } from "node:fs";
import * as os from "node:os";
import * as vscode from "vscode";
import {
    CloseAction,
    DidChangeConfigurationNotification,
    ErrorAction,
    LanguageClient,
    LanguageClientOptions,
    Middleware,
    RevealOutputChannelOn,
    ServerOptions,
    State,
} from "vscode-languageclient/node";
import { NoticeLink, Notices, describeError } from "./notices";
import { canImport, probeBundle, which } from "./probe";
import { NotificationProgressFeature } from "./progress";
import { onPythonInterpreterChanged, pythonExtensionInterpreter } from "./python";
import { PYTHON_DOWNLOAD_URL, ServerCommand, ServerNotFound, ServerSource, resolveServerCommand } from "./serverResolver";
import { RESTART_SETTINGS, buildServerSettings } from "./settings";
import { LANGUAGE_ID, OllamaStatusBar, STATUS_NOTIFICATION } from "./statusBar";

export const SECTION = "namel3ss";
export const OPEN_SETTING_COMMAND = "namel3ss.openSetting";
export const SHOW_OUTPUT_COMMAND = "namel3ss.showOutput";
export const RESTART_COMMAND = "namel3ss.restartServer";

const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 3 * 60 * 1000;
/** Settings typed in the Settings UI arrive a few keystrokes at a time: restart once they settle. */
const RESTART_DEBOUNCE_MS = 800;

/**
 * vscode-languageclient writes errors with their stack trace to the output channel and forces its
 * own notification for some ("couldn't create connection to server"). Here the message alone goes
 * to the output, and the lifecycle shows the one notice.
 */
class QuietLanguageClient extends LanguageClient {
    override error(message: string, data?: unknown, _showNotification?: boolean | "force"): void {
        const concise = data instanceof Error ? data.message : data;
        super.error(message, concise, false);
    }
}

export interface LifecycleHooks {
    /** Routes the server commands that have a client-side presentation (code lenses, quick fixes). */
    executeCommand: NonNullable<Middleware["executeCommand"]>;
    /** Called with each new client's progress feature (the Try Model output listens to it). */
    onProgressFeature(feature: NotificationProgressFeature): void;
}

export class ServerLifecycle implements vscode.Disposable {
    client: LanguageClient | undefined;
    source: ServerSource | undefined;
    private progressFeature: NotificationProgressFeature | undefined;
    private queue: Promise<void> = Promise.resolve();
    private restartTimer: ReturnType<typeof setTimeout> | undefined;
    private crashes: number[] = [];
    private stopping = false;
    private disposed = false;
    private readonly disposables: vscode.Disposable[] = [];

    constructor(
        private readonly context: vscode.ExtensionContext,
        private readonly output: vscode.OutputChannel,
        private readonly traceOutput: vscode.OutputChannel,
        private readonly statusBar: OllamaStatusBar,
        private readonly notices: Notices,
        private readonly hooks: LifecycleHooks,
    ) {
        this.disposables.push(
            vscode.workspace.onDidChangeConfiguration((e) => {
                if (RESTART_SETTINGS.some((s) => e.affectsConfiguration(s))) {
                    this.scheduleRestart();
                } else if (e.affectsConfiguration(SECTION)) {
                    this.sendSettings();
                    this.statusBar.render();
                }
            }),
        );
        const pyChange = onPythonInterpreterChanged(() => {
            if (this.source === "python-extension" || !this.client) {
                this.scheduleRestart();
            }
        });
        if (pyChange) {
            this.disposables.push(pyChange);
        }
    }

    private log(line: string): void {
        this.output.appendLine(`[namel3ss] ${line}`);
    }

    /** Runs lifecycle operations one at a time, in the order asked. */
    private enqueue(op: () => Promise<void>): Promise<void> {
        const next = this.queue.then(op).catch((error) => this.log(`lifecycle: ${describeError(error)}`));
        this.queue = next;
        return next;
    }

    start(): Promise<void> {
        return this.enqueue(() => this.doStart());
    }

    stop(): Promise<void> {
        clearTimeout(this.restartTimer);
        return this.enqueue(() => this.doStop());
    }

    restart(userInitiated: boolean): Promise<void> {
        clearTimeout(this.restartTimer);
        if (userInitiated) {
            this.crashes = [];
        }
        return this.enqueue(async () => {
            await this.doStop();
            await this.doStart();
        });
    }

    /** A restart after the settings have stopped changing. */
    scheduleRestart(delayMs = RESTART_DEBOUNCE_MS): void {
        clearTimeout(this.restartTimer);
        this.restartTimer = setTimeout(() => void this.restart(false), delayMs);
    }

    /** The client once any pending start/restart is done, if it runs. */
    async running(): Promise<LanguageClient | undefined> {
        await this.queue;
        const client = this.client;
        if (client && client.state === State.Starting) {
            // Restarting itself after a crash: wait for it (bounded).
            await new Promise<void>((resolve) => {
                const timer = setTimeout(done, 30_000);
                const sub = client.onDidChangeState((e) => e.newState !== State.Starting && done());
                function done() {
                    clearTimeout(timer);
                    sub.dispose();
                    resolve();
                }
            });
        }
        return client && client === this.client && client.state === State.Running ? client : undefined;
    }

    /** The `namel3ss` section as the server expects it ("" settings sent as null). */
    settings(scope?: vscode.Uri): ReturnType<typeof buildServerSettings> {
        return buildServerSettings(vscode.workspace.getConfiguration(SECTION, scope));
    }

    sendSettings(): void {
        const client = this.client;
        if (!client || client.state !== State.Running) {
            return;
        }
        client.sendNotification(DidChangeConfigurationNotification.type, { settings: { [SECTION]: this.settings() } }).catch((error) => {
            this.log(`sending the settings failed: ${describeError(error)}`);
        });
    }

    private bundleLauncher(): string | undefined {
        const launcher = this.context.asAbsolutePath("bundled/tool/lsp_server.py");
        const libs = this.context.asAbsolutePath("bundled/libs/namel3ss_lsp");
        return existsSync(launcher) && existsSync(libs) ? launcher : undefined;
    }

    private async resolve(): Promise<ServerCommand | ServerNotFound> {
        const config = vscode.workspace.getConfiguration(SECTION);
        const folder = vscode.workspace.workspaceFolders?.[0];
        const logLevel = config.get<string>("server.logLevel") ?? "WARNING";
        return resolveServerCommand({
            serverPath: config.get<string | null>("server.path"),
            pythonPath: config.get<string | null>("server.pythonPath"),
            pythonExtensionCommand: await pythonExtensionInterpreter(folder?.uri),
            bundleLauncher: this.bundleLauncher(),
            extraArgs: logLevel !== "WARNING" ? ["--log-level", logLevel] : [],
            workspaceFolder: folder?.uri.fsPath,
            homeDir: os.homedir(),
            platform: process.platform,
            which: (c) => which(c),
            canImport: (argv) => canImport(argv),
            probeBundle: (argv, launcher) => probeBundle(argv, launcher),
        });
    }

    private showProblem(key: string, message: string, links: NoticeLink[]): void {
        this.statusBar.setServerProblem(message);
        if (!this.disposed) {
            this.notices.problem(key, message, links);
        }
    }

    private notFound(missing: ServerNotFound): void {
        this.log(`the server cannot be started: ${missing.message}\n  tried:\n    ${missing.tried.join("\n    ")}`);
        const links: NoticeLink[] = [];
        if (missing.needsPython) {
            links.push({ label: "Get Python", url: PYTHON_DOWNLOAD_URL });
        }
        links.push({ label: "Open Settings", command: OPEN_SETTING_COMMAND, args: [missing.setting] });
        links.push({ label: "Show Output", command: SHOW_OUTPUT_COMMAND });
        this.showProblem(`not-found:${missing.message}`, missing.message, links);
    }

    private startFailed(message: string): void {
        this.showProblem(`failed:${message}`, message, [
            { label: "Restart Server", command: RESTART_COMMAND },
            { label: "Show Output", command: SHOW_OUTPUT_COMMAND },
            { label: "Open Settings", command: OPEN_SETTING_COMMAND, args: ["namel3ss.server.pythonPath"] },
        ]);
    }

    private async doStart(): Promise<void> {
        if (this.client || this.disposed) {
            return;
        }
        this.statusBar.reset();
        const resolved = await this.resolve();
        if (resolved.kind === "not-found") {
            this.source = undefined;
            this.notFound(resolved);
            return;
        }
        this.source = resolved.source;
        this.log(`starting ${resolved.description}`);
        const serverOptions: ServerOptions = {
            command: resolved.command,
            args: resolved.args,
            // No `transport`: TransportKind.stdio would append `--stdio`, which namel3ss-lsp does not take
            // (stdio is its default).
            options: { env: { ...process.env, PYTHONUNBUFFERED: "1", PYTHONIOENCODING: "utf-8" } },
        };
        let initialized = false;
        const client: LanguageClient = new QuietLanguageClient(SECTION, "Namel3ss", serverOptions, this.clientOptions(() => initialized, () => client));
        const progress = new NotificationProgressFeature(client);
        client.registerFeature(progress);
        this.hooks.onProgressFeature(progress);
        client.onNotification(STATUS_NOTIFICATION, (params: unknown) => this.statusBar.update(params));
        client.onDidChangeState((e) => {
            if (e.newState === State.Running) {
                initialized = true;
            } else if (e.newState === State.Stopped && this.client === client && !this.stopping && initialized && this.crashes.length > MAX_RESTARTS) {
                this.crashed();
            }
        });
        this.client = client;
        this.progressFeature = progress;
        try {
            await client.start();
            if (client.state !== State.Running) {
                throw new Error("the server stopped while starting");
            }
            initialized = true;
            this.notices.clearProblem();
            this.log(`server running (${resolved.description})`);
        } catch (error) {
            this.log(`could not start the server: ${describeError(error)}`);
            this.client = undefined;
            this.progressFeature = undefined;
            try {
                await client.dispose(2000);
            } catch {
                // already down
            }
            progress.dispose();
            this.startFailed("The Namel3ss language server could not start. See the Namel3ss output for why.");
        }
    }

    private crashed(): void {
        const message = `The Namel3ss language server stopped ${this.crashes.length} times in 3 minutes and was not restarted.`;
        this.log(message);
        this.showProblem("crashed", message, [
            { label: "Restart Server", command: RESTART_COMMAND },
            { label: "Show Output", command: SHOW_OUTPUT_COMMAND },
        ]);
    }

    private clientOptions(initialized: () => boolean, self: () => LanguageClient): LanguageClientOptions {
        return {
            documentSelector: [
                { scheme: "file", language: LANGUAGE_ID },
                { scheme: "untitled", language: LANGUAGE_ID },
            ],
            // Settings are sent by sendSettings() and answered in middleware.workspace.configuration,
            // both through buildServerSettings (empty strings become null, bad values defaults).
            initializationOptions: () => this.settings(),
            outputChannel: this.output,
            traceOutputChannel: this.traceOutput,
            revealOutputChannelOn: RevealOutputChannelOn.Never,
            initializationFailedHandler: (error) => {
                this.log(`the server failed to initialize: ${describeError(error)}`);
                return false;
            },
            errorHandler: {
                error: (_error, _message, count) => ({ action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true }),
                closed: () => {
                    if (this.stopping || this.client !== self()) {
                        return { action: CloseAction.DoNotRestart, handled: true };
                    }
                    if (!initialized()) {
                        this.log("the server exited while starting");
                        return { action: CloseAction.DoNotRestart, handled: true };
                    }
                    const now = Date.now();
                    this.crashes = this.crashes.filter((t) => now - t < RESTART_WINDOW_MS);
                    this.crashes.push(now);
                    if (this.crashes.length <= MAX_RESTARTS) {
                        this.log(`the server exited; restarting (${this.crashes.length}/${MAX_RESTARTS})`);
                        this.statusBar.reset();
                        return { action: CloseAction.Restart, handled: true };
                    }
                    return { action: CloseAction.DoNotRestart, handled: true };
                },
            },
            middleware: {
                executeCommand: this.hooks.executeCommand,
                workspace: {
                    configuration: async (params, token, next) => {
                        const result = await next(params, token);
                        if (!Array.isArray(result)) {
                            return result;
                        }
                        return params.items.map((item, i) =>
                            item.section === SECTION ? this.settings(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined) : result[i],
                        );
                    },
                },
            },
        };
    }

    private async doStop(): Promise<void> {
        const client = this.client;
        this.client = undefined;
        if (!client) {
            return;
        }
        this.stopping = true;
        try {
            if (client.state !== State.Stopped) {
                await client.dispose(5000);
            }
        } catch (error) {
            this.log(`stop: ${describeError(error)}`);
        } finally {
            this.stopping = false;
            this.progressFeature?.dispose();
            this.progressFeature = undefined;
            this.statusBar.reset();
        }
    }

    dispose(): void {
        this.disposed = true;
        clearTimeout(this.restartTimer);
        for (const d of this.disposables) {
            d.dispose();
        }
    }
}
