/**
 * Error plumbing: short notifications, the detail in the output channel.
 *
 * - `Notices.error(prefix, error)`: a failed user action (pull, remove, try...). One short sentence
 *   (`Pulling 'x' failed: <first line of the reason>.`) with a "Show Output" button; the whole
 *   message, the server's suggestion and error data go to the *Namel3ss* output.
 * - `Notices.problem(...)`: a state of the language server (not found, could not start, stopped).
 *   VS Code cannot close an error notification from code, and such a state can end (the user fixes a
 *   setting, the server starts): it is shown as a notification that the extension can take back
 *   (a progress notification with command links), and it is taken back when the server runs.
 */
import * as vscode from "vscode";
import { LSPErrorCodes, ResponseError } from "vscode-languageserver-protocol";

export const MAX_NOTIFICATION_CHARS = 160;

export function describeError(error: unknown): string {
    if (error instanceof ResponseError || error instanceof Error) {
        return error.message;
    }
    if (error && typeof error === "object" && typeof (error as { message?: unknown }).message === "string") {
        return (error as { message: string }).message;
    }
    return String(error);
}

export function isCancelled(error: unknown): boolean {
    if (error instanceof ResponseError && (error.code === LSPErrorCodes.RequestCancelled || error.code === LSPErrorCodes.ServerCancelled)) {
        return true;
    }
    return error instanceof vscode.CancellationError || /cancel/i.test(describeError(error).slice(0, 80));
}

/** The connection went away under a request (restart, shutdown): not the user's problem. */
export function isConnectionGone(error: unknown): boolean {
    return /connection got disposed|connection is closed|client is not running|pending response rejected/i.test(describeError(error));
}

/**
 * The first line of an error message, without the server's "Suggestion: ..." part and at most
 * MAX_NOTIFICATION_CHARS long: what a notification shows.
 */
export function shortReason(message: string, max = MAX_NOTIFICATION_CHARS): string {
    let first = message.split(/\r?\n/).find((l) => l.trim() !== "")?.trim() ?? "";
    first = first.replace(/\s*Suggestion:.*$/i, "").replace(/[.:;,\s]+$/, "");
    if (first.length > max) {
        const cut = first.slice(0, max - 1);
        const space = cut.lastIndexOf(" ");
        first = `${space > max / 2 ? cut.slice(0, space) : cut}…`;
    }
    return first;
}

/** Every line worth keeping about an error, for the output channel. */
export function errorDetail(error: unknown): string[] {
    const lines = describeError(error)
        .split(/\r?\n/)
        .filter((l) => l.trim() !== "");
    if (error instanceof ResponseError) {
        lines.push(`(code ${error.code})`);
        const data = error.data as Record<string, unknown> | undefined;
        if (data && typeof data === "object") {
            const suggestion = data.suggestion;
            if (typeof suggestion === "string" && !lines.some((l) => l.includes(suggestion))) {
                lines.push(`Suggestion: ${suggestion}`);
            }
            const rest = Object.entries(data).filter(([k, v]) => k !== "suggestion" && v !== null && v !== undefined);
            if (rest.length) {
                lines.push(rest.map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(", "));
            }
        }
    }
    return lines;
}

/** A link in a problem notice: a command with its arguments, or a web address. */
export interface NoticeLink {
    label: string;
    command?: string;
    args?: unknown[];
    url?: string;
}

export function linkMarkdown(link: NoticeLink): string {
    if (link.url) {
        return `[${link.label}](${link.url})`;
    }
    const args = link.args && link.args.length ? `?${encodeURIComponent(JSON.stringify(link.args))}` : "";
    return `[${link.label}](command:${link.command}${args})`;
}

export class Notices implements vscode.Disposable {
    private current: { key: string; close: () => void } | undefined;

    constructor(
        private readonly output: vscode.OutputChannel,
        private readonly showOutput: () => void,
    ) {}

    log(line: string): void {
        this.output.appendLine(`[namel3ss] ${line}`);
    }

    /** A user action failed: a short notification, the detail in the output channel. */
    async error(prefix: string, error: unknown): Promise<void> {
        const detail = errorDetail(error);
        this.log(`${prefix}: ${detail[0] ?? ""}`);
        for (const line of detail.slice(1)) {
            this.output.appendLine(`    ${line}`);
        }
        const reason = shortReason(describeError(error));
        const message = reason ? `${prefix}: ${reason}.` : `${prefix}.`;
        const choice = await vscode.window.showErrorMessage(message, "Show Output");
        if (choice) {
            this.showOutput();
        }
    }

    /** The key of the problem shown now, if any. */
    get shown(): string | undefined {
        return this.current?.key;
    }

    /**
     * Shows a problem of the language server's state, replacing the one shown (the same problem is
     * not shown twice). It stays until `clearProblem()` or its button (Cancel: dismiss).
     */
    problem(key: string, message: string, links: NoticeLink[]): void {
        if (this.current?.key === key) {
            return;
        }
        this.clearProblem();
        let close: () => void = () => undefined;
        const closed = new Promise<void>((resolve) => (close = resolve));
        const entry = { key, close };
        this.current = entry;
        const text = `${message.trim()} ${links.map(linkMarkdown).join(" · ")}`;
        // Cancellable: its button dismisses it, and a notification with a button is never collapsed
        // to one line (which would hide the links).
        void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: text, cancellable: true }, (progress, token) => {
            progress.report({ increment: 100 }); // a full, still bar: nothing is running, the links are the actions
            token.onCancellationRequested(() => close());
            return closed;
        });
        void closed.then(() => {
            if (this.current === entry) {
                this.current = undefined;
            }
        });
    }

    clearProblem(): void {
        const current = this.current;
        this.current = undefined;
        current?.close();
    }

    dispose(): void {
        this.clearProblem();
    }
}
