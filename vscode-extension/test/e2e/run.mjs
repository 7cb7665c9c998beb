#!/usr/bin/env node
// End-to-end test in real VS Code: code-server 4.100.3 (VS Code 1.100.3) driven in Debian's Chromium
// by playwright-core, with the built .vsix installed and the stand-in Ollama (tests/standin).
//
//   npm run test:e2e            (after scripts/install-e2e-deps.sh)
//
// The server is found the way the extension finds it for a user: the .vsix carries it
// (bundled/libs) and runs it with `python3 -I` from PATH. Nothing is set up for it: no PYTHONPATH,
// no namel3ss.server.* setting. (code-server's extension host takes PATH from a login shell: here
// that finds Debian's /usr/bin/python3, which has none of the server's dependencies installed.)
//
// Environment: N3_E2E_DIR (where code-server is installed; default vscode-extension/.e2e),
// N3_PYTHON (interpreter for the stand-in; default python3),
// N3_E2E_NO_BUILD=1 or N3_NO_BUILD=1 (use the existing namel3ss.vsix), N3_E2E_SMOKE=1 (no stand-in:
// packaging, language, the README image and the "cannot run" notice), N3_E2E_KEEP=1 (keep the
// temporary folder), N3_E2E_HEADFUL=1.
//
// Flow: the server starts from the bundle; a workspace .vscode/settings.json that sets the guards
// (allowedHosts, allowServerStart, server.path, server.pythonPath) does not reach the server; the
// status bar follows the document in focus (two stand-ins); completion, hover, the missing-model
// squiggle; the status bar tooltip lists the models loaded in memory; F12 from agents.ai opens models.ai / tools.ai (never opened before) on the declaration;
// semantic tokens reach the editor (Inspect Editor Tokens); format on save ("[namel3ss]":
// editor.formatOnSave) saves typed, badly indented text formatted; pull (cancelled, then through
// the quick fix), Try, remove; Ollama going down and coming
// back; every setting has a text box in the Settings UI, a broken server.pythonPath typed there
// gives one short notice whose "Open Settings" opens that setting in the Remote tab, and clearing it
// restarts the server with no stale notice and no stack trace; the README image shows on the
// extension's page. Screenshots go to test/e2e/screenshots/.

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

/** The environment without anything that would let Python find this repository's server. */
function cleanEnv() {
    const env = { ...process.env, PYTHONUNBUFFERED: "1" };
    delete env.PYTHONPATH;
    delete env.PYTHONHOME;
    return env;
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
    const probe = spawnSync(python, ["-c", "import sys, tests.standin; assert sys.version_info >= (3, 10), sys.version"], { cwd: repoRoot, env: cleanEnv(), encoding: "utf8" });
    if (probe.status !== 0) {
        throw new Error(`${python} cannot run the stand-in or is older than 3.10:\n${(probe.stderr || "").trim().split("\n").slice(-4).join("\n")}`);
    }
}

function buildVsix() {
    if ((process.env.N3_E2E_NO_BUILD === "1" || process.env.N3_NO_BUILD === "1") && existsSync(vsix)) {
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

/** A stand-in Ollama on 127.0.0.1 (port 0: a free one); `port` again restarts it where it was. */
function startStandIn({ port = 0, models = "llama3:8b,mistral:latest", pullable = "phi3:mini", name = "stand-in" } = {}) {
    return new Promise((resolve, reject) => {
        const child = spawn(python, ["-m", "tests.standin", "--port", String(port), "--models", models, "--pullable", pullable], {
            cwd: repoRoot,
            env: cleanEnv(),
            detached: true,
            stdio: ["ignore", "pipe", "pipe"],
        });
        cleanups.push(() => killGroup(child, name));
        let out = "";
        let err = "";
        const timer = setTimeout(() => reject(new Error(`the stand-in printed no STANDIN_URL in 30 s:\n${out}\n${err}`)), 30_000);
        child.stdout.on("data", (d) => {
            out += d;
            const m = /STANDIN_URL=(\S+)/.exec(out);
            if (m) {
                clearTimeout(timer);
                resolve({ child, url: m[1], port: Number(new URL(m[1]).port) });
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

/** The guards a workspace tries to set: none of them may reach the server (issue 17 item 8). */
const WORKSPACE_GUARDS = {
    "namel3ss.ollama.allowedHosts": ["localhost", "127.0.0.1", "::1", "127.0.0.2"],
    "namel3ss.ollama.allowServerStart": true,
    "namel3ss.server.path": "/nonexistent/workspace/namel3ss-lsp",
    "namel3ss.server.pythonPath": "/nonexistent/workspace/python3",
};

const WORKSPACE_FILES = {
    "models.ai": ["# Shared models", "llm fast_llm {", "    provider: ollama", "    model: llama3:8b", "    temperature: 0.3", "}", ""].join("\n"),
    "tools.ai": ["# Tools", 'tool "search_web" {', '    description: "Search the web"', "}", ""].join("\n"),
    "agents.ai": ['agent "researcher" {', "    llm: fast_llm", '    tools: ["search_web"]', "}", ""].join("\n"),
};

/** Badly indented text typed into format.ai, and the file saved with format on save. */
const MESSY = ["ai model formatted {", "provider: ollama", "      model:   llama3:8b", "  config: {", "temperature: 0.5", "        }", "}"].join("\n");
const FORMATTED = ["# formatted on save", "ai model formatted {", "    provider: ollama", "    model: llama3:8b", "    config: {", "        temperature: 0.5", "    }", "}", ""].join("\n");

function writeWorkspace(root, settings, { otherUrl, blockedUrl }) {
    const ws = join(root, "workspace");
    mkdirSync(join(ws, ".vscode"), { recursive: true });
    writeFileSync(join(ws, ".vscode", "settings.json"), JSON.stringify(WORKSPACE_GUARDS, null, 2));
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
    // Another Ollama server (a second stand-in): the status bar follows the document in focus.
    writeFileSync(
        join(ws, "other.ai"),
        ["# On another Ollama server", "ai model coder {", "    provider: ollama", "    model: codellama:7b", "    config: {", `        base_url: "${otherUrl}"`, "    }", "}", ""].join("\n"),
    );
    // A host only the workspace's settings allow: the server must not be told about it.
    writeFileSync(
        join(ws, "elsewhere.ai"),
        ["# A host the user never allowed", "ai model far {", "    provider: ollama", "    model: llama3:8b", "    config: {", `        base_url: "${blockedUrl}"`, "    }", "}", ""].join("\n"),
    );
    // A multi-file workspace (the index): agents.ai refers to models.ai's `llm fast_llm` and to
    // tools.ai's `tool "search_web"`; tools.ai is never opened before F12 reaches it.
    for (const [name, text] of Object.entries(WORKSPACE_FILES)) {
        writeFileSync(join(ws, name), text);
    }
    writeFileSync(join(ws, "format.ai"), "# formatted on save\n");
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

/** The text of the "Namel3ss" output channel, as code-server logs it to disk. */
function outputChannel(dataDir) {
    const found = [];
    const walk = (dir) => {
        for (const name of existsSync(dir) ? readdirSync(dir) : []) {
            const p = join(dir, name);
            if (statSync(p).isDirectory()) {
                walk(p);
            } else if (/^\d+-Namel3ss\.log$/.test(name)) {
                found.push(p);
            }
        }
    };
    walk(join(dataDir, "logs"));
    return found.map((p) => readFileSync(p, "utf8")).join("\n");
}

/** Waits (bounded) until the output channel's log on disk matches. */
async function waitForOutput(dataDir, pattern, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const text = outputChannel(dataDir);
        if (pattern.test(text)) {
            return text;
        }
        if (Date.now() > deadline) {
            throw new Error(`the Namel3ss output never matched ${pattern}:\n${text.split("\n").slice(-20).join("\n")}`);
        }
        await new Promise((r) => setTimeout(r, 500));
    }
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

    // N3_E2E_SMOKE=1: no stand-in, server.pythonPath broken; checks the packaged extension alone
    // (language, grammar, README image, the one "cannot run" notice).
    const smoke = process.env.N3_E2E_SMOKE === "1";
    await step("preflight (code-server, chromium, a python3 >= 3.10 that runs the stand-in)", async () => {
        if (smoke) {
            if (!existsSync(codeServer)) {
                throw new Error(`code-server is not installed in ${e2eDir}: run vscode-extension/scripts/install-e2e-deps.sh`);
            }
            return;
        }
        preflight();
    });
    await step("build the .vsix (npm run package)", async () => buildVsix());
    const standin = smoke ? { url: "http://127.0.0.1:9", port: 9 } : await step("start the stand-in Ollama", () => startStandIn());
    const other = smoke ? { url: "http://127.0.0.1:9" } : await step("start a second stand-in Ollama (one model)", () => startStandIn({ models: "codellama:7b", pullable: "", name: "second stand-in" }));
    log(`stand-ins at ${standin.url} and ${other.url}`);
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
        ...cleanEnv(),
        HOME: home,
        XDG_CONFIG_HOME: join(home, ".config"),
        XDG_DATA_HOME: join(home, ".local", "share"),
        XDG_STATE_HOME: join(home, ".local", "state"),
        XDG_CACHE_HOME: join(home, ".cache"),
        // The server must see only the document / setting base URL, not a developer's own Ollama.
        OLLAMA_HOST: "",
        NAMEL3SS_OLLAMA_BASE_URL: "",
    };
    // 127.0.0.2 is loopback but in no allowed list but the workspace's: were the workspace's guard to
    // reach the server, it would try this address (and find nothing listening there).
    const blockedUrl = `http://127.0.0.2:${standin.port}`;
    const dirs = writeWorkspace(
        root,
        {
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
            ...(smoke ? { "namel3ss.server.pythonPath": "/nonexistent/python3" } : {}),
            "namel3ss.server.logLevel": "INFO",
            "namel3ss.ollama.baseUrl": standin.url,
            "namel3ss.trace.server": "messages",
            // Format on save; no auto-indent or auto-closed braces, so that the badly indented text
            // typed in format.ai stays as typed until it is saved.
            "[namel3ss]": { "editor.formatOnSave": true, "editor.autoIndent": "none", "editor.autoClosingBrackets": "never" },
        },
        { otherUrl: other.url, blockedUrl },
    );
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

    const toast = (text) => page.locator(".notifications-toasts .notification-toast", { hasText: text });
    /** A setting in the Settings editor by its label ("Python Path" of "Namel3ss › Server: Python Path"). */
    const settingItem = (label) =>
        page.locator(".settings-editor .setting-item-contents").filter({ has: page.locator(".setting-item-label", { hasText: new RegExp(`^${label}$`) }) }).first();
    /** Types into a setting's text box (the list re-renders as the search settles: check the focus first). */
    const fillSetting = async (label, value) => {
        for (let attempt = 1; attempt <= 5; attempt++) {
            await page.waitForTimeout(500);
            await settingItem(label).locator("input").first().click();
            const focused = await page.evaluate(() =>
                document.activeElement?.closest(".setting-item-contents")?.querySelector(".setting-item-label")?.textContent?.trim(),
            );
            if (focused !== label) {
                log(`  (focus landed on "${focused}", not "${label}": again)`);
                continue;
            }
            await page.keyboard.press("Control+A");
            await page.keyboard.press("Delete");
            if (value) {
                await page.keyboard.type(value);
            }
            const now = await settingItem(label).locator("input").first().inputValue();
            if (now !== value) {
                throw new Error(`the ${label} box holds ${JSON.stringify(now)}, not ${JSON.stringify(value)}`);
            }
            return;
        }
        throw new Error(`could not focus the ${label} text box`);
    };
    /** The extension's README on its page in the Extensions view, with its (inlined) image loaded. */
    const readmeImageStep = () =>
        step("the extension's page shows the README image", async () => {
            await page.keyboard.press("Escape");
            await page.keyboard.press("Control+Shift+X");
            const box = page.locator(".extensions-viewlet .monaco-editor").first();
            await box.waitFor();
            await box.click();
            await page.keyboard.type("@installed namel3ss");
            await page.locator(".extensions-viewlet .monaco-list-row", { hasText: "Namel3ss" }).first().click();
            // The README is rendered in a webview (nested iframes).
            let found;
            for (let i = 0; i < 60 && !found; i++) {
                await page.waitForTimeout(500);
                for (const frame of page.frames()) {
                    const images = await frame.evaluate(() => [...document.images].map((img) => ({ alt: img.alt, width: img.naturalWidth, src: img.src.slice(0, 30) }))).catch(() => []);
                    found = images.find((img) => /^Completion of the models/.test(img.alt) && img.width > 0) ?? found;
                }
            }
            await shot("16-extension-page.png");
            if (!found) {
                throw new Error("the README image did not load on the extension's page");
            }
            log(`  README image: ${found.width} px wide, ${found.src}...`);
            await page.keyboard.press("Control+Shift+E");
        });

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
            await step("a broken namel3ss.server.pythonPath: one short notice, no pip install", async () => {
                const toasts = page.locator(".notifications-toasts .notification-toast", { hasText: /namel3ss\.server\.pythonPath .* cannot be run/ });
                await toasts.first().waitFor({ timeout: 30_000 });
                await page.waitForTimeout(3000);
                await shot("00-smoke.png");
                const count = await toasts.count();
                if (count !== 1) {
                    throw new Error(`expected one notification, saw ${count}`);
                }
                if (/pip install/.test(await toasts.first().innerText())) {
                    throw new Error("the notice still offers pip install");
                }
            });
            await readmeImageStep();
            return;
        }

        await step("status bar shows the stand-in: 'Ollama 2 models'", async () => {
            await page.locator(".statusbar-item", { hasText: /Ollama 2 models/ }).waitFor();
        });

        await step("the server is the one in the .vsix, run by python3 from PATH (no setting, no PYTHONPATH)", async () => {
            const text = await waitForOutput(dirs.data, /server running \(the bundled server with /);
            const line = text.split("\n").find((l) => /server running/.test(l));
            log(`  ${line.trim()}`);
            if (!/bundled server with \S*\/python3 \(Python 3\.\d+/.test(line)) {
                throw new Error(`not python3 from PATH: ${line}`);
            }
        });

        await step("a workspace .vscode/settings.json cannot set the guards (host 127.0.0.2 stays not allowed)", async () => {
            await page.getByRole("treeitem", { name: "elsewhere.ai" }).click();
            await page.locator(".tabs-container .tab.active", { hasText: "elsewhere.ai" }).waitFor();
            await page.locator(".view-overlays .squiggly-warning").first().waitFor();
            await page.locator(".view-line span", { hasText: "127.0.0.2" }).last().hover();
            const hover = page.locator(".monaco-hover", { hasText: /not in ollama\.allowedHosts/ }).first();
            await hover.waitFor();
            log(`  hover: ${(await hover.innerText()).replace(/\s+/g, " ").slice(0, 160)}`);
            await shot("01a-host-not-allowed.png");
            await page.keyboard.press("Escape");
            // The workspace's server.path / server.pythonPath (nonexistent) were not used either: the
            // bundled server runs (previous step), and no notice about them appeared.
            if (await toast(/nonexistent/).count()) {
                throw new Error("a notice mentions the workspace's nonexistent server.path/pythonPath");
            }
        });

        await step("the status bar shows the status of the document in focus", async () => {
            await page.getByRole("treeitem", { name: "other.ai" }).click();
            await page.locator(".tabs-container .tab.active", { hasText: "other.ai" }).waitFor();
            await page.locator(".statusbar-item", { hasText: /Ollama 1 model\b/ }).waitFor({ timeout: 30_000 });
            await shot("01b-status-other-server.png");
            await page.getByRole("treeitem", { name: "missing.ai" }).click();
            await page.locator(".tabs-container .tab.active", { hasText: "missing.ai" }).waitFor();
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

        await step("the status bar tooltip lists the models loaded in memory (loadedModels)", async () => {
            await standInConfig(standin.url, { loaded: [{ name: "llama3:8b", size: 5_000_000_000, size_vram: 3_000_000_000, context_length: 8192 }] });
            await runPaletteCommand("Namel3ss: Show Ollama Status"); // checks now: the notification follows
            const shown = toast(/is reachable/).first();
            await shown.waitFor();
            await shown.hover();
            await shown.locator(".codicon-notifications-clear, .codicon-close").first().click();
            const item = page.locator(".statusbar-item", { hasText: /Ollama 2 models/ }).first();
            const hover = page.locator(".workbench-hover, .monaco-hover", { hasText: /Loaded in memory/ }).first();
            for (let attempt = 1; ; attempt++) {
                await page.mouse.move(700, 400);
                await item.hover();
                try {
                    await hover.waitFor({ timeout: 5000 });
                    break;
                } catch (error) {
                    if (attempt >= 6) {
                        throw error;
                    }
                }
            }
            const text = (await hover.innerText()).replace(/\s+/g, " ");
            log(`  tooltip: ${text.slice(0, 240)}`);
            await shot("04a-loaded-models.png");
            if (!/llama3:8b: 3\.0 GB VRAM \+ 2\.0 GB RAM, context 8192, unloads /.test(text)) {
                throw new Error(`the tooltip does not list llama3:8b as loaded: ${text}`);
            }
            await page.mouse.move(700, 400);
            await standInConfig(standin.url, { loaded: [] });
        });

        const tab = (name) => page.locator(".tabs-container .tab", { hasText: name });
        const activeTab = (name) => page.locator(".tabs-container .tab.active", { hasText: name });
        const cursorPosition = () => page.locator("#status\\.editor\\.selection").first().innerText();
        /** Puts the cursor inside `word` on the line holding `lineText` of agents.ai. */
        const clickWord = async (lineText, word) => {
            await tab("agents.ai").click();
            await activeTab("agents.ai").waitFor();
            await page.locator(".view-line", { hasText: lineText }).locator("span", { hasText: word }).last().click();
        };
        /** F12 on `word` until the declaring file opens (the index of the files on disk is built in
         *  the background); the cursor's position there, once it is `expected` (or after 5 s). */
        const goToDefinition = async (lineText, word, file, expected) => {
            for (let attempt = 1; ; attempt++) {
                await clickWord(lineText, word);
                await page.keyboard.press("F12");
                try {
                    await activeTab(file).waitFor({ timeout: 5000 });
                    // The cursor item of the status bar follows the editors a moment late: it can
                    // still show where we clicked in agents.ai, or even the previous editor's place.
                    for (let i = 0; i < 50 && !expected.test(await cursorPosition()); i++) {
                        await page.waitForTimeout(100);
                    }
                    return cursorPosition();
                } catch (error) {
                    if (attempt >= 8) {
                        throw error;
                    }
                    log(`  (F12 on ${word}: no ${file} yet, again)`);
                }
            }
        };

        await step("F12 on a reference opens the declaring file, never opened before, on the declaration", async () => {
            await page.getByRole("treeitem", { name: "agents.ai" }).click();
            await activeTab("agents.ai").waitFor();
            if ((await tab("models.ai").count()) || (await tab("tools.ai").count())) {
                throw new Error("models.ai or tools.ai is already open");
            }
            let position = await goToDefinition("llm: fast_llm", "fast_llm", "models.ai", /Ln 2, Col 5\b/);
            log(`  fast_llm -> models.ai, ${position}`);
            if (!/Ln 2, Col 5\b/.test(position)) {
                throw new Error(`models.ai opened at ${position}, not on line 2, column 5 (fast_llm)`);
            }
            await page.waitForTimeout(300);
            await shot("21-definition.png");
            position = await goToDefinition("search_web", "search_web", "tools.ai", /Ln 2, Col [67]\b/);
            log(`  "search_web" -> tools.ai, ${position}`);
            if (!/Ln 2, Col [67]\b/.test(position)) {
                throw new Error(`tools.ai opened at ${position}, not on line 2 at "search_web"`);
            }
        });

        await step("semantic tokens: 'Inspect Editor Tokens and Scopes' says a model reference is a class", async () => {
            await clickWord("llm: fast_llm", "fast_llm");
            await page.keyboard.press("F1");
            const input = page.locator(".quick-input-widget .quick-input-box input");
            await input.waitFor();
            await input.fill(">Developer: Inspect Editor Tokens and Scopes");
            await page.locator(".quick-input-list .monaco-list-row", { hasText: "Inspect Editor Tokens and Scopes" }).first().waitFor();
            await page.waitForTimeout(200);
            await page.keyboard.press("Enter");
            const widget = page.locator(".token-inspect-widget");
            await widget.filter({ hasText: /semantic token type/ }).waitFor({ timeout: 20_000 });
            const text = (await widget.innerText()).replace(/\s+/g, " ");
            log(`  ${text.slice(0, 240)}`);
            await shot("22-semantic-tokens.png");
            await page.keyboard.press("Escape");
            // Coloured through the extension's semanticTokenScopes (class -> entity.name.type.namel3ss).
            if (!/semantic token type class\b/.test(text) || !/foreground entity\.name\.type\.namel3ss\b/.test(text)) {
                throw new Error(`fast_llm is not a class token coloured as entity.name.type.namel3ss: ${text}`);
            }
        });

        await step("format on save: badly indented text typed into format.ai is saved formatted", async () => {
            const file = join(dirs.ws, "format.ai");
            await page.getByRole("treeitem", { name: "format.ai" }).click();
            await activeTab("format.ai").waitFor();
            await page.locator(".view-line", { hasText: "formatted on save" }).click();
            await page.keyboard.press("Control+End");
            await page.keyboard.insertText(MESSY);
            await page.locator(".view-line", { hasText: "temperature: 0.5" }).waitFor();
            const typed = await page.evaluate(() =>
                [...document.querySelectorAll(".editor-group-container .monaco-editor .view-lines .view-line")]
                    .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
                    .map((line) => line.textContent.replace(/\u00a0/g, " "))
                    .join("\n"),
            );
            // The line may end with the model's inlay hint ("4.7 GB · Q4_0"): the editor renders it as text.
            if (!/\n {6}model: {3}llama3:8b( [^\n]*)?\n/.test(typed)) {
                throw new Error(`the typed text is not the badly indented one:\n${JSON.stringify(typed)}`);
            }
            await page.keyboard.press("Control+s");
            let saved = "";
            for (let i = 0; i < 60 && saved !== FORMATTED; i++) {
                await page.waitForTimeout(250);
                saved = readFileSync(file, "utf8");
            }
            await shot("23-format-on-save.png");
            if (saved !== FORMATTED) {
                throw new Error(`format.ai was saved as:\n${saved}`);
            }
            await page.locator(".tabs-container .tab.dirty", { hasText: "format.ai" }).waitFor({ state: "detached" });
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

        await step("a failed pull is one short notification; the detail is in the Namel3ss output", async () => {
            await page.keyboard.press("Escape");
            await runPaletteCommand("Namel3ss: Pull Model...");
            await page.locator(".quick-input-widget", { hasText: "Pull an Ollama model" }).waitFor();
            await page.locator(".quick-input-widget .quick-input-box input").fill("nope:1b");
            const row = page.locator(".quick-input-list .monaco-list-row", { hasText: "nope:1b" }).first();
            await row.waitFor();
            await page.waitForTimeout(300);
            await row.click();
            const failed = toast(/Pulling 'nope:1b' failed/).first();
            await failed.waitFor({ timeout: 30_000 });
            await page.waitForTimeout(700);
            await shot("12-pull-failed.png");
            const message = (await failed.locator(".notification-list-item-message").innerText()).trim();
            log(`  notification: ${message}`);
            if (message.includes("\n") || message.length > 200 || /ollama pull|Suggestion/i.test(message)) {
                throw new Error(`not one short sentence: ${JSON.stringify(message)}`);
            }
            await failed.getByRole("button", { name: "Show Output" }).waitFor();
            const text = await waitForOutput(dirs.data, /Pulling 'nope:1b' failed/);
            log(`  output: ${text.split("\n").filter((l) => /nope:1b|^\s{4}/.test(l)).slice(-4).join(" / ").slice(0, 300)}`);
            await failed.hover();
            await failed.locator(".codicon-notifications-clear, .codicon-close").first().click();
        });

        await step("Ollama goes down: the status bar says unreachable; completion offers the last known list", async () => {
            await page.keyboard.press("Escape");
            await page.getByRole("treeitem", { name: "chat.ai" }).click();
            await page.locator(".tabs-container .tab.active", { hasText: "chat.ai" }).waitFor();
            await page.locator(".statusbar-item", { hasText: /Ollama 2 models/ }).waitFor();
            await killGroup(standin.child, "the stand-in (Ollama goes down)");
            // Seen at the next health check (namel3ss.ollama.healthCheckInterval, 30 s by default).
            await page.locator(".statusbar-item", { hasText: /Ollama unreachable/ }).waitFor({ timeout: 60_000 });
            await shot("13-ollama-down.png");
            const line = page.locator(".view-line", { hasText: "model: mistral:latest" });
            await line.click();
            await page.keyboard.press("End");
            for (let i = 0; i < "mistral:latest".length; i++) {
                await page.keyboard.press("Backspace");
            }
            await page.keyboard.press("Control+Space");
            const labels = page.locator(".suggest-widget.visible .monaco-list-row .label-name");
            await labels.filter({ hasText: "mistral:latest" }).first().waitFor();
            const rows = await page.locator(".suggest-widget.visible .monaco-list-row").allInnerTexts();
            log(`  completion while down: ${rows.slice(0, 3).map((r) => r.replace(/\s+/g, " ")).join(" | ")}`);
            await shot("14-completion-while-down.png");
            await page.keyboard.press("Escape");
            await page.keyboard.type("mistral:latest");
            await page.keyboard.press("Control+s");
        });

        await step("Ollama comes back on the same port: the status bar recovers without a click", async () => {
            await startStandIn({ port: standin.port, name: "the stand-in (back)" });
            await page.locator(".statusbar-item", { hasText: /Ollama 2 models/ }).waitFor({ timeout: 30_000 });
            await shot("15-ollama-back.png");
        });

        await step("every path and URL setting has a text box in the Settings UI", async () => {
            await page.keyboard.press("Escape");
            await page.keyboard.press("Control+,");
            const search = page.locator(".settings-editor .settings-header .monaco-editor .view-lines").first();
            await search.waitFor();
            const textBox = async (id, label) => {
                await search.click();
                await page.keyboard.press("Control+A");
                await page.keyboard.type(id);
                const item = settingItem(label);
                await item.waitFor();
                await item.locator("input").first().waitFor();
                if (await item.getByText("Edit in settings.json").count()) {
                    throw new Error(`${id} has no text box`);
                }
            };
            await textBox("namel3ss.ollama.baseUrl", "Base Url");
            // Machine settings: in a remote window (code-server is one) only the Remote tab lists them.
            await page.locator(".settings-editor .settings-tabs-widget .action-label", { hasText: /^Remote/ }).click();
            await textBox("namel3ss.server.path", "Path");
            await textBox("namel3ss.server.pythonPath", "Python Path");
            await shot("17-settings-ui.png");
        });

        await step("a broken server.pythonPath typed in the Settings UI: one short notice, no stack trace", async () => {
            // Still in the Remote tab, where a machine setting is set in a remote window.
            const search = page.locator(".settings-editor .settings-header .monaco-editor .view-lines").first();
            await search.click();
            await page.keyboard.press("Control+A");
            await page.keyboard.type("namel3ss.server.pythonPath");
            await fillSetting("Python Path", "/nonexistent/python3");
            const notice = toast(/namel3ss\.server\.pythonPath .* cannot be run/);
            await notice.first().waitFor({ timeout: 30_000 });
            await page.waitForTimeout(3000); // a second notice, if any, would come now
            await shot("18-broken-python-path.png");
            const count = await notice.count();
            const text = (await notice.first().innerText()).replace(/\s+/g, " ");
            log(`  notice: ${text.slice(0, 220)}`);
            if (count !== 1) {
                throw new Error(`expected one notice, saw ${count}`);
            }
            if (/pip install/.test(text)) {
                throw new Error("the notice offers pip install");
            }
            await page.locator(".statusbar-item", { hasText: /Namel3ss/ }).first().waitFor();
        });

        await step("the notice's 'Open Settings' opens server.pythonPath in the Remote tab", async () => {
            await page.keyboard.press("Control+W"); // close the settings editor
            await toast(/namel3ss\.server\.pythonPath .* cannot be run/).first().locator("a", { hasText: "Open Settings" }).click();
            await page.locator(".settings-editor .settings-tabs-widget .action-label.checked", { hasText: /^Remote/ }).waitFor();
            await page.locator(".settings-editor .settings-header .view-lines", { hasText: "namel3ss.server.pythonPath" }).first().waitFor();
            await settingItem("Python Path").waitFor();
            await shot("19-open-settings.png");
        });

        await step("clearing server.pythonPath restarts the bundled server; the notice goes; no stack trace in the output", async () => {
            await fillSetting("Python Path", "");
            await page.keyboard.press("Control+W");
            await page.getByRole("treeitem", { name: "chat.ai" }).click();
            await page.locator(".statusbar-item", { hasText: /Ollama 2 models/ }).waitFor({ timeout: 60_000 });
            await toast(/language server/).first().waitFor({ state: "detached", timeout: 15_000 });
            await page.waitForTimeout(1000);
            await shot("20-restarted.png");
            const stale = await toast(/language server|Namel3ss/).count();
            if (stale) {
                throw new Error(`${stale} notification(s) still up after the server started`);
            }
            const text = await waitForOutput(dirs.data, /server running[^\n]*\n(.|\n)*server running \(the bundled server/);
            const stack = text.split("\n").filter((l) => /^\s+at .+:\d+:\d+\)?$/.test(l));
            if (stack.length) {
                throw new Error(`stack trace in the Namel3ss output:\n${stack.slice(0, 5).join("\n")}`);
            }
        });

        await readmeImageStep();
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
