import * as assert from "node:assert/strict";
import {
    OllamaStatus,
    formatBytes,
    formatMemory,
    UNLOAD_TIME,
    formatUnload,
    loadedModelLine,
    normalizeLoadedModels,
    formatTryMetrics,
    normalizeBaseUrl,
    pickPrimary,
    statusActions,
    statusMessage,
    statusText,
    statusTooltip,
} from "../../src/format";

const up: OllamaStatus = {
    baseUrl: "http://127.0.0.1:11434",
    reachable: true,
    version: "0.5.7",
    modelsCount: 12,
    responseTimeMs: 8.4,
    error: null,
    suggestion: null,
    checkedAt: "2026-11-25T19:00:00Z",
};
const down: OllamaStatus = {
    baseUrl: "http://localhost:11434",
    reachable: false,
    version: null,
    modelsCount: null,
    responseTimeMs: null,
    error: "Cannot connect to Ollama server",
    suggestion: "Start it with: ollama serve",
    checkedAt: null,
};

describe("status bar text", () => {
    it("shows the model count with a check when reachable", () => {
        assert.equal(statusText(up), "$(check) Ollama 12 models");
    });
    it("uses the singular for one model and handles zero", () => {
        assert.equal(statusText({ ...up, modelsCount: 1 }), "$(check) Ollama 1 model");
        assert.equal(statusText({ ...up, modelsCount: 0 }), "$(check) Ollama 0 models");
    });
    it("omits the count when the server did not send one", () => {
        assert.equal(statusText({ ...up, modelsCount: null }), "$(check) Ollama");
    });
    it("shows an error icon when unreachable", () => {
        assert.equal(statusText(down), "$(error) Ollama unreachable");
    });
    it("spins before the first notification", () => {
        assert.equal(statusText(undefined), "$(sync~spin) Ollama");
    });
});

describe("status tooltip and message", () => {
    it("has the URL, version and response time", () => {
        const tip = statusTooltip(up);
        assert.match(tip, /Ollama at http:\/\/127\.0\.0\.1:11434: reachable/);
        assert.match(tip, /Version: 0\.5\.7/);
        assert.match(tip, /Response time: 8\.4 ms/);
        assert.match(tip, /Models: 12/);
        assert.match(tip, /Checked: /);
    });
    it("has the error and suggestion when unreachable", () => {
        const tip = statusTooltip(down);
        assert.match(tip, /unreachable/);
        assert.match(tip, /Error: Cannot connect to Ollama server/);
        assert.match(tip, /Suggestion: Start it with: ollama serve/);
        assert.doesNotMatch(tip, /Version/);
    });
    it("lists the other servers", () => {
        assert.match(statusTooltip(up, [down]), /Also http:\/\/localhost:11434: unreachable/);
    });
    it("rounds response times of 10 ms and more", () => {
        assert.match(statusTooltip({ ...up, responseTimeMs: 123.6 }), /Response time: 124 ms/);
    });
    it("summarises in one sentence", () => {
        assert.equal(statusMessage(up), "Ollama 0.5.7 at http://127.0.0.1:11434 is reachable, 12 models installed, answered in 8.4 ms.");
        assert.equal(
            statusMessage(down),
            "Ollama at http://localhost:11434 is unreachable: Cannot connect to Ollama server. Start it with: ollama serve",
        );
    });
    it("offers pull when reachable and start server when not, settings always", () => {
        assert.deepEqual(statusActions(up), ["Pull Model...", "Remove Model...", "Open Settings"]);
        assert.deepEqual(statusActions(down), ["Start Server", "Retry", "Open Settings"]);
    });
});

describe("primary status", () => {
    const map = (...s: OllamaStatus[]) => new Map(s.map((x) => [x.baseUrl, x]));
    it("prefers the configured base URL", () => {
        const other = { ...up, baseUrl: "http://127.0.0.1:5555" };
        assert.equal(pickPrimary(map(up, other), "http://127.0.0.1:5555/", other.baseUrl), other);
        assert.equal(pickPrimary(map(up, other), "127.0.0.1:5555", up.baseUrl), other);
    });
    it("falls back to the default localhost:11434", () => {
        const other = { ...up, baseUrl: "http://127.0.0.1:5555" };
        assert.equal(pickPrimary(map(other, down), null, other.baseUrl), down);
    });
    it("else the latest report", () => {
        const a = { ...up, baseUrl: "http://127.0.0.1:1" };
        const b = { ...up, baseUrl: "http://127.0.0.1:2" };
        assert.equal(pickPrimary(map(a, b), null, a.baseUrl), a);
        assert.equal(pickPrimary(new Map(), null, undefined), undefined);
    });
    it("normalises base URLs", () => {
        assert.equal(normalizeBaseUrl("http://LOCALHOST:11434/"), "http://localhost:11434");
        assert.equal(normalizeBaseUrl("0.0.0.0"), "http://127.0.0.1:11434");
        assert.equal(normalizeBaseUrl(null), undefined);
    });
});

describe("try model metrics", () => {
    it("formats tokens, tokens per second and seconds", () => {
        assert.equal(
            formatTryMetrics({ tokens: { prompt: 10, completion: 42, total: 52 }, tokensPerSecond: 37.46, totalDurationMs: 1234 }),
            "42 tokens, 37.5 tok/s, 1.2 s",
        );
    });
    it("copes with missing figures", () => {
        assert.equal(formatTryMetrics({ tokens: null }), "no metrics reported");
        assert.equal(formatTryMetrics({ tokens: { completion: 1 } }), "1 token");
    });
    it("formats sizes", () => {
        assert.equal(formatBytes(4661224676), "4.7 GB");
        assert.equal(formatBytes(512), "512 B");
        assert.equal(formatBytes(undefined), undefined);
    });
});

describe("loaded models (namel3ss/ollamaStatus loadedModels)", () => {
    const now = new Date(2026, 10, 25, 19, 30, 0);
    const at = (h: number, m: number) => new Date(2026, 10, 25, h, m, 0).toISOString();
    it("says where the memory is: VRAM, RAM or both", () => {
        assert.equal(formatMemory(5_100_000_000, 5_100_000_000), "5.1 GB VRAM");
        assert.equal(formatMemory(5_100_000_000, 0), "5.1 GB RAM");
        assert.equal(formatMemory(5_100_000_000, null), "5.1 GB RAM");
        assert.equal(formatMemory(5_000_000_000, 3_000_000_000), "3.0 GB VRAM + 2.0 GB RAM");
        assert.equal(formatMemory(null, null), undefined);
    });
    it("says when it unloads, or that it stays", () => {
        assert.equal(formatUnload(at(19, 35), now), `unloads at ${new Date(at(19, 35)).toLocaleTimeString(undefined, UNLOAD_TIME)}`);
        assert.match(formatUnload(new Date(2026, 10, 27, 9, 0).toISOString(), now) ?? "", /^unloads \S/);
        assert.equal(formatUnload("2262-04-11T23:47:16.854775807Z", now), "stays loaded");
        assert.equal(formatUnload("not a date", now), undefined);
        assert.equal(formatUnload(null, now), undefined);
    });
    it("one line per model: name, memory, context, unload time", () => {
        const line = loadedModelLine({ name: "llama3:8b", size: 5_100_000_000, sizeVram: 5_100_000_000, contextLength: 4096, expiresAt: at(19, 35) }, now);
        assert.equal(line, `llama3:8b: 5.1 GB VRAM, context 4096, unloads at ${new Date(at(19, 35)).toLocaleTimeString(undefined, UNLOAD_TIME)}`);
        assert.equal(loadedModelLine({ name: "phi3:mini" }, now), "phi3:mini");
    });
    it("reads camelCase and snake_case entries, skips nameless ones, keeps absent apart from unknown", () => {
        assert.deepEqual(
            normalizeLoadedModels([
                { name: "a:1b", size: 10, sizeVram: 5, contextLength: 2048, expiresAt: "2026-11-25T19:35:00Z" },
                { model: "b:2b", size: 20, size_vram: 0, context_length: 8192, expires_at: "2026-11-25T19:40:00Z", gpu_percent: 0 },
                { size: 3 },
                "junk",
            ]),
            [
                { name: "a:1b", size: 10, sizeVram: 5, contextLength: 2048, expiresAt: "2026-11-25T19:35:00Z" },
                { name: "b:2b", size: 20, sizeVram: 0, contextLength: 8192, expiresAt: "2026-11-25T19:40:00Z" },
            ],
        );
        assert.equal(normalizeLoadedModels(undefined), undefined);
        assert.equal(normalizeLoadedModels(null), null);
        assert.deepEqual(normalizeLoadedModels([]), []);
    });
    it("the tooltip lists them when the server is reachable; says none; says nothing when unknown", () => {
        const tip = statusTooltip({ ...up, loadedModels: [{ name: "llama3:8b", size: 5_100_000_000, sizeVram: 5_100_000_000, contextLength: 4096, expiresAt: null }] });
        assert.match(tip, /Loaded in memory:\n {2}llama3:8b: 5\.1 GB VRAM, context 4096\n/);
        assert.match(statusTooltip({ ...up, loadedModels: [] }), /Loaded in memory: none/);
        assert.doesNotMatch(statusTooltip({ ...up, loadedModels: null }), /Loaded/);
        assert.doesNotMatch(statusTooltip(up), /Loaded/);
        assert.doesNotMatch(statusTooltip({ ...down, loadedModels: [] }), /Loaded/);
    });
});
