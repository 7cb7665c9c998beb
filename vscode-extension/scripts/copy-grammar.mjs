// Copies the one source of truth, ../grammar/namel3ss.tmLanguage.json, into syntaxes/ (a build product).
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "..", "grammar", "namel3ss.tmLanguage.json");
const target = join(root, "syntaxes", "namel3ss.tmLanguage.json");
JSON.parse(readFileSync(source, "utf8")); // fail early on a broken grammar
mkdirSync(dirname(target), { recursive: true });
copyFileSync(source, target);
