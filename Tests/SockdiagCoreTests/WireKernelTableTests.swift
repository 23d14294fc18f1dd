import XCTest
@testable import SockdiagCore

final class WireKernelTableTests: XCTestCase {
    /// Dense runs from two "CPUs" (lower cookies arriving after higher ones), then a scattered
    /// tail that makes the span too sparse: the answers match a Set's while bits are kept, and
    /// the set says "don't know" after it gives up, never a wrong answer.
    func testCookieBitsAgreeWithASet() {
        var generator = SplitMix64(state: 7)
        var bits = WireCookieBits()
        var reference = Set<UInt64>()
        var cookies: [UInt64] = []
        for i in 0..<20_000 { cookies.append(8_200_000 + UInt64(i) * 2 + (i % 2 == 0 ? 0 : 4_096)) }
        for i in 0..<3_000 { cookies.append(8_100_000 + UInt64(i)) }
        for cookie in cookies {
            bits.insert(cookie)
            reference.insert(cookie)
        }
        XCTAssertFalse(bits.gaveUp)
        for _ in 0..<50_000 {
            let probe = 8_090_000 + UInt64.random(in: 0..<150_000, using: &generator)
            XCTAssertEqual(bits.contains(probe), reference.contains(probe), "\(probe)")
        }
        for cookie in cookies { XCTAssertEqual(bits.contains(cookie), true) }
        XCTAssertEqual(bits.contains(0), false)
        XCTAssertEqual(bits.contains(.max), false)
        for _ in 0..<100 { bits.insert(UInt64.random(in: 0...UInt64.max, using: &generator)) }
        XCTAssertTrue(bits.gaveUp)
        XCTAssertNil(bits.contains(cookies[0]))

        // The lowest cookies: the span grows down to zero, not below.
        var low = WireCookieBits()
        for cookie: UInt64 in [5_000, 70, 0, 4_999] { low.insert(cookie) }
        XCTAssertEqual([0, 1, 70, 71, 4_999, 5_000, 5_001].map { low.contains($0) }, [true, false, true, false, true, true, false])
    }

    func connect(_ cookie: UInt64, _ peer: String, _ port: UInt16) -> WireKernelEvent {
        var e = WireKernelEvent()
        e.kind = .connect
        e.cookie = cookie
        e.socketFamily = .inet6
        e.transport = .udp
        e.address = WireAddress(IPAddress(peer)!)
        e.port = port
        return e
    }

    func egress(_ cookie: UInt64) -> WireKernelEvent {
        var e = WireKernelEvent()
        e.kind = .egress
        e.cookie = cookie
        e.wireIsIPv6 = false
        e.localAddress = WireAddress(IPAddress("10.0.0.1")!)
        e.localPort = 5000
        e.remoteAddress = WireAddress(IPAddress("10.0.0.2")!)
        e.remotePort = 53
        return e
    }

    /// A socket's intents are its distinct destinations in the order first seen, a mapped
    /// address the same destination as the IPv4 one: checked against a plain model, with one
    /// socket that sends to thousands of destinations among many that connect once.
    func testIntentsAreEachSocketsDistinctDestinationsInOrder() {
        var generator = SplitMix64(state: 11)
        var table = WireKernelTable()
        var expected: [String] = []
        var seen = Set<String>()
        for _ in 0..<30_000 {
            let busy = Bool.random(using: &generator)
            let cookie: UInt64 = busy ? 1_000 : 2_000 + UInt64.random(in: 0..<5_000, using: &generator)
            let host = Int.random(in: 0..<(busy ? 4_000 : 3), using: &generator)
            let mapped = Bool.random(using: &generator)
            let peer = mapped ? "::ffff:10.0.\(host / 256).\(host % 256)" : "10.0.\(host / 256).\(host % 256)"
            let port = UInt16(53 + Int.random(in: 0..<2, using: &generator))
            table.add(connect(cookie, peer, port))
            let key = "\(cookie) 10.0.\(host / 256).\(host % 256) \(port)"
            if seen.insert(key).inserted { expected.append(key) }
        }
        XCTAssertEqual(table.intents.map { "\($0.cookie) \($0.address.unmapped) \($0.port)" }, expected)
    }

    /// `hasEgress` (answered from cookie bits while the cookies are dense, from the index after)
    /// agrees with the egress rows themselves.
    func testHasEgressAgreesWithTheRows() {
        var generator = SplitMix64(state: 3)
        for sparse in [false, true] {
            var table = WireKernelTable()
            var cookies = Set<UInt64>()
            for _ in 0..<5_000 {
                let cookie = sparse ? UInt64.random(in: 0...UInt64.max, using: &generator)
                                    : 500_000 + UInt64.random(in: 0..<20_000, using: &generator)
                table.add(egress(cookie))
                cookies.insert(cookie)
            }
            XCTAssertEqual(table.egress.count, cookies.count)
            for cookie in cookies { XCTAssertTrue(table.hasEgress(cookie: cookie)) }
            for _ in 0..<5_000 {
                let probe = sparse ? UInt64.random(in: 0...UInt64.max, using: &generator)
                                   : 490_000 + UInt64.random(in: 0..<40_000, using: &generator)
                XCTAssertEqual(table.hasEgress(cookie: probe), cookies.contains(probe), "\(probe)")
            }
        }
    }

    /// A socket's later egress record that names a process (the totals, naming its holder at the
    /// end) replaces the first one's; one that names none keeps it.
    func testALaterEgressRecordNamingAHolderWins() {
        var table = WireKernelTable()
        func record(pid: UInt32?, comm: String) -> WireEgress {
            WireEgress(cookie: 42, timeNs: 1, pid: pid, comm: WireComm(comm), socketFamily: .inet, wireIsIPv6: false, transport: .tcp,
                       localAddress: WireAddress(IPAddress("127.0.0.1")!), localPort: 8080,
                       remoteAddress: WireAddress(IPAddress("127.0.0.1")!), remotePort: 50_000, packets: 1, bytes: 60)
        }
        table.add(egress: record(pid: 8, comm: "server"))
        table.add(egress: record(pid: nil, comm: ""))
        XCTAssertEqual(table.egress.first?.pid, 8)
        table.add(egress: record(pid: 12, comm: "worker"))
        XCTAssertEqual(table.egress.first?.pid, 12)
        XCTAssertEqual(table.egress.first?.comm, WireComm("worker"))
        XCTAssertEqual(table.egress.count, 1)
    }
}
