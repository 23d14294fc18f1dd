import Foundation
import SockdiagCore
import XCTest

/// The docs' JSON key tables and docs/schema/ cannot drift apart: every key a schema declares is
/// named in its page's JSON sections, and every key the first column of a table there names is
/// declared by one of the page's schemas.
final class SchemaDocsTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let pages: [(page: String, schemas: [String])] = [
        ("docs/bind-check.md", [JSONSchemaID.bindCheck, JSONSchemaID.bindCheckAll, JSONSchemaID.bindCheckAllNetns]),
        ("docs/connect-check.md", [JSONSchemaID.connectCheck]),
        ("docs/trace.md", [JSONSchemaID.traceEvent]),
        ("docs/compare-wire.md", [JSONSchemaID.compareWire]),
        ("docs/demo.md", [JSONSchemaID.demo]),
    ]

    func testEveryOutputHasASchemaFileNamingItself() throws {
        XCTAssertEqual(Set(Self.pages.flatMap(\.schemas)), Set(JSONSchemaID.all))
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.repository.appendingPathComponent("docs/schema").path)
            .filter { $0.hasSuffix(".schema.json") }
        XCTAssertEqual(Set(files), Set(JSONSchemaID.all.map(JSONSchemaID.fileName)))
        for id in JSONSchemaID.all {
            let schema = try Self.schema(id)
            XCTAssertEqual(schema["$schema"] as? String, "https://json-schema.org/draft/2020-12/schema", id)
            XCTAssertEqual(schema["$id"] as? String, JSONSchemaID.fileName(id), id)
            let properties = try XCTUnwrap(schema["properties"] as? [String: Any], id)
            XCTAssertEqual((properties["schema"] as? [String: Any])?["const"] as? String, id)
            XCTAssertEqual((schema["required"] as? [String])?.first, "schema", id)
        }
    }

    func testKeyTablesAndSchemasAgree() throws {
        for (page, ids) in Self.pages {
            let text = try String(contentsOf: Self.repository.appendingPathComponent(page), encoding: .utf8)
            let sections = Self.jsonSections(text)
            XCTAssertFalse(sections.isEmpty, "\(page) has no JSON section")
            let words = Set(Self.identifiers(Substring(sections.joined(separator: "\n"))))
            var declared: Set<String> = []
            for id in ids {
                let keys = Self.propertyNames(try Self.schema(id))
                declared.formUnion(keys)
                for key in keys.subtracting(words).sorted() {
                    XCTFail("\(page) does not name the key '\(key)' that docs/schema/\(JSONSchemaID.fileName(id)) declares")
                }
            }
            for key in Set(sections.flatMap(Self.firstColumnKeys)).subtracting(declared).sorted() {
                XCTFail("\(page) lists the key '\(key)', which no schema of \(ids.joined(separator: ", ")) declares")
            }
        }
    }

    static func schema(_ id: String) throws -> [String: Any] {
        let url = repository.appendingPathComponent("docs/schema/\(JSONSchemaID.fileName(id))")
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any], id)
    }

    /// The keys of every `properties` in the schema, at any depth.
    static func propertyNames(_ node: Any) -> Set<String> {
        var names: Set<String> = []
        if let object = node as? [String: Any] {
            if let properties = object["properties"] as? [String: Any] { names.formUnion(properties.keys) }
            for value in object.values { names.formUnion(propertyNames(value)) }
        } else if let array = node as? [Any] {
            for value in array { names.formUnion(propertyNames(value)) }
        }
        return names
    }

    /// The text under each heading that mentions JSON, up to the next heading of its level or above.
    static func jsonSections(_ text: String) -> [String] {
        var sections: [String] = [], current: [Substring]? = nil, level = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let hashes = line.prefix { $0 == "#" }.count
            if hashes > 0 && line.dropFirst(hashes).hasPrefix(" ") {
                if current != nil && hashes <= level {
                    sections.append(current!.joined(separator: "\n"))
                    current = nil
                }
                if current == nil && line.contains("JSON") {
                    current = []
                    level = hashes
                }
            }
            current?.append(line)
        }
        if let current { sections.append(current.joined(separator: "\n")) }
        return sections
    }

    static func identifiers(_ text: Substring) -> [String] {
        text.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).map(String.init)
    }

    /// The keys a table's first column names: identifiers inside its backticks (`flows[].pid`,
    /// `local_address`, `local_port`).
    static func firstColumnKeys(_ section: String) -> [String] {
        section.split(separator: "\n").filter { $0.hasPrefix("| `") }.flatMap { row -> [String] in
            let cell = row.dropFirst(2).prefix { $0 != "|" }
            return cell.split(separator: "`", omittingEmptySubsequences: false).enumerated()
                .filter { $0.offset % 2 == 1 }.flatMap { identifiers($0.element) }
        }
    }
}
