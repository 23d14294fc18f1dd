import Foundation
import XCTest

/// Privileged tests need root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN). Without it they skip with
/// the reason; under CI=true a skip is a failure, because these tests are the suite's point.
func requirePrivileges(_ what: String = "real sockets, BPF, cgroups and namespaces",
                       file: StaticString = #filePath, line: UInt = #line) throws {
    guard geteuid() != 0 else { return }
    let reason = "needs root for \(what)"
    if ProcessInfo.processInfo.environment["CI"] == "true" {
        XCTFail("CI=true forbids skipping: \(reason)", file: file, line: line)
    }
    throw XCTSkip(reason)
}

/// Where cgroup v2 is mounted (/sys/fs/cgroup/unified in a hybrid layout), from /proc/mounts.
func cgroup2MountPoint() -> String? {
    guard let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return nil }
    for line in mounts.split(separator: "\n") {
        let fields = line.split(separator: " ")
        if fields.count > 2 && fields[2] == "cgroup2" { return String(fields[1]) }
    }
    return nil
}

/// The result of running the sockdiag binary.
struct CommandResult {
    let status: Int32
    let stdout: String
    let stderr: String

    var json: Any? { try? JSONSerialization.jsonObject(with: Data(stdout.utf8)) }

    /// JSON Lines output, one object per line.
    var jsonLines: [[String: Any]] {
        stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }
}

enum Sockdiag {
    /// The `sockdiag` built beside this test bundle (`swift build --build-tests` builds both).
    static var executable: URL {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        while !directory.path.isEmpty && directory.path != "/" {
            let candidate = directory.appendingPathComponent("sockdiag")
            if FileManager.default.isExecutableFile(atPath: candidate.path),
               !candidate.path.hasSuffix(".xctest") { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/sockdiag")
    }

    /// Runs sockdiag with the arguments and waits, giving up (and failing) after `timeout` seconds.
    /// A JSON output is checked against docs/schema/ on the way (`SchemaValidation`).
    static func run(_ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 60,
                    file: StaticString = #filePath, line: UInt = #line) throws -> CommandResult {
        let result = try runProgram(executable.path, arguments, environment: environment, timeout: timeout)
        SchemaValidation.check(arguments, result, file: file, line: line)
        return result
    }
}

func runProgram(_ path: String, _ arguments: [String], environment: [String: String] = [:],
                timeout: TimeInterval = 60) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env["NO_COLOR"] = "1"
    for (k, v) in environment { env[k] = v }
    process.environment = env
    // Files, not pipes: a child that writes a lot can never block on a full pipe.
    let directory = FileManager.default.temporaryDirectory
    let outURL = directory.appendingPathComponent("sockdiag-test-\(UUID().uuidString).out")
    let errURL = directory.appendingPathComponent("sockdiag-test-\(UUID().uuidString).err")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer {
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }
    let outHandle = try FileHandle(forWritingTo: outURL)
    let errHandle = try FileHandle(forWritingTo: errURL)
    process.standardOutput = outHandle
    process.standardError = errHandle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { usleep(10_000) }
    if process.isRunning {
        process.terminate()
        XCTFail("\(path) \(arguments.joined(separator: " ")) did not finish within \(timeout) s")
    }
    process.waitUntilExit()
    try outHandle.close()
    try errHandle.close()
    let outData = (try? Data(contentsOf: outURL)) ?? Data()
    let errData = (try? Data(contentsOf: errURL)) ?? Data()
    return CommandResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

extension Process {
    /// Starts `command` through /usr/bin/env with `input` and `output` as its standard streams and
    /// returns the first line it prints (a holder's "ready ..."), or what it printed before exiting.
    func startAndReadFirstLine(_ command: [String], input: Pipe, output: Pipe) throws -> String {
        executableURL = URL(fileURLWithPath: "/usr/bin/env")
        arguments = command
        standardInput = input
        standardOutput = output
        standardError = FileHandle.nullDevice
        try run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        return String(decoding: line, as: UTF8.self)
    }
}

/// Makes `relative` and its missing parents under `root` (cgroup directories, as a manager lays
/// them out); each directory made is appended to `made`, so they can be removed deepest first.
@discardableResult
func makeCgroupDirectories(_ relative: String, under root: String, made: inout [String]) throws -> String {
    var path = root
    for part in relative.split(separator: "/") {
        path += "/\(part)"
        if !FileManager.default.fileExists(atPath: path) {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            made.append(path)
        }
    }
    return path
}
