#!/usr/bin/env node
// End-to-end test in real VS Code: code-server 4.100.3 (VS Code 1.100.3) driven in Debian's Chromium
// by playwright-core, with the built .vsix installed, the Python language server of this repository,
// and the stand-in Ollama (tests/standin).
//
//   npm run test:e2e            (after scripts/install-e2e-deps.sh)
//
// Environment: N3_E2E_DIR (where code-server is installed; default vscode-extension/.e2e),
// N3_PYTHON (interpreter for the server and stand-in; default python3), N3_E2E_NO_BUILD=1 (use the
// existing namel3ss.vsix), N3_E2E_SERVER_DIR (folder with the namel3ss_lsp package instead of ../server),
// N3_E2E_SMOKE=1 (no server, no stand-in: packaging, language and the install notification), N3_E2E_KEEP=1 (keep the temporary folder), N3_E2E_HEADFUL=1.
//
// Flow: open an .ai file whose model (phi3:mini) is missing and one whose model (llama3:8b) is
// installed; see completion list the stand-in's models after `model: `, the missing-model squiggle,
// the status bar text, run the "Pull model" quick fix and see the squiggle go; then the "Try" code
// lens fills the Try Model output channel ending with the tokens/s line. Screenshots go to
// test/e2e/screenshots/.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const extDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const repoRoot = join(extDir, "..");
const e2eDir = process.env.N3_E2E_DIR || join(extDir, ".e2e");
const codeServer = join(e2eDir, "node_modules", ".bin", "code-server");
const shotsDir = join(extDir, "test", "e2e", "screenshots");
const python = process.env.N3_PYTHON || realPython("python3");
const vsix = join(extDir, "namel3ss.vsix");
const STEP_TIMEOUT = 60_000;

const cleanups = [];
const started = Date.now();
let failures = 0;

function log(message) {
    const t = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
    process.stdout.write(`[e2e ${t}s] ${message}\n`);
}

/** The interpreter itself (not a pyenv shim, which depends on $HOME, changed below). */
function realPython(name) {
    const r = spawnSync(name, ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" });
    return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : name;
}

function pythonEnv() {
    // N3_E2E_SERVER_DIR: another folder holding the namel3ss_lsp package (default: this repository's server/).
    const parts = [process.env.N3_E2E_SERVER_DIR || join(repoRoot, "server"), repoRoot];
    if (process.env.PYTHONPATH) {
        parts.push(process.env.PYTHONPATH);
    }
    return { ...process.env, PYTHONPATH: parts.join(":"), PYTHONUNBUFFERED: "1" };
}

function freePort() {
    return new Promise((resolve, reject) => {
        const srv = createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const { port } = srv.address();
            srv.close(() => resolve(port));
        });
    });
}

/** Ends a whole process group (started with detached: true) by its id. */
async function killGroup(child, name) {
    if (!child || child.exitCode !== null || child.signalCode !== null) {
        return;
    }
    const gone = new Promise((resolve) => child.once("exit", resolve));
    try {
        process.kill(-child.pid, "SIGTERM");
    } catch {
        return;
    }
    const timer = new Promise((resolve) => setTimeout(resolve, 5000).unref());
    await Promise.race([gone, timer]);
    if (child.exitCode === null && child.signalCode === null) {
        try {
            process.kill(-child.pid, "SIGKILL");
        } catch {
            // already gone
        }
    }
    log(`stopped ${name} (process group ${child.pid})`);
}

async function step(name, fn) {
    log(`… ${name}`);
    try {
        const result = await fn();
        log(`✓ ${name}`);
        return result;
    } catch (error) {
        failures++;
        log(`✗ ${name}: ${error && error.message ? error.message.split("\n").slice(0, 6).join("\n    ") : error}`);
        throw error;
    }
}

function preflight() {
    if (!existsSync(codeServer)) {
        throw new Error(`code-server is not installed in ${e2eDir}: run (as root) vscode-extension/scripts/install-e2e-deps.sh`);
    }
    if (!existsSync("/usr/bin/chromium")) {
        throw new Error("/usr/bin/chromium is missing: run vscode-extension/scripts/install-e2e-deps.sh");
    }
    const probe = spawnSync(python, ["-c", "import namel3ss_lsp.lsp.server, tests.standin"], { cwd: repoRoot, env: pythonEnv(), encoding: "utf8" });
    if (probe.status !== 0) {
        throw new Error(
            `the language server or the stand-in cannot be imported with ${python} (PYTHONPATH=server:.):\n${(probe.stderr || "").trim().split("\n").slice(-4).join("\n")}`,
        );
    }
}

function buildVsix() {
    if (process.env.N3_E2E_NO_BUILD === "1" && existsSync(vsix)) {
        log(`using existing ${vsix}`);
        return;
    }
    const r = spawnSync("npm", ["run", "package", "--silent"], { cwd: extDir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    if (r.status !== 0) {
        throw new Error(`npm run package failed:\n${r.stdout}\n${r.stderr}`);
    }
    if (!existsSync(vsix)) {
        throw new Error("npm run package did not produce namel3ss.vsix");
    }
}

function startStandIn() {
    return new Promise((resolve, reject) => {
        const child = spawn(python, ["-m", "tests.standin", "--port", "0", "--models", "llama3:8b,mistral:latest", "--pullable", "phi3:mini"], {
            cwd: repoRoot,
            env: pythonEnv(),
            detached: true,
            stdio: ["ignore", "pipe", "pipe"],
        });
        cleanups.push(() => killGroup(child, "stand-in"));
        let out = "";
        let err = "";
        const timer = setTimeout(() => reject(new Error(`the stand-in printed no STANDIN_URL in 30 s:\n${out}\n${err}`)), 30_000);
        child.stdout.on("data", (d) => {
            out += d;
            const m = /STANDIN_URL=(\S+)/.exec(out);
            if (m) {
                clearTimeout(timer);
                resolve({ child, url: m[1] });
            }
        });
        child.stderr.on("data", (d) => (err += d));
        child.on("exit", (code) => {
            clearTimeout(timer);
            reject(new Error(`the stand-in exited (${code}):\n${out}\n${err}`));
        });
    });
}

async function standInConfig(url, knobs) {
    const res = await fetch(`${url}/_standin/config`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(knobs) });
    if (!res.ok) {
        throw new Error(`stand-in config ${JSON.stringify(knobs)}: HTTP ${res.status}`);
    }
}

function writeWorkspace(root, settings) {
    const ws = join(root, "workspace");
    mkdirSync(ws, { recursive: true });
    writeFileSync(
        join(ws, "missing.ai"),
        ["# The model of this declaration is not installed: the server marks it.", "ai model x {", "    provider: ollama", "    model: phi3:mini", "}", ""].join("\n"),
    );
    writeFileSync(
        join(ws, "chat.ai"),
        [
            "# Local chat model",
            "ai model chat_model {",
            "    provider: ollama",
            "    model: llama3:8b",
            "    config: {",
            "        temperature: 0.7",
            "        num_ctx: 4096",
            "    }",
            '    description: "Conversational AI model via Ollama"',
            "}",
            "",
        ].join("\n"),
    );
    const data = join(root, "data");
    mkdirSync(join(data, "User"), { recursive: true });
    writeFileSync(join(data, "User", "settings.json"), JSON.stringify(settings, null, 2));
    return { ws, data, ext: join(root, "extensions") };
}

function installVsix(env, dirs) {
    const r = spawnSync(codeServer, ["--user-data-dir", dirs.data, "--extensions-dir", dirs.ext, "--install-extension", vsix], {
        env,
        encoding: "utf8",
        timeout: 120_000,
    });
    const installed = existsSync(dirs.ext) ? readdirSync(dirs.ext).filter((d) => d.startsWith("namel3ss.namel3ss-")) : [];
    if (r.status !== 0 || installed.length === 0) {
        throw new Error(`code-server --install-extension failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    }
    return installed[0];
}

async function startCodeServer(env, dirs, port) {
    const args = [
        "--bind-addr",
        `127.0.0.1:${port}`,
        "--auth",
        "none",
        "--disable-telemetry",
        "--disable-update-check",
        "--disable-workspace-trust",
        "--disable-getting-started-override",
        "--user-data-dir",
        dirs.data,
        "--extensions-dir",
        dirs.ext,
        dirs.ws,
    ];
    const child = spawn(codeServer, args, { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    cleanups.push(() => killGroup(child, "code-server"));
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
        if (child.exitCode !== null) {
            throw new Error(`code-server exited (${child.exitCode}):\n${out}`);
        }
        try {
            const res = await fetch(`http://127.0.0.1:${port}/healthz`);
            if (res.ok) {
                return { child, output: () => out };
            }
        } catch {
            // not yet
        }
        await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`code-server did not answer on port ${port} in 60 s:\n${out}`);
}

/** The extension host's log of the "Namel3ss" output channel (for failure reports). */
function extensionLogs(dataDir) {
    const found = [];
    const walk = (dir) => {
        for (const name of existsSync(dir) ? readdirSync(dir) : []) {
            const p = join(dir, name);
            if (statSync(p).isDirectory()) {
                walk(p);
            } else if (/Namel3ss|exthost\.log|remoteexthost\.log/.test(name)) {
                found.push(p);
            }
        }
    };
    walk(join(dataDir, "logs"));
    return found.map((p) => `--- ${p}\n${readFileSync(p, "utf8").split("\n").slice(-60).join("\n")}`).join("\n");
}

async function main() {
    mkdirSync(shotsDir, { recursive: true });
    const { chromium } = await import("playwright-core");

    // N3_E2E_SMOKE=1: no server and no stand-in; checks the packaged extension alone (language,
    // grammar, the one "not installed" notification). Useful while the server is being changed.
    const smoke = process.env.N3_E2E_SMOKE === "1";
    await step("preflight (code-server, chromium, python server importable)", async () => {
        if (smoke) {
            if (!existsSync(codeServer)) {
                throw new Error(`code-server is not installed in ${e2eDir}: run vscode-extension/scripts/install-e2e-deps.sh`);
            }
            return;
        }
        preflight();
    });
    await step("build the .vsix (npm run package)", async () => buildVsix());
    const standin = smoke ? { url: "http://127.0.0.1:9" } : await step("start the stand-in Ollama", () => startStandIn());
    log(`stand-in at ${standin.url}`);
    if (!smoke) {
        // Slow pulls down a little so the progress notification can be seen (and photographed).
        await standInConfig(standin.url, { pull_lines_per_second: 8 }).catch((e) => log(`(stand-in knob not applied: ${e.message})`));
    }

    const root = mkdtempSync(join(tmpdir(), "n3-vscode-e2e-"));
    if (process.env.N3_E2E_KEEP !== "1") {
        cleanups.push(async () => rmSync(root, { recursive: true, force: true }));
    } else {
        log(`keeping ${root}`);
    }
    const home = join(root, "home");
    mkdirSync(home, { recursive: true });
    const env = {
        ...pythonEnv(),
        HOME: home,
        XDG_CONFIG_HOME: join(home, ".config"),
        XDG_DATA_HOME: join(home, ".local", "share"),
        XDG_STATE_HOME: join(home, ".local", "state"),
        XDG_CACHE_HOME: join(home, ".cache"),
        // The server must see only the document / setting base URL, not a developer's own Ollama.
        OLLAMA_HOST: "",
        NAMEL3SS_OLLAMA_BASE_URL: "",
    };
    const dirs = writeWorkspace(root, {
        "workbench.startupEditor": "none",
        "telemetry.telemetryLevel": "off",
        "update.mode": "none",
        "extensions.autoCheckUpdates": false,
        "extensions.autoUpdate": false,
        "workbench.tips.enabled": false,
        "workbench.enableExperiments": false,
        "security.workspace.trust.enabled": false,
        "git.enabled": false,
        "editor.minimap.enabled": false,
        "workbench.editor.enablePreview": false,
        "window.zoomLevel": 0,
        "workbench.colorTheme": "Default Dark Modern",
        "namel3ss.server.pythonPath": smoke ? "/nonexistent/python3" : python,
        "namel3ss.server.logLevel": "INFO",
        "namel3ss.ollama.baseUrl": standin.url,
        "namel3ss.trace.server": "messages",
    });
    const installed = await step("install the .vsix into code-server", async () => installVsix(env, dirs));
    log(`installed ${installed}`);
    const port = await freePort();
    const cs = await step("start code-server", () => startCodeServer(env, dirs, port));

    const browser = await chromium.launch({
        executablePath: "/usr/bin/chromium",
        headless: process.env.N3_E2E_HEADFUL !== "1",
        args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    cleanups.push(() => browser.close().catch(() => undefined));
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    page.setDefaultTimeout(STEP_TIMEOUT);
    const shot = (name) => page.screenshot({ path: join(shotsDir, name) });
    /** Runs a command from the command palette by its title (retries: a key press can race focus changes). */
    const runPaletteCommand = async (title) => {
        const widget = page.locator(".quick-input-widget");
        const input = widget.locator(".quick-input-box input");
        for (let attempt = 1; ; attempt++) {
            await page.keyboard.press("Escape");
            await page.locator(".editor-group-container .monaco-editor .view-lines").first().click({ position: { x: 600, y: 5 } });
            await page.keyboard.press(attempt % 2 ? "Control+Shift+P" : "F1");
            try {
                await input.waitFor({ timeout: 5000 });
                await input.fill(`>${title}`);
                const row = page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first();
                await row.waitFor({ timeout: 10000 });
                await page.waitForTimeout(200);
                await page.keyboard.press("Enter");
                return;
            } catch (error) {
                log(`  (palette attempt ${attempt} failed: ${error.message.split("\n")[0]})`);
                await shot(`palette-attempt-${attempt}.png`);
                if (attempt >= 3) {
                    throw error;
                }
            }
        }
    };

    try {
        await step("open VS Code with the workspace", async () => {
            await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(dirs.ws)}`);
            await page.locator(".monaco-workbench").waitFor();
            await page.getByRole("treeitem", { name: "missing.ai" }).waitFor();
        });

        await step("open missing.ai: the language is Namel3ss and the model id has its own colour", async () => {
            await page.getByRole("treeitem", { name: "missing.ai" }).click();
            await page.locator("#status\\.editor\\.mode", { hasText: "Namel3ss" }).waitFor();
            await page.locator(".view-line", { hasText: "phi3:mini" }).waitFor();
        });

        if (smoke) {
            await step("without a server: one notification with the install command", async () => {
                const toasts = page.locator(".notifications-toasts .notification-toast", { hasText: /pip install namel3ss-lsp/ });
                await toasts.first().waitFor({ timeout: 30_000 });
                await page.waitForTimeout(3000);
                await shot("00-smoke.png");
                const count = await toasts.count();
                if (count !== 1) {
                    throw new Error(`expected one notification, saw ${count}`);
                }
            });
            return;
        }

        await step("status bar shows the stand-in: 'Ollama 2 models'", async () => {
            await page.locator(".statusbar-item", { hasText: /Ollama 2 models/ }).waitFor();
        });

        await step("missing model is underlined (ollama-model-missing)", async () => {
            await page.locator(".view-overlays .squiggly-warning").first().waitFor();
            const errors = await page.locator(".view-overlays .squiggly-error").count();
            if (errors) {
                throw new Error(`${errors} error squiggles in missing.ai (expected only the missing-model warning)`);
            }
            await shot("01-missing-model.png");
        });

        await step("hovering the squiggle explains it", async () => {
            await page.locator(".view-line span", { hasText: "phi3:mini" }).last().hover();
            await page.locator(".monaco-hover", { hasText: /phi3:mini/ }).first().waitFor();
            await shot("02-hover.png");
            await page.keyboard.press("Escape");
        });

        await step("completion after 'model: ' lists the stand-in's models", async () => {
            await page.getByRole("treeitem", { name: "chat.ai" }).click();
            const line = page.locator(".view-line", { hasText: "model: llama3:8b" });
            await line.waitFor();
            await line.click();
            await page.keyboard.press("End");
            for (let i = 0; i < "llama3:8b".length; i++) {
                await page.keyboard.press("Backspace");
            }
            await page.keyboard.press("Control+Space");
            const labels = page.locator(".suggest-widget.visible .monaco-list-row .label-name");
            await labels.filter({ hasText: "llama3:8b" }).first().waitFor();
            await labels.filter({ hasText: "mistral:latest" }).first().waitFor();
            const all = await labels.allInnerTexts();
            log(`completion items: ${all.join(", ")}`);
            await shot("03-completion.png");
            // Accept mistral:latest and check the text.
            await page.keyboard.type("mistral");
            await labels.filter({ hasText: "mistral:latest" }).first().waitFor();
            await page.keyboard.press("Enter");
            await page.locator(".view-line", { hasText: "model: mistral:latest" }).waitFor();
            await page.keyboard.press("Control+s");
        });

        await step("clicking the status bar item shows the status and offers actions", async () => {
            await page.locator(".statusbar-item", { hasText: /Ollama 2 models/ }).first().click();
            const toast = page.locator(".notifications-toasts .notification-toast", { hasText: /is reachable, 2 models installed/ });
            await toast.waitFor();
            await toast.getByRole("button", { name: "Pull Model..." }).waitFor();
            await shot("04-status.png");
            await toast.hover();
            await toast.locator(".codicon-notifications-clear, .codicon-close").first().click();
        });

        await step("'Namel3ss: Pull Model...' from the palette shows a cancellable progress notification; Cancel stops the pull", async () => {
            await standInConfig(standin.url, { pull_lines_per_second: 2 });
            await page.getByRole("treeitem", { name: "missing.ai" }).click();
            await runPaletteCommand("Namel3ss: Pull Model...");
            await page.locator(".quick-input-widget", { hasText: "Pull an Ollama model" }).waitFor();
            await page.locator(".quick-input-list .monaco-list-row", { hasText: "llama3.2:3b" }).first().waitFor();
            await page.locator(".quick-input-widget .quick-input-box input").fill("phi3:mini");
            const row = page.locator(".quick-input-list .monaco-list-row", { hasText: "phi3:mini" }).first();
            await row.waitFor();
            await page.waitForTimeout(300);
            await row.click();
            const progress = page.locator(".notifications-toasts .notification-toast", { hasText: /phi3:mini/ }).first();
            await progress.waitFor();
            const cancel = progress.getByRole("button", { name: "Cancel" });
            await cancel.waitFor();
            await page.waitForTimeout(700); // let the toast slide in
            await shot("05-pull-progress.png");
            log(`progress notification: ${(await progress.innerText()).replace(/\s+/g, " ").slice(0, 120)}`);
            await cancel.click();
            log("  cancel clicked");
            await page.locator(".statusbar-item", { hasText: /Pull of 'phi3:mini' cancelled/ }).waitFor({ timeout: 20_000 });
            await page.locator(".view-overlays .squiggly-warning").first().waitFor();
            await standInConfig(standin.url, { pull_lines_per_second: 8 });
        });

        await step("'Pull model' quick fix pulls phi3:mini and the squiggle goes", async () => {
            await page.getByRole("treeitem", { name: "missing.ai" }).click();
            await page.locator(".tabs-container .tab.active", { hasText: "missing.ai" }).waitFor();
            await page.locator(".view-line span", { hasText: "phi3:mini" }).last().click();
            await page.keyboard.press("Control+.");
            const action = page.locator(".action-widget .monaco-list-row, .context-view .monaco-list-row", { hasText: /Pull model 'phi3:mini'/ }).first();
            await action.waitFor();
            await shot("06-quick-fix.png");
            // The first quick fix is focused: Enter runs it (a mouse click races the menu's animation).
            await page.keyboard.press("Enter");
            const progress = page.locator(".notifications-toasts .notification-toast", { hasText: /phi3:mini/ }).first();
            try {
                await progress.waitFor({ timeout: 15_000 });
                await page.waitForTimeout(700); // let the toast slide in
                await shot("07-pull-progress.png");
                log(`progress notification: ${(await progress.innerText()).replace(/\s+/g, " ").slice(0, 120)}`);
            } catch {
                log("(the pull finished before its progress notification could be seen)");
            }
            await page.locator(".statusbar-item", { hasText: /Ollama 3 models/ }).waitFor({ timeout: 90_000 });
            log("  status bar says 3 models");
            await page.locator(".view-overlays .squiggly-warning").first().waitFor({ state: "detached", timeout: 60_000 });
            await page.waitForTimeout(500);
            await shot("08-after-pull.png");
        });

        await step("'Try' code lens streams the reply into the Try Model output with tokens/s", async () => {
            await page.getByRole("treeitem", { name: "chat.ai" }).click();
            const lens = page.locator(".contentWidgets .codelens-decoration a, .codelens-decoration a", { hasText: /^Try / }).first();
            await lens.waitFor();
            await lens.click();
            const output = page.locator(".part.panel .monaco-editor .view-lines");
            await page.locator(".part.panel", { hasText: /tok\/s/ }).first().waitFor({ timeout: 60_000 });
            const text = await output.first().innerText();
            log(`try model output: ${text.replace(/\s+/g, " ").slice(0, 200)}`);
            if (!/\d+ tokens?, [\d.]+ tok\/s, [\d.]+ s/.test(text.replace(/\u00a0/g, " "))) {
                throw new Error(`no metrics line in the output:\n${text}`);
            }
            await shot("09-try-model.png");
        });

        await step("overview: completion now lists the pulled model too (screenshot for the README)", async () => {
            const line = page.locator(".view-line", { hasText: "model: mistral:latest" });
            await line.click();
            await page.keyboard.press("End");
            for (let i = 0; i < "mistral:latest".length; i++) {
                await page.keyboard.press("Backspace");
            }
            await page.keyboard.press("Control+Space");
            const labels = page.locator(".suggest-widget.visible .monaco-list-row .label-name");
            await labels.filter({ hasText: "phi3:mini" }).first().waitFor();
            await page.waitForTimeout(500);
            await shot("10-overview.png");
            await page.keyboard.press("Escape");
            await page.keyboard.type("mistral:latest");
            await page.keyboard.press("Control+s");
        });

        await step("'Namel3ss: Remove Model...': pick an installed model, the server asks, 'Remove' removes it", async () => {
            await page.keyboard.press("Escape");
            await runPaletteCommand("Namel3ss: Remove Model...");
            await page.locator(".quick-input-widget", { hasText: "Remove an Ollama model" }).waitFor();
            const row = page.locator(".quick-input-list .monaco-list-row", { hasText: "phi3:mini" }).first();
            await row.waitFor();
            await page.waitForTimeout(300);
            await row.click();
            const question = page.locator(".notifications-toasts .notification-toast", { hasText: /Remove model 'phi3:mini'/ }).first();
            await question.waitFor();
            await page.waitForTimeout(700);
            await shot("11-remove-confirm.png");
            await question.getByRole("button", { name: "Remove", exact: true }).click();
            await page.locator(".notifications-toasts .notification-toast", { hasText: /Model 'phi3:mini' was removed/ }).first().waitFor();
            log("  removed; waiting for the status bar to say 2 models");
            await page.locator(".statusbar-item", { hasText: /Ollama 2 models/ }).waitFor();
            log("  status bar updated");
            // missing.ai's squiggle is back.
            await page.getByRole("treeitem", { name: "missing.ai" }).click();
            await page.locator(".view-overlays .squiggly-warning").first().waitFor();
        });

        await step("a broken namel3ss.server.pythonPath gives one notification with the install command", async () => {
            await page.keyboard.press("Escape");
            // Edit the user settings inside VS Code (code-server does not notice a file written behind its back).
            const settings = JSON.parse(readFileSync(join(dirs.data, "User", "settings.json"), "utf8"));
            settings["namel3ss.server.pythonPath"] = "/nonexistent/python3";
            await runPaletteCommand("Preferences: Open User Settings (JSON)");
            await page.locator(".tabs-container .tab.active", { hasText: "settings.json" }).waitFor();
            const settingsLine = page.locator(".view-line", { hasText: "workbench.startupEditor" }).first();
            await settingsLine.waitFor();
            await settingsLine.click();
            await page.keyboard.press("Control+A");
            await page.keyboard.press("Delete");
            // One line: no auto-indentation or auto-closing gets a chance to change it.
            await page.keyboard.insertText(JSON.stringify(settings));
            await page.keyboard.press("Control+S");
            let saved = "";
            for (let i = 0; i < 100 && !saved.includes("/nonexistent/python3"); i++) {
                await page.waitForTimeout(100);
                saved = readFileSync(join(dirs.data, "User", "settings.json"), "utf8");
            }
            if (JSON.parse(saved)["namel3ss.server.pythonPath"] !== "/nonexistent/python3") {
                await shot("settings-not-saved.png");
                throw new Error(`settings.json was not saved as typed: ${saved}`);
            }
            const toasts = page.locator(".notifications-toasts .notification-toast", { hasText: /pip install namel3ss-lsp/ });
            await toasts.first().waitFor({ timeout: 30_000 });
            await page.locator(".statusbar-item", { hasText: /Namel3ss/ }).first().waitFor();
            await page.waitForTimeout(3000);
            const count = await toasts.count();
            await shot("12-server-missing.png");
            if (count !== 1) {
                throw new Error(`expected one notification, saw ${count}`);
            }
        });
    } catch (error) {
        await shot("failure.png").catch(() => undefined);
        log(`code-server output (tail):\n${cs.output().split("\n").slice(-30).join("\n")}`);
        log(`extension logs:\n${extensionLogs(dirs.data)}`);
        throw error;
    }
}

async function teardown() {
    for (const fn of cleanups.reverse()) {
        try {
            await fn();
        } catch (error) {
            log(`cleanup: ${error.message}`);
        }
    }
}

let exitCode = 0;
try {
    await main();
    log(`PASS (${((Date.now() - started) / 1000).toFixed(1)} s), screenshots in ${shotsDir}`);
} catch (error) {
    exitCode = 1;
    if (!failures) {
        log(`✗ ${error && error.stack ? error.stack : error}`);
    }
    log("FAIL");
} finally {
    await teardown();
}
process.exit(exitCode);
