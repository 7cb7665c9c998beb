import { execFile } from "node:child_process";
import { constants, promises as fs } from "node:fs";
import * as path from "node:path";

/** PATH lookup (or check of an explicit path) for an executable. */
export async function which(command: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
    const isWin = process.platform === "win32";
    const exts = isWin ? (env.PATHEXT ?? ".EXE;.CMD;.BAT;.COM").split(";").concat([""]) : [""];
    const candidates: string[] = [];
    if (command.includes("/") || (isWin && command.includes("\\"))) {
        for (const ext of exts) {
            candidates.push(path.resolve(command + ext));
        }
    } else {
        for (const dir of (env.PATH ?? "").split(path.delimiter)) {
            if (!dir) {
                continue;
            }
            for (const ext of exts) {
                candidates.push(path.join(dir, command + ext));
            }
        }
    }
    for (const candidate of candidates) {
        try {
            const stat = await fs.stat(candidate);
            if (stat.isFile()) {
                await fs.access(candidate, isWin ? constants.F_OK : constants.X_OK);
                return candidate;
            }
        } catch {
            // next
        }
    }
    return undefined;
}

/**
 * Whether `argv -c "import namel3ss_lsp, pygls"` exits 0 within the timeout: the package and its
 * LSP library (a checkout on PYTHONPATH without the dependencies installed is not enough).
 */
export function canImport(argv: string[], timeoutMs = 15000): Promise<boolean> {
    return new Promise((resolve) => {
        try {
            execFile(argv[0], [...argv.slice(1), "-c", "import namel3ss_lsp, pygls"], { timeout: timeoutMs, windowsHide: true }, (error) =>
                resolve(!error),
            );
        } catch {
            resolve(false);
        }
    });
}

/**
 * Runs `argv... -I <launcher> --probe` (bundled/tool/lsp_server.py), which prints one JSON line:
 * `{"ok", "version", "error"?}`. An interpreter too old to have `-I` (Python 2) exits with a usage
 * error and prints no JSON: reported as not usable.
 */
export function probeBundle(argv: string[], launcher: string, timeoutMs = 20000): Promise<{ ok: boolean; version?: string; error?: string }> {
    return new Promise((resolve) => {
        try {
            execFile(argv[0], [...argv.slice(1), "-I", launcher, "--probe"], { timeout: timeoutMs, windowsHide: true }, (error, stdout, stderr) => {
                const line = String(stdout ?? "")
                    .split(/\r?\n/)
                    .find((l) => l.trim().startsWith("{"));
                if (line) {
                    try {
                        const report = JSON.parse(line) as { ok?: unknown; version?: unknown; error?: unknown };
                        resolve({
                            ok: report.ok === true && !error,
                            version: typeof report.version === "string" ? report.version : undefined,
                            error: typeof report.error === "string" ? report.error : undefined,
                        });
                        return;
                    } catch {
                        // fall through
                    }
                }
                const detail = String(stderr ?? "").trim().split(/\r?\n/).pop() || (error ? error.message.split("\n")[0] : "no answer");
                resolve({ ok: false, error: `cannot run the bundled server: ${detail}` });
            });
        } catch (error) {
            resolve({ ok: false, error: error instanceof Error ? error.message : String(error) });
        }
    });
}
