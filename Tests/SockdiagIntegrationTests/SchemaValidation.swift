import Foundation
import XCTest

/// Every JSON output a test gets from sockdiag is checked against docs/schema/ with a real
/// validator (Debian's python3-jsonschema, draft 2020-12): each document or JSON Lines event must
/// name its schema (`"schema": "sockdiag.bind-check/1"`) and match it, and may hold no key the
/// schema does not declare (the published schemas stay open to added keys; here every object is
/// closed, so an output cannot drift from the schema and the docs checked against it).
enum SchemaValidation {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/schema")

    struct Outcome: Decodable {
        let schemas: [String]
        let errors: [String]
    }

    /// Whether `arguments` ask for JSON: the output is then validated.
    static func asksForJSON(_ arguments: [String]) -> Bool {
        let options = arguments.prefix { $0 != "--" }
        return (options.contains("--json") || options.contains("-j")) && !options.contains("--help") && !options.contains("-h")
    }

    /// Validates a JSON document or JSON Lines; the schemas named, in order, and what failed.
    static func validate(_ output: String) throws -> Outcome {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sockdiag-schema-\(UUID().uuidString).json")
        try output.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try runProgram("/usr/bin/python3", ["-c", script, directory.path, file.path])
        guard let outcome = try? JSONDecoder().decode(Outcome.self, from: Data(run.stdout.utf8)) else {
            return Outcome(schemas: [], errors: ["the validator failed: \(run.stderr.suffix(2000))"])
        }
        return outcome
    }

    /// Fails the running test when a JSON output does not validate.
    static func check(_ arguments: [String], _ result: CommandResult, file: StaticString = #filePath, line: UInt = #line) {
        // Benchmark-sized outputs (tens of megabytes) would take the validator minutes; their
        // shape is the small ones'.
        guard asksForJSON(arguments), result.status == 0 || result.status == 1, result.stdout.utf8.count < 4 << 20,
              !result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return }
        do {
            let outcome = try validate(result.stdout)
            if !outcome.errors.isEmpty {
                XCTFail("sockdiag \(arguments.joined(separator: " ")): JSON output does not match docs/schema: \(outcome.errors.joined(separator: "; "))",
                        file: file, line: line)
            }
        } catch {
            XCTFail("sockdiag \(arguments.joined(separator: " ")): could not validate: \(error)", file: file, line: line)
        }
    }

    static let script = #"""
import json, os, sys
from jsonschema import Draft202012Validator, RefResolver

schema_dir, output = sys.argv[1], sys.argv[2]
by_id, by_name = {}, {}
for name in sorted(os.listdir(schema_dir)):
    if not name.endswith(".schema.json"):
        continue
    schema = json.load(open(os.path.join(schema_dir, name)))
    Draft202012Validator.check_schema(schema)
    by_id[schema["$id"]] = schema
    by_name[schema["properties"]["schema"]["const"]] = schema

def mixins(schema):
    """$defs used as parts of a composition (allOf/oneOf): their keys are evaluated by the whole."""
    names = set()
    def walk(node):
        if isinstance(node, dict):
            for key in ("allOf", "oneOf", "anyOf"):
                for part in node.get(key, []):
                    ref = part.get("$ref", "") if isinstance(part, dict) else ""
                    if ref.startswith("#/$defs/"):
                        names.add(ref[len("#/$defs/"):])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(schema)
    return names

def strict(schema):
    """The same schema where an object may hold only the keys it declares: outputs must not carry
    a key the schema (and so the docs) do not know. Published schemas stay open: a key added is
    not a new version."""
    skip = mixins(schema)
    def walk(node, name=None):
        if isinstance(node, dict):
            out = {k: walk(v, k if node is schema.get("$defs") else None) for k, v in node.items()}
            if "properties" in node and name not in skip and "additionalProperties" not in node:
                out["unevaluatedProperties"] = False
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node
    return walk(schema)

strict_by_id = {k: strict(v) for k, v in by_id.items()}
text = open(output).read()
documents = []
try:
    documents = [json.loads(text)]
except json.JSONDecodeError:
    documents = [json.loads(line) for line in text.splitlines() if line.strip()]
errors = []
seen = []
for number, document in enumerate(documents, 1):
    name = document.get("schema") if isinstance(document, dict) else None
    if name not in by_name:
        errors.append(f"document {number}: names no known schema ({name!r})")
        continue
    seen.append(name)
    schema = strict_by_id[by_name[name]["$id"]]
    resolver = RefResolver.from_schema(schema, store=strict_by_id)
    validator = Draft202012Validator(schema, resolver=resolver)
    for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
        path = "/".join(str(p) for p in error.absolute_path)
        errors.append(f"document {number} ({name}) at /{path}: {error.message[:300]}")
print(json.dumps({"schemas": seen, "errors": errors[:20]}))
sys.exit(1 if errors else 0)
"""#
}
