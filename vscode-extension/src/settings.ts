/** Settings of the `namel3ss` section sent to the server (DESIGN.md section 3). */

export interface ConfigReader {
    get<T>(key: string): T | undefined;
}

export interface ServerSettings {
    ollama: {
        baseUrl: string | null;
        allowedHosts: string[];
        requestTimeout: number;
        healthCheckInterval: number;
        modelCacheTtl: number;
        allowServerStart: boolean;
    };
    diagnostics: {
        missingModel: "error" | "warning" | "information" | "hint" | "off";
    };
}

export const DEFAULT_SETTINGS: ServerSettings = {
    ollama: {
        baseUrl: null,
        allowedHosts: ["localhost", "127.0.0.1", "::1"],
        requestTimeout: 5,
        healthCheckInterval: 30,
        modelCacheTtl: 60,
        allowServerStart: false,
    },
    diagnostics: { missingModel: "warning" },
};

const SEVERITIES = new Set(["error", "warning", "information", "hint", "off"]);

function num(value: unknown, fallback: number, min = 0): number {
    return typeof value === "number" && isFinite(value) && value >= min ? value : fallback;
}

/**
 * The `namel3ss` section as the nested object the server expects in `initializationOptions`:
 * `{"ollama": {"baseUrl": ...}, "diagnostics": {"missingModel": ...}}`. `config` is
 * `workspace.getConfiguration("namel3ss")`; invalid values fall back to the defaults.
 */
export function buildServerSettings(config: ConfigReader): ServerSettings {
    const d = DEFAULT_SETTINGS;
    const baseUrl = config.get<string | null>("ollama.baseUrl");
    const hosts = config.get<unknown>("ollama.allowedHosts");
    const missing = config.get<string>("diagnostics.missingModel");
    return {
        ollama: {
            baseUrl: typeof baseUrl === "string" && baseUrl.trim() !== "" ? baseUrl.trim() : null,
            allowedHosts: Array.isArray(hosts) ? hosts.filter((h): h is string => typeof h === "string") : [...d.ollama.allowedHosts],
            requestTimeout: num(config.get("ollama.requestTimeout"), d.ollama.requestTimeout, 0.001),
            healthCheckInterval: num(config.get("ollama.healthCheckInterval"), d.ollama.healthCheckInterval),
            modelCacheTtl: num(config.get("ollama.modelCacheTtl"), d.ollama.modelCacheTtl),
            allowServerStart: config.get<boolean>("ollama.allowServerStart") === true,
        },
        diagnostics: {
            missingModel: (typeof missing === "string" && SEVERITIES.has(missing) ? missing : d.diagnostics.missingModel) as ServerSettings["diagnostics"]["missingModel"],
        },
    };
}

/** Settings whose change needs a restart of the server process rather than didChangeConfiguration. */
export const RESTART_SETTINGS = ["namel3ss.server.path", "namel3ss.server.pythonPath", "namel3ss.server.logLevel"];

/**
 * The guards: what runs on the machine and which hosts a document may send the server to. They are
 * the user's alone (`machine` scope: user or remote settings, never a workspace's .vscode/settings.json),
 * and restricted in untrusted workspaces (package.json `capabilities.untrustedWorkspaces`).
 */
export const GUARD_SETTINGS = [
    "namel3ss.server.path",
    "namel3ss.server.pythonPath",
    "namel3ss.ollama.allowedHosts",
    "namel3ss.ollama.allowServerStart",
] as const;

/**
 * The command that opens the Settings editor on one setting, in the tab where it can be set: a
 * guard (machine scope) in a remote window can only be set in the Remote tab; everything else in
 * the User tab.
 */
export function openSettingCommand(settingId: string, remoteName: string | undefined): { command: string; args: [{ query: string }] } {
    const machine = (GUARD_SETTINGS as readonly string[]).includes(settingId);
    return {
        command: machine && remoteName ? "workbench.action.openRemoteSettings" : "workbench.action.openGlobalSettings",
        args: [{ query: settingId }],
    };
}
