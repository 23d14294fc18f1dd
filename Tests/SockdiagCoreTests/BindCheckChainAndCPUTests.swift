import XCTest
@testable import SockdiagCore

/// Where a socket sits in its lookup chain, and the incoming-CPU point of the lookup's score.
final class BindCheckChainAndCPUTests: XCTestCase {
    func udpSocket(_ inode: UInt64, _ address: String, walkOrder: Int, lookupChain: Int? = nil, incomingCPU: Int? = nil) -> BindCheckSocket {
        let ip = IPAddress(address)!
        let unspecified: IPAddress = ip.family == .inet ? .v4(.any) : .v6(.any)
        var socket = BindCheckSocket(family: ip.family, transport: .udp, state: .close, local: SocketAddress(ip, Port(5353)),
                                     remote: SocketAddress(unspecified, Port(0)), v6only: ip.family == .inet6 ? false : nil, uid: 0, inode: inode,
                                     options: BindCheckSocketOptions(reuseaddr: true, reuseport: false, v6only: false, boundDeviceIndex: 0,
                                                                     boundDevice: nil, incomingCPU: incomingCPU))
        socket.walkOrder = walkOrder
        socket.lookupChainPosition = lookupChain
        return socket
    }

    func inodes(_ reception: BindCheckReception) -> [UInt64] {
        reception.receivers.compactMap { if case let .existing(inode) = $0 { return inode } else { return nil } }
    }

    /// The UDP dump walks the port-only chain; a socket that connect()ed and disconnected heads
    /// the lookup chain all the same. The lookup's own order decides a tie; the dump's only
    /// when the lookup chain was not read. TCP's dump walks the lookup chains themselves.
    func testUDPTiesGoToTheHeadOfTheLookupChainNotOfTheDump() {
        let older = udpSocket(1, "0.0.0.0", walkOrder: 1, lookupChain: 0)
        let newer = udpSocket(2, "0.0.0.0", walkOrder: 0, lookupChain: 1)
        XCTAssertEqual(BindCheckKernel.lookupChainPosition(of: older), 0)
        let candidates = BindCheckReport.candidates([newer, older], defaultV6only: false)
        XCTAssertEqual(inodes(BindCheckLookup.reception(of: .v4(.loopback), among: candidates, transport: .udp)), [1])

        let unread = [udpSocket(1, "0.0.0.0", walkOrder: 1), udpSocket(2, "0.0.0.0", walkOrder: 0)]
        XCTAssertEqual(inodes(BindCheckLookup.reception(of: .v4(.loopback), among: BindCheckReport.candidates(unread, defaultV6only: false),
                                                        transport: .udp)), [2], "without the lookup chain, the dump's order")
        var tcp = udpSocket(3, "0.0.0.0", walkOrder: 4, lookupChain: 9)
        tcp.transport = .tcp
        XCTAssertEqual(BindCheckKernel.lookupChainPosition(of: tcp), 4, "TCP: the dump's order is the lookup chain's")
    }

    /// Two 0.0.0.0 sockets tie; the one behind last handled a packet on CPU 1, so a lookup on
    /// CPU 1 scores it one point higher: the answer depends on the CPU, and says so.
    func testAnIncomingCPUThatBreaksATieMakesTheAnswerDependOnTheCPU() {
        let head = udpSocket(1, "0.0.0.0", walkOrder: 0, lookupChain: 0)
        let behind = udpSocket(2, "0.0.0.0", walkOrder: 1, lookupChain: 1, incomingCPU: 1)
        let candidates = BindCheckReport.candidates([head, behind], defaultV6only: false)
        let reception = BindCheckLookup.reception(of: .v4(.loopback), arrivingOn: "lo", among: candidates, transport: .udp, cpus: 2)
        guard case let .oneOf(ids, why) = reception else { return XCTFail("\(reception)") }
        XCTAssertEqual(Set(ids), [.existing(inode: 1), .existing(inode: 2)])
        XCTAssertTrue(why.contains("sk_incoming_cpu") && why.contains("on CPU 1: 0.0.0.0 (inode 2)") && why.contains("on any other CPU: 0.0.0.0 (inode 1)"), why)

        let onCPU0 = udpSocket(2, "0.0.0.0", walkOrder: 1, lookupChain: 1, incomingCPU: 0)
        let onlyCPU = BindCheckLookup.reception(of: .v4(.loopback), arrivingOn: "lo", among: BindCheckReport.candidates([head, onCPU0], defaultV6only: false),
                                                transport: .udp, cpus: 1)
        XCTAssertEqual(inodes(onlyCPU), [2], "one CPU, and it is the socket's: always the socket behind")
    }

    /// The point only matters where it changes the winner: an exact address still beats a
    /// wildcard on any CPU, and a socket that already wins keeps winning.
    func testAnIncomingCPUThatChangesNothingIsNotMentioned() {
        let exact = udpSocket(1, "127.0.0.1", walkOrder: 0, lookupChain: 0)
        let wildcard = udpSocket(2, "0.0.0.0", walkOrder: 1, lookupChain: 1, incomingCPU: 0)
        let first = BindCheckLookup.reception(of: .v4(.loopback), arrivingOn: "lo",
                                              among: BindCheckReport.candidates([exact, wildcard], defaultV6only: false), transport: .udp, cpus: 2)
        XCTAssertEqual(inodes(first), [1])
        XCTAssertFalse(first.why.contains("CPU"), first.why)
        let head = udpSocket(3, "0.0.0.0", walkOrder: 0, lookupChain: 0, incomingCPU: 1)
        let second = BindCheckLookup.reception(of: .v4(.loopback), arrivingOn: "lo",
                                               among: BindCheckReport.candidates([head, udpSocket(4, "0.0.0.0", walkOrder: 1, lookupChain: 1)], defaultV6only: false),
                                               transport: .udp, cpus: 2)
        guard case .one(.existing(inode: 3), _) = second else { return XCTFail("\(second)") }
    }

    func testTheCPUsWhoseLookupsMayDiffer() {
        let candidates = [BindCheckCandidate(id: .newSocket, binding: BindCheckBinding(family: .inet, address: .v4(.any), v6only: nil), incomingCPU: 3)]
        XCTAssertEqual(BindCheckKernel.distinctCPUs(candidates, cpus: 4), [3, nil])
        XCTAssertEqual(BindCheckKernel.distinctCPUs(candidates, cpus: 1), [3])
        XCTAssertEqual(BindCheckKernel.distinctCPUs(candidates, cpus: nil), [3, nil])
        XCTAssertEqual(BindCheckKernel.distinctCPUs([], cpus: 2), [nil])
    }
}
