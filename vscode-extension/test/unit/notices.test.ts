import * as assert from "node:assert/strict";
import { ResponseError } from "vscode-languageserver-protocol";
import { Notices, errorDetail, isCancelled, isConnectionGone, linkMarkdown, shortReason } from "../../src/notices";
import { mock, vscodeMock } from "./vscode-mock";

// What the server answers for a failed pull (-32001): a multi-line message ending in a suggestion.
const pullFailed = new ResponseError(
    -32001,
    "Model 'phi3:mini' was not found in the Ollama library\n\nThe registry answered 404 for phi3:mini.\n\nSuggestion: check the name, then run `ollama pull phi3:mini`",
    { kind: "model_not_found", suggestion: "check the name, then run `ollama pull phi3:mini`", model: "phi3:mini", baseUrl: "http://127.0.0.1:11434" },
);

function channel() {
    return vscodeMock.window.createOutputChannel("Namel3ss") as unknown as import("vscode").OutputChannel & { lines: string[] };
}

describe("error notifications: short, the detail in the output channel", () => {
    beforeEach(() => mock.reset());

    it("shortReason keeps the first line, without the suggestion, bounded", () => {
        assert.equal(shortReason(pullFailed.message), "Model 'phi3:mini' was not found in the Ollama library");
        assert.equal(shortReason("Cannot connect. Suggestion: run `ollama serve`"), "Cannot connect");
        const long = shortReason("word ".repeat(100));
        assert.ok(long.length <= 160 && long.endsWith("…"), long);
    });

    it("errorDetail keeps everything: lines, code, suggestion, data", () => {
        const lines = errorDetail(pullFailed);
        assert.ok(lines.includes("The registry answered 404 for phi3:mini."));
        assert.ok(lines.includes("(code -32001)"));
        assert.ok(lines.some((l) => /kind=model_not_found, model=phi3:mini, baseUrl=http:\/\/127\.0\.0\.1:11434/.test(l)));
    });

    it("a failed pull is one short notification; `ollama pull` and the detail go to the output", async () => {
        const output = channel();
        const notices = new Notices(output, () => undefined);
        await notices.error("Pulling 'phi3:mini' failed", pullFailed);
        assert.equal(mock.messages.length, 1);
        assert.deepEqual(mock.messages[0], {
            kind: "error",
            message: "Pulling 'phi3:mini' failed: Model 'phi3:mini' was not found in the Ollama library.",
            items: ["Show Output"],
        });
        assert.doesNotMatch(mock.messages[0].message, /ollama pull/);
        const text = output.lines.join("");
        assert.match(text, /Pulling 'phi3:mini' failed: Model 'phi3:mini' was not found/);
        assert.match(text, /Suggestion: check the name, then run `ollama pull phi3:mini`/);
    });

    it("recognizes cancellations and a connection that went away", () => {
        assert.equal(isCancelled(new ResponseError(-32800, "cancelled")), true);
        assert.equal(isCancelled(pullFailed), false);
        assert.equal(isConnectionGone(new Error("Pending response rejected since connection got disposed")), true);
        assert.equal(isConnectionGone(pullFailed), false);
    });
});

describe("problem notices: taken back when the problem is gone", () => {
    beforeEach(() => mock.reset());

    it("shows one notice with command links, replaces it, and closes it on clearProblem", async () => {
        const notices = new Notices(channel(), () => undefined);
        notices.problem("not-found:a", "The Namel3ss language server needs Python 3.10 or later.", [
            { label: "Get Python", url: "https://www.python.org/downloads/" },
            { label: "Open Settings", command: "namel3ss.openSetting", args: ["namel3ss.server.pythonPath"] },
        ]);
        assert.equal(mock.progress.length, 1);
        const title = mock.progress[0].options.title ?? "";
        assert.match(title, /^The Namel3ss language server needs Python 3\.10 or later\. \[Get Python\]\(https:\/\/www\.python\.org\/downloads\/\)/);
        assert.ok(title.includes("[Open Settings](command:namel3ss.openSetting?%5B%22namel3ss.server.pythonPath%22%5D)"), title);
        assert.equal(mock.progress[0].options.location, vscodeMock.ProgressLocation.Notification);
        // Its button (Cancel) dismisses it; with a button it is never collapsed to one line.
        assert.equal(mock.progress[0].options.cancellable, true);
        // The same problem again: not shown twice.
        notices.problem("not-found:a", "again", []);
        assert.equal(mock.progress.length, 1);
        // Another problem replaces it.
        notices.problem("failed:b", "The server could not start.", []);
        assert.equal(mock.progress.length, 2);
        await mock.progress[0].done;
        assert.equal(notices.shown, "failed:b");
        // The server runs: the notice goes.
        notices.clearProblem();
        await mock.progress[1].done;
        assert.equal(notices.shown, undefined);
    });

    it("its button dismisses it", async () => {
        const notices = new Notices(channel(), () => undefined);
        notices.problem("crashed", "The server stopped.", []);
        mock.progress[0].cancel();
        await mock.progress[0].done;
        assert.equal(notices.shown, undefined);
        notices.problem("crashed", "The server stopped.", []);
        assert.equal(mock.progress.length, 2, "shown again when it comes back after a dismissal");
    });

    it("links carry their arguments as URI-encoded JSON", () => {
        assert.equal(linkMarkdown({ label: "Show Output", command: "namel3ss.showOutput" }), "[Show Output](command:namel3ss.showOutput)");
        const link = linkMarkdown({ label: "x", command: "c", args: ["a b"] });
        assert.equal(JSON.parse(decodeURIComponent(link.slice(link.indexOf("?") + 1, -1)))[0], "a b");
    });
});
