import * as vscode from "vscode";
import { OllamaStatus, pickPrimary, statusText, statusTooltip } from "./format";

export const STATUS_NOTIFICATION = "namel3ss/ollamaStatus";

/** Status bar item fed by the `namel3ss/ollamaStatus` notification. */
export class OllamaStatusBar implements vscode.Disposable {
    readonly item: vscode.StatusBarItem;
    private readonly statuses = new Map<string, OllamaStatus>();
    private latest: string | undefined;
    private serverProblem: string | undefined;

    constructor(
        private readonly configuredBaseUrl: () => string | null | undefined,
        clickCommand: string,
    ) {
        this.item = vscode.window.createStatusBarItem("namel3ss.ollamaStatus", vscode.StatusBarAlignment.Left, 50);
        this.item.name = "Namel3ss: Ollama status";
        this.item.command = clickCommand;
        this.render();
    }

    /** Handles one `namel3ss/ollamaStatus` notification. Tolerates snake_case fields. */
    update(raw: unknown): void {
        const status = normalizeStatus(raw);
        if (!status) {
            return;
        }
        this.serverProblem = undefined;
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

    get primary(): OllamaStatus | undefined {
        return pickPrimary(this.statuses, this.configuredBaseUrl(), this.latest);
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
    return {
        baseUrl,
        reachable: r.reachable === true,
        version: pick<string>("version"),
        modelsCount: pick<number>("modelsCount", "models_count"),
        responseTimeMs: pick<number>("responseTimeMs", "response_time_ms"),
        error: pick<string>("error"),
        suggestion: pick<string>("suggestion"),
        checkedAt: pick<string | number>("checkedAt", "checked_at"),
    };
}
