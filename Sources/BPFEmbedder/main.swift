import Foundation

// Usage: BPFEmbedder OUTPUT.swift WORKDIR CLANG [CFLAG...] -- SOURCE.bpf.c...
// Compiles each source with CLANG into WORKDIR, then writes one `static let` per object, named after
// the file (`trace.bpf.c` -> `trace`), holding the object as base64 in a string literal: string
// literals compile in milliseconds where a byte-array literal of the same size takes the type checker
// minutes. It also writes the objects' build id (SHA-256 over every object, in source order) and the
// libbpf and libpcap versions pkg-config reports, for `sockdiag --version`. The objects stay private to this step: declared as build outputs, SwiftPM would bundle
// them as resources, and the resource accessor would link Foundation into the binary.
let arguments = Array(CommandLine.arguments.dropFirst())
func fail(_ message: String) -> Never {
    FileHandle.standardError.write("BPFEmbedder: \(message)\n".data(using: .utf8)!)
    exit(2)
}
guard arguments.count >= 4, let separator = arguments.firstIndex(of: "--"), separator >= 3 else {
    fail("usage: BPFEmbedder OUTPUT.swift WORKDIR CLANG [CFLAG...] -- SOURCE.bpf.c...")
}
let output = arguments[0], work = URL(fileURLWithPath: arguments[1]), clang = arguments[2]
let flags = Array(arguments[3..<separator]), sources = Array(arguments[(separator + 1)...])

func swiftIdentifier(forSource path: String) -> String {
    let stem = URL(fileURLWithPath: path).lastPathComponent.replacingOccurrences(of: ".bpf.c", with: "")
    let parts = stem.split(whereSeparator: { $0 == "-" || $0 == "_" || $0 == "." })
    guard let first = parts.first else { return "object" }
    return String(first) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
}

try? FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
// All sources compile at once: they are independent, and the build waits on this one step.
let compiles: [(source: String, object: URL, process: Process)] = sources.map { source in
    let object = work.appendingPathComponent(URL(fileURLWithPath: source).lastPathComponent
        .replacingOccurrences(of: ".bpf.c", with: ".bpf.o"))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: clang)
    process.arguments = flags + ["-c", source, "-o", object.path]
    do { try process.run() } catch { fail("cannot run \(clang): \(error)") }
    return (source, object, process)
}
/// What a tool printed on its first line, or nil when it could not run or failed.
func firstLine(of executable: String, _ arguments: [String], input: Data? = nil) -> String? {
    let process = Process(), output = Pipe(), feed = Pipe()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    if input != nil { process.standardInput = feed }
    guard (try? process.run()) != nil else { return nil }
    if let input {
        feed.fileHandleForWriting.write(input)
        try? feed.fileHandleForWriting.close()
    }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return nil }
    return String(decoding: data, as: UTF8.self).split(separator: "\n").first.map(String.init)
}

var source = "// Generated at build time from bpf/*.bpf.c. Do not edit.\n\n"
source += "enum EmbeddedBPFObjects {\n"
var allObjects = Data()
var objectNames: [String] = []
for compile in compiles {
    compile.process.waitUntilExit()
    guard compile.process.terminationStatus == 0 else { fail("clang failed on \(compile.source)") }
    guard let bytes = FileManager.default.contents(atPath: compile.object.path) else {
        fail("cannot read \(compile.object.path)")
    }
    allObjects.append(bytes)
    objectNames.append(compile.object.lastPathComponent)
    source += "    /// \(compile.object.lastPathComponent), \(bytes.count) bytes.\n"
    source += "    static let \(swiftIdentifier(forSource: compile.source))Base64 = \"\(bytes.base64EncodedString())\"\n"
}
guard let digest = firstLine(of: "/usr/bin/env", ["sha256sum"], input: allObjects)?.split(separator: " ").first else {
    fail("sha256sum failed on the BPF objects")
}
source += "    /// SHA-256 of \(objectNames.joined(separator: ", ")), concatenated in this order.\n"
source += "    static let buildID = \"\(digest)\"\n"
source += "    static let objectNames = \"\(objectNames.joined(separator: " "))\"\n"
for library in ["libbpf", "libpcap"] {
    let version = firstLine(of: "/usr/bin/env", ["pkg-config", "--modversion", library]) ?? "unknown"
    source += "    /// `pkg-config --modversion \(library)` when this binary was built.\n"
    source += "    static let \(library)BuildVersion = \"\(version)\"\n"
}
source += "}\n"
do {
    try source.write(toFile: output, atomically: true, encoding: .utf8)
} catch {
    fail("cannot write \(output): \(error)")
}
