import Foundation

// Usage: BPFEmbedder OUTPUT.swift WORKDIR CLANG [CFLAG...] -- SOURCE.bpf.c...
// Compiles each source with CLANG into WORKDIR, then writes one `static let` per object, named after
// the file (`trace.bpf.c` -> `trace`), and one enum of its programs, maps and read-only variables
// (`TraceBPF.Program.traceConnect4`), as libbpf skeletons and bpf2go name them. The object is held
// as base64 in a string literal: string
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

/// The names a BPF object defines, read from its ELF symbol table as libbpf reads them: programs
/// (global functions in an executable section other than .text), maps (symbols in .maps) and
/// read-only variables (`const volatile` globals in .rodata, with their offsets and sizes).
struct ObjectSymbols {
    var programs: [String] = []
    var maps: [String] = []
    var readOnly: [(name: String, offset: Int, size: Int)] = []

    init(elf: Data, path: String) {
        let bytes = [UInt8](elf)
        func integer<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> Int {
            guard offset >= 0, offset + MemoryLayout<T>.size <= bytes.count else { fail("\(path): cut short at \(offset)") }
            return Int(bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) })
        }
        func string(_ table: Int, _ index: Int) -> String {
            var end = table + index
            while end < bytes.count, bytes[end] != 0 { end += 1 }
            return String(decoding: bytes[(table + index)..<end], as: UTF8.self)
        }
        guard bytes.count > 64, bytes[0..<4] == [0x7F, 0x45, 0x4C, 0x46], bytes[4] == 2, bytes[5] == 1 else {
            fail("\(path) is not a 64-bit little-endian ELF object")
        }
        let sectionTable = integer(0x28, UInt64.self), sectionCount = integer(0x3C, UInt16.self)
        let names = integer(0x3E, UInt16.self)
        struct Section { let name: String; let type: Int; let flags: Int; let offset: Int; let size: Int; let link: Int }
        func header(_ i: Int) -> (nameIndex: Int, type: Int, flags: Int, offset: Int, size: Int, link: Int) {
            let h = sectionTable + i * 64
            return (integer(h, UInt32.self), integer(h + 4, UInt32.self), integer(h + 8, UInt64.self),
                    integer(h + 24, UInt64.self), integer(h + 32, UInt64.self), integer(h + 40, UInt32.self))
        }
        let nameTable = header(names).offset
        let sections = (0..<sectionCount).map { i in
            let h = header(i)
            return Section(name: string(nameTable, h.nameIndex), type: h.type, flags: h.flags, offset: h.offset, size: h.size, link: h.link)
        }
        let executable = 0x4, symbolTable = 2, function = 2, object = 1, global = 1
        for table in sections where table.type == symbolTable {
            let strings = sections[table.link].offset
            for entry in stride(from: table.offset, to: table.offset + table.size, by: 24) {
                let info = integer(entry + 4, UInt8.self), sectionIndex = integer(entry + 6, UInt16.self)
                guard info >> 4 == global, sectionIndex > 0, sectionIndex < sections.count else { continue }
                let name = string(strings, integer(entry, UInt32.self)), section = sections[sectionIndex]
                if info & 0xF == function && section.flags & executable != 0 && section.name != ".text" {
                    programs.append(name)
                } else if section.name == ".maps" {
                    maps.append(name)
                } else if info & 0xF == object && section.name == ".rodata" {
                    readOnly.append((name, integer(entry + 8, UInt64.self), integer(entry + 16, UInt64.self)))
                }
            }
        }
        programs.sort()
        maps.sort()
        readOnly.sort { $0.offset < $1.offset }
    }
}

/// `trace_connect4` -> `traceConnect4`.
func camelCase(_ name: String) -> String {
    let parts = name.split(separator: "_")
    guard let first = parts.first else { return name }
    return String(first) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
}

/// One enum per object, so programs, maps and read-only variables are named by type, not by string.
func typedNames(_ symbols: ObjectSymbols, object: String, identifier: String) -> String {
    let type = identifier.prefix(1).uppercased() + identifier.dropFirst() + "BPF"
    var out = "/// \(object): its programs, maps and read-only variables, read from the object's symbol table.\n"
    out += "enum \(type) {\n"
    // An enum without cases cannot have a raw type: it gets a `rawValue` that is never called.
    func names(_ kind: String, _ protocolName: String, _ list: [String]) -> String {
        guard !list.isEmpty else {
            return "    enum \(kind): \(protocolName), CaseIterable { var rawValue: String { switch self {} } }\n"
        }
        return "    enum \(kind): String, \(protocolName), CaseIterable {\n"
            + list.map { "        case `\(camelCase($0))` = \"\($0)\"\n" }.joined() + "    }\n"
    }
    out += names("Program", "BPFProgramName", symbols.programs)
    out += names("Map", "BPFMapName", symbols.maps)
    out += "    /// `const volatile` globals, set before the object is loaded.\n"
    out += "    enum ReadOnly {\n"
    for variable in symbols.readOnly {
        out += "        static let `\(camelCase(variable.name))` = BPFReadOnlyVariable(name: \"\(variable.name)\", offset: \(variable.offset), size: \(variable.size))\n"
    }
    out += "    }\n"
    out += "}\n\n"
    return out
}

var source = "// Generated at build time from bpf/*.bpf.c. Do not edit.\n\n"
var typed = ""
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
    typed += typedNames(ObjectSymbols(elf: bytes, path: compile.object.path), object: compile.object.lastPathComponent,
                        identifier: swiftIdentifier(forSource: compile.source))
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
source += "}\n\n" + typed
do {
    try source.write(toFile: output, atomically: true, encoding: .utf8)
} catch {
    fail("cannot write \(output): \(error)")
}
