#!/usr/bin/env node
// The .vsix is self-contained: unpack it into a temporary folder, start the bundled server the way
// the extension does (`python3 -I extension/bundled/tool/lsp_server.py`, empty PYTHONPATH, from the
// temporary folder so that this repository's package is not what runs), speak LSP to it over stdio
// and complete a model name from a stand-in Ollama (tests/standin).
//
//   npm run test:bundle          (builds namel3ss.vsix first, unless N3_NO_BUILD=1)
//
// Environment: N3_PYTHON (interpreter for the stand-in and the first server run; default python3),
// N3_BUNDLE_PYTHONS (space-separated interpreters that run the bundle; default: N3_PYTHON, plus
// a Python 3.10 (on PATH or in pyenv) when there is one: the oldest Python the bundle supports),
// N3_NO_BUILD=1.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node.js";

const extDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const repoRoot = join(extDir, "..");
const vsix = join(extDir, "namel3ss.vsix");
const python = process.env.N3_PYTHON || "python3";
const MAX_VSIX_BYTES = 15 * 1024 * 1024;
const cleanups = [];
let passed = 0;
let failed = 0;

function log(message) {
    process.stdout.write(`[bundle] ${message}\n`);
}

async function check(name, fn) {
    try {
        await fn();
        passed++;
        log(`✓ ${name}`);
    } catch (error) {
        failed++;
        log(`✗ ${name}: ${error && error.stack ? error.stack : error}`);
    }
}

function freePort() {
    return new Promise((resolve, reject) => {
        const srv = createServer();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const { port } = srv.address();
            srv.close(() => resolve(port));
        });
    });
}

function withTimeout(promise, ms, what) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms / 1000} s`)), ms);
        timer.unref();
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Interpreters to run the bundle with: N3_BUNDLE_PYTHONS, else N3_PYTHON and a python3.10 if one runs. */
function bundlePythons() {
    if (process.env.N3_BUNDLE_PYTHONS) {
        return process.env.N3_BUNDLE_PYTHONS.split(/\s+/).filter(Boolean);
    }
    const list = [python];
    // Python 3.10, the oldest the bundle supports, when this machine has one (on PATH or in pyenv).
    const candidates = ["python3.10"];
    const pyenvVersions = join(process.env.PYENV_ROOT || join(homedir(), ".pyenv"), "versions");
    if (existsSync(pyenvVersions)) {
        candidates.push(...readdirSync(pyenvVersions).filter((v) => /^3\.10\./.test(v)).map((v) => join(pyenvVersions, v, "bin", "python3.10")));
    }
    for (const candidate of candidates) {
        const r = spawnSync(candidate, ["-c", "import sys; assert sys.version_info[:2] == (3, 10); print(sys.executable)"], { encoding: "utf8" });
        if (r.status === 0 && r.stdout.trim()) {
            list.push(r.stdout.trim());
            break;
        }
    }
    return list;
}

function startStandIn(port) {
    return new Promise((resolve, reject) => {
        const child = spawn(python, ["-m", "tests.standin", "--port", String(port), "--models", "llama3:8b,mistral:latest"], {
            cwd: repoRoot,
            detached: true,
            stdio: ["ignore", "pipe", "pipe"],
        });
        cleanups.push(() => {
            try {
                process.kill(-child.pid, "SIGTERM");
            } catch {
                // gone
            }
        });
        let out = "";
        let err = "";
        const timer = setTimeout(() => reject(new Error(`the stand-in printed no STANDIN_URL in 30 s:\n${out}\n${err}`)), 30_000);
        child.stdout.on("data", (d) => {
            out += d;
            const m = /STANDIN_URL=(\S+)/.exec(out);
            if (m) {
                clearTimeout(timer);
                resolve(m[1]);
            }
        });
        child.stderr.on("data", (d) => (err += d));
        child.on("exit", (code) => {
            clearTimeout(timer);
            reject(new Error(`the stand-in exited (${code}):\n${out}\n${err}`));
        });
    });
}

/** The environment the bundled server gets: no PYTHONPATH/PYTHONHOME (and -I ignores them anyway). */
function cleanEnv() {
    const env = { ...process.env, PYTHONPATH: "" };
    delete env.PYTHONHOME;
    return env;
}

async function completeModel(interpreter, launcher, workDir, standinUrl) {
    const probe = spawnSync(interpreter, ["-I", launcher, "--probe"], { cwd: workDir, env: cleanEnv(), encoding: "utf8" });
    const report = JSON.parse((probe.stdout || "{}").trim().split("\n").pop() || "{}");
    if (probe.status !== 0 || report.ok !== true) {
        throw new Error(`--probe failed (${probe.status}): ${probe.stdout}\n${probe.stderr}`);
    }
    // The package that runs is the unpacked one, not this repository's (installed editable here).
    if (!report.server.startsWith(workDir + sep)) {
        throw new Error(`namel3ss_lsp was imported from ${report.server}, not from the unpacked .vsix in ${workDir}`);
    }
    log(`  ${interpreter}: Python ${report.version}, server from ${report.server.slice(workDir.length + 1)}`);

    const server = spawn(interpreter, ["-I", launcher, "--log-level", "INFO"], { cwd: workDir, env: cleanEnv(), stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    server.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise((resolve) => server.once("exit", (code) => resolve(code)));
    const connection = createMessageConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
    connection.onRequest(() => null); // client/registerCapability, window/workDoneProgress/create ...
    connection.onNotification(() => undefined);
    connection.listen();
    try {
        const init = await withTimeout(
            connection.sendRequest("initialize", {
                processId: process.pid,
                rootUri: null,
                capabilities: { textDocument: { completion: { completionItem: { snippetSupport: false } } } },
                initializationOptions: { ollama: { baseUrl: standinUrl } },
                clientInfo: { name: "namel3ss bundle test" },
            }),
            30_000,
            "initialize",
        );
        if (!init.capabilities.completionProvider) {
            throw new Error(`no completion provider in ${JSON.stringify(init.capabilities)}`);
        }
        await connection.sendNotification("initialized", {});
        const uri = `file://${workDir}/m.ai`;
        const text = "ai model m { provider: ollama\n model: }";
        await connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "namel3ss", version: 1, text } });
        // Completion answers from the model cache: the first request may come before the first
        // GET /api/tags has returned, so ask again until the list is there (bounded).
        // (Library models such as llama3:8b are offered before that; mistral:latest is installed only.)
        let labels = [];
        let items = [];
        const installed = () => labels.includes("mistral:latest");
        for (let attempt = 0; attempt < 40 && !installed(); attempt++) {
            if (attempt) {
                await new Promise((r) => setTimeout(r, 250));
            }
            const result = await withTimeout(
                connection.sendRequest("textDocument/completion", { textDocument: { uri }, position: { line: 1, character: " model: ".length } }),
                20_000,
                "completion",
            );
            items = Array.isArray(result) ? result : (result?.items ?? []);
            labels = items.map((i) => i.label);
        }
        const llama = items.find((i) => i.label === "llama3:8b");
        log(`  completion after 'model: ': ${labels.slice(0, 6).join(", ")}, ...; llama3:8b: ${JSON.stringify(llama?.detail ?? llama?.labelDetails ?? null)}`);
        if (!labels.includes("llama3:8b") || !labels.includes("mistral:latest")) {
            throw new Error(`llama3:8b and mistral:latest not offered; got ${JSON.stringify(labels)}`);
        }
        await withTimeout(connection.sendRequest("shutdown"), 10_000, "shutdown");
        await connection.sendNotification("exit");
        const code = await withTimeout(exited, 10_000, "exit");
        if (code !== 0) {
            throw new Error(`the server exited with ${code}`);
        }
    } catch (error) {
        error.message += `\n--- server stderr (tail)\n${stderr.split("\n").slice(-20).join("\n")}`;
        throw error;
    } finally {
        connection.dispose();
        if (server.exitCode === null) {
            server.kill("SIGKILL");
        }
    }
}

async function main() {
    if (!(process.env.N3_NO_BUILD === "1" || process.env.N3_E2E_NO_BUILD === "1") || !existsSync(vsix)) {
        log("npm run package");
        const r = spawnSync("npm", ["run", "package", "--silent"], { cwd: extDir, encoding: "utf8" });
        if (r.status !== 0) {
            throw new Error(`npm run package failed:\n${r.stdout}\n${r.stderr}`);
        }
    }
    const work = mkdtempSync(join(tmpdir(), "n3-bundle-test-"));
    cleanups.push(() => rmSync(work, { recursive: true, force: true }));

    await check(`namel3ss.vsix is at most 15 MB`, async () => {
        const size = statSync(vsix).size;
        log(`  namel3ss.vsix: ${(size / 1e6).toFixed(2)} MB`);
        if (size > MAX_VSIX_BYTES) {
            throw new Error(`${size} bytes`);
        }
    });

    const unzip = spawnSync(python, ["-m", "zipfile", "-e", vsix, work], { encoding: "utf8" });
    if (unzip.status !== 0) {
        throw new Error(`unpacking the .vsix failed: ${unzip.stderr}`);
    }
    const launcher = join(work, "extension", "bundled", "tool", "lsp_server.py");
    await check("the .vsix carries the launcher, the server, its grammar and its dependencies", async () => {
        for (const p of [
            launcher,
            "bundled/libs/namel3ss_lsp/__init__.py",
            "bundled/libs/namel3ss_lsp/grammar/namel3ss.lark",
            "bundled/libs/pygls/__init__.py",
            "bundled/libs/lsprotocol/types.py",
            "bundled/libs/httpx/__init__.py",
            "bundled/libs/lark/__init__.py",
            "bundled/libs/exceptiongroup/__init__.py",
            "bundled/libs/typing_extensions.py",
        ]) {
            const full = p.startsWith("/") ? p : join(work, "extension", p);
            if (!existsSync(full)) {
                throw new Error(`missing: ${p}`);
            }
        }
    });

    const port = await freePort();
    const standinUrl = await startStandIn(port);
    log(`stand-in Ollama at ${standinUrl}`);
    for (const interpreter of bundlePythons()) {
        await check(`${interpreter} -I lsp_server.py: the unpacked server completes llama3:8b from the stand-in`, () =>
            completeModel(interpreter, launcher, work, standinUrl),
        );
    }
}

let code = 0;
try {
    await main();
} catch (error) {
    failed++;
    log(`✗ ${error && error.stack ? error.stack : error}`);
} finally {
    for (const fn of cleanups.reverse()) {
        try {
            await fn();
        } catch {
            // best effort
        }
    }
}
console.log(`bundle: ${passed} passed, ${failed} failed`);
code = failed ? 1 : 0;
process.exit(code);
