// Validates an AsyncAPI document with the official parser.
// Usage: node validate_asyncapi.mjs <file.json|file.yaml>
// Prints every diagnostic as JSON lines; exits 1 if any is an error.
import { readFileSync } from "node:fs";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const [path] = process.argv.slice(2);
const parser = new Parser();
const { document, diagnostics } = await parser.parse(readFileSync(path, "utf8"));

for (const diagnostic of diagnostics) {
  console.log(
    JSON.stringify({
      severity: DiagnosticSeverity[diagnostic.severity],
      code: diagnostic.code,
      path: diagnostic.path.join("/"),
      message: diagnostic.message,
    }),
  );
}
const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
process.exit(document && errors.length === 0 ? 0 : 1);
