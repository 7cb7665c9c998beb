import * as vscode from "vscode";

/**
 * The interpreter selected in the Python extension (ms-python.python), if that extension is
 * installed: a soft dependency, used only through its public API. Returns the command words
 * (usually one: the interpreter path).
 */
export async function pythonExtensionInterpreter(resource?: vscode.Uri): Promise<string[] | undefined> {
    const ext = vscode.extensions.getExtension("ms-python.python");
    if (!ext) {
        return undefined;
    }
    try {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const api: any = ext.isActive ? ext.exports : await ext.activate();
        if (!api) {
            return undefined;
        }
        const environments = api.environments;
        if (environments?.getActiveEnvironmentPath) {
            const envPath = environments.getActiveEnvironmentPath(resource);
            if (envPath) {
                const resolved = environments.resolveEnvironment ? await environments.resolveEnvironment(envPath) : undefined;
                const exe: string | undefined = resolved?.executable?.uri?.fsPath ?? envPath.path;
                if (exe) {
                    return [exe];
                }
            }
        }
        const details = api.settings?.getExecutionDetails?.(resource);
        if (Array.isArray(details?.execCommand) && details.execCommand.length > 0) {
            return details.execCommand as string[];
        }
    } catch {
        // The Python extension is optional: any failure means "not available".
    }
    return undefined;
}

/** Subscribes to interpreter changes of the Python extension, when it offers the event. */
export function onPythonInterpreterChanged(listener: () => void): vscode.Disposable | undefined {
    const ext = vscode.extensions.getExtension("ms-python.python");
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const api: any = ext?.isActive ? ext.exports : undefined;
    try {
        const event = api?.environments?.onDidChangeActiveEnvironmentPath ?? api?.settings?.onDidChangeExecutionDetails;
        if (typeof event === "function") {
            return event(() => listener());
        }
    } catch {
        // optional
    }
    return undefined;
}
