import Foundation

// Usage: BPFEmbedder OUTPUT.swift OBJECT.bpf.o...
// Writes one `static let` per object, named after the file (`trace.bpf.o` -> `trace`), holding the
// object as base64 in a string literal: string literals compile in milliseconds where a byte-array
// literal of the same size takes the type checker minutes.
let arguments = CommandLine.arguments.dropFirst()
guard let output = arguments.first else {
    FileHandle.standardError.write("usage: BPFEmbedder OUTPUT.swift OBJECT.bpf.o...\n".data(using: .utf8)!)
    exit(2)
}

func swiftIdentifier(forObjectAt path: String) -> String {
    let file = URL(fileURLWithPath: path).lastPathComponent
    let stem = file.replacingOccurrences(of: ".bpf.o", with: "")
    let parts = stem.split(whereSeparator: { $0 == "-" || $0 == "_" || $0 == "." })
    guard let first = parts.first else { return "object" }
    return String(first) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
}

var source = "// Generated at build time from bpf/*.bpf.c. Do not edit.\n\n"
source += "enum EmbeddedBPFObjects {\n"
for path in arguments.dropFirst() {
    guard let bytes = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write("BPFEmbedder: cannot read \(path)\n".data(using: .utf8)!)
        exit(1)
    }
    source += "    /// \(URL(fileURLWithPath: path).lastPathComponent), \(bytes.count) bytes.\n"
    source += "    static let \(swiftIdentifier(forObjectAt: path))Base64 = \"\(bytes.base64EncodedString())\"\n"
}
source += "}\n"
do {
    try source.write(toFile: output, atomically: true, encoding: .utf8)
} catch {
    FileHandle.standardError.write("BPFEmbedder: cannot write \(output): \(error)\n".data(using: .utf8)!)
    exit(1)
}
