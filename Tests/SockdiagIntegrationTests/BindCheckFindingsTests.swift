import Foundation
import XCTest

/// Findings agree with the receivers table, and both with the kernel, in namespaces of the test's
/// own: an address outside lo served while a V6ONLY [::] refuses IPv4, and IPv6 switched off.
final class BindCheckFindingsTests: XCTestCase {
    var namespace: TestNamespace!

    override func setUpWithError() throws {
        try requirePrivileges()
        namespace = try TestNamespace("find")
    }

    override func tearDown() { namespace?.remove() }

    func report(_ args: [String]) throws -> [String: Any] {
        let result = try Sockdiag.run(["bind-check", "--json", "--netns", namespace.name] + args)
        return try XCTUnwrap(result.json as? [String: Any], result.stderr + result.stdout)
    }

    func row(_ doc: [String: Any], _ scenario: String, _ destination: String) -> [String: Any]? {
        (doc["receivers"] as? [[String: Any]])?.first { $0["scenario"] as? String == scenario && $0["client_destination"] as? String == destination }
    }

    func texts(_ doc: [String: Any]) -> [String] {
        (doc["findings"] as? [[String: Any]] ?? []).flatMap { [$0["message"] as? String, $0["advice"] as? String].compactMap { $0 } }
    }

    /// 198.18.0.1:P (AF_INET, on a veth) and a V6ONLY [::]:P: IPv4 clients of 198.18.0.1 are
    /// served, those of 127.0.0.1 refused; no finding may say "IPv4 clients are refused".
    func testV6onlyWildcardBesideAnIPv4AddressIsNotCalledRefusingAllIPv4() throws {
        try namespace.run(["ip", "link", "add", "sdv0", "type", "veth", "peer", "name", "sdv1"])
        try namespace.run(["ip", "link", "set", "sdv0", "up"])
        try namespace.run(["ip", "addr", "add", "198.18.0.1/24", "dev", "sdv0"])
        let port = 46420
        let ipv4 = try BindCheckHolder("198.18.0.1", port, prefix: namespace.exec)
        let v6only = try BindCheckHolder("::", port, v6only: true, prefix: namespace.exec)
        defer { ipv4.stop(); v6only.stop() }

        XCTAssertEqual(try KernelProbe.connect("198.18.0.1", port, in: namespace), "ok")
        XCTAssertEqual(try KernelProbe.connect("127.0.0.1", port, in: namespace), "ECONNREFUSED")
        let doc = try report(["0.0.0.0", String(port)])
        XCTAssertEqual(row(doc, "existing", "198.18.0.1")?["pid"] as? Int, ipv4.pid)
        XCTAssertEqual(row(doc, "existing", "127.0.0.1")?["receiver"] as? String, "refused")
        let said = texts(doc)
        XCTAssertFalse(said.contains { $0.contains("IPv4 clients of port \(port) are refused") }, "\(said)")
        XCTAssertTrue(said.contains { $0.hasPrefix("IPv4 clients to 127.0.0.1 on port \(port) are refused") && $0.contains("198.18.0.1 (perl (pid \(ipv4.pid)))") }, "\(said)")
    }

    func disableIPv6(_ scope: String) throws {
        try namespace.run(["sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/\(scope)/disable_ipv6"])
    }

    /// disable_ipv6=1 for the whole namespace, or on lo (its only device): no IPv6 address is
    /// left, so a connect to ::1 fails with EADDRNOTAVAIL while IPv4, mapped or not, still works.
    func testDisabledIPv6LeavesNoWayToColonColonOne() throws {
        for scope in ["all", "lo"] {
            try disableIPv6(scope)
            let port = 46421
            let doc = try report(["::", String(port)])
            for scenario in ["existing", "after_bind_v6only_0", "after_bind_v6only_1"] {
                let loop6 = row(doc, scenario, "::1")
                XCTAssertEqual(loop6?["receiver"] as? String, "unreachable", "\(scope) \(scenario): \(loop6 ?? [:])")
                XCTAssertTrue((loop6?["why"] as? String ?? "").contains("EADDRNOTAVAIL"), "\(loop6 ?? [:])")
            }
            XCTAssertEqual(row(doc, "after_bind_v6only_0", "::ffff:127.0.0.1")?["receiver"] as? String, "new_socket")
            XCTAssertFalse(texts(doc).contains { $0.contains("[::1]") }, "\(texts(doc))")

            let dual = try BindCheckHolder("::", port, v6only: false, prefix: namespace.exec)
            XCTAssertEqual(try KernelProbe.connect("::1", port, in: namespace), "EADDRNOTAVAIL", scope)
            XCTAssertEqual(try KernelProbe.connect("::ffff:127.0.0.1", port, in: namespace), "ok", scope)
            dual.stop()

            // An IPv4 holder: ::1 is not "refused while 127.0.0.1 is served", and [::1] is not advised.
            let ipv4 = try BindCheckHolder("127.0.0.1", port, prefix: namespace.exec)
            let held = try report(["::", String(port)])
            XCTAssertEqual(row(held, "existing", "127.0.0.1")?["pid"] as? Int, ipv4.pid)
            XCTAssertFalse(texts(held).contains { $0.contains("[::1]") || $0.contains("Clients to ::1") }, "\(texts(held))")
            ipv4.stop()
            namespace.remove()
            namespace = try TestNamespace("find")
        }
    }

    /// IPv6 off on lo only, with an IPv6 address on a veth: ::1 is gone and the local IPv6
    /// address cannot be reached from this host either, since lo carries local traffic.
    func testIPv6OffOnLoopbackOnly() throws {
        try disableIPv6("lo")
        try namespace.run(["ip", "link", "add", "sdv0", "type", "veth", "peer", "name", "sdv1"])
        try namespace.run(["ip", "link", "set", "sdv0", "up"])
        try namespace.run(["ip", "addr", "add", "fd99::1/64", "dev", "sdv0", "nodad"])
        let port = 46422
        let dual = try BindCheckHolder("::", port, v6only: false, prefix: namespace.exec)
        defer { dual.stop() }
        let doc = try report(["::", String(port)])
        XCTAssertEqual(row(doc, "existing", "::1")?["receiver"] as? String, "unreachable")
        XCTAssertEqual(row(doc, "existing", "fd99::1")?["receiver"] as? String, "unreachable")
        XCTAssertEqual(row(doc, "existing", "127.0.0.1")?["pid"] as? Int, dual.pid)
        XCTAssertTrue((row(doc, "existing", "fd99::1")?["why"] as? String ?? "").contains("times out"))
        XCTAssertNotEqual(try KernelProbe.connect("::1", port, in: namespace), "ok")
        XCTAssertEqual(try KernelProbe.connect("fd99::1", port, in: namespace, timeout: 2), "EINPROGRESS", "the SYN never arrives")
        XCTAssertEqual(try KernelProbe.connect("127.0.0.1", port, in: namespace), "ok")
    }
}
