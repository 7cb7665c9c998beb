import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_SETTINGS, buildServerSettings } from "../../src/settings";
import { mock, vscodeMock } from "./vscode-mock";

const pkg = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8"));
const props: Record<string, { default: unknown; enum?: string[] }> = pkg.contributes.configuration.properties;

describe("settings -> initializationOptions", () => {
    beforeEach(() => mock.reset());

    it("builds the nested namel3ss object from defaults", () => {
        const settings = buildServerSettings(vscodeMock.workspace.getConfiguration("namel3ss"));
        assert.deepEqual(settings, {
            ollama: {
                baseUrl: null,
                allowedHosts: ["localhost", "127.0.0.1", "::1"],
                requestTimeout: 5,
                healthCheckInterval: 30,
                modelCacheTtl: 60,
                allowServerStart: false,
            },
            diagnostics: { missingModel: "warning" },
        });
    });

    it("carries the user's values", () => {
        Object.assign(mock.configuration, {
            "namel3ss.ollama.baseUrl": " http://127.0.0.1:5000 ",
            "namel3ss.ollama.allowedHosts": ["gpu-box.lan"],
            "namel3ss.ollama.requestTimeout": 2.5,
            "namel3ss.ollama.healthCheckInterval": 0,
            "namel3ss.ollama.modelCacheTtl": 10,
            "namel3ss.ollama.allowServerStart": true,
            "namel3ss.diagnostics.missingModel": "error",
            "namel3ss.server.path": "/x",
        });
        const settings = buildServerSettings(vscodeMock.workspace.getConfiguration("namel3ss"));
        assert.deepEqual(settings, {
            ollama: {
                baseUrl: "http://127.0.0.1:5000",
                allowedHosts: ["gpu-box.lan"],
                requestTimeout: 2.5,
                healthCheckInterval: 0,
                modelCacheTtl: 10,
                allowServerStart: true,
            },
            diagnostics: { missingModel: "error" },
        });
        assert.equal(JSON.stringify(settings).includes("server"), false);
    });

    it("falls back to defaults for invalid values", () => {
        Object.assign(mock.configuration, {
            "namel3ss.ollama.baseUrl": "",
            "namel3ss.ollama.requestTimeout": -1,
            "namel3ss.ollama.modelCacheTtl": "soon",
            "namel3ss.diagnostics.missingModel": "loud",
            "namel3ss.ollama.allowedHosts": "localhost",
        });
        const s = buildServerSettings(vscodeMock.workspace.getConfiguration("namel3ss"));
        assert.equal(s.ollama.baseUrl, null);
        assert.equal(s.ollama.requestTimeout, 5);
        assert.equal(s.ollama.modelCacheTtl, 60);
        assert.equal(s.diagnostics.missingModel, "warning");
        assert.deepEqual(s.ollama.allowedHosts, ["localhost", "127.0.0.1", "::1"]);
    });

    it("package.json contributes every contract setting with the contract's default", () => {
        for (const [group, values] of Object.entries(DEFAULT_SETTINGS)) {
            for (const [key, value] of Object.entries(values)) {
                const id = `namel3ss.${group}.${key}`;
                assert.ok(props[id], `${id} is contributed`);
                assert.deepEqual(props[id].default, value, `${id} default`);
            }
        }
        assert.deepEqual(props["namel3ss.diagnostics.missingModel"].enum, ["error", "warning", "information", "hint", "off"]);
        for (const id of ["namel3ss.server.path", "namel3ss.server.pythonPath", "namel3ss.trace.server"]) {
            assert.ok(props[id], `${id} is contributed`);
        }
        assert.deepEqual(props["namel3ss.trace.server"].enum, ["off", "messages", "verbose"]);
    });

    it("package.json contributes the palette commands and the language", () => {
        const commands = pkg.contributes.commands.map((c: { command: string }) => c.command);
        for (const id of [
            "namel3ss.pullModel",
            "namel3ss.removeModel",
            "namel3ss.refreshModels",
            "namel3ss.showStatus",
            "namel3ss.startOllama",
            "namel3ss.tryModel",
            "namel3ss.showOutput",
            "namel3ss.restartServer",
        ]) {
            assert.ok(commands.includes(id), id);
        }
        // The server's own command ids are registered by vscode-languageclient: no clash allowed.
        assert.equal(commands.filter((c: string) => c.startsWith("namel3ss.ollama.")).length, 0);
        assert.deepEqual(pkg.contributes.languages[0].extensions, [".ai"]);
        assert.equal(pkg.contributes.grammars[0].scopeName, "source.namel3ss");
    });
});
