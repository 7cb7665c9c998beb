import * as vscode from "vscode";
import type { BaseLanguageClient, FeatureState, StaticFeature } from "vscode-languageclient/node";
// Protocol constants from the protocol package itself: importing vscode-languageclient at run time
// would need the whole `vscode` API (the unit tests run this module against a small mock).
import {
    ClientCapabilities,
    ProgressToken,
    WorkDoneProgress,
    WorkDoneProgressBegin,
    WorkDoneProgressCancelNotification,
    WorkDoneProgressCreateRequest,
    WorkDoneProgressEnd,
    WorkDoneProgressReport,
} from "vscode-languageserver-protocol";

export type ProgressValue = WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd;

export interface ProgressEvent {
    token: ProgressToken;
    value: ProgressValue;
    /** Title of the `begin` of this token (also on report/end events). */
    title?: string;
}

/**
 * One server-initiated work-done progress shown as a (cancellable) notification.
 * vscode-languageclient's own ProgressPart shows server progress in the status bar only
 * (ProgressLocation.Window), where a pull of several GB can't be followed or cancelled.
 */
class NotificationProgress {
    private resolve: (() => void) | undefined;
    private disposable: vscode.Disposable | undefined;
    private progress: vscode.Progress<{ message?: string; increment?: number }> | undefined;
    private reported = 0;
    private title: string | undefined;
    private finished = false;

    constructor(
        private readonly client: BaseLanguageClient,
        readonly token: ProgressToken,
        private readonly emit: (event: ProgressEvent) => void,
        private readonly onDone: (part: NotificationProgress) => void,
    ) {
        this.disposable = client.onProgress(WorkDoneProgress.type, token, (value) => this.handle(value));
    }

    private handle(value: ProgressValue): void {
        if (value.kind === "begin") {
            this.title = value.title;
        }
        try {
            this.emit({ token: this.token, value, title: this.title });
        } catch {
            // listeners must not break the progress display
        }
        switch (value.kind) {
            case "begin":
                this.begin(value);
                break;
            case "report":
                this.report(value);
                break;
            case "end":
                this.done();
                break;
        }
    }

    private begin(params: WorkDoneProgressBegin): void {
        if (this.finished) {
            return;
        }
        void vscode.window.withProgress(
            { location: vscode.ProgressLocation.Notification, title: params.title, cancellable: params.cancellable === true },
            (progress, cancellation) => {
                if (this.finished) {
                    return Promise.resolve();
                }
                this.progress = progress;
                cancellation.onCancellationRequested(() => {
                    void this.client.sendNotification(WorkDoneProgressCancelNotification.type, { token: this.token });
                });
                this.report(params);
                return new Promise<void>((resolve) => {
                    this.resolve = resolve;
                });
            },
        );
    }

    private report(params: WorkDoneProgressBegin | WorkDoneProgressReport): void {
        if (!this.progress) {
            return;
        }
        const message = typeof params.message === "string" ? params.message : undefined;
        if (typeof params.percentage === "number") {
            const pct = Math.max(0, Math.min(100, params.percentage));
            const increment = Math.max(0, pct - this.reported);
            this.reported += increment;
            this.progress.report({ message, increment });
        } else if (message !== undefined) {
            this.progress.report({ message });
        }
    }

    done(): void {
        this.finished = true;
        this.disposable?.dispose();
        this.disposable = undefined;
        this.resolve?.();
        this.resolve = undefined;
        this.onDone(this);
    }
}

/**
 * Replaces the client's `window/workDoneProgress/create` handler (features registered after the
 * built-in ones are initialized after them) so that server progress (pull, try model) shows as a
 * notification with a Cancel button, and lets the extension observe the reports (the streamed
 * text of "Try Model").
 */
export class NotificationProgressFeature implements StaticFeature {
    private readonly parts = new Set<NotificationProgress>();
    private readonly emitter = new vscode.EventEmitter<ProgressEvent>();
    readonly onProgress = this.emitter.event;

    constructor(private readonly client: BaseLanguageClient) {}

    fillClientCapabilities(capabilities: ClientCapabilities): void {
        capabilities.window = capabilities.window ?? {};
        capabilities.window.workDoneProgress = true;
    }

    initialize(): void {
        this.client.onRequest(WorkDoneProgressCreateRequest.type, (params) => {
            this.parts.add(
                new NotificationProgress(this.client, params.token, (e) => this.emitter.fire(e), (part) => this.parts.delete(part)),
            );
        });
    }

    getState(): FeatureState {
        return { kind: "static" };
    }

    clear(): void {
        for (const part of [...this.parts]) {
            part.done();
        }
        this.parts.clear();
    }

    dispose(): void {
        this.clear();
        this.emitter.dispose();
    }
}
