/**
 * How the language server is started (pure logic; the I/O is injected so it is unit-tested).
 *
 * The .vsix carries the server and its pure-Python dependencies (`bundled/libs`) and a launcher
 * (`bundled/tool/lsp_server.py`) that is run as `python -I lsp_server.py`: nothing but Python 3.10
 * or later is needed on the machine. Order, first that works wins:
 *
 * 1. `namel3ss.server.path`: a `namel3ss-lsp` executable, used as is;
 * 2. `namel3ss.server.pythonPath`: that interpreter, with its own installed `namel3ss_lsp`
 *    (`python -m namel3ss_lsp`) if it has one, else running the bundle;
 * 3. the bundle, run by `python3` (then `python`) from PATH when it is 3.10 or later;
 * 4. the interpreter selected in the Python extension (installed server, else the bundle);
 * 5. `namel3ss-lsp` on PATH;
 * 6. `python3 -m namel3ss_lsp` (only reached by a build without the bundle).
 *
 * A setting that is set but broken (1, 2) is reported as such rather than skipped: the user asked
 * for it.
 */

export const SERVER_EXECUTABLE = "namel3ss-lsp";
export const SERVER_MODULE = "namel3ss_lsp";
export const MIN_PYTHON = "3.10";
export const PYTHON_DOWNLOAD_URL = "https://www.python.org/downloads/";

export type ServerSource = "server.path" | "server.pythonPath" | "bundled" | "python-extension" | "PATH" | "python3";

export interface ServerCommand {
    kind: "ok";
    command: string;
    args: string[];
    source: ServerSource;
    /** Whether this runs the server bundled with the extension. */
    bundled: boolean;
    description: string;
}

/** Which setting the user should look at when nothing works. */
export type ProblemSetting = "namel3ss.server.path" | "namel3ss.server.pythonPath";

export interface ServerNotFound {
    kind: "not-found";
    /** The short message shown to the user (one or two sentences). */
    message: string;
    /** The setting that fixes it. */
    setting: ProblemSetting;
    /** Whether installing Python 3.10+ would fix it (offer the download page). */
    needsPython: boolean;
    /** What was tried, for the output channel. */
    tried: string[];
}

/** Result of `python -I lsp_server.py --probe`. */
export interface BundleProbe {
    ok: boolean;
    /** Interpreter version, when it could be run at all. */
    version?: string;
    error?: string;
}

export interface ResolverInputs {
    serverPath?: string | null;
    pythonPath?: string | null;
    /** Interpreter command of the Python extension (may be several words, e.g. `conda run -n x python`). */
    pythonExtensionCommand?: string[] | null;
    /** The bundled launcher (`.../bundled/tool/lsp_server.py`), undefined when this build has no bundle. */
    bundleLauncher?: string;
    /** Extra arguments appended to the server command line (e.g. `--log-level DEBUG`). */
    extraArgs?: string[];
    /** Variables for `${workspaceFolder}`, `${userHome}`, `~` in the path settings. */
    workspaceFolder?: string;
    homeDir?: string;
    platform?: NodeJS.Platform;
    /** Finds an executable on PATH (or checks an explicit path); undefined when absent. */
    which(command: string): Promise<string | undefined>;
    /** Whether `argv... -c "import namel3ss_lsp, pygls"` succeeds (an installed server). */
    canImport(pythonArgv: string[]): Promise<boolean>;
    /** Runs `argv... -I <launcher> --probe`. */
    probeBundle(pythonArgv: string[], launcher: string): Promise<BundleProbe>;
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

export function quote(argv: string[]): string {
    return argv.map((a) => (/[\s"']/.test(a) ? `"${a}"` : a)).join(" ");
}

/** `python -I launcher` for the bundle (isolated: PYTHONPATH and user site-packages cannot shadow it). */
export function bundleArgs(pythonArgv: string[], launcher: string, extra: string[]): { command: string; args: string[] } {
    return { command: pythonArgv[0], args: [...pythonArgv.slice(1), "-I", launcher, ...extra] };
}

/** One sentence on why an interpreter cannot run the bundle (the detail goes to the output). */
function shortProblem(subject: string, p: BundleProbe): string {
    if (!p.version) {
        return `${subject} cannot be run.`;
    }
    const [major, minor] = p.version.split(".").map(Number);
    if (major < 3 || (major === 3 && minor < 10)) {
        return `${subject} is Python ${p.version}; the language server needs ${MIN_PYTHON} or later.`;
    }
    return `${subject} cannot run the bundled language server.`;
}

function probeText(p: BundleProbe): string {
    if (p.version && p.error) {
        return `Python ${p.version}: ${p.error}`;
    }
    return p.error ?? (p.version ? `Python ${p.version}` : "could not be run");
}

export async function resolveServerCommand(inputs: ResolverInputs): Promise<ServerCommand | ServerNotFound> {
    const extra = inputs.extraArgs ?? [];
    const tried: string[] = [];
    const expand = (v: string) => expandPath(v, inputs.workspaceFolder, inputs.homeDir);
    const launcher = inputs.bundleLauncher;

    const serverPath = inputs.serverPath?.trim() ? expand(inputs.serverPath) : undefined;
    if (serverPath) {
        const found = await inputs.which(serverPath);
        if (found) {
            return { kind: "ok", command: found, args: [...extra], source: "server.path", bundled: false, description: `${found} (namel3ss.server.path)` };
        }
        return {
            kind: "not-found",
            message: `namel3ss.server.path "${serverPath}" is not an executable.`,
            setting: "namel3ss.server.path",
            needsPython: false,
            tried: [`namel3ss.server.path: ${serverPath} (not found or not executable)`],
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
                bundled: false,
                description: `${pythonPath} -m ${SERVER_MODULE} (namel3ss.server.pythonPath, its installed server)`,
            };
        }
        let detail = `cannot import ${SERVER_MODULE}`;
        let message = `namel3ss.server.pythonPath "${pythonPath}" has no ${SERVER_EXECUTABLE} installed.`;
        if (launcher) {
            const probe = await inputs.probeBundle([pythonPath], launcher);
            if (probe.ok) {
                return {
                    kind: "ok",
                    ...bundleArgs([pythonPath], launcher, extra),
                    source: "server.pythonPath",
                    bundled: true,
                    description: `the bundled server with ${pythonPath} (namel3ss.server.pythonPath)`,
                };
            }
            detail = probeText(probe);
            message = shortProblem(`namel3ss.server.pythonPath "${pythonPath}"`, probe);
        }
        return {
            kind: "not-found",
            message,
            setting: "namel3ss.server.pythonPath",
            needsPython: true,
            tried: [`namel3ss.server.pythonPath: ${pythonPath} (${detail})`],
        };
    }

    const found: string[] = [];
    if (launcher) {
        const names = inputs.platform === "win32" ? ["python", "py"] : ["python3", "python"];
        for (const name of names) {
            const python = await inputs.which(name);
            if (!python) {
                tried.push(`${name} on PATH (not found)`);
                continue;
            }
            const argv = name === "py" ? [python, "-3"] : [python];
            const probe = await inputs.probeBundle(argv, launcher);
            if (probe.ok) {
                return {
                    kind: "ok",
                    ...bundleArgs(argv, launcher, extra),
                    source: "bundled",
                    bundled: true,
                    description: `the bundled server with ${quote(argv)} (Python ${probe.version ?? "?"})`,
                };
            }
            tried.push(`bundled server with ${quote(argv)} (${probeText(probe)})`);
            found.push(`${name} is ${probe.version ? `Python ${probe.version}` : "not usable"}`);
        }
    }

    const pyExt = inputs.pythonExtensionCommand?.filter((a) => a.length > 0);
    if (pyExt && pyExt.length > 0) {
        if (await inputs.canImport(pyExt)) {
            return {
                kind: "ok",
                command: pyExt[0],
                args: [...pyExt.slice(1), "-m", SERVER_MODULE, ...extra],
                source: "python-extension",
                bundled: false,
                description: `${quote(pyExt)} -m ${SERVER_MODULE} (Python extension interpreter)`,
            };
        }
        if (launcher) {
            const probe = await inputs.probeBundle(pyExt, launcher);
            if (probe.ok) {
                return {
                    kind: "ok",
                    ...bundleArgs(pyExt, launcher, extra),
                    source: "python-extension",
                    bundled: true,
                    description: `the bundled server with ${quote(pyExt)} (Python extension interpreter)`,
                };
            }
            tried.push(`Python extension interpreter: ${quote(pyExt)} (${probeText(probe)})`);
        } else {
            tried.push(`Python extension interpreter: ${quote(pyExt)} (cannot import ${SERVER_MODULE})`);
        }
    }

    const onPath = await inputs.which(SERVER_EXECUTABLE);
    if (onPath) {
        return { kind: "ok", command: onPath, args: [...extra], source: "PATH", bundled: false, description: `${onPath} (on PATH)` };
    }
    tried.push(`${SERVER_EXECUTABLE} on PATH (not found)`);

    if (!launcher) {
        tried.push("no bundled server in this build");
        const python = await inputs.which(inputs.platform === "win32" ? "python" : "python3");
        if (python) {
            if (await inputs.canImport([python])) {
                return {
                    kind: "ok",
                    command: python,
                    args: ["-m", SERVER_MODULE, ...extra],
                    source: "python3",
                    bundled: false,
                    description: `${python} -m ${SERVER_MODULE}`,
                };
            }
            tried.push(`${python} (cannot import ${SERVER_MODULE})`);
        }
        return {
            kind: "not-found",
            message: `The Namel3ss language server was not found, and this build of the extension does not bundle it. Set namel3ss.server.pythonPath to an interpreter that has ${SERVER_EXECUTABLE} installed.`,
            setting: "namel3ss.server.pythonPath",
            needsPython: false,
            tried,
        };
    }

    const what = found.length ? ` (${found.join(", ")})` : " (no python3 on PATH)";
    return {
        kind: "not-found",
        message: `The Namel3ss language server needs Python ${MIN_PYTHON} or later${what}.`,
        setting: "namel3ss.server.pythonPath",
        needsPython: true,
        tried,
    };
}
