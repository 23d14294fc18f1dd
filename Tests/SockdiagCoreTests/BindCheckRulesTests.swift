import XCTest
@testable import SockdiagCore

/// Linux's bind-conflict rules, case by case (net/ipv4/inet_connection_sock.c, net/ipv6).
final class BindCheckRulesTests: XCTestCase {
    func b(_ family: AddressFamily, _ address: String, v6only: Bool? = nil) -> BindCheckBinding {
        BindCheckBinding(family: family, address: IPAddress(address)!, v6only: v6only)
    }

    func testAddressOverlapTable() {
        let cases: [(BindCheckBinding, BindCheckBinding, Bool, String)] = [
            (b(.inet, "127.0.0.1"), b(.inet, "127.0.0.1"), true, "same IPv4 address"),
            (b(.inet, "0.0.0.0"), b(.inet, "127.0.0.1"), true, "IPv4 wildcard covers a specific address"),
            (b(.inet, "127.0.0.1"), b(.inet, "0.0.0.0"), true, "a specific address under an existing wildcard"),
            (b(.inet, "127.0.0.1"), b(.inet, "127.0.0.2"), false, "different IPv4 addresses"),
            (b(.inet6, "::", v6only: false), b(.inet, "127.0.0.1"), true, "dual-stack [::] takes every IPv4 address"),
            (b(.inet6, "::", v6only: true), b(.inet, "127.0.0.1"), false, "V6ONLY [::] leaves IPv4 alone"),
            (b(.inet, "127.0.0.1"), b(.inet6, "::", v6only: false), true, "IPv4 under an existing dual-stack [::]"),
            (b(.inet, "0.0.0.0"), b(.inet6, "::", v6only: true), false, "IPv4 wildcard beside a V6ONLY [::]"),
            (b(.inet6, "::", v6only: true), b(.inet6, "::", v6only: false), true, "two IPv6 wildcards always overlap"),
            (b(.inet6, "::1"), b(.inet6, "::", v6only: true), true, "[::1] under [::]"),
            (b(.inet6, "::", v6only: true), b(.inet6, "::1"), true, "[::] over [::1]"),
            (b(.inet6, "::1"), b(.inet, "127.0.0.1"), false, "::1 and 127.0.0.1 are different addresses"),
            (b(.inet6, "::1"), b(.inet6, "::2"), false, "different IPv6 addresses"),
            (b(.inet6, "::ffff:127.0.0.1", v6only: false), b(.inet, "127.0.0.1"), true, "mapped address is the IPv4 one"),
            (b(.inet6, "::ffff:127.0.0.1", v6only: false), b(.inet, "0.0.0.0"), true, "mapped address under 0.0.0.0"),
            (b(.inet6, "::ffff:127.0.0.1", v6only: false), b(.inet6, "::", v6only: true), false, "V6ONLY [::] does not hold mapped addresses"),
            (b(.inet6, "::ffff:127.0.0.1", v6only: false), b(.inet6, "::", v6only: false), true, "dual-stack [::] holds mapped addresses"),
            (b(.inet, "127.0.0.1"), b(.inet6, "::ffff:127.0.0.1", v6only: false), true, "IPv4 beside the same mapped address"),
        ]
        for (new, existing, expected, why) in cases {
            XCTAssertEqual(BindCheckRules.overlaps(new, existing), expected, why)
        }
    }

    func testSpecificIPv6BindingIsAlwaysV6only() {
        XCTAssertEqual(b(.inet6, "::1", v6only: false).v6only, true)
        XCTAssertNil(b(.inet6, "::1").ipv4Side)
        XCTAssertEqual(b(.inet6, "::", v6only: false).ipv4Side, .any)
        XCTAssertEqual(b(.inet6, "::ffff:10.0.0.1", v6only: false).ipv4Side, IPv4Address(10, 0, 0, 1))
    }

    func socket(_ family: AddressFamily, _ address: String, _ port: UInt16 = 46000, state: BindCheckSocketState = .listen,
                v6only: Bool? = nil, uid: UInt32 = 0, inode: UInt64 = 1, transport: TransportProtocol = .tcp) -> BindCheckSocket {
        let remoteAddress: IPAddress = family == .inet ? .v4(.any) : .v6(.any)
        return BindCheckSocket(family: family, transport: transport, state: state,
                               local: SocketAddress(IPAddress(address)!, Port(port)), remote: SocketAddress(remoteAddress, Port(0)),
                               v6only: family == .inet6 ? v6only : nil, uid: uid, inode: inode)
    }

    func trial(_ address: String, v6only: Bool? = false, reuseaddr: Bool = false, reuseport: Bool = false,
               transport: TransportProtocol = .tcp) -> BindCheckTrialRequest {
        BindCheckTrialRequest(address: IPAddress(address)!, port: Port(46000), transport: transport, v6only: v6only,
                              reuseaddr: reuseaddr, reuseport: reuseport)
    }

    func testConflictTable() {
        struct Case { let trial: BindCheckTrialRequest; let existing: BindCheckSocket; let expected: String; let why: String }
        let cases: [Case] = [
            Case(trial: trial("::"), existing: socket(.inet, "127.0.0.1"), expected: "certain", why: "plain dual-stack vs IPv4 listener"),
            Case(trial: trial("::", v6only: true), existing: socket(.inet, "127.0.0.1"), expected: "none", why: "V6ONLY vs IPv4 listener"),
            Case(trial: trial("::", reuseaddr: true), existing: socket(.inet, "127.0.0.1"), expected: "certain", why: "SO_REUSEADDR never shares a listening address"),
            Case(trial: trial("::", reuseaddr: true), existing: socket(.inet, "127.0.0.1", state: .timeWait), expected: "SO_REUSEADDR", why: "SO_REUSEADDR passes TIME-WAIT if it set it too"),
            Case(trial: trial("::", reuseport: true), existing: socket(.inet, "127.0.0.1"), expected: "SO_REUSEPORT", why: "same uid: shares if it set SO_REUSEPORT"),
            Case(trial: trial("::", reuseport: true), existing: socket(.inet, "127.0.0.1", uid: 1000), expected: "certain", why: "SO_REUSEPORT never crosses uids"),
            Case(trial: trial("127.0.0.1", v6only: nil), existing: socket(.inet6, "::", v6only: true), expected: "none", why: "IPv4 beside V6ONLY [::]"),
            Case(trial: trial("127.0.0.1", v6only: nil), existing: socket(.inet6, "::", v6only: nil), expected: "assumed", why: "unknown V6ONLY (from /proc)"),
            Case(trial: trial("127.0.0.1", v6only: nil), existing: socket(.inet, "127.0.0.2"), expected: "none", why: "different address"),
            Case(trial: trial("127.0.0.1", v6only: nil, reuseaddr: true, transport: .udp),
                 existing: socket(.inet, "127.0.0.1", state: .close, transport: .udp), expected: "SO_REUSEADDR", why: "UDP shares with SO_REUSEADDR on both"),
        ]
        for c in cases {
            let conflict = BindCheckRules.conflict(of: c.trial, with: c.existing, trialUID: 0, defaultV6only: false)
            let got: String
            if let conflict {
                got = conflict.certain ? "certain" : conflict.escape?.rawValue ?? "assumed"
                XCTAssertFalse(conflict.why.isEmpty, c.why)
            } else {
                got = "none"
            }
            XCTAssertEqual(got, c.expected, c.why)
        }
    }

    func testKnownFlagsDecideTheConflict() {
        var holder = socket(.inet, "127.0.0.1", inode: 9)
        holder.options = BindCheckSocketOptions(reuseaddr: false, reuseport: true, v6only: false, boundDeviceIndex: 0, boundDevice: nil)
        XCTAssertNil(BindCheckRules.conflict(of: trial("127.0.0.1", v6only: nil, reuseport: true), with: holder, trialUID: 0, defaultV6only: false),
                     "both set SO_REUSEPORT under one uid: they share")
        holder.options = BindCheckSocketOptions(reuseaddr: true, reuseport: false, v6only: false, boundDeviceIndex: 0, boundDevice: nil)
        let conflict = BindCheckRules.conflict(of: trial("127.0.0.1", v6only: nil, reuseport: true), with: holder, trialUID: 0, defaultV6only: false)
        XCTAssertEqual(conflict?.certain, true)
        XCTAssertTrue(conflict?.why.contains("it did not set SO_REUSEPORT") ?? false, conflict?.why ?? "")
        var waiting = socket(.inet, "127.0.0.1", state: .timeWait, inode: 10)
        waiting.options = BindCheckSocketOptions(reuseaddr: true, reuseport: false, v6only: false, boundDeviceIndex: 0, boundDevice: nil)
        XCTAssertNil(BindCheckRules.conflict(of: trial("127.0.0.1", v6only: nil, reuseaddr: true), with: waiting, trialUID: 0, defaultV6only: false))
    }

    func testFailedTrialNamesTheHolderAndWhy() {
        let holder = socket(.inet, "127.0.0.1", inode: 777)
        let outcome = BindCheckTrialOutcome(request: trial("::"), result: .failure(BindCheckTrialFailure(stage: .bind, errno: .addressInUse)))
        let explained = BindCheckTrial.explain(outcome, sockets: [holder], trialUID: 0, defaultV6only: false)
        XCTAssertEqual(explained.conflicts.map(\.inode), [777])
        XCTAssertTrue(explained.conflicts[0].why.contains("dual-stack"), explained.conflicts[0].why)
    }

    func testSuccessfulReuseportTrialInfersTheHolderSetIt() {
        let holder = socket(.inet, "127.0.0.1", inode: 5)
        let outcome = BindCheckTrialOutcome(request: trial("127.0.0.1", v6only: nil, reuseport: true), result: .success(Port(46000)))
        let explained = BindCheckTrial.explain(outcome, sockets: [holder], trialUID: 0, defaultV6only: false)
        XCTAssertTrue(explained.conflicts.isEmpty)
        XCTAssertEqual(explained.notes, ["inode 5 must have set SO_REUSEPORT: the bind shared its address"])
    }

    func testEveryQueryGetsSixTrialsForIPv6AndThreeForIPv4() {
        let v6 = BindCheckTrialRequest.all(for: BindCheckQuery(address: IPAddress("::")!, port: Port(1), transport: .tcp))
        XCTAssertEqual(v6.count, 6)
        XCTAssertEqual(Set(v6.map(\.v6only)), [false, true])
        let v4 = BindCheckTrialRequest.all(for: BindCheckQuery(address: IPAddress("0.0.0.0")!, port: Port(1), transport: .tcp))
        XCTAssertEqual(v4.map(\.flagsLabel), ["plain", "SO_REUSEADDR", "SO_REUSEPORT"])
        XCTAssertTrue(v4.allSatisfy { $0.v6only == nil })
    }
}
