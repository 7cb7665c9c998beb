import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_SETTINGS, GUARD_SETTINGS, buildServerSettings, openSettingCommand } from "../../src/settings";
import { mock, vscodeMock } from "./vscode-mock";

const pkg = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8"));
const props: Record<string, { default: unknown; enum?: string[]; type: unknown; scope?: string }> = pkg.contributes.configuration.properties;

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
                // A string setting that is "not set" has the default "" (a text box in the Settings
                // UI; null would only offer "Edit in settings.json"), sent to the server as null.
                assert.deepEqual(props[id].default === "" && value === null ? null : props[id].default, value, `${id} default`);
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

    it("semantic tokens map to the grammar's scopes, are on in every theme, and the formatter is the default", () => {
        const legend = ["namespace", "class", "function", "variable", "property", "string", "number", "type", "keyword"];
        const [entry] = pkg.contributes.semanticTokenScopes;
        assert.equal(entry.language, "namel3ss");
        for (const type of legend) {
            assert.ok(entry.scopes[type]?.[0]?.endsWith(".namel3ss"), `${type} has a scope`);
        }
        assert.deepEqual(entry.scopes.class, ["entity.name.type.namel3ss"]);
        const defaults = pkg.contributes.configurationDefaults["[namel3ss]"];
        assert.equal(defaults["editor.semanticHighlighting.enabled"], true);
        assert.equal(defaults["editor.defaultFormatter"], `${pkg.publisher}.${pkg.name}`);
        assert.equal(defaults["editor.formatOnSave"], undefined); // the user's choice
    });

    it("every setting has a text box, checkbox or list in the Settings UI (no null type)", () => {
        for (const [id, prop] of Object.entries(props)) {
            assert.ok(typeof prop.type === "string", `${id} has one type (got ${JSON.stringify(prop.type)})`);
            assert.notEqual(prop.default, null, `${id} default is not null`);
        }
        for (const id of ["namel3ss.server.path", "namel3ss.server.pythonPath", "namel3ss.ollama.baseUrl"]) {
            assert.equal(props[id].type, "string", id);
            assert.equal(props[id].default, "", id);
        }
    });

    it("an empty string setting reaches the server as null", () => {
        Object.assign(mock.configuration, { "namel3ss.ollama.baseUrl": "", "namel3ss.server.pythonPath": "" });
        assert.equal(buildServerSettings(vscodeMock.workspace.getConfiguration("namel3ss")).ollama.baseUrl, null);
    });
});

describe("the guards are the user's alone (issue 17 item 8)", () => {
    it("allowedHosts and allowServerStart have machine scope; server.path and pythonPath machine, not machine-overridable", () => {
        assert.equal(props["namel3ss.ollama.allowedHosts"].scope, "machine");
        assert.equal(props["namel3ss.ollama.allowServerStart"].scope, "machine");
        assert.equal(props["namel3ss.server.path"].scope, "machine");
        assert.equal(props["namel3ss.server.pythonPath"].scope, "machine");
        for (const id of GUARD_SETTINGS) {
            assert.ok(["machine", "application"].includes(props[id].scope ?? ""), `${id}: ${props[id].scope}`);
        }
    });

    it("declares limited support for untrusted workspaces, restricting the guards and the base URL", () => {
        const untrusted = pkg.capabilities?.untrustedWorkspaces;
        assert.equal(untrusted?.supported, "limited");
        assert.ok(typeof untrusted.description === "string" && untrusted.description.length > 0);
        for (const id of [...GUARD_SETTINGS, "namel3ss.ollama.baseUrl"]) {
            assert.ok(untrusted.restrictedConfigurations.includes(id), `${id} is restricted`);
            assert.ok(props[id], `${id} exists`);
        }
    });
});

describe("Open Settings goes to the tab where the setting can be set", () => {
    it("a guard in a remote window: the Remote tab, filtered to the setting", () => {
        assert.deepEqual(openSettingCommand("namel3ss.server.pythonPath", "ssh-remote+box"), {
            command: "workbench.action.openRemoteSettings",
            args: [{ query: "namel3ss.server.pythonPath" }],
        });
    });
    it("locally, or a setting that is not machine-scoped: the User tab", () => {
        assert.deepEqual(openSettingCommand("namel3ss.server.pythonPath", undefined), {
            command: "workbench.action.openGlobalSettings",
            args: [{ query: "namel3ss.server.pythonPath" }],
        });
        assert.equal(openSettingCommand("namel3ss.ollama.baseUrl", "ssh-remote+box").command, "workbench.action.openGlobalSettings");
    });
});
