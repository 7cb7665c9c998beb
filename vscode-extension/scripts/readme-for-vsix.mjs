#!/usr/bin/env node
// Writes dist/README.md, the README packaged in the .vsix (`vsce package --readme-path`): README.md
// with each relative image (`![alt](images/x.png)`) inlined as a data: URI. VS Code shows an
// extension's README in a webview whose policy allows only https: and data: images, so a relative
// path shows a broken image on the extension's page; README.md itself keeps relative paths (GitHub
// and editors render those).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";

const extDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const TYPES = { ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif" };

let inlined = 0;
const readme = readFileSync(join(extDir, "README.md"), "utf8").replace(/!\[([^\]]*)\]\(([^)\s]+)\)/g, (all, alt, src) => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(src)) {
        return all; // https:, data: ...
    }
    const type = TYPES[extname(src).toLowerCase()];
    if (!type) {
        throw new Error(`README.md: cannot inline ${src} (only ${Object.keys(TYPES).join(", ")} images)`);
    }
    inlined++;
    return `![${alt}](data:${type};base64,${readFileSync(join(extDir, src)).toString("base64")})`;
});
mkdirSync(join(extDir, "dist"), { recursive: true });
writeFileSync(join(extDir, "dist", "README.md"), readme);
console.log(`dist/README.md: ${inlined} image(s) inlined`);
