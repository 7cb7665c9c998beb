/** Pure formatting helpers (no vscode import: unit-tested directly). */

export interface OllamaStatus {
    baseUrl: string;
    reachable: boolean;
    version?: string | null;
    modelsCount?: number | null;
    responseTimeMs?: number | null;
    error?: string | null;
    suggestion?: string | null;
    checkedAt?: string | number | null;
}

export interface TryModelResult {
    model?: string;
    text?: string;
    tokens?: { prompt?: number | null; completion?: number | null; total?: number | null } | null;
    tokensPerSecond?: number | null;
    totalDurationMs?: number | null;
}

export function plural(n: number, word: string): string {
    return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Status bar text: "$(check) Ollama 12 models" / "$(error) Ollama unreachable" / "$(sync~spin) Ollama". */
export function statusText(status: OllamaStatus | undefined): string {
    if (!status) {
        return "$(sync~spin) Ollama";
    }
    if (!status.reachable) {
        return "$(error) Ollama unreachable";
    }
    if (typeof status.modelsCount === "number") {
        return `$(check) Ollama ${plural(status.modelsCount, "model")}`;
    }
    return "$(check) Ollama";
}

export function formatMs(ms: number | null | undefined): string | undefined {
    if (typeof ms !== "number" || !isFinite(ms)) {
        return undefined;
    }
    return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

export function formatCheckedAt(checkedAt: string | number | null | undefined): string | undefined {
    if (checkedAt === null || checkedAt === undefined || checkedAt === "") {
        return undefined;
    }
    // Servers send ISO 8601 strings or epoch seconds.
    const date = typeof checkedAt === "number" ? new Date(checkedAt < 1e12 ? checkedAt * 1000 : checkedAt) : new Date(checkedAt);
    if (isNaN(date.getTime())) {
        return String(checkedAt);
    }
    return date.toLocaleTimeString();
}

/** Multi-line tooltip of the status bar item. */
export function statusTooltip(status: OllamaStatus | undefined, others: readonly OllamaStatus[] = []): string {
    if (!status) {
        return "Namel3ss: waiting for the language server to check Ollama";
    }
    const lines: string[] = [];
    lines.push(`Ollama at ${status.baseUrl}: ${status.reachable ? "reachable" : "unreachable"}`);
    if (status.version) {
        lines.push(`Version: ${status.version}`);
    }
    if (status.reachable && typeof status.modelsCount === "number") {
        lines.push(`Models: ${status.modelsCount}`);
    }
    const rt = formatMs(status.responseTimeMs);
    if (rt) {
        lines.push(`Response time: ${rt}`);
    }
    if (!status.reachable && status.error) {
        lines.push(`Error: ${status.error}`);
    }
    if (!status.reachable && status.suggestion) {
        lines.push(`Suggestion: ${status.suggestion}`);
    }
    const checked = formatCheckedAt(status.checkedAt);
    if (checked) {
        lines.push(`Checked: ${checked}`);
    }
    for (const other of others) {
        lines.push(`Also ${other.baseUrl}: ${other.reachable ? `reachable, ${plural(other.modelsCount ?? 0, "model")}` : "unreachable"}`);
    }
    lines.push("", "Click for actions");
    return lines.join("\n");
}

/** One-sentence summary shown when the status bar item is clicked. */
export function statusMessage(status: OllamaStatus): string {
    if (status.reachable) {
        const parts = [`Ollama${status.version ? ` ${status.version}` : ""} at ${status.baseUrl} is reachable`];
        if (typeof status.modelsCount === "number") {
            parts.push(`${plural(status.modelsCount, "model")} installed`);
        }
        const rt = formatMs(status.responseTimeMs);
        if (rt) {
            parts.push(`answered in ${rt}`);
        }
        return parts.join(", ") + ".";
    }
    let message = `Ollama at ${status.baseUrl} is unreachable`;
    message += status.error ? `: ${status.error.replace(/\.$/, "")}.` : ".";
    if (status.suggestion) {
        message += ` ${status.suggestion}`;
    }
    return message;
}

export const ACTION_PULL = "Pull Model...";
export const ACTION_REMOVE = "Remove Model...";
export const ACTION_START = "Start Server";
export const ACTION_RETRY = "Retry";
export const ACTION_SETTINGS = "Open Settings";

/** Buttons offered with the status message. */
export function statusActions(status: OllamaStatus): string[] {
    return status.reachable ? [ACTION_PULL, ACTION_REMOVE, ACTION_SETTINGS] : [ACTION_START, ACTION_RETRY, ACTION_SETTINGS];
}

export function normalizeBaseUrl(url: string | null | undefined): string | undefined {
    if (!url) {
        return undefined;
    }
    let u = url.trim();
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(u)) {
        u = `http://${u}`;
    }
    try {
        const parsed = new URL(u);
        let host = parsed.hostname.toLowerCase();
        if (host === "0.0.0.0") {
            host = "127.0.0.1";
        }
        const port = parsed.port || (parsed.protocol === "https:" ? "443" : "11434");
        return `${parsed.protocol}//${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${port}`;
    } catch {
        return u.replace(/\/+$/, "").toLowerCase();
    }
}

/**
 * The status the status bar shows when the server reports several Ollama servers: the one of the
 * `namel3ss.ollama.baseUrl` setting (or the default localhost:11434), else the most recent report.
 */
export function pickPrimary(
    statuses: ReadonlyMap<string, OllamaStatus>,
    configuredBaseUrl: string | null | undefined,
    latestBaseUrl: string | undefined,
): OllamaStatus | undefined {
    if (statuses.size === 0) {
        return undefined;
    }
    const wanted = new Set<string>();
    const configured = normalizeBaseUrl(configuredBaseUrl);
    if (configured) {
        wanted.add(configured);
    } else {
        wanted.add("http://localhost:11434");
        wanted.add("http://127.0.0.1:11434");
    }
    for (const status of statuses.values()) {
        const n = normalizeBaseUrl(status.baseUrl);
        if (n && wanted.has(n)) {
            return status;
        }
    }
    if (latestBaseUrl && statuses.has(latestBaseUrl)) {
        return statuses.get(latestBaseUrl);
    }
    return [...statuses.values()].pop();
}

/** Last line of a "Try model" run: "42 tokens, 37.5 tok/s, 1.2 s". */
export function formatTryMetrics(result: TryModelResult): string {
    const parts: string[] = [];
    const completion = result.tokens?.completion;
    if (typeof completion === "number") {
        parts.push(plural(completion, "token"));
    }
    if (typeof result.tokensPerSecond === "number" && isFinite(result.tokensPerSecond)) {
        parts.push(`${result.tokensPerSecond.toFixed(1)} tok/s`);
    }
    if (typeof result.totalDurationMs === "number" && isFinite(result.totalDurationMs)) {
        parts.push(`${(result.totalDurationMs / 1000).toFixed(1)} s`);
    }
    return parts.length ? parts.join(", ") : "no metrics reported";
}

export function formatBytes(size: number | null | undefined): string | undefined {
    if (typeof size !== "number" || !isFinite(size) || size < 0) {
        return undefined;
    }
    const units = ["B", "KB", "MB", "GB", "TB"];
    let value = size;
    let unit = 0;
    while (value >= 1000 && unit < units.length - 1) {
        value /= 1000;
        unit++;
    }
    return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}
