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
