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

    it("shows a server problem until the next status", () => {
        const bar = new OllamaStatusBar(() => undefined, "x");
        bar.setServerProblem("not installed");
        assert.equal(mock.statusBarItems[0].text, "$(warning) Namel3ss");
        assert.equal(mock.statusBarItems[0].tooltip, "not installed");
        bar.update({ baseUrl: "http://127.0.0.1:11434", reachable: true, modelsCount: 0 });
        assert.equal(mock.statusBarItems[0].text, "$(check) Ollama 0 models");
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
