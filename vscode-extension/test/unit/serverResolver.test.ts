import * as assert from "node:assert/strict";
import { ResolverInputs, expandPath, resolveServerCommand } from "../../src/serverResolver";

/** Builds resolver inputs over a fake file system: `files` are executables, `importers` can import namel3ss_lsp. */
function inputs(files: string[], importers: string[], extra: Partial<ResolverInputs> = {}): ResolverInputs & { probes: string[] } {
    const probes: string[] = [];
    const pathDirs = ["/usr/local/bin", "/usr/bin"];
    return {
        probes,
        platform: "linux",
        homeDir: "/home/u",
        workspaceFolder: "/ws",
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
        ...extra,
    };
}

describe("server command resolution", () => {
    it("uses namel3ss.server.path first", async () => {
        const r = await resolveServerCommand(inputs(["/opt/n3/namel3ss-lsp", "/usr/bin/namel3ss-lsp"], [], { serverPath: "/opt/n3/namel3ss-lsp", pythonPath: "/usr/bin/python3" }));
        assert.equal(r.kind, "ok");
        assert.equal(r.kind === "ok" && r.command, "/opt/n3/namel3ss-lsp");
        assert.deepEqual(r.kind === "ok" && r.args, []);
        assert.equal(r.kind === "ok" && r.source, "server.path");
    });
    it("expands ~ and ${workspaceFolder} in the path settings", async () => {
        const r = await resolveServerCommand(inputs(["/ws/.venv/bin/namel3ss-lsp"], [], { serverPath: "${workspaceFolder}/.venv/bin/namel3ss-lsp" }));
        assert.equal(r.kind === "ok" && r.command, "/ws/.venv/bin/namel3ss-lsp");
        assert.equal(expandPath("~/x"), "~/x");
        assert.equal(expandPath("~/x", undefined, "/home/u"), "/home/u/x");
    });
    it("reports a broken server.path instead of guessing", async () => {
        const r = await resolveServerCommand(inputs(["/usr/bin/namel3ss-lsp"], [], { serverPath: "/nope/namel3ss-lsp" }));
        assert.equal(r.kind, "not-found");
        assert.match(r.kind === "not-found" ? r.message : "", /namel3ss\.server\.path "\/nope\/namel3ss-lsp" is not an executable/);
        assert.match(r.kind === "not-found" ? r.message : "", /pip install namel3ss-lsp/);
    });
    it("uses namel3ss.server.pythonPath with -m namel3ss_lsp", async () => {
        const r = await resolveServerCommand(inputs(["/usr/bin/namel3ss-lsp"], ["/venv/bin/python"], { pythonPath: "/venv/bin/python" }));
        assert.equal(r.kind === "ok" && r.command, "/venv/bin/python");
        assert.deepEqual(r.kind === "ok" && r.args, ["-m", "namel3ss_lsp"]);
        assert.equal(r.kind === "ok" && r.source, "server.pythonPath");
    });
    it("tells how to install into a configured interpreter that lacks the server", async () => {
        const r = await resolveServerCommand(inputs([], [], { pythonPath: "/venv/bin/python" }));
        assert.equal(r.kind, "not-found");
        assert.equal(r.kind === "not-found" && r.installCommand, "/venv/bin/python -m pip install namel3ss-lsp");
    });
    it("then the Python extension's interpreter when it can import the server", async () => {
        const r = await resolveServerCommand(inputs(["/usr/bin/namel3ss-lsp"], ["/proj/.venv/bin/python"], { pythonExtensionCommand: ["/proj/.venv/bin/python"] }));
        assert.equal(r.kind === "ok" && r.source, "python-extension");
        assert.equal(r.kind === "ok" && r.command, "/proj/.venv/bin/python");
        assert.deepEqual(r.kind === "ok" && r.args, ["-m", "namel3ss_lsp"]);
    });
    it("keeps multi-word interpreter commands (conda run ...)", async () => {
        const argv = ["/opt/conda/bin/conda", "run", "-n", "n3", "python"];
        const r = await resolveServerCommand(inputs([], [argv.join(" ")], { pythonExtensionCommand: argv }));
        assert.equal(r.kind === "ok" && r.command, "/opt/conda/bin/conda");
        assert.deepEqual(r.kind === "ok" && r.args, ["run", "-n", "n3", "python", "-m", "namel3ss_lsp"]);
    });
    it("then namel3ss-lsp on PATH when the Python extension's interpreter lacks the server", async () => {
        const i = inputs(["/usr/local/bin/namel3ss-lsp"], [], { pythonExtensionCommand: ["/proj/.venv/bin/python"] });
        const r = await resolveServerCommand(i);
        assert.equal(r.kind === "ok" && r.command, "/usr/local/bin/namel3ss-lsp");
        assert.equal(r.kind === "ok" && r.source, "PATH");
        assert.deepEqual(i.probes, ["/proj/.venv/bin/python"]);
    });
    it("then python3 -m namel3ss_lsp", async () => {
        const r = await resolveServerCommand(inputs(["/usr/bin/python3"], ["/usr/bin/python3"]));
        assert.equal(r.kind === "ok" && r.command, "/usr/bin/python3");
        assert.deepEqual(r.kind === "ok" && r.args, ["-m", "namel3ss_lsp"]);
        assert.equal(r.kind === "ok" && r.source, "python3");
    });
    it("passes extra arguments (log level) to every form", async () => {
        const r = await resolveServerCommand(inputs(["/usr/bin/python3"], ["/usr/bin/python3"], { extraArgs: ["--log-level", "DEBUG"] }));
        assert.deepEqual(r.kind === "ok" && r.args, ["-m", "namel3ss_lsp", "--log-level", "DEBUG"]);
    });
    it("gives one install message when nothing works", async () => {
        const r = await resolveServerCommand(inputs(["/usr/bin/python3"], []));
        assert.equal(r.kind, "not-found");
        if (r.kind === "not-found") {
            assert.equal(r.installCommand, "pip install namel3ss-lsp");
            assert.match(r.message, /not installed\. Install it with: pip install namel3ss-lsp/);
            assert.ok(r.tried.some((t) => t.includes("namel3ss-lsp on PATH")));
            assert.ok(r.tried.some((t) => t.includes("/usr/bin/python3 (cannot import")));
        }
    });
    it("suggests installing into the Python extension's interpreter when there is one", async () => {
        const r = await resolveServerCommand(inputs([], [], { pythonExtensionCommand: ["/proj/.venv/bin/python"] }));
        assert.equal(r.kind === "not-found" && r.installCommand, "/proj/.venv/bin/python -m pip install namel3ss-lsp");
    });
    it("quotes interpreter paths with spaces", async () => {
        const r = await resolveServerCommand(inputs([], [], { pythonPath: "/Users/a b/python" }));
        assert.equal(r.kind === "not-found" && r.installCommand, '"/Users/a b/python" -m pip install namel3ss-lsp');
    });
});

describe("process probes", () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { which, canImport } = require("../../src/probe") as typeof import("../../src/probe");
    it("finds executables on PATH and explicit paths", async () => {
        const sh = await which("sh");
        assert.ok(sh && sh.endsWith("/sh"));
        assert.equal(await which(sh!), sh);
        assert.equal(await which("definitely-not-a-command-n3"), undefined);
        assert.equal(await which("/definitely/not/here"), undefined);
    });
    it("reports interpreters that cannot run as unable to import", async () => {
        assert.equal(await canImport(["/definitely/not/python"]), false);
        assert.equal(await canImport(["sh", "-c", "exit 3", "--"]), false);
    });
});
