import * as vscode from "vscode";
import { OllamaStatus, normalizeLoadedModels, pickStatusFor, sameUri, statusText, statusTooltip } from "./format";

export const STATUS_NOTIFICATION = "namel3ss/ollamaStatus";
export const LANGUAGE_ID = "namel3ss";

/**
 * Status bar item fed by the `namel3ss/ollamaStatus` notification. It keeps the latest payload of
 * each Ollama server (by baseUrl) and shows the one of the document in focus: the payload whose
 * `uris` lists it, else the default server's (`default: true`), else the latest.
 */
export class OllamaStatusBar implements vscode.Disposable {
    readonly item: vscode.StatusBarItem;
    private readonly statuses = new Map<string, OllamaStatus>();
    private latest: string | undefined;
    private serverProblem: string | undefined;
    /** The namel3ss document in focus (kept while focus is on a panel or a non-text editor). */
    private focusUri: string | undefined;
    private readonly disposables: vscode.Disposable[] = [];

    constructor(
        private readonly configuredBaseUrl: () => string | null | undefined,
        clickCommand: string,
    ) {
        this.item = vscode.window.createStatusBarItem("namel3ss.ollamaStatus", vscode.StatusBarAlignment.Left, 50);
        this.item.name = "Namel3ss: Ollama status";
        this.item.command = clickCommand;
        this.focus(vscode.window.activeTextEditor);
        this.disposables.push(
            vscode.window.onDidChangeActiveTextEditor((editor) => {
                this.focus(editor);
                this.render();
            }),
        );
        this.render();
    }

    private focus(editor: vscode.TextEditor | undefined): void {
        if (!editor) {
            return; // focus went to a panel, a webview or no editor: keep showing the last document
        }
        this.focusUri = editor.document.languageId === LANGUAGE_ID ? editor.document.uri.toString() : undefined;
    }

    /** Handles one `namel3ss/ollamaStatus` notification. Tolerates snake_case fields. */
    update(raw: unknown): void {
        const status = normalizeStatus(raw);
        if (!status) {
            return;
        }
        this.serverProblem = undefined;
        // A status command's result carries no `uris`/`default` (nor, maybe, `loadedModels`): keep
        // what the last notification said.
        const previous = this.statuses.get(status.baseUrl);
        if (previous) {
            status.uris = status.uris ?? previous.uris;
            status.isDefault = status.isDefault ?? previous.isDefault;
            if (status.loadedModels === undefined && status.reachable && previous.loadedModels !== undefined) {
                status.loadedModels = previous.loadedModels;
            }
        }
        // A document belongs to one server: the latest payload that lists it wins.
        if (status.uris?.length || status.isDefault) {
            for (const [baseUrl, other] of this.statuses) {
                if (baseUrl === status.baseUrl) {
                    continue;
                }
                const uris = other.uris?.filter((u) => !status.uris?.some((v) => sameUri(u, v)));
                this.statuses.set(baseUrl, { ...other, uris, isDefault: status.isDefault ? false : other.isDefault });
            }
        }
        this.statuses.set(status.baseUrl, status);
        this.latest = status.baseUrl;
        this.render();
    }

    /** The language server itself is missing or stopped. */
    setServerProblem(message: string | undefined): void {
        this.serverProblem = message;
        this.render();
    }

    reset(): void {
        this.statuses.clear();
        this.latest = undefined;
        this.serverProblem = undefined;
        this.render();
    }

    /** The status shown: the one of the document in focus. */
    get primary(): OllamaStatus | undefined {
        return pickStatusFor(this.statuses, this.focusUri, this.configuredBaseUrl(), this.latest);
    }

    get all(): OllamaStatus[] {
        return [...this.statuses.values()];
    }

    render(): void {
        if (this.serverProblem) {
            this.item.text = "$(warning) Namel3ss";
            this.item.tooltip = this.serverProblem;
            this.item.backgroundColor = new vscode.ThemeColor("statusBarItem.warningBackground");
            this.item.show();
            return;
        }
        const primary = this.primary;
        this.item.text = statusText(primary);
        this.item.tooltip = statusTooltip(
            primary,
            this.all.filter((s) => s !== primary),
        );
        this.item.backgroundColor = primary && !primary.reachable ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
        this.item.show();
    }

    dispose(): void {
        for (const d of this.disposables) {
            d.dispose();
        }
        this.item.dispose();
    }
}

export function normalizeStatus(raw: unknown): OllamaStatus | undefined {
    if (!raw || typeof raw !== "object") {
        return undefined;
    }
    const r = raw as Record<string, unknown>;
    const baseUrl = (r.baseUrl ?? r.base_url) as unknown;
    if (typeof baseUrl !== "string") {
        return undefined;
    }
    const pick = <T>(...keys: string[]): T | null => {
        for (const k of keys) {
            if (r[k] !== undefined) {
                return r[k] as T;
            }
        }
        return null;
    };
    const status: OllamaStatus = {
        baseUrl,
        reachable: r.reachable === true,
        version: pick<string>("version"),
        modelsCount: pick<number>("modelsCount", "models_count"),
        responseTimeMs: pick<number>("responseTimeMs", "response_time_ms"),
        error: pick<string>("error"),
        suggestion: pick<string>("suggestion"),
        checkedAt: pick<string | number>("checkedAt", "checked_at"),
    };
    if (Array.isArray(r.uris)) {
        status.uris = r.uris.filter((u): u is string => typeof u === "string");
    }
    if (r.default === true) {
        status.isDefault = true;
    }
    const loaded = normalizeLoadedModels("loadedModels" in r ? r.loadedModels : r.loaded_models);
    if (loaded !== undefined) {
        status.loadedModels = loaded;
    }
    return status;
}
