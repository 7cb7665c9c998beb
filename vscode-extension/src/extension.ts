import * as os from "node:os";
import * as vscode from "vscode";
import {
    CloseAction,
    ErrorAction,
    ExecuteCommandRequest,
    LanguageClient,
    LanguageClientOptions,
    LSPErrorCodes,
    ProgressToken,
    ResponseError,
    RevealOutputChannelOn,
    ServerOptions,
    State,
} from "vscode-languageclient/node";
import {
    ACTION_PULL,
    ACTION_REMOVE,
    ACTION_RETRY,
    ACTION_SETTINGS,
    ACTION_START,
    OllamaStatus,
    TryModelResult,
    formatBytes,
    formatTryMetrics,
    statusActions,
    statusMessage,
} from "./format";
import { LIBRARY_MODELS } from "./library";
import { canImport, which } from "./probe";
import { NotificationProgressFeature, ProgressEvent } from "./progress";
import { onPythonInterpreterChanged, pythonExtensionInterpreter } from "./python";
import { ServerCommand, ServerNotFound, resolveServerCommand } from "./serverResolver";
import { RESTART_SETTINGS, buildServerSettings } from "./settings";
import { OllamaStatusBar, STATUS_NOTIFICATION, normalizeStatus } from "./statusBar";

/** Server commands of the contract (DESIGN.md section 3). */
export const SERVER_COMMANDS = {
    pull: "namel3ss.ollama.pullModel",
    remove: "namel3ss.ollama.removeModel",
    list: "namel3ss.ollama.listModels",
    status: "namel3ss.ollama.status",
    refresh: "namel3ss.ollama.refresh",
    start: "namel3ss.ollama.startServer",
    tryModel: "namel3ss.ollama.tryModel",
} as const;

/** Client commands (package.json `contributes.commands`). */
export const CLIENT_COMMANDS = {
    pull: "namel3ss.pullModel",
    remove: "namel3ss.removeModel",
    refresh: "namel3ss.refreshModels",
    status: "namel3ss.showStatus",
    start: "namel3ss.startOllama",
    tryModel: "namel3ss.tryModel",
    output: "namel3ss.showOutput",
    restart: "namel3ss.restartServer",
} as const;

interface ModelArg {
    [key: string]: unknown;
    model?: string;
    baseUrl?: string;
    prompt?: string;
    confirmed?: boolean;
}

interface InstalledModel {
    name: string;
    size?: number;
    modified_at?: string;
    details?: { parameter_size?: string; quantization_level?: string; family?: string } | null;
}

const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 3 * 60 * 1000;

export class Namel3ssExtension implements vscode.Disposable {
    readonly output = vscode.window.createOutputChannel("Namel3ss");
    readonly traceOutput = vscode.window.createOutputChannel("Namel3ss Trace");
    readonly tryOutput = vscode.window.createOutputChannel("Namel3ss: Try Model");
    readonly statusBar: OllamaStatusBar;
    client: LanguageClient | undefined;
    private progressFeature: NotificationProgressFeature | undefined;
    private readonly disposables: vscode.Disposable[] = [];
    private startPromise: Promise<void> | undefined;
    private crashes: number[] = [];
    private missingNotified = false;
    private serverSource: ServerCommand["source"] | undefined;
    private stopping = false;
    private readonly activeTries = new Set<(e: ProgressEvent) => void>();

    constructor(private readonly context: vscode.ExtensionContext) {
        this.statusBar = new OllamaStatusBar(() => vscode.workspace.getConfiguration("namel3ss").get<string | null>("ollama.baseUrl"), CLIENT_COMMANDS.status);
        this.disposables.push(this.output, this.traceOutput, this.tryOutput, this.statusBar);
    }

    activate(): void {
        const reg = (id: string, fn: (...args: any[]) => unknown) => this.disposables.push(vscode.commands.registerCommand(id, fn));
        reg(CLIENT_COMMANDS.pull, (arg?: ModelArg) => this.pullModelCommand(arg));
        reg(CLIENT_COMMANDS.remove, (arg?: ModelArg) => this.removeModelCommand(arg));
        reg(CLIENT_COMMANDS.refresh, () => this.refreshModels());
        reg(CLIENT_COMMANDS.status, () => this.showStatus());
        reg(CLIENT_COMMANDS.start, (arg?: ModelArg) => this.startOllama(arg));
        reg(CLIENT_COMMANDS.tryModel, (arg?: ModelArg) => this.tryModelCommand(arg));
        reg(CLIENT_COMMANDS.output, () => this.output.show(true));
        reg(CLIENT_COMMANDS.restart, () => this.restart(true));

        this.disposables.push(
            vscode.workspace.onDidChangeConfiguration((e) => {
                if (RESTART_SETTINGS.some((s) => e.affectsConfiguration(s))) {
                    void this.restart(true);
                } else if (e.affectsConfiguration("namel3ss.ollama.baseUrl")) {
                    this.statusBar.render();
                }
            }),
        );
        const pyChange = onPythonInterpreterChanged(() => {
            if (this.serverSource === "python-extension" || this.serverSource === undefined) {
                void this.restart(false);
            }
        });
        if (pyChange) {
            this.disposables.push(pyChange);
        }
        void this.start();
    }

    // ---------------------------------------------------------------- server lifecycle

    start(): Promise<void> {
        if (!this.startPromise) {
            this.startPromise = this.doStart().finally(() => {
                this.startPromise = undefined;
            });
        }
        return this.startPromise;
    }

    private async resolve(): Promise<ServerCommand | ServerNotFound> {
        const config = vscode.workspace.getConfiguration("namel3ss");
        const folder = vscode.workspace.workspaceFolders?.[0];
        const logLevel = config.get<string>("server.logLevel") ?? "WARNING";
        return resolveServerCommand({
            serverPath: config.get<string | null>("server.path"),
            pythonPath: config.get<string | null>("server.pythonPath"),
            pythonExtensionCommand: await pythonExtensionInterpreter(folder?.uri),
            extraArgs: logLevel !== "WARNING" ? ["--log-level", logLevel] : [],
            workspaceFolder: folder?.uri.fsPath,
            homeDir: os.homedir(),
            platform: process.platform,
            which: (c) => which(c),
            canImport: (argv) => canImport(argv),
        });
    }

    private async doStart(): Promise<void> {
        if (this.client) {
            return;
        }
        const resolved = await this.resolve();
        if (resolved.kind === "not-found") {
            this.output.appendLine(`[namel3ss] server not found. Tried:\n  ${resolved.tried.join("\n  ")}`);
            this.statusBar.setServerProblem(resolved.message);
            this.notifyMissing(resolved);
            return;
        }
        this.serverSource = resolved.source;
        this.output.appendLine(`[namel3ss] starting ${resolved.description}`);
        const serverOptions: ServerOptions = {
            command: resolved.command,
            args: resolved.args,
            // No `transport`: TransportKind.stdio would append `--stdio`, which namel3ss-lsp does not take
            // (stdio is its default).
            options: { env: { ...process.env, PYTHONUNBUFFERED: "1", PYTHONIOENCODING: "utf-8" } },
        };
        let initialized = false;
        const clientOptions: LanguageClientOptions = {
            documentSelector: [
                { scheme: "file", language: "namel3ss" },
                { scheme: "untitled", language: "namel3ss" },
            ],
            synchronize: { configurationSection: "namel3ss" },
            initializationOptions: () => buildServerSettings(vscode.workspace.getConfiguration("namel3ss")),
            outputChannel: this.output,
            traceOutputChannel: this.traceOutput,
            revealOutputChannelOn: RevealOutputChannelOn.Never,
            initializationFailedHandler: (error) => {
                this.output.appendLine(`[namel3ss] the server failed to initialize: ${error instanceof Error ? error.message : String(error)}`);
                this.statusBar.setServerProblem("The Namel3ss language server failed to start. See the Namel3ss output.");
                return false;
            },
            errorHandler: {
                error: (_error, _message, count) => ({ action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true }),
                closed: () => {
                    if (this.stopping) {
                        return { action: CloseAction.DoNotRestart, handled: true };
                    }
                    if (!initialized) {
                        this.statusBar.setServerProblem("The Namel3ss language server exited while starting. See the Namel3ss output.");
                        return { action: CloseAction.DoNotRestart, handled: true };
                    }
                    const now = Date.now();
                    this.crashes = this.crashes.filter((t) => now - t < RESTART_WINDOW_MS);
                    this.crashes.push(now);
                    if (this.crashes.length <= MAX_RESTARTS) {
                        this.output.appendLine(`[namel3ss] the server exited; restarting (${this.crashes.length}/${MAX_RESTARTS})`);
                        return { action: CloseAction.Restart, handled: true };
                    }
                    const message = `The Namel3ss language server stopped ${this.crashes.length} times in 3 minutes and was not restarted.`;
                    this.statusBar.setServerProblem(message);
                    void vscode.window.showErrorMessage(message, "Show Output", "Restart Server").then((choice) => {
                        if (choice === "Show Output") {
                            this.output.show(true);
                        } else if (choice === "Restart Server") {
                            void this.restart(true);
                        }
                    });
                    return { action: CloseAction.DoNotRestart, handled: true };
                },
            },
            middleware: {
                // Code lenses and code actions run the server's commands directly; route the ones
                // with a client-side presentation (try model output, pull/remove results) through it.
                executeCommand: async (command, args, next) => {
                    const arg = (args?.[0] ?? {}) as ModelArg;
                    switch (command) {
                        case SERVER_COMMANDS.tryModel:
                            return this.tryModel(arg);
                        case SERVER_COMMANDS.pull:
                            return this.pullModel(arg);
                        case SERVER_COMMANDS.remove:
                            return this.removeModel(arg);
                        default:
                            return next(command, args);
                    }
                },
            },
        };
        const client = new LanguageClient("namel3ss", "Namel3ss", serverOptions, clientOptions);
        const progress = new NotificationProgressFeature(client);
        client.registerFeature(progress);
        progress.onProgress((e) => {
            for (const listener of this.activeTries) {
                listener(e);
            }
        });
        client.onNotification(STATUS_NOTIFICATION, (params: unknown) => this.statusBar.update(params));
        client.onDidChangeState((e) => {
            if (e.newState === State.Running) {
                initialized = true;
            }
        });
        this.client = client;
        this.progressFeature = progress;
        this.statusBar.reset();
        try {
            await client.start();
            if (client.state !== State.Running) {
                throw new Error("the server stopped while starting");
            }
            initialized = true;
            this.output.appendLine(`[namel3ss] server running (${resolved.source})`);
        } catch (error) {
            this.output.appendLine(`[namel3ss] could not start the server: ${error instanceof Error ? error.message : String(error)}`);
            this.statusBar.setServerProblem("The Namel3ss language server failed to start. See the Namel3ss output.");
            this.client = undefined;
            this.progressFeature = undefined;
            try {
                await client.dispose();
            } catch {
                // already down
            }
            progress.dispose();
        }
    }

    private notifyMissing(missing: ServerNotFound): void {
        if (this.missingNotified) {
            return;
        }
        this.missingNotified = true;
        const copy = "Copy Install Command";
        const install = "Install in Terminal";
        void vscode.window.showErrorMessage(missing.message, copy, install, ACTION_SETTINGS).then(async (choice) => {
            if (choice === copy) {
                await vscode.env.clipboard.writeText(missing.installCommand);
                vscode.window.setStatusBarMessage(`Copied: ${missing.installCommand}`, 5000);
            } else if (choice === install) {
                const terminal = vscode.window.createTerminal("Install namel3ss-lsp");
                terminal.show();
                terminal.sendText(missing.installCommand);
                void vscode.window
                    .showInformationMessage('When the installation has finished, run "Namel3ss: Restart Server".', "Restart Server")
                    .then((c) => c && this.restart(true));
            } else if (choice === ACTION_SETTINGS) {
                await vscode.commands.executeCommand("workbench.action.openSettings", "namel3ss.server");
            }
        });
    }

    async stop(): Promise<void> {
        const client = this.client;
        this.client = undefined;
        if (!client) {
            return;
        }
        this.stopping = true;
        try {
            if (client.state !== State.Stopped) {
                await client.stop(5000);
            }
        } catch (error) {
            this.output.appendLine(`[namel3ss] stop: ${error instanceof Error ? error.message : String(error)}`);
        } finally {
            this.stopping = false;
            this.progressFeature?.dispose();
            this.progressFeature = undefined;
        }
    }

    async restart(userInitiated: boolean): Promise<void> {
        if (userInitiated) {
            this.missingNotified = false;
            this.crashes = [];
        }
        await this.startPromise?.catch(() => undefined);
        await this.stop();
        await this.start();
    }

    dispose(): void {
        void this.stop();
        for (const d of this.disposables) {
            d.dispose();
        }
    }

    // ---------------------------------------------------------------- requests

    private async running(): Promise<LanguageClient | undefined> {
        await this.startPromise?.catch(() => undefined);
        const client = this.client;
        if (client && client.state === State.Running) {
            return client;
        }
        if (client && client.state === State.Starting) {
            try {
                await client.start();
                return client;
            } catch {
                // fall through
            }
        }
        const choice = await vscode.window.showWarningMessage("The Namel3ss language server is not running.", "Restart Server", "Show Output");
        if (choice === "Restart Server") {
            await this.restart(true);
            return this.client?.state === State.Running ? this.client : undefined;
        }
        if (choice === "Show Output") {
            this.output.show(true);
        }
        return undefined;
    }

    /** `workspace/executeCommand` with one object argument (the contract's form). */
    async request<T>(command: string, arg: object = {}, token?: vscode.CancellationToken): Promise<T | undefined> {
        const client = await this.running();
        if (!client) {
            return undefined;
        }
        return client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [arg] }, token) as Promise<T>;
    }

    private describeError(error: unknown): string {
        if (error instanceof ResponseError || error instanceof Error) {
            return error.message;
        }
        return String(error);
    }

    private isCancelled(error: unknown): boolean {
        if (error instanceof ResponseError && (error.code === LSPErrorCodes.RequestCancelled || error.code === LSPErrorCodes.ServerCancelled)) {
            return true;
        }
        return error instanceof vscode.CancellationError || /cancel/i.test(this.describeError(error).slice(0, 80));
    }

    private async showError(prefix: string, error: unknown): Promise<void> {
        const choice = await vscode.window.showErrorMessage(`${prefix}: ${this.describeError(error)}`, "Show Output");
        if (choice) {
            this.output.show(true);
        }
    }

    // ---------------------------------------------------------------- model operations

    async pullModel(arg: ModelArg): Promise<unknown> {
        if (!arg.model) {
            return this.pullModelCommand(arg);
        }
        try {
            const result = await this.request<{ model?: string; status?: string }>(SERVER_COMMANDS.pull, arg);
            if (result) {
                void vscode.window.showInformationMessage(`Model '${result.model ?? arg.model}' is ready.`);
                void this.refreshStatus(arg.baseUrl);
            }
            return result;
        } catch (error) {
            if (this.isCancelled(error)) {
                vscode.window.setStatusBarMessage(`$(circle-slash) Pull of '${arg.model}' cancelled`, 5000);
                return undefined;
            }
            await this.showError(`Pulling '${arg.model}' failed`, error);
            return undefined;
        }
    }

    async removeModel(arg: ModelArg): Promise<unknown> {
        if (!arg.model) {
            return this.removeModelCommand(arg);
        }
        try {
            const result = await this.request<{ model?: string; removed?: boolean }>(SERVER_COMMANDS.remove, arg);
            if (result?.removed) {
                void vscode.window.showInformationMessage(`Model '${result.model ?? arg.model}' was removed.`);
                void this.refreshStatus(arg.baseUrl);
            }
            return result;
        } catch (error) {
            await this.showError(`Removing '${arg.model}' failed`, error);
            return undefined;
        }
    }

    /** The model count changed: ask for a fresh status now rather than at the next health check. */
    private async refreshStatus(baseUrl?: string): Promise<void> {
        try {
            const status = normalizeStatus(await this.request(SERVER_COMMANDS.status, baseUrl ? { baseUrl } : {}));
            if (status) {
                this.statusBar.update(status);
            }
        } catch (error) {
            this.output.appendLine(`[namel3ss] status after a model change: ${this.describeError(error)}`);
        }
    }

    async listModels(baseUrl?: string): Promise<InstalledModel[] | undefined> {
        try {
            const models = await this.request<InstalledModel[]>(SERVER_COMMANDS.list, baseUrl ? { baseUrl } : {});
            return Array.isArray(models) ? models : undefined;
        } catch (error) {
            await this.showError("Could not list the Ollama models", error);
            return undefined;
        }
    }

    /** Palette "Pull Model...": a name from the library list, a missing model of an open document, or any typed name. */
    async pullModelCommand(arg?: ModelArg): Promise<unknown> {
        if (arg?.model) {
            return this.pullModel(arg);
        }
        type Item = vscode.QuickPickItem & { model?: string; baseUrl?: string };
        const missing: Item[] = [];
        const seen = new Set<string>();
        for (const [, diagnostics] of vscode.languages.getDiagnostics()) {
            for (const d of diagnostics) {
                const code = typeof d.code === "object" && d.code !== null ? d.code.value : d.code;
                const data = (d as vscode.Diagnostic & { data?: { model?: string; baseUrl?: string } }).data;
                const model = data?.model ?? /'([^']+)'/.exec(d.message)?.[1];
                if (code === "ollama-model-missing" && model && !seen.has(model)) {
                    seen.add(model);
                    missing.push({ label: model, description: "missing, used in an open file", model, baseUrl: data?.baseUrl });
                }
            }
        }
        const library: Item[] = LIBRARY_MODELS.filter((m) => !seen.has(m.name)).map((m) => ({ label: m.name, description: m.description, model: m.name }));
        const base: Item[] = [
            ...(missing.length ? [{ label: "Used in open files", kind: vscode.QuickPickItemKind.Separator } as Item, ...missing] : []),
            { label: "Ollama library", kind: vscode.QuickPickItemKind.Separator } as Item,
            ...library,
        ];
        const pick = vscode.window.createQuickPick<Item>();
        pick.title = "Pull an Ollama model";
        pick.placeholder = "Model name, e.g. llama3:8b or hf.co/org/repo:Q4_K_M";
        pick.matchOnDescription = true;
        pick.items = base;
        pick.onDidChangeValue((value) => {
            const v = value.trim();
            if (v && !base.some((i) => i.model === v)) {
                pick.items = [{ label: v, description: "pull this name", model: v, alwaysShow: true }, ...base];
            } else {
                pick.items = base;
            }
        });
        const chosen = await new Promise<Item | undefined>((resolve) => {
            pick.onDidAccept(() => {
                const item =
                    pick.selectedItems[0] ?? pick.activeItems[0] ?? (pick.value.trim() ? { label: pick.value.trim(), model: pick.value.trim() } : undefined);
                resolve(item);
                pick.hide();
            });
            pick.onDidHide(() => resolve(undefined));
            pick.show();
        });
        pick.dispose();
        if (!chosen?.model) {
            return undefined;
        }
        if (/\s/.test(chosen.model)) {
            void vscode.window.showErrorMessage(`'${chosen.model}' is not a model name: names have no spaces.`);
            return undefined;
        }
        return this.pullModel({ model: chosen.model, baseUrl: chosen.baseUrl ?? arg?.baseUrl });
    }

    private async pickInstalled(title: string, baseUrl?: string): Promise<string | undefined> {
        const models = await this.listModels(baseUrl);
        if (!models) {
            return undefined;
        }
        if (models.length === 0) {
            void vscode.window.showInformationMessage("No models are installed on the Ollama server.", ACTION_PULL).then((c) => c && this.pullModelCommand());
            return undefined;
        }
        const items = models.map((m) => ({
            label: m.name,
            description: [m.details?.parameter_size, m.details?.quantization_level, formatBytes(m.size)].filter(Boolean).join(" · "),
            detail: m.details?.family ? `family ${m.details.family}${m.modified_at ? `, modified ${m.modified_at.slice(0, 10)}` : ""}` : undefined,
        }));
        const chosen = await vscode.window.showQuickPick(items, { title, placeHolder: "Installed models", matchOnDescription: true });
        return chosen?.label;
    }

    /** Palette "Remove Model...": pick an installed model; the server asks for confirmation itself. */
    async removeModelCommand(arg?: ModelArg): Promise<unknown> {
        const model = arg?.model ?? (await this.pickInstalled("Remove an Ollama model", arg?.baseUrl));
        if (!model) {
            return undefined;
        }
        return this.removeModel({ ...arg, model });
    }

    async refreshModels(): Promise<void> {
        try {
            await this.request(SERVER_COMMANDS.refresh, {});
            vscode.window.setStatusBarMessage("$(check) Namel3ss: model list refreshed", 4000);
        } catch (error) {
            await this.showError("Refreshing the model list failed", error);
        }
    }

    async startOllama(arg?: ModelArg): Promise<void> {
        try {
            const result = await this.request<Record<string, unknown>>(SERVER_COMMANDS.start, arg?.baseUrl ? { baseUrl: arg.baseUrl } : {});
            if (result !== undefined) {
                const url = (result?.baseUrl ?? result?.base_url ?? arg?.baseUrl ?? "") as string;
                void vscode.window.showInformationMessage(`Ollama is running${url ? ` at ${url}` : ""}.`);
            }
        } catch (error) {
            await this.showError("Could not start Ollama", error);
        }
    }

    async showStatus(): Promise<void> {
        let status: OllamaStatus | undefined;
        try {
            const primary = this.statusBar.primary;
            status = normalizeStatus(await this.request(SERVER_COMMANDS.status, primary ? { baseUrl: primary.baseUrl } : {}));
            if (status) {
                this.statusBar.update(status);
            }
        } catch (error) {
            this.output.appendLine(`[namel3ss] status: ${this.describeError(error)}`);
        }
        status = status ?? this.statusBar.primary;
        if (!status) {
            return;
        }
        const actions = statusActions(status);
        const show = status.reachable ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
        const choice = await show(statusMessage(status), ...actions);
        switch (choice) {
            case ACTION_PULL:
                await this.pullModelCommand({ baseUrl: status.baseUrl });
                break;
            case ACTION_REMOVE:
                await this.removeModelCommand({ baseUrl: status.baseUrl });
                break;
            case ACTION_START:
                await this.startOllama({ baseUrl: status.baseUrl });
                break;
            case ACTION_RETRY:
                await this.showStatus();
                break;
            case ACTION_SETTINGS:
                await vscode.commands.executeCommand("workbench.action.openSettings", "namel3ss.ollama");
                break;
        }
    }

    // ---------------------------------------------------------------- try model (issue 9)

    async tryModelCommand(arg?: ModelArg): Promise<unknown> {
        const model = arg?.model ?? (await this.pickInstalled("Try an Ollama model", arg?.baseUrl));
        if (!model) {
            return undefined;
        }
        let prompt = arg?.prompt;
        if (prompt === undefined && !arg?.model) {
            prompt = await vscode.window.showInputBox({
                title: `Try ${model}`,
                prompt: "Prompt sent to the model (leave empty for the server's short default prompt)",
                placeHolder: "Why is the sky blue? Answer in one sentence.",
            });
            if (prompt === undefined) {
                return undefined;
            }
        }
        return this.tryModel({ ...arg, model, prompt: prompt || undefined });
    }

    /**
     * Runs `namel3ss.ollama.tryModel` and fills the "Namel3ss: Try Model" output channel as the
     * reply streams in (`$/progress` reports), ending with "42 tokens, 37.5 tok/s, 1.2 s".
     */
    async tryModel(arg: ModelArg): Promise<TryModelResult | undefined> {
        if (!arg.model) {
            return (await this.tryModelCommand(arg)) as TryModelResult | undefined;
        }
        const out = this.tryOutput;
        out.clear();
        out.show(true);
        out.appendLine(`▶ ${arg.model}${arg.baseUrl ? ` at ${arg.baseUrl}` : ""}`);
        if (arg.prompt) {
            out.appendLine(`> ${arg.prompt}`);
        }
        out.appendLine("");
        let streamed = "";
        let token: ProgressToken | undefined;
        const listener = (e: ProgressEvent) => {
            if (token === undefined) {
                const title = e.title ?? "";
                const mine = e.value.kind === "begin" && (title.includes(arg.model!) || /try/i.test(title) || !/pull/i.test(title));
                if (!mine) {
                    return;
                }
                token = e.token;
            }
            if (e.token !== token || e.value.kind !== "report" || typeof e.value.message !== "string") {
                return;
            }
            // Each report's message is the text produced since the previous report.
            streamed += e.value.message;
            out.append(e.value.message);
        };
        this.activeTries.add(listener);
        // Pass the argument through as is: code lenses add `uri` and `declaration`.
        const params: Record<string, unknown> = { ...arg };
        for (const key of Object.keys(params)) {
            if (params[key] === undefined || params[key] === "") {
                delete params[key];
            }
        }
        try {
            const result = await this.request<TryModelResult>(SERVER_COMMANDS.tryModel, params);
            if (!result) {
                out.appendLine("(no result)");
                return undefined;
            }
            if (!streamed.trim() && result.text) {
                out.append(result.text);
                streamed = result.text;
            }
            if (!streamed.endsWith("\n")) {
                out.appendLine("");
            }
            out.appendLine("");
            out.appendLine(formatTryMetrics(result));
            return result;
        } catch (error) {
            if (streamed && !streamed.endsWith("\n")) {
                out.appendLine("");
            }
            if (this.isCancelled(error)) {
                out.appendLine("(cancelled)");
                return undefined;
            }
            out.appendLine(`Error: ${this.describeError(error)}`);
            await this.showError(`Trying '${arg.model}' failed`, error);
            return undefined;
        } finally {
            this.activeTries.delete(listener);
        }
    }
}

let instance: Namel3ssExtension | undefined;

export function activate(context: vscode.ExtensionContext): { extension: Namel3ssExtension } {
    instance = new Namel3ssExtension(context);
    context.subscriptions.push(instance);
    instance.activate();
    return { extension: instance };
}

export async function deactivate(): Promise<void> {
    await instance?.stop();
    instance = undefined;
}
