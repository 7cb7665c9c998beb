/**
 * How the language server is started (pure logic; the I/O is injected so it is unit-tested).
 *
 * Order: `namel3ss.server.path` (an executable) > `namel3ss.server.pythonPath` (`python -m namel3ss_lsp`)
 * > the interpreter selected in the Python extension (when it can import namel3ss_lsp)
 * > `namel3ss-lsp` on PATH > `python3 -m namel3ss_lsp` (when it can import namel3ss_lsp).
 */

export const INSTALL_COMMAND = "pip install namel3ss-lsp";
export const SERVER_EXECUTABLE = "namel3ss-lsp";
export const SERVER_MODULE = "namel3ss_lsp";

export type ServerSource = "server.path" | "server.pythonPath" | "python-extension" | "PATH" | "python3";

export interface ServerCommand {
    kind: "ok";
    command: string;
    args: string[];
    source: ServerSource;
    description: string;
}

export interface ServerNotFound {
    kind: "not-found";
    /** The one message shown to the user. */
    message: string;
    /** Command line that installs the server (copied to the clipboard on request). */
    installCommand: string;
    /** What was tried, for the output channel. */
    tried: string[];
}

export interface ResolverInputs {
    serverPath?: string | null;
    pythonPath?: string | null;
    /** Interpreter command of the Python extension (may be several words, e.g. `conda run -n x python`). */
    pythonExtensionCommand?: string[] | null;
    /** Extra arguments appended to the server command line (e.g. `--log-level DEBUG`). */
    extraArgs?: string[];
    /** Variables for `${workspaceFolder}`, `${userHome}`, `~` in the path settings. */
    workspaceFolder?: string;
    homeDir?: string;
    platform?: NodeJS.Platform;
    /** Finds an executable on PATH (or checks an explicit path); undefined when absent. */
    which(command: string): Promise<string | undefined>;
    /** Whether `argv... -c "import namel3ss_lsp"` succeeds. */
    canImport(pythonArgv: string[]): Promise<boolean>;
}

export function expandPath(value: string, workspaceFolder?: string, homeDir?: string): string {
    let v = value.trim();
    if (homeDir) {
        if (v === "~" || v.startsWith("~/") || v.startsWith("~\\")) {
            v = homeDir + v.slice(1);
        }
        v = v.replace(/\$\{userHome\}/g, homeDir);
    }
    if (workspaceFolder) {
        v = v.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
    }
    return v;
}

function quote(argv: string[]): string {
    return argv.map((a) => (/[\s"']/.test(a) ? `"${a}"` : a)).join(" ");
}

export async function resolveServerCommand(inputs: ResolverInputs): Promise<ServerCommand | ServerNotFound> {
    const extra = inputs.extraArgs ?? [];
    const tried: string[] = [];
    const expand = (v: string) => expandPath(v, inputs.workspaceFolder, inputs.homeDir);

    const serverPath = inputs.serverPath?.trim() ? expand(inputs.serverPath) : undefined;
    if (serverPath) {
        const found = await inputs.which(serverPath);
        if (found) {
            return { kind: "ok", command: found, args: [...extra], source: "server.path", description: `${found} (namel3ss.server.path)` };
        }
        return {
            kind: "not-found",
            message: `The Namel3ss language server was not started: namel3ss.server.path "${serverPath}" is not an executable. Fix the setting, or clear it and install the server with: ${INSTALL_COMMAND}`,
            installCommand: INSTALL_COMMAND,
            tried: [`namel3ss.server.path: ${serverPath} (not found)`],
        };
    }

    const pythonPath = inputs.pythonPath?.trim() ? expand(inputs.pythonPath) : undefined;
    if (pythonPath) {
        if (await inputs.canImport([pythonPath])) {
            return {
                kind: "ok",
                command: pythonPath,
                args: ["-m", SERVER_MODULE, ...extra],
                source: "server.pythonPath",
                description: `${pythonPath} -m ${SERVER_MODULE} (namel3ss.server.pythonPath)`,
            };
        }
        const install = `${quote([pythonPath])} -m ${INSTALL_COMMAND}`;
        return {
            kind: "not-found",
            message: `The Namel3ss language server was not started: the interpreter "${pythonPath}" (namel3ss.server.pythonPath) cannot import ${SERVER_MODULE}. Install it with: ${install}`,
            installCommand: install,
            tried: [`namel3ss.server.pythonPath: ${pythonPath} (cannot import ${SERVER_MODULE})`],
        };
    }

    let installCommand = INSTALL_COMMAND;
    const pyExt = inputs.pythonExtensionCommand?.filter((a) => a.length > 0);
    if (pyExt && pyExt.length > 0) {
        if (await inputs.canImport(pyExt)) {
            return {
                kind: "ok",
                command: pyExt[0],
                args: [...pyExt.slice(1), "-m", SERVER_MODULE, ...extra],
                source: "python-extension",
                description: `${quote(pyExt)} -m ${SERVER_MODULE} (Python extension interpreter)`,
            };
        }
        tried.push(`Python extension interpreter: ${quote(pyExt)} (cannot import ${SERVER_MODULE})`);
        installCommand = `${quote(pyExt)} -m ${INSTALL_COMMAND}`;
    }

    const onPath = await inputs.which(SERVER_EXECUTABLE);
    if (onPath) {
        return { kind: "ok", command: onPath, args: [...extra], source: "PATH", description: `${onPath} (on PATH)` };
    }
    tried.push(`${SERVER_EXECUTABLE} on PATH (not found)`);

    const pythonNames = inputs.platform === "win32" ? ["python", "py"] : ["python3", "python"];
    for (const name of pythonNames) {
        const python = await inputs.which(name);
        if (!python) {
            tried.push(`${name} on PATH (not found)`);
            continue;
        }
        if (await inputs.canImport([python])) {
            return {
                kind: "ok",
                command: python,
                args: ["-m", SERVER_MODULE, ...extra],
                source: "python3",
                description: `${python} -m ${SERVER_MODULE}`,
            };
        }
        tried.push(`${python} (cannot import ${SERVER_MODULE})`);
        break;
    }

    return {
        kind: "not-found",
        message: `The Namel3ss language server (namel3ss-lsp) is not installed. Install it with: ${installCommand}  (or set namel3ss.server.path / namel3ss.server.pythonPath), then run "Namel3ss: Restart Server".`,
        installCommand,
        tried,
    };
}
