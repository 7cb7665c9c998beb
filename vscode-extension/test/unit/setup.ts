import { installVscodeMock } from "./vscode-mock";

installVscodeMock();
