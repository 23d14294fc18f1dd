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

    /// The listening chain: an AF_INET6 SO_REUSEPORT socket is appended at the tail, every other
    /// socket enters at the head, and the first socket that scores and has a group takes every
    /// client. 0.0.0.0 and a dual-stack [::], both SO_REUSEPORT: IPv4 goes to the AF_INET socket
    /// whichever listened first.
    func testTheFirstScoringReuseportSocketInTheChainDecides() {
        for v4First in [true, false] {
            let order: [(AddressFamily, Bool)] = v4First ? [(.inet, true), (.inet6, true)] : [(.inet6, true), (.inet, true)]
            let positions = BindCheckKernel.chainPositions(enteringOrder: order.map { ($0.0, $0.1) })
            let p4 = positions[v4First ? 0 : 1], p6 = positions[v4First ? 1 : 0]
            let v4 = BindCheckCandidate(id: .existing(inode: 1), binding: BindCheckBinding(family: .inet, address: .v4(.any), v6only: nil),
                                        reuseport: true, uid: 0, chainPosition: p4)
            let v6 = BindCheckCandidate(id: .existing(inode: 2), binding: BindCheckBinding(family: .inet6, address: .v6(.any), v6only: false),
                                        reuseport: true, uid: 0, chainPosition: p6)
            for transport in [TransportProtocol.tcp, .udp] {
                let reception = BindCheckLookup.reception(of: IPAddress("127.0.0.1")!, among: [v4, v6], transport: transport)
                XCTAssertEqual(reception.receivers, [.existing(inode: 1)], "\(transport) v4First=\(v4First): \(reception.why)")
            }
            XCTAssertEqual(receivers("::1", [v4, v6]), [2], "only the AF_INET6 group takes IPv6")
        }
        // A tie on score (TCP: an unbound AF_INET socket and a device-bound dual-stack one both
        // score 2) goes to the one nearer the head: the one that listened later.
        for v4Later in [true, false] {
            let v4 = BindCheckCandidate(id: .existing(inode: 1), binding: BindCheckBinding(family: .inet, address: .v4(.any), v6only: nil),
                                        reuseport: false, chainPosition: v4Later ? -2 : -1)
            let v6 = BindCheckCandidate(id: .existing(inode: 2), binding: BindCheckBinding(family: .inet6, address: .v6(.any), v6only: false),
                                        boundDevice: "lo", reuseport: false, chainPosition: v4Later ? -1 : -2)
            let reception = BindCheckLookup.reception(of: IPAddress("127.0.0.1")!, among: [v4, v6])
            XCTAssertEqual(reception.receivers, [.existing(inode: v4Later ? 1 : 2)], reception.why)
            XCTAssertTrue(reception.why.contains("ties with"), reception.why)
        }
    }

    /// SO_REUSEPORT sockets of different uids on one address (UDP lets them in with SO_REUSEADDR)
    /// are separate groups: the one nearer the head of the chain gets every datagram.
    func testReuseportGroupsNeverCrossUIDs() {
        func udp(_ inode: UInt64, uid: UInt32, position: Int) -> BindCheckCandidate {
            BindCheckCandidate(id: .existing(inode: inode), binding: BindCheckBinding(family: .inet, address: IPAddress("127.0.0.1")!, v6only: nil),
                               reuseport: true, uid: uid, chainPosition: position)
        }
        let apart = BindCheckLookup.reception(of: IPAddress("127.0.0.1")!, among: [udp(1, uid: 0, position: -1), udp(2, uid: 65534, position: -2)], transport: .udp)
        XCTAssertEqual(apart.receivers, [.existing(inode: 2)], apart.why)
        let together = BindCheckLookup.reception(of: IPAddress("127.0.0.1")!, among: [udp(1, uid: 1000, position: -1), udp(2, uid: 1000, position: -2)], transport: .udp)
        XCTAssertEqual(Set(together.receivers), [.existing(inode: 1), .existing(inode: 2)])
        XCTAssertTrue(together.why.contains("one per flow by a hash"), together.why)
    }

    /// A local client of an address held by another interface is matched against that
    /// interface, not lo: a socket bound to it gets the client, one bound to lo does not.
    func testLocalClientsArriveOnTheDeviceOfTheirAddress() {
        var system = BindCheckSystem(bindv6only: false, ipv6Disabled: false, ipv4Addresses: [.loopback, IPv4Address(192, 0, 2, 2)],
                                     ipv6Addresses: [.loopback], ephemeralRange: nil, reservedPorts: "", unprivilegedPortStart: nil)
        system.addressDevices = [.v4(IPv4Address(192, 0, 2, 2)): "eth0", .v4(.loopback): "lo"]
        let onEth = BindCheckCandidate(id: .existing(inode: 1), binding: BindCheckBinding(family: .inet, address: .v4(.any), v6only: nil), boundDevice: "eth0")
        let onLo = BindCheckCandidate(id: .existing(inode: 2), binding: BindCheckBinding(family: .inet, address: .v4(.any), v6only: nil), boundDevice: "lo")
        XCTAssertEqual(BindCheckLookup.reception(of: IPAddress("192.0.2.2")!, among: [onEth], system: system).receivers, [.existing(inode: 1)])
        XCTAssertEqual(BindCheckLookup.reception(of: IPAddress("192.0.2.2")!, among: [onEth, onLo], system: system).receivers, [.existing(inode: 1)])
        XCTAssertEqual(BindCheckLookup.reception(of: IPAddress("127.0.0.1")!, among: [onEth, onLo], system: system).receivers, [.existing(inode: 2)])
        XCTAssertEqual(BindCheckKernel.arrivingDevice(of: IPAddress("127.0.0.2")!, on: system), "lo")
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
