import * as assert from "node:assert/strict";
import { pythonExtensionInterpreter } from "../../src/python";
import { OllamaStatusBar, normalizeStatus } from "../../src/statusBar";
import { mock } from "./vscode-mock";

describe("status bar item (mocked vscode)", () => {
    beforeEach(() => mock.reset());

    it("starts spinning, then follows namel3ss/ollamaStatus notifications", () => {
        const bar = new OllamaStatusBar(() => undefined, "namel3ss.showStatus");
        const item = mock.statusBarItems[0];
        assert.equal(item.text, "$(sync~spin) Ollama");
        assert.equal(item.command, "namel3ss.showStatus");
        assert.ok(item.visible);
        bar.update({
            baseUrl: "http://127.0.0.1:11434",
            reachable: true,
            version: "0.5.7",
            modelsCount: 2,
            responseTimeMs: 3,
            error: null,
            suggestion: null,
            checkedAt: "2026-11-25T19:00:00Z",
        });
        assert.equal(item.text, "$(check) Ollama 2 models");
        assert.match(String(item.tooltip), /http:\/\/127\.0\.0\.1:11434/);
        assert.match(String(item.tooltip), /0\.5\.7/);
        assert.match(String(item.tooltip), /3\.0 ms/);
        assert.equal(item.backgroundColor, undefined);
        bar.update({ baseUrl: "http://127.0.0.1:11434", reachable: false, error: "connection refused", suggestion: "ollama serve" });
        assert.equal(item.text, "$(error) Ollama unreachable");
        const color: unknown = mock.statusBarItems[0].backgroundColor;
        assert.equal((color as { id: string }).id, "statusBarItem.errorBackground");
    });

    it("shows the configured server when several report", () => {
        let configured = "http://127.0.0.1:9000";
        const bar = new OllamaStatusBar(() => configured, "x");
        const item = mock.statusBarItems[0];
        bar.update({ baseUrl: "http://127.0.0.1:9000", reachable: true, modelsCount: 3 });
        bar.update({ baseUrl: "http://127.0.0.1:9001", reachable: false });
        assert.equal(item.text, "$(check) Ollama 3 models");
        assert.match(String(item.tooltip), /Also http:\/\/127\.0\.0\.1:9001: unreachable/);
        configured = "http://127.0.0.1:9001";
        bar.render();
        assert.equal(item.text, "$(error) Ollama unreachable");
    });

    it("ignores malformed notifications and accepts snake_case (check_status results)", () => {
        const bar = new OllamaStatusBar(() => undefined, "x");
        bar.update(null);
        bar.update({ reachable: true });
        assert.equal(mock.statusBarItems[0].text, "$(sync~spin) Ollama");
        assert.deepEqual(normalizeStatus({ base_url: "http://h:1", reachable: true, models_count: 4, response_time_ms: 2 }), {
            baseUrl: "http://h:1",
            reachable: true,
            version: null,
            modelsCount: 4,
            responseTimeMs: 2,
            error: null,
            suggestion: null,
            checkedAt: null,
        });
    });

    it("lists the loaded models of a mocked payload in the tooltip, and keeps them across a status command's result", () => {
        const bar = new OllamaStatusBar(() => undefined, "x");
        const item = mock.statusBarItems[0];
        const expires = new Date(Date.now() + 5 * 60_000).toISOString();
        bar.update({
            baseUrl: "http://127.0.0.1:11434",
            reachable: true,
            modelsCount: 2,
            default: true,
            uris: [],
            loadedModels: [
                { name: "llama3:8b", size: 5_100_000_000, sizeVram: 5_100_000_000, contextLength: 4096, expiresAt: expires },
                { name: "mistral:latest", size: 6_000_000_000, sizeVram: 4_000_000_000, contextLength: 8192, expiresAt: "2262-04-11T23:47:16.854775807Z" },
            ],
        });
        const tip = String(item.tooltip);
        assert.match(tip, /Loaded in memory:/);
        assert.match(tip, /llama3:8b: 5\.1 GB VRAM, context 4096, unloads /);
        assert.match(tip, /mistral:latest: 4\.0 GB VRAM \+ 2\.0 GB RAM, context 8192, stays loaded/);
        // namel3ss.ollama.status's result (snake_case, no loaded models): the list stays.
        bar.update({ base_url: "http://127.0.0.1:11434", reachable: true, models_count: 2 });
        assert.match(String(item.tooltip), /llama3:8b: 5\.1 GB VRAM/);
        // Nothing loaded any more; then the server cannot say (null).
        bar.update({ baseUrl: "http://127.0.0.1:11434", reachable: true, modelsCount: 2, loadedModels: [] });
        assert.match(String(item.tooltip), /Loaded in memory: none/);
        bar.update({ baseUrl: "http://127.0.0.1:11434", reachable: true, modelsCount: 2, loadedModels: null });
        assert.doesNotMatch(String(item.tooltip), /Loaded/);
        // An older server that sends no loadedModels at all: no line.
        const older = new OllamaStatusBar(() => undefined, "x");
        older.update({ baseUrl: "http://127.0.0.1:9", reachable: true, modelsCount: 1 });
        assert.doesNotMatch(String(mock.statusBarItems[1].tooltip), /Loaded/);
    });

    it("shows a server problem until the next status", () => {
        const bar = new OllamaStatusBar(() => undefined, "x");
        bar.setServerProblem("not installed");
        assert.equal(mock.statusBarItems[0].text, "$(warning) Namel3ss");
        assert.equal(mock.statusBarItems[0].tooltip, "not installed");
        bar.update({ baseUrl: "http://127.0.0.1:11434", reachable: true, modelsCount: 0 });
        assert.equal(mock.statusBarItems[0].text, "$(check) Ollama 0 models");
    });
});

describe("status bar: the status of the document in focus (mocked vscode)", () => {
    beforeEach(() => mock.reset());
    const A = "http://127.0.0.1:11434";
    const B = "http://gpu-box:11434";
    const chat = "file:///ws/chat.ai";
    const remote = "file:///ws/remote.ai";
    const plain = "file:///ws/plain.ai";

    it("shows the server whose payload lists the focused document, else the default one", () => {
        const bar = new OllamaStatusBar(() => undefined, "x");
        const item = mock.statusBarItems[0];
        bar.update({ baseUrl: A, reachable: true, modelsCount: 12, uris: [chat, plain], default: true });
        bar.update({ baseUrl: B, reachable: false, error: "connection refused", uris: [remote] });
        mock.focus(chat);
        assert.equal(item.text, "$(check) Ollama 12 models");
        mock.focus(remote);
        assert.equal(item.text, "$(error) Ollama unreachable");
        assert.match(String(item.tooltip), /gpu-box/);
        assert.match(String(item.tooltip), /Also http:\/\/127\.0\.0\.1:11434: reachable, 12 models/);
        // A document no payload lists yet (just opened): the default server.
        mock.focus("file:///ws/new.ai");
        assert.equal(item.text, "$(check) Ollama 12 models");
        // Another language: the default server; focus on a panel (no editor): unchanged.
        mock.focus(remote);
        mock.focus("file:///ws/notes.md", "markdown");
        assert.equal(item.text, "$(check) Ollama 12 models");
        mock.focus(remote);
        mock.focus(undefined);
        assert.equal(item.text, "$(error) Ollama unreachable");
    });

    it("keeps the latest payload per server and moves a document to the server that lists it last", () => {
        const bar = new OllamaStatusBar(() => undefined, "x");
        const item = mock.statusBarItems[0];
        mock.focus(remote);
        bar.update({ baseUrl: A, reachable: true, modelsCount: 2, uris: [remote], default: true });
        assert.equal(item.text, "$(check) Ollama 2 models");
        // The document now points at B (its base_url was edited): B's payload lists it.
        bar.update({ baseUrl: B, reachable: false, uris: [remote] });
        assert.equal(item.text, "$(error) Ollama unreachable");
        assert.deepEqual(bar.all.find((s) => s.baseUrl === A)?.uris, []);
        // B comes back: its latest payload replaces the previous one.
        bar.update({ baseUrl: B, reachable: true, modelsCount: 5, uris: [remote] });
        assert.equal(item.text, "$(check) Ollama 5 models");
        assert.equal(bar.all.length, 2);
    });

    it("a status command's result (no uris) keeps the document assignment of the last notification", () => {
        const bar = new OllamaStatusBar(() => undefined, "x");
        const item = mock.statusBarItems[0];
        bar.update({ baseUrl: A, reachable: true, modelsCount: 2, uris: [], default: true });
        bar.update({ baseUrl: B, reachable: true, modelsCount: 7, uris: [remote] });
        mock.focus(remote);
        assert.equal(item.text, "$(check) Ollama 7 models");
        bar.update({ base_url: B, reachable: true, models_count: 8 }); // check_status result, snake_case
        assert.equal(item.text, "$(check) Ollama 8 models");
        mock.focus(chat);
        assert.equal(item.text, "$(check) Ollama 2 models");
    });

    it("matches URIs whatever their percent-encoding", () => {
        const bar = new OllamaStatusBar(() => undefined, "x");
        bar.update({ baseUrl: A, reachable: true, modelsCount: 1, default: true });
        bar.update({ baseUrl: B, reachable: false, uris: ["file:///c%3A/My%20Files/x.ai"] });
        mock.focus("file:///C:/My Files/x.ai");
        assert.equal(mock.statusBarItems[0].text, "$(error) Ollama unreachable");
    });

    it("without uris/default (an older server): the configured server, else the latest report", () => {
        const bar = new OllamaStatusBar(() => B, "x");
        mock.focus(chat);
        bar.update({ baseUrl: A, reachable: true, modelsCount: 3 });
        assert.equal(mock.statusBarItems[0].text, "$(check) Ollama 3 models");
        bar.update({ baseUrl: B, reachable: false });
        bar.update({ baseUrl: A, reachable: true, modelsCount: 4 });
        assert.equal(mock.statusBarItems[0].text, "$(error) Ollama unreachable");
    });
});

describe("Python extension interpreter (soft dependency, mocked vscode)", () => {
    beforeEach(() => mock.reset());

    it("is undefined when the Python extension is not installed", async () => {
        assert.equal(await pythonExtensionInterpreter(), undefined);
    });

    it("uses the environments API", async () => {
        mock.extensions["ms-python.python"] = {
            isActive: true,
            exports: {
                environments: {
                    getActiveEnvironmentPath: () => ({ id: "x", path: "/proj/.venv" }),
                    resolveEnvironment: async () => ({ executable: { uri: { fsPath: "/proj/.venv/bin/python" } } }),
                },
            },
        };
        assert.deepEqual(await pythonExtensionInterpreter(), ["/proj/.venv/bin/python"]);
    });

    it("activates the extension and falls back to the older settings API", async () => {
        let activated = false;
        mock.extensions["ms-python.python"] = {
            isActive: false,
            activate: async () => {
                activated = true;
                return { settings: { getExecutionDetails: () => ({ execCommand: ["/usr/bin/python3.11"] }) } };
            },
        };
        assert.deepEqual(await pythonExtensionInterpreter(), ["/usr/bin/python3.11"]);
        assert.ok(activated);
    });

    it("treats a failing Python extension as absent", async () => {
        mock.extensions["ms-python.python"] = {
            isActive: false,
            activate: async () => {
                throw new Error("boom");
            },
        };
        assert.equal(await pythonExtensionInterpreter(), undefined);
    });
});
