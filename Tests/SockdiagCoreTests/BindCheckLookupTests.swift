import XCTest
@testable import SockdiagCore

/// Linux's listener lookup: which socket a client of each destination reaches.
final class BindCheckLookupTests: XCTestCase {
    func c(_ inode: UInt64, _ family: AddressFamily, _ address: String, v6only: Bool = false) -> BindCheckCandidate {
        BindCheckCandidate(id: .existing(inode: inode), binding: BindCheckBinding(family: family, address: IPAddress(address)!, v6only: v6only))
    }

    func receivers(_ destination: String, _ candidates: [BindCheckCandidate]) -> [UInt64] {
        BindCheckLookup.reception(of: IPAddress(destination)!, among: candidates).receivers.map {
            if case let .existing(inode) = $0 { return inode }
            return 0
        }
    }

    func testLookupTable() {
        let v4exact = c(1, .inet, "127.0.0.1")
        let v4any = c(2, .inet, "0.0.0.0")
        let dual = c(3, .inet6, "::", v6only: false)
        let v6only = c(4, .inet6, "::", v6only: true)
        let v6loop = c(5, .inet6, "::1")
        let mapped = c(6, .inet6, "::ffff:127.0.0.1", v6only: false)
        let cases: [(String, [BindCheckCandidate], [UInt64], String)] = [
            ("127.0.0.1", [v4exact, v4any], [1], "an exact address beats the wildcard"),
            ("127.0.0.1", [v4any, dual], [2], "AF_INET beats a dual-stack AF_INET6 for IPv4"),
            ("127.0.0.1", [dual], [3], "a dual-stack [::] takes IPv4"),
            ("127.0.0.1", [v6only], [], "a V6ONLY socket never gets IPv4"),
            ("127.0.0.1", [v6only, v4exact], [1], "the Spotify split: IPv4 goes to the IPv4 socket"),
            ("::1", [v6only, v4exact], [4], "the Spotify split: IPv6 goes to the V6ONLY socket"),
            ("::ffff:127.0.0.1", [v6only, v4exact], [1], "a mapped destination travels as IPv4"),
            ("127.0.0.1", [mapped, dual], [6], "a mapped exact address beats [::]"),
            ("::1", [v4any], [], "AF_INET sockets never get IPv6"),
            ("::1", [v6loop, dual], [5], "exact IPv6 beats [::]"),
            ("192.0.2.9", [v4exact], [], "nothing bound to that address"),
            ("127.0.0.1", [c(7, .inet, "127.0.0.1"), c(8, .inet, "127.0.0.1")], [7, 8], "a SO_REUSEPORT group: one of"),
        ]
        for (destination, candidates, expected, why) in cases {
            XCTAssertEqual(receivers(destination, candidates), expected, why)
        }
    }

    func testDeviceBoundSockets() {
        let onLo = BindCheckCandidate(id: .existing(inode: 1), binding: BindCheckBinding(family: .inet, address: .v4(.any), v6only: nil), boundDevice: "lo")
        let onDummy = BindCheckCandidate(id: .existing(inode: 2), binding: BindCheckBinding(family: .inet, address: .v4(.any), v6only: nil), boundDevice: "dummy0")
        let unbound = c(3, .inet, "0.0.0.0")
        XCTAssertEqual(receivers("127.0.0.1", [onDummy, onLo]), [1], "a local client arrives on lo; dummy0's socket never sees it")
        XCTAssertEqual(receivers("127.0.0.1", [onDummy]), [], "bound elsewhere: refused")
        XCTAssertEqual(receivers("127.0.0.1", [unbound, onLo]), [1], "bound to the arriving device scores higher")
        XCTAssertEqual(receivers("127.0.0.1", [c(4, .inet, "127.0.0.1"), onLo]), [4], "an exact address still beats a device-bound wildcard")
    }

    func testSeveralReuseportGroupsDependOnListenOrder() {
        let v4 = BindCheckCandidate(id: .existing(inode: 1), binding: BindCheckBinding(family: .inet, address: .v4(.any), v6only: nil), reuseport: true)
        let v6 = BindCheckCandidate(id: .existing(inode: 2), binding: BindCheckBinding(family: .inet6, address: .v6(.any), v6only: false), reuseport: true)
        let reception = BindCheckLookup.reception(of: IPAddress("127.0.0.1")!, among: [v4, v6])
        guard case let .oneOf(ids, why) = reception else { return XCTFail("\(reception)") }
        XCTAssertEqual(Set(ids), [.existing(inode: 1), .existing(inode: 2)])
        XCTAssertTrue(why.contains("order they started listening"), why)
        XCTAssertEqual(receivers("::1", [v4, v6]), [2], "only the AF_INET6 group takes IPv6")
    }

    /// SO_REUSEPORT sockets of different uids on one address (UDP lets them in with SO_REUSEADDR)
    /// form separate groups: every datagram goes to the group met first, not spread by hash.
    func testReuseportGroupsNeverCrossUIDs() {
        func udp(_ inode: UInt64, uid: UInt32) -> BindCheckCandidate {
            BindCheckCandidate(id: .existing(inode: inode), binding: BindCheckBinding(family: .inet, address: IPAddress("127.0.0.1")!, v6only: nil),
                               reuseport: true, uid: uid)
        }
        let apart = BindCheckLookup.reception(of: IPAddress("127.0.0.1")!, among: [udp(1, uid: 0), udp(2, uid: 65534)], transport: .udp)
        guard case let .oneOf(ids, why) = apart else { return XCTFail("\(apart)") }
        XCTAssertEqual(Set(ids), [.existing(inode: 1), .existing(inode: 2)])
        XCTAssertTrue(why.contains("2 SO_REUSEPORT groups"), why)
        XCTAssertTrue(why.contains("uids 0 and 65534"), why)
        XCTAssertTrue(why.contains("order they started listening"), why)
        let together = BindCheckLookup.reception(of: IPAddress("127.0.0.1")!, among: [udp(1, uid: 1000), udp(2, uid: 1000)], transport: .udp)
        XCTAssertTrue(together.why.contains("one per flow by hash"), together.why)
        XCTAssertFalse(together.why.contains("groups"), together.why)
    }

    func testReuseportGroupIsReportedAsOneOfWithAReason() {
        let reception = BindCheckLookup.reception(of: IPAddress("127.0.0.1")!, among: [c(7, .inet, "0.0.0.0"), c(8, .inet, "0.0.0.0")])
        guard case let .oneOf(ids, why) = reception else { return XCTFail("expected a group, got \(reception)") }
        XCTAssertEqual(ids.count, 2)
        XCTAssertTrue(why.contains("SO_REUSEPORT"), why)
    }

    func testRefusalSaysWhyForAV6onlyWildcard() {
        let reception = BindCheckLookup.reception(of: IPAddress("127.0.0.1")!, among: [c(4, .inet6, "::", v6only: true)])
        XCTAssertTrue(reception.why.contains("IPV6_V6ONLY=1"), reception.why)
    }
}
