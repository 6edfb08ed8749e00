// The schema contract: compare the committed AsyncAPI document with the one of a
// base commit, and fail on a breaking change that the changelog does not declare.
//
// Usage: node scripts/asyncapi-contract.mjs [BASE] [--document PATH] [--changelog PATH]
//
// BASE is a git commit or tag; without one, the newest release tag (v*) or, where no
// tag exists, the previous commit. @asyncapi/diff classifies every change between the
// two documents as breaking, non-breaking or unclassified. A breaking change passes
// only when the document's info.version changed and CHANGELOG.md has a section for
// that version (`## <version>`) that says "Breaking".
//
// @asyncapi/diff's standard judges a message's payload as a whole: a change deep inside
// it comes out unclassified. Those are judged here, conservatively, since a message may
// go either way: a new optional property is not breaking; a removed property, a changed
// set of required properties, or a changed type, enum, pattern, limit or union is.
// Descriptions and titles never break anything, and neither does anything under
// /components, which the parser has already inlined where it is used.
import { execFileSync } from "node:child_process";
import { readFileSync, existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { Parser } from "@asyncapi/parser";
import { diff } from "@asyncapi/diff";

const DOCUMENT = "schema/asyncapi.yaml";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { document: { type: "string", default: DOCUMENT }, changelog: { type: "string", default: "CHANGELOG.md" } },
});

function git(...args) {
  return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
}

function baseRef() {
  if (positionals[0]) return positionals[0];
  try {
    return git("describe", "--tags", "--abbrev=0", "--match", "v*");
  } catch {
    return "HEAD~1";
  }
}

// The parser's bookkeeping (x-parser-schema-id names anonymous schemas by position, so
// it shifts whenever a schema is added) is not part of the contract.
function withoutParserKeys(value) {
  if (Array.isArray(value)) return value.map(withoutParserKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !key.startsWith("x-parser-"))
      .map(([key, inner]) => [key, withoutParserKeys(inner)]),
  );
}

function at(document, pointer) {
  let value = document;
  for (const part of pointer.split("/").slice(1)) {
    value = value?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return value;
}

const HARMLESS = new Set(["description", "title", "examples", "summary"]);

// breaking or non-breaking, for a change @asyncapi/diff left unclassified; null: still unknown.
function judged(change, old, current) {
  const { path, action } = change;
  if (path.startsWith("/components/")) return "non-breaking";
  if (!path.includes("/payload")) return null;
  const parts = path.split("/");
  const required = parts.lastIndexOf("required");
  if (required > 0) {
    const list = parts.slice(0, required + 1).join("/");
    const [was, is] = [new Set(at(old, list) ?? []), new Set(at(current, list) ?? [])];
    const same = was.size === is.size && [...was].every((name) => is.has(name));
    return same ? "non-breaking" : "breaking";
  }
  const last = parts.at(-1);
  if (HARMLESS.has(last)) return "non-breaking";
  if (parts.at(-2) === "properties" && action === "add") return "non-breaking";
  return "breaking";
}

async function parsed(text, where) {
  const { document, diagnostics } = await new Parser().parse(text);
  if (!document) {
    const errors = diagnostics.filter((d) => d.severity === 0).map((d) => `  ${d.path.join("/")}: ${d.message}`);
    throw new Error(`${where} is not a valid AsyncAPI document:\n${errors.join("\n")}`);
  }
  return withoutParserKeys(document.json());
}

// The changelog's section for `version`, from its heading to the next one.
function changelogSection(path, version) {
  if (!existsSync(path)) return "";
  const lines = readFileSync(path, "utf8").split("\n");
  const start = lines.findIndex((line) => line.replace(/^##\s+/, "").split(/\s/)[0] === version && line.startsWith("## "));
  if (start < 0) return "";
  const end = lines.findIndex((line, index) => index > start && line.startsWith("## "));
  return lines.slice(start + 1, end < 0 ? undefined : end).join("\n");
}

const base = baseRef();
let before;
try {
  before = git("show", `${base}:${values.document}`);
} catch {
  console.log(`asyncapi contract: ${base} has no ${values.document}; nothing to compare with.`);
  process.exit(0);
}
const now = readFileSync(values.document, "utf8");
let old, current;
try {
  [old, current] = [await parsed(before, `${base}:${values.document}`), await parsed(now, values.document)];
} catch (error) {
  console.error(`asyncapi contract: ${error.message}`);
  process.exit(2);
}
const changes = diff(old, current, { outputType: "json" });
const breaking = changes.breaking();
const nonBreaking = changes.nonBreaking();
const unclassified = [];
for (const change of changes.unclassified()) {
  const kind = judged(change, old, current);
  if (kind === "breaking") breaking.push(change);
  else if (kind === "non-breaking") nonBreaking.push(change);
  else unclassified.push(change);
}

console.log(
  `asyncapi contract against ${base}: ${breaking.length} breaking, ${nonBreaking.length} non-breaking, ` +
    `${unclassified.length} unclassified change(s).`,
);
// Each change once: a schema inlined in several messages changes in each of them, and a
// list of required properties changes at every index after the first difference.
function listed(kind, list, most = 15) {
  const lines = [...new Set(list.map(({ action, path }) => `${action} ${path.replace(/\/required\/\d+$/, "/required")}`))];
  const channelsFirst = (line) => (line.includes(" /channels/") ? 0 : 1);
  lines.sort((a, b) => channelsFirst(a) - channelsFirst(b) || a.length - b.length || a.localeCompare(b));
  for (const line of lines.slice(0, most)) console.log(`  ${kind}: ${line}`);
  if (lines.length > most) console.log(`  ... and ${lines.length - most} more ${kind} changes`);
}
listed("breaking", breaking);
listed("unclassified", unclassified);
if (breaking.length === 0) process.exit(0);

const [was, is] = [old.info.version, current.info.version];
const section = changelogSection(values.changelog, is);
if (was !== is && /breaking/i.test(section)) {
  console.log(`Declared: version ${was} -> ${is}, and ${values.changelog} says what breaks.`);
  process.exit(0);
}
console.error(
  `A breaking change to the wire format must be declared: raise info.version (now ${is}, ` +
    `was ${was}; CHANX["ASYNCAPI_VERSION"] in config/settings/base.py, then \`make schema\`) ` +
    `and add a "## ${was === is ? "<new version>" : is}" section to ${values.changelog} that says ` +
    `"Breaking:" and what clients must change.`,
);
process.exit(1);
