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
    /** The open documents whose status this is (a document's first Ollama declaration uses this server). */
    uris?: string[] | null;
    /** This is the default server (documents without an Ollama declaration show it). */
    isDefault?: boolean;
    /** The models loaded in memory (`GET /api/ps`); null or absent: not known. */
    loadedModels?: LoadedModel[] | null;
}

/** A model loaded in memory, as `loadedModels` of `namel3ss/ollamaStatus` lists it. */
export interface LoadedModel {
    name: string;
    /** Bytes of memory in use (VRAM and RAM). */
    size?: number | null;
    /** The part of `size` on the GPU. */
    sizeVram?: number | null;
    contextLength?: number | null;
    /** When it unloads (RFC 3339; Ollama says year 2262 for "never"). */
    expiresAt?: string | null;
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
    if (status.reachable && Array.isArray(status.loadedModels)) {
        lines.push(status.loadedModels.length ? "Loaded in memory:" : "Loaded in memory: none");
        for (const model of status.loadedModels) {
            lines.push(`  ${loadedModelLine(model)}`);
        }
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

/** `loadedModels` of a status payload (camelCase or snake_case entries); undefined when absent. */
export function normalizeLoadedModels(raw: unknown): LoadedModel[] | null | undefined {
    if (raw === undefined) {
        return undefined;
    }
    if (!Array.isArray(raw)) {
        return null;
    }
    const num = (v: unknown) => (typeof v === "number" && isFinite(v) ? v : null);
    const models: LoadedModel[] = [];
    for (const entry of raw) {
        const e = (entry && typeof entry === "object" ? entry : {}) as Record<string, unknown>;
        const name = e.name ?? e.model;
        if (typeof name !== "string" || !name) {
            continue;
        }
        const expires = e.expiresAt ?? e.expires_at;
        models.push({
            name,
            size: num(e.size),
            sizeVram: num(e.sizeVram ?? e.size_vram),
            contextLength: num(e.contextLength ?? e.context_length),
            expiresAt: typeof expires === "string" ? expires : null,
        });
    }
    return models;
}

/** Where a loaded model sits: "4.7 GB VRAM", "4.7 GB RAM" or "3.0 GB VRAM + 1.7 GB RAM". */
export function formatMemory(size: number | null | undefined, sizeVram: number | null | undefined): string | undefined {
    if (typeof size !== "number" || size <= 0) {
        return typeof sizeVram === "number" && sizeVram > 0 ? `${formatBytes(sizeVram)} VRAM` : undefined;
    }
    const vram = Math.min(Math.max(sizeVram ?? 0, 0), size);
    if (vram >= size) {
        return `${formatBytes(size)} VRAM`;
    }
    if (vram === 0) {
        return `${formatBytes(size)} RAM`;
    }
    return `${formatBytes(vram)} VRAM + ${formatBytes(size - vram)} RAM`;
}

/** Hours and minutes: Ollama keeps a model 5 minutes by default. */
export const UNLOAD_TIME: Intl.DateTimeFormatOptions = { hour: "numeric", minute: "2-digit" };

/** "unloads at 19:35" (a time today), "unloads 26/11/2026, 09:00", "stays loaded" (keep_alive < 0). */
export function formatUnload(expiresAt: string | null | undefined, now: Date = new Date()): string | undefined {
    if (!expiresAt) {
        return undefined;
    }
    const date = new Date(expiresAt);
    if (isNaN(date.getTime())) {
        return undefined;
    }
    if (date.getUTCFullYear() >= 2200) {
        return "stays loaded";
    }
    const sameDay = date.toDateString() === now.toDateString();
    return sameDay
        ? `unloads at ${date.toLocaleTimeString(undefined, UNLOAD_TIME)}`
        : `unloads ${date.toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" })}`;
}

/** "llama3:8b: 4.7 GB VRAM, context 4096, unloads at 19:35". */
export function loadedModelLine(model: LoadedModel, now: Date = new Date()): string {
    const parts = [formatMemory(model.size, model.sizeVram)];
    if (typeof model.contextLength === "number" && model.contextLength > 0) {
        parts.push(`context ${model.contextLength}`);
    }
    parts.push(formatUnload(model.expiresAt, now));
    const details = parts.filter((p): p is string => !!p);
    return details.length ? `${model.name}: ${details.join(", ")}` : model.name;
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

/** Whether two document URIs name the same document (percent-encoding and drive-letter case aside). */
export function sameUri(a: string, b: string): boolean {
    if (a === b) {
        return true;
    }
    const norm = (u: string) => {
        let v = u;
        try {
            v = decodeURIComponent(u);
        } catch {
            // keep as is
        }
        return v.replace(/^file:\/\/\/([A-Za-z]):/, (_m, d: string) => `file:///${d.toLowerCase()}:`);
    };
    return norm(a) === norm(b);
}

/**
 * The status shown for the document in focus (`uri`): the server whose payload lists the document
 * in `uris`, else the default server (`default: true`), else, for servers that send neither, the
 * configured server or the latest report (pickPrimary).
 */
export function pickStatusFor(
    statuses: ReadonlyMap<string, OllamaStatus>,
    uri: string | undefined,
    configuredBaseUrl: string | null | undefined,
    latestBaseUrl: string | undefined,
): OllamaStatus | undefined {
    if (uri) {
        for (const status of statuses.values()) {
            if (status.uris?.some((u) => sameUri(u, uri))) {
                return status;
            }
        }
    }
    for (const status of statuses.values()) {
        if (status.isDefault) {
            return status;
        }
    }
    return pickPrimary(statuses, configuredBaseUrl, latestBaseUrl);
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
