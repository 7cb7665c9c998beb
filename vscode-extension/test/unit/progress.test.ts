import * as assert from "node:assert/strict";
import { NotificationProgressFeature, ProgressEvent } from "../../src/progress";
import { mock } from "./vscode-mock";

/** Just enough of a LanguageClient for the progress feature: request/progress handlers and notifications. */
class FakeClient {
    requestHandlers = new Map<string, (params: unknown) => unknown>();
    progressHandlers = new Map<string | number, (value: unknown) => void>();
    sent: { method: string; params: unknown }[] = [];
    onRequest(type: { method: string }, handler: (params: unknown) => unknown) {
        this.requestHandlers.set(type.method, handler);
        return { dispose() {} };
    }
    onProgress(_type: unknown, token: string | number, handler: (value: unknown) => void) {
        this.progressHandlers.set(token, handler);
        return { dispose: () => this.progressHandlers.delete(token) };
    }
    sendNotification(type: { method: string }, params: unknown) {
        this.sent.push({ method: type.method, params });
        return Promise.resolve();
    }
    progress(token: string, value: unknown) {
        this.progressHandlers.get(token)?.(value);
    }
}

const tick = () => new Promise((r) => setImmediate(r));

describe("work-done progress as a cancellable notification (mocked vscode)", () => {
    beforeEach(() => mock.reset());

    function setup() {
        const client = new FakeClient();
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const feature = new NotificationProgressFeature(client as any);
        const capabilities: { window?: { workDoneProgress?: boolean } } = {};
        feature.fillClientCapabilities(capabilities);
        assert.equal(capabilities.window?.workDoneProgress, true);
        feature.initialize();
        const events: ProgressEvent[] = [];
        feature.onProgress((e) => events.push(e));
        return { client, feature, events };
    }

    it("replaces window/workDoneProgress/create and shows server progress as a notification", async () => {
        const { client, events } = setup();
        const create = client.requestHandlers.get("window/workDoneProgress/create");
        assert.ok(create, "create handler registered");
        create!({ token: "t1" });
        client.progress("t1", { kind: "begin", title: "Pulling phi3:mini", cancellable: true, percentage: 0, message: "pulling manifest" });
        await tick();
        assert.equal(mock.progress.length, 1);
        const shown = mock.progress[0];
        assert.equal(shown.options.location, 15, "ProgressLocation.Notification");
        assert.equal(shown.options.title, "Pulling phi3:mini");
        assert.equal(shown.options.cancellable, true);
        client.progress("t1", { kind: "report", percentage: 40, message: "0.9 GB / 2.2 GB" });
        client.progress("t1", { kind: "report", percentage: 30, message: "never backwards" });
        client.progress("t1", { kind: "report", percentage: 100, message: "verifying" });
        assert.deepEqual(shown.reports, [
            { message: "pulling manifest", increment: 0 },
            { message: "0.9 GB / 2.2 GB", increment: 40 },
            { message: "never backwards", increment: 0 },
            { message: "verifying", increment: 60 },
        ]);
        client.progress("t1", { kind: "end", message: "done" });
        await shown.done;
        assert.equal(client.progressHandlers.has("t1"), false);
        assert.deepEqual(
            events.map((e) => [e.token, e.value.kind, e.title]),
            [
                ["t1", "begin", "Pulling phi3:mini"],
                ["t1", "report", "Pulling phi3:mini"],
                ["t1", "report", "Pulling phi3:mini"],
                ["t1", "report", "Pulling phi3:mini"],
                ["t1", "end", "Pulling phi3:mini"],
            ],
        );
    });

    it("Cancel sends window/workDoneProgress/cancel for that token", async () => {
        const { client } = setup();
        client.requestHandlers.get("window/workDoneProgress/create")!({ token: 7 });
        client.progress(7 as unknown as string, { kind: "begin", title: "Trying llama3:8b", cancellable: true });
        await tick();
        mock.progress[0].cancel();
        assert.deepEqual(client.sent, [{ method: "window/workDoneProgress/cancel", params: { token: 7 } }]);
    });

    it("streams report messages without a percentage (try model)", async () => {
        const { client, events } = setup();
        client.requestHandlers.get("window/workDoneProgress/create")!({ token: "try" });
        client.progress("try", { kind: "begin", title: "Trying llama3:8b", cancellable: true });
        await tick();
        client.progress("try", { kind: "report", message: "Hello" });
        client.progress("try", { kind: "report", message: " world" });
        assert.deepEqual(mock.progress[0].reports, [{ message: "Hello" }, { message: " world" }]);
        const text = events.filter((e) => e.value.kind === "report").map((e) => (e.value as { message?: string }).message).join("");
        assert.equal(text, "Hello world");
    });

    it("clear() ends open notifications (server stopped)", async () => {
        const { client, feature } = setup();
        client.requestHandlers.get("window/workDoneProgress/create")!({ token: "x" });
        client.progress("x", { kind: "begin", title: "Pulling", cancellable: true });
        await tick();
        feature.clear();
        await mock.progress[0].done;
        assert.equal(client.progressHandlers.size, 0);
    });
});
