/**
 * Activation: wires the status bar, the language server's lifecycle (lifecycle.ts), the model
 * commands (modelCommands.ts) and the notices (notices.ts) to VS Code's commands.
 */
import * as vscode from "vscode";
import { ExecuteCommandRequest } from "vscode-languageclient/node";
import { OPEN_SETTING_COMMAND, RESTART_COMMAND, SHOW_OUTPUT_COMMAND, ServerLifecycle } from "./lifecycle";
import { ModelArg, ModelCommands, SERVER_COMMANDS } from "./modelCommands";
import { Notices } from "./notices";
import { openSettingCommand } from "./settings";
import { OllamaStatusBar } from "./statusBar";

export { SERVER_COMMANDS };

/** Client commands (package.json `contributes.commands`). */
export const CLIENT_COMMANDS = {
    pull: "namel3ss.pullModel",
    remove: "namel3ss.removeModel",
    refresh: "namel3ss.refreshModels",
    status: "namel3ss.showStatus",
    start: "namel3ss.startOllama",
    tryModel: "namel3ss.tryModel",
    output: SHOW_OUTPUT_COMMAND,
    restart: RESTART_COMMAND,
} as const;

/** Opens the Settings editor on one setting, in the tab where it can be set (User, or Remote for a guard in a remote window). */
export function openSetting(settingId: string): Thenable<unknown> {
    const { command, args } = openSettingCommand(settingId, vscode.env.remoteName);
    return vscode.commands.executeCommand(command, ...args);
}

export class Namel3ssExtension implements vscode.Disposable {
    readonly output = vscode.window.createOutputChannel("Namel3ss");
    readonly traceOutput = vscode.window.createOutputChannel("Namel3ss Trace");
    readonly tryOutput = vscode.window.createOutputChannel("Namel3ss: Try Model");
    readonly statusBar: OllamaStatusBar;
    readonly notices: Notices;
    readonly lifecycle: ServerLifecycle;
    readonly models: ModelCommands;
    private readonly disposables: vscode.Disposable[] = [];

    constructor(context: vscode.ExtensionContext) {
        this.statusBar = new OllamaStatusBar(() => vscode.workspace.getConfiguration("namel3ss").get<string | null>("ollama.baseUrl"), CLIENT_COMMANDS.status);
        this.notices = new Notices(this.output, () => this.output.show(true));
        this.models = new ModelCommands((command, arg, token) => this.request(command, arg, token), this.notices, this.statusBar, this.tryOutput, openSetting);
        this.lifecycle = new ServerLifecycle(context, this.output, this.traceOutput, this.statusBar, this.notices, {
            // Code lenses and code actions run the server's commands directly; route the ones
            // with a client-side presentation (try model output, pull/remove results) through it.
            executeCommand: async (command, args, next) => {
                const arg = (args?.[0] ?? {}) as ModelArg;
                switch (command) {
                    case SERVER_COMMANDS.tryModel:
                        return this.models.tryModel(arg);
                    case SERVER_COMMANDS.pull:
                        return this.models.pullModel(arg);
                    case SERVER_COMMANDS.remove:
                        return this.models.removeModel(arg);
                    default:
                        return next(command, args);
                }
            },
            onProgressFeature: (feature) => feature.onProgress((e) => this.models.onProgress(e)),
        });
        this.disposables.push(this.output, this.traceOutput, this.tryOutput, this.statusBar, this.notices, this.lifecycle);
    }

    activate(): void {
        const reg = (id: string, fn: (...args: any[]) => unknown) => this.disposables.push(vscode.commands.registerCommand(id, fn));
        reg(CLIENT_COMMANDS.pull, (arg?: ModelArg) => this.models.pullModelCommand(arg));
        reg(CLIENT_COMMANDS.remove, (arg?: ModelArg) => this.models.removeModelCommand(arg));
        reg(CLIENT_COMMANDS.refresh, () => this.models.refreshModels());
        reg(CLIENT_COMMANDS.status, () => this.models.showStatus());
        reg(CLIENT_COMMANDS.start, (arg?: ModelArg) => this.models.startOllama(arg));
        reg(CLIENT_COMMANDS.tryModel, (arg?: ModelArg) => this.models.tryModelCommand(arg));
        reg(CLIENT_COMMANDS.output, () => this.output.show(true));
        reg(CLIENT_COMMANDS.restart, () => this.lifecycle.restart(true));
        // Internal (links in notices): not in the palette.
        reg(OPEN_SETTING_COMMAND, (id?: string) => openSetting(typeof id === "string" ? id : "namel3ss"));
        void this.lifecycle.start();
    }

    /** `workspace/executeCommand` with one object argument (the contract's form). */
    async request<T>(command: string, arg: object = {}, token?: vscode.CancellationToken): Promise<T | undefined> {
        const client = await this.lifecycle.running();
        if (!client) {
            const choice = await vscode.window.showWarningMessage("The Namel3ss language server is not running.", "Restart Server", "Show Output");
            if (choice === "Restart Server") {
                await this.lifecycle.restart(true);
            } else if (choice === "Show Output") {
                this.output.show(true);
            }
            return undefined;
        }
        return client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [arg] }, token) as Promise<T>;
    }

    /** Stops the server (deactivate waits for this). */
    stop(): Promise<void> {
        return this.lifecycle.stop();
    }

    dispose(): void {
        void this.lifecycle.stop();
        for (const d of this.disposables) {
            d.dispose();
        }
    }
}

let instance: Namel3ssExtension | undefined;

export function activate(context: vscode.ExtensionContext): { extension: Namel3ssExtension } {
    instance = new Namel3ssExtension(context);
    context.subscriptions.push(instance);
    instance.activate();
    return { extension: instance };
}

export async function deactivate(): Promise<void> {
    await instance?.stop();
    instance = undefined;
}
