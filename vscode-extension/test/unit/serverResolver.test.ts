import * as assert from "node:assert/strict";
import { ResolverInputs, expandPath, resolveServerCommand } from "../../src/serverResolver";

const LAUNCHER = "/ext/bundled/tool/lsp_server.py";

/**
 * Resolver inputs over a fake machine: `files` are executables, `importers` can import namel3ss_lsp
 * (an installed server), `versions` are the Python versions of interpreters (the bundle probe runs
 * when the version is 3.10 or later). The bundle is present unless `bundleLauncher: undefined`.
 */
function inputs(
    files: string[],
    importers: string[],
    extra: Partial<ResolverInputs> = {},
    versions: Record<string, string> = {},
): ResolverInputs & { probes: string[]; bundleProbes: string[] } {
    const probes: string[] = [];
    const bundleProbes: string[] = [];
    const pathDirs = ["/usr/local/bin", "/usr/bin"];
    return {
        probes,
        bundleProbes,
        platform: "linux",
        homeDir: "/home/u",
        workspaceFolder: "/ws",
        bundleLauncher: LAUNCHER,
        async which(cmd: string) {
            if (cmd.includes("/")) {
                return files.includes(cmd) ? cmd : undefined;
            }
            return pathDirs.map((d) => `${d}/${cmd}`).find((p) => files.includes(p));
        },
        async canImport(argv: string[]) {
            probes.push(argv.join(" "));
            return importers.includes(argv.join(" "));
        },
        async probeBundle(argv: string[], launcher: string) {
            assert.equal(launcher, LAUNCHER);
            bundleProbes.push(argv.join(" "));
            const version = versions[argv.join(" ")];
            if (!version) {
                return { ok: false, error: "cannot run the bundled server: spawn ENOENT" };
            }
            const [major, minor] = version.split(".").map(Number);
            return major > 3 || (major === 3 && minor >= 10) ? { ok: true, version } : { ok: false, version, error: "Python 3.10 or later is needed" };
        },
        ...extra,
    };
}

describe("server command resolution", () => {
    it("uses namel3ss.server.path first", async () => {
        const r = await resolveServerCommand(
            inputs(["/opt/n3/namel3ss-lsp", "/usr/bin/namel3ss-lsp", "/usr/bin/python3"], [], { serverPath: "/opt/n3/namel3ss-lsp", pythonPath: "/usr/bin/python3" }, { "/usr/bin/python3": "3.11.2" }),
        );
        assert.equal(r.kind, "ok");
        assert.equal(r.kind === "ok" && r.command, "/opt/n3/namel3ss-lsp");
        assert.deepEqual(r.kind === "ok" && r.args, []);
        assert.equal(r.kind === "ok" && r.source, "server.path");
        assert.equal(r.kind === "ok" && r.bundled, false);
    });
    it("expands ~ and ${workspaceFolder} in the path settings", async () => {
        const r = await resolveServerCommand(inputs(["/ws/.venv/bin/namel3ss-lsp"], [], { serverPath: "${workspaceFolder}/.venv/bin/namel3ss-lsp" }));
        assert.equal(r.kind === "ok" && r.command, "/ws/.venv/bin/namel3ss-lsp");
        assert.equal(expandPath("~/x"), "~/x");
        assert.equal(expandPath("~/x", undefined, "/home/u"), "/home/u/x");
    });
    it("reports a broken server.path instead of guessing", async () => {
        const r = await resolveServerCommand(inputs(["/usr/bin/namel3ss-lsp", "/usr/bin/python3"], [], { serverPath: "/nope/namel3ss-lsp" }, { "/usr/bin/python3": "3.11.2" }));
        assert.equal(r.kind, "not-found");
        if (r.kind === "not-found") {
            assert.equal(r.message, 'namel3ss.server.path "/nope/namel3ss-lsp" is not an executable.');
            assert.equal(r.setting, "namel3ss.server.path");
            assert.equal(r.needsPython, false);
        }
    });
    it("an empty setting is 'not set' (the Settings UI's text box)", async () => {
        const r = await resolveServerCommand(inputs(["/usr/bin/python3"], [], { serverPath: "", pythonPath: "  " }, { "/usr/bin/python3": "3.11.2" }));
        assert.equal(r.kind === "ok" && r.source, "bundled");
    });
    it("uses namel3ss.server.pythonPath's installed server with -m namel3ss_lsp", async () => {
        const r = await resolveServerCommand(inputs(["/usr/bin/namel3ss-lsp"], ["/venv/bin/python"], { pythonPath: "/venv/bin/python" }));
        assert.equal(r.kind === "ok" && r.command, "/venv/bin/python");
        assert.deepEqual(r.kind === "ok" && r.args, ["-m", "namel3ss_lsp"]);
        assert.equal(r.kind === "ok" && r.source, "server.pythonPath");
        assert.equal(r.kind === "ok" && r.bundled, false);
    });
    it("runs the bundle with namel3ss.server.pythonPath when that interpreter has no server installed", async () => {
        const r = await resolveServerCommand(inputs([], [], { pythonPath: "/opt/py312/bin/python3", extraArgs: ["--log-level", "INFO"] }, { "/opt/py312/bin/python3": "3.12.1" }));
        assert.equal(r.kind === "ok" && r.command, "/opt/py312/bin/python3");
        assert.deepEqual(r.kind === "ok" && r.args, ["-I", LAUNCHER, "--log-level", "INFO"]);
        assert.equal(r.kind === "ok" && r.source, "server.pythonPath");
        assert.equal(r.kind === "ok" && r.bundled, true);
    });
    it("reports a namel3ss.server.pythonPath that is too old or missing in one short sentence, naming the setting", async () => {
        const old = await resolveServerCommand(inputs(["/usr/bin/python3"], [], { pythonPath: "/usr/bin/python3.8" }, { "/usr/bin/python3.8": "3.8.10", "/usr/bin/python3": "3.11.2" }));
        assert.equal(old.kind, "not-found");
        if (old.kind === "not-found") {
            assert.equal(old.message, 'namel3ss.server.pythonPath "/usr/bin/python3.8" is Python 3.8.10; the language server needs 3.10 or later.');
            assert.equal(old.setting, "namel3ss.server.pythonPath");
            assert.equal(old.needsPython, true);
            assert.deepEqual(old.tried, ["namel3ss.server.pythonPath: /usr/bin/python3.8 (Python 3.8.10: Python 3.10 or later is needed)"]);
        }
        const gone = await resolveServerCommand(inputs([], [], { pythonPath: "/nonexistent/python3" }));
        assert.equal(gone.kind === "not-found" && gone.message, 'namel3ss.server.pythonPath "/nonexistent/python3" cannot be run.');
        assert.match(gone.kind === "not-found" ? gone.tried[0] : "", /spawn ENOENT/);
    });
    it("then the bundle with python3 from PATH, isolated (-I)", async () => {
        const i = inputs(["/usr/bin/python3", "/usr/local/bin/namel3ss-lsp"], ["/usr/bin/python3"], {}, { "/usr/bin/python3": "3.11.2" });
        const r = await resolveServerCommand(i);
        assert.equal(r.kind === "ok" && r.source, "bundled");
        assert.equal(r.kind === "ok" && r.command, "/usr/bin/python3");
        assert.deepEqual(r.kind === "ok" && r.args, ["-I", LAUNCHER]);
        assert.match(r.kind === "ok" ? r.description : "", /bundled server with \/usr\/bin\/python3 \(Python 3\.11\.2\)/);
        // The bundle wins over an installed namel3ss-lsp: it matches the extension's version.
        assert.deepEqual(i.probes, []);
    });
    it("tries python after a python3 that is too old", async () => {
        const r = await resolveServerCommand(inputs(["/usr/bin/python3", "/usr/local/bin/python"], [], {}, { "/usr/bin/python3": "3.8.10", "/usr/local/bin/python": "3.12.0" }));
        assert.equal(r.kind === "ok" && r.command, "/usr/local/bin/python");
        assert.equal(r.kind === "ok" && r.bundled, true);
    });
    it("uses `py -3` for the bundle on Windows", async () => {
        const r = await resolveServerCommand(inputs(["/usr/bin/py"], [], { platform: "win32" }, { "/usr/bin/py -3": "3.12.0" }));
        assert.equal(r.kind === "ok" && r.command, "/usr/bin/py");
        assert.deepEqual(r.kind === "ok" && r.args, ["-3", "-I", LAUNCHER]);
    });
    it("then the Python extension's interpreter: its installed server, else the bundle", async () => {
        const installed = await resolveServerCommand(inputs(["/usr/bin/python3"], ["/proj/.venv/bin/python"], { pythonExtensionCommand: ["/proj/.venv/bin/python"] }, { "/usr/bin/python3": "3.9.2" }));
        assert.equal(installed.kind === "ok" && installed.source, "python-extension");
        assert.deepEqual(installed.kind === "ok" && installed.args, ["-m", "namel3ss_lsp"]);
        const bundled = await resolveServerCommand(inputs([], [], { pythonExtensionCommand: ["/proj/.venv/bin/python"] }, { "/proj/.venv/bin/python": "3.12.0" }));
        assert.equal(bundled.kind === "ok" && bundled.source, "python-extension");
        assert.deepEqual(bundled.kind === "ok" && bundled.args, ["-I", LAUNCHER]);
        assert.equal(bundled.kind === "ok" && bundled.bundled, true);
    });
    it("keeps multi-word interpreter commands (conda run ...)", async () => {
        const argv = ["/opt/conda/bin/conda", "run", "-n", "n3", "python"];
        const r = await resolveServerCommand(inputs([], [argv.join(" ")], { pythonExtensionCommand: argv }));
        assert.equal(r.kind === "ok" && r.command, "/opt/conda/bin/conda");
        assert.deepEqual(r.kind === "ok" && r.args, ["run", "-n", "n3", "python", "-m", "namel3ss_lsp"]);
    });
    it("then namel3ss-lsp on PATH when no Python can run the bundle", async () => {
        const i = inputs(["/usr/local/bin/namel3ss-lsp", "/usr/bin/python3"], [], { pythonExtensionCommand: ["/proj/.venv/bin/python"] }, { "/usr/bin/python3": "3.8.10" });
        const r = await resolveServerCommand(i);
        assert.equal(r.kind === "ok" && r.command, "/usr/local/bin/namel3ss-lsp");
        assert.equal(r.kind === "ok" && r.source, "PATH");
        assert.deepEqual(i.probes, ["/proj/.venv/bin/python"]);
    });
    it("passes extra arguments (log level) to every form", async () => {
        const r = await resolveServerCommand(inputs(["/usr/bin/python3"], ["/usr/bin/python3"], { extraArgs: ["--log-level", "DEBUG"], bundleLauncher: undefined }));
        assert.deepEqual(r.kind === "ok" && r.args, ["-m", "namel3ss_lsp", "--log-level", "DEBUG"]);
    });
    it("without a bundle (a development build): python3 -m namel3ss_lsp", async () => {
        const r = await resolveServerCommand(inputs(["/usr/bin/python3"], ["/usr/bin/python3"], { bundleLauncher: undefined }));
        assert.equal(r.kind === "ok" && r.command, "/usr/bin/python3");
        assert.deepEqual(r.kind === "ok" && r.args, ["-m", "namel3ss_lsp"]);
        assert.equal(r.kind === "ok" && r.source, "python3");
    });
    it("says Python 3.10 or later is needed when nothing works, and never offers pip install", async () => {
        const r = await resolveServerCommand(inputs(["/usr/bin/python3"], [], {}, { "/usr/bin/python3": "3.8.10" }));
        assert.equal(r.kind, "not-found");
        if (r.kind === "not-found") {
            assert.equal(r.message, "The Namel3ss language server needs Python 3.10 or later (python3 is Python 3.8.10).");
            assert.equal(r.setting, "namel3ss.server.pythonPath");
            assert.equal(r.needsPython, true);
            assert.ok(r.tried.some((t) => t.includes("namel3ss-lsp on PATH")));
            assert.ok(r.tried.some((t) => t.includes("bundled server with /usr/bin/python3 (Python 3.8.10")));
        }
        const none = await resolveServerCommand(inputs([], []));
        assert.match(none.kind === "not-found" ? none.message : "", /needs Python 3\.10 or later \(no python3 on PATH\)/);
    });
    it("quotes interpreter paths with spaces", async () => {
        const r = await resolveServerCommand(inputs([], [], { pythonExtensionCommand: ["/Users/a b/python"] }, { "/Users/a b/python": "3.12.0" }));
        assert.match(r.kind === "ok" ? r.description : "", /"\/Users\/a b\/python"/);
    });
});

describe("process probes", () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { which, canImport, probeBundle } = require("../../src/probe") as typeof import("../../src/probe");
    it("finds executables on PATH and explicit paths", async () => {
        const sh = await which("sh");
        assert.ok(sh && sh.endsWith("/sh"));
        assert.equal(await which(sh!), sh);
        assert.equal(await which("definitely-not-a-command-n3"), undefined);
        assert.equal(await which("/definitely/not/here"), undefined);
    });
    it("reads the bundle launcher's --probe line; anything else is not usable", async () => {
        const { mkdtempSync, writeFileSync } = require("node:fs") as typeof import("node:fs");
        const { tmpdir } = require("node:os") as typeof import("node:os");
        const dir = mkdtempSync(require("node:path").join(tmpdir(), "n3-probe-"));
        const fake = `${dir}/fake-python`;
        // A stand-in interpreter: prints what lsp_server.py --probe prints, when called with -I.
        writeFileSync(fake, '#!/bin/sh\n[ "$1" = "-I" ] && [ "$3" = "--probe" ] && echo \'{"ok": true, "version": "3.12.1"}\' && exit 0\necho "Unknown option: $1" >&2; exit 2\n', { mode: 0o755 });
        assert.deepEqual(await probeBundle([fake], "/ext/lsp_server.py"), { ok: true, version: "3.12.1", error: undefined });
        const old = `${dir}/old-python`;
        writeFileSync(old, '#!/bin/sh\necho "Unknown option: -I" >&2; exit 2\n', { mode: 0o755 });
        const r = await probeBundle([old], "/ext/lsp_server.py");
        assert.equal(r.ok, false);
        assert.match(r.error ?? "", /Unknown option: -I/);
        assert.equal((await probeBundle(["/definitely/not/python"], "/x.py")).ok, false);
        require("node:fs").rmSync(dir, { recursive: true, force: true });
    });
    it("reports interpreters that cannot run as unable to import", async () => {
        assert.equal(await canImport(["/definitely/not/python"]), false);
        assert.equal(await canImport(["sh", "-c", "exit 3", "--"]), false);
    });
});
