/**
 * The user-facing flows over the server's commands: pull, remove, try a model, refresh, start
 * Ollama, show the status. Each failure is one short notification (Notices.error), the detail in
 * the output channel.
 */
import * as vscode from "vscode";
import type { ProgressToken } from "vscode-languageserver-protocol";
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
import { Notices, describeError, isCancelled, isConnectionGone } from "./notices";
import { ProgressEvent } from "./progress";
import { OllamaStatusBar, normalizeStatus } from "./statusBar";

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

export interface ModelArg {
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

/** `workspace/executeCommand` with one object argument; undefined when the server is not running. */
export type ServerRequest = <T>(command: string, arg?: object, token?: vscode.CancellationToken) => Promise<T | undefined>;

export class ModelCommands {
    private readonly activeTries = new Set<(e: ProgressEvent) => void>();

    constructor(
        private readonly request: ServerRequest,
        private readonly notices: Notices,
        private readonly statusBar: OllamaStatusBar,
        private readonly tryOutput: vscode.OutputChannel,
        private readonly openSetting: (id: string) => Thenable<unknown>,
    ) {}

    /** Progress reports of the server (the Try Model output streams from them). */
    onProgress(e: ProgressEvent): void {
        for (const listener of this.activeTries) {
            listener(e);
        }
    }

    /** A failed request: silent when cancelled or when the server went away (restart), else one short notification. */
    private async failed(prefix: string, error: unknown): Promise<void> {
        if (isConnectionGone(error)) {
            this.notices.log(`${prefix}: the server went away (${describeError(error)})`);
            return;
        }
        await this.notices.error(prefix, error);
    }

    // ---------------------------------------------------------------- pull / remove

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
            if (isCancelled(error)) {
                vscode.window.setStatusBarMessage(`$(circle-slash) Pull of '${arg.model}' cancelled`, 5000);
                return undefined;
            }
            await this.failed(`Pulling '${arg.model}' failed`, error);
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
            await this.failed(`Removing '${arg.model}' failed`, error);
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
            this.notices.log(`status after a model change: ${describeError(error)}`);
        }
    }

    async listModels(baseUrl?: string): Promise<InstalledModel[] | undefined> {
        try {
            const models = await this.request<InstalledModel[]>(SERVER_COMMANDS.list, baseUrl ? { baseUrl } : {});
            return Array.isArray(models) ? models : undefined;
        } catch (error) {
            await this.failed("Could not list the Ollama models", error);
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

    // ---------------------------------------------------------------- server state

    async refreshModels(): Promise<void> {
        try {
            await this.request(SERVER_COMMANDS.refresh, {});
            vscode.window.setStatusBarMessage("$(check) Namel3ss: model list refreshed", 4000);
        } catch (error) {
            await this.failed("Refreshing the model list failed", error);
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
            await this.failed("Could not start Ollama", error);
        }
    }

    /** Status bar click: check the server of the document in focus now and offer what fits. */
    async showStatus(): Promise<void> {
        let status: OllamaStatus | undefined;
        try {
            const primary = this.statusBar.primary;
            status = normalizeStatus(await this.request(SERVER_COMMANDS.status, primary ? { baseUrl: primary.baseUrl } : {}));
            if (status) {
                this.statusBar.update(status);
            }
        } catch (error) {
            this.notices.log(`status: ${describeError(error)}`);
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
                await this.openSetting("namel3ss.ollama.baseUrl");
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
            if (isCancelled(error)) {
                out.appendLine("(cancelled)");
                return undefined;
            }
            out.appendLine(`Error: ${describeError(error)}`);
            await this.failed(`Trying '${arg.model}' failed`, error);
            return undefined;
        } finally {
            this.activeTries.delete(listener);
        }
    }
}

