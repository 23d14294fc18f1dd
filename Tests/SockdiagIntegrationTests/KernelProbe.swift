import Foundation
import XCTest

/// A network namespace of the test's own (lo up), deleted again by `remove()`.
final class TestNamespace {
    let name: String

    init(_ label: String, file: StaticString = #filePath, line: UInt = #line) throws {
        name = "sdt-\(label)-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
        let added = try runProgram("/usr/bin/env", ["ip", "netns", "add", name])
        XCTAssertEqual(added.status, 0, added.stderr, file: file, line: line)
        try run(["ip", "link", "set", "lo", "up"])
    }

    /// `ip netns exec NAME` before a command.
    var exec: [String] { ["ip", "netns", "exec", name] }

    /// Runs a command inside the namespace and fails the test when it fails.
    @discardableResult
    func run(_ command: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CommandResult {
        let result = try runProgram("/usr/bin/env", exec + command)
        XCTAssertEqual(result.status, 0, "\(command.joined(separator: " ")): \(result.stderr)", file: file, line: line)
        return result
    }

    func remove() {
        _ = try? runProgram("/usr/bin/env", ["ip", "netns", "del", name])
    }
}

/// What the kernel does with a client: a TCP connect from a fresh socket, made by perl (in a
/// namespace when given), reported as `ok` or the errno's name (`ECONNREFUSED`, `EADDRNOTAVAIL`).
/// The destination takes a zone (`fe80::1%veth0`).
enum KernelProbe {
    static let connectScript = #"""
    use strict; use Socket qw(:all);
    my ($host, $port, $timeout) = @ARGV;
    my ($err, @res) = getaddrinfo($host, $port, {flags => AI_NUMERICHOST, socktype => SOCK_STREAM});
    if ($err) { print "EAI $err\n"; exit 0; }
    my $r = $res[0];
    my $name = sub { my ($n) = grep { $!{$_} } keys %!; $n // "errno " . ($! + 0) };
    socket(my $s, $r->{family}, SOCK_STREAM, 0) or do { print $name->(), "\n"; exit 0 };
    setsockopt($s, SOL_SOCKET, SO_SNDTIMEO, pack('l!l!', $timeout, 0));
    if (connect($s, $r->{addr})) { print "ok\n" } else { print $name->(), "\n" }
    """#

    /// A connect that is still waiting after `timeout` seconds answers `EINPROGRESS`.
    static func connect(_ host: String, _ port: Int, in namespace: TestNamespace? = nil, timeout: Int = 5) throws -> String {
        let result = try runProgram("/usr/bin/env", (namespace?.exec ?? []) + ["perl", "-e", connectScript, host, String(port), String(timeout)])
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
