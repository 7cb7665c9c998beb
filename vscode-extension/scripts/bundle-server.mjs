#!/usr/bin/env node
// Fills bundled/libs with the language server of this repository and its pure-Python dependencies,
// so that the .vsix runs the server with nothing but `python3` (3.10 or later) on the machine:
//
//   pip wheel --no-deps <repo root>                      (hatchling; the wheel carries grammar/namel3ss.lark)
//   pip install --target bundled/libs --no-compile --only-binary=:all: --python-version 3.10 <wheel> ...
//
// pip evaluates dependency markers for the interpreter running it, not for --python-version, so the
// back-ports Python 3.10 needs (exceptiongroup, typing_extensions) are named explicitly, and a check
// below reads every bundled package's Requires-Dist and fails if one needed on 3.10 (or 3.13) is
// missing. The bundle must be pure Python (no .so/.pyd): one .vsix serves every platform.
//
// Skipped when bundled/.libs-stamp matches the sources (pyproject.toml, server/**, the grammar);
// `--force` rebuilds. Environment: N3_PYTHON (interpreter that runs pip; default python3).
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const extDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = join(extDir, "..");
const libs = join(extDir, "bundled", "libs");
// Outside bundled/libs: .vscodeignore includes all of bundled/libs.
const stampFile = join(extDir, "bundled", ".libs-stamp");
const python = process.env.N3_PYTHON || "python3";
const TARGET_PYTHON = "3.10";
const BACKPORTS = ["exceptiongroup", "typing_extensions"];
const RECIPE = "bundle-recipe-1"; // change to force a rebuild everywhere

function files(dir) {
    const out = [];
    for (const name of readdirSync(dir).sort()) {
        if (name === "__pycache__") {
            continue;
        }
        const p = join(dir, name);
        if (statSync(p).isDirectory()) {
            out.push(...files(p));
        } else {
            out.push(p);
        }
    }
    return out;
}

function sourceStamp() {
    const hash = createHash("sha256").update(RECIPE);
    const inputs = [join(repoRoot, "pyproject.toml"), join(repoRoot, "grammar", "namel3ss.lark"), ...files(join(repoRoot, "server", "namel3ss_lsp"))];
    for (const f of inputs) {
        hash.update(relative(repoRoot, f)).update("\0").update(readFileSync(f)).update("\0");
    }
    return hash.digest("hex");
}

function run(args, what) {
    const r = spawnSync(python, args, { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: "1" } });
    if (r.status !== 0) {
        const noise = /^WARNING: (Location .* is ignored|Running pip as the 'root' user)/;
        const err = (r.stderr || "").split("\n").filter((l) => !noise.test(l)).join("\n");
        throw new Error(`${what} failed (${python} ${args.join(" ")}):\n${r.stdout}\n${err}`);
    }
    return r.stdout;
}

// Reads each *.dist-info/METADATA in the target and lists requirements that apply on the given
// Python versions but are not bundled (markers evaluated with pip's own `packaging`).
const CHECK_DEPS = String.raw`
import os, sys, email
try:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
except ImportError:
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.utils import canonicalize_name
target, versions = sys.argv[1], sys.argv[2:]
have, reqs = set(), []
for name in os.listdir(target):
    if name.endswith(".dist-info"):
        with open(os.path.join(target, name, "METADATA"), encoding="utf-8") as f:
            meta = email.message_from_file(f)
        have.add(canonicalize_name(meta["Name"]))
        reqs += [(meta["Name"], r) for r in meta.get_all("Requires-Dist") or []]
missing = []
for version in versions:
    env = {"python_version": version, "python_full_version": version + ".0", "extra": "",
           "implementation_name": "cpython", "platform_python_implementation": "CPython"}
    for owner, text in reqs:
        req = Requirement(text)
        if req.marker is None or req.marker.evaluate(env):
            if canonicalize_name(req.name) not in have:
                missing.append("%s needs %s on Python %s" % (owner, text, version))
print("\n".join(sorted(set(missing))))
`;

function build() {
    // Next to bundled/libs (not in the system's temporary folder): the final rename stays on one file system.
    mkdirSync(dirname(libs), { recursive: true });
    const work = mkdtempSync(join(dirname(libs), ".build-"));
    try {
        run(["-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", join(work, "wheel"), repoRoot], "building the namel3ss-lsp wheel");
        const wheels = readdirSync(join(work, "wheel")).filter((w) => w.endsWith(".whl"));
        if (wheels.length !== 1) {
            throw new Error(`expected one wheel, found: ${wheels.join(", ")}`);
        }
        const staging = join(work, "libs");
        run(
            [
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-compile",
                "--no-warn-script-location",
                "--only-binary=:all:",
                "--python-version",
                TARGET_PYTHON,
                "--target",
                staging,
                join(work, "wheel", wheels[0]),
                ...BACKPORTS,
            ],
            "installing the server and its dependencies",
        );
        rmSync(join(staging, "bin"), { recursive: true, force: true }); // console scripts with this machine's interpreter path
        const compiled = files(staging).filter((f) => /\.(so|pyd|dylib|dll)$/.test(f));
        if (compiled.length) {
            throw new Error(`the bundle must be pure Python; compiled files:\n  ${compiled.map((f) => relative(staging, f)).join("\n  ")}`);
        }
        if (!existsSync(join(staging, "namel3ss_lsp", "grammar", "namel3ss.lark"))) {
            throw new Error("namel3ss_lsp/grammar/namel3ss.lark is missing from the wheel");
        }
        const missing = run(["-c", CHECK_DEPS, staging, TARGET_PYTHON, "3.13"], "checking the bundled dependencies").trim();
        if (missing) {
            throw new Error(`bundled dependencies are incomplete:\n${missing}`);
        }
        rmSync(libs, { recursive: true, force: true });
        renameSync(staging, libs);
    } finally {
        rmSync(work, { recursive: true, force: true });
    }
}

function size(dir) {
    return files(dir).reduce((n, f) => n + statSync(f).size, 0);
}

/** Bytecode written by running the bundle in place (a probe, a manual run) must not be packaged. */
function removeBytecode(dir) {
    for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (name === "__pycache__") {
            rmSync(p, { recursive: true, force: true });
        } else if (statSync(p).isDirectory()) {
            removeBytecode(p);
        }
    }
}

const stamp = sourceStamp();
if (!process.argv.includes("--force") && existsSync(stampFile) && existsSync(libs) && readFileSync(stampFile, "utf8").trim() === stamp) {
    removeBytecode(libs);
    console.log(`bundled/libs is up to date (${(size(libs) / 1e6).toFixed(1)} MB)`);
} else {
    build();
    writeFileSync(stampFile, stamp + "\n");
    const packages = readdirSync(libs).filter((n) => n.endsWith(".dist-info")).map((n) => n.replace(/\.dist-info$/, ""));
    console.log(`bundled/libs: ${packages.join(", ")} (${(size(libs) / 1e6).toFixed(1)} MB)`);
}
