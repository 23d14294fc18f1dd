import XCTest
@testable import SockdiagCore

/// The /proc/net/{tcp,tcp6,udp} parser on lines captured from a little-endian Linux host.
final class BindCheckProcNetTests: XCTestCase {
    let header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

    func testIPv4ListenerAndEstablishedLines() {
        let text = header
            + "   0: 0100007F:B790 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 6271317 1 0000000000000000 100 0 0 10 0\n"
            + "   1: 0100007F:9F98 0100007F:B790 01 00000000:00000000 00:00000000 00000000     0        0 6271319 2 00000000f5bf16fd 20 0 0 10 -1\n"
        let parsed = BindCheckProcNet.parse(text, family: .inet, transport: .tcp, littleEndian: true)
        XCTAssertEqual(parsed.malformed, [])
        XCTAssertEqual(parsed.sockets.count, 2)
        let listener = parsed.sockets[0]
        XCTAssertEqual(listener.local.description, "127.0.0.1:46992")
        XCTAssertEqual(listener.remote.description, "0.0.0.0:0")
        XCTAssertEqual(listener.state, .listen)
        XCTAssertEqual(listener.uid, 1000)
        XCTAssertEqual(listener.inode, 6271317)
        XCTAssertNil(listener.v6only, "/proc cannot tell IPV6_V6ONLY")
        XCTAssertEqual(parsed.sockets[1].state, .established)
        XCTAssertEqual(parsed.sockets[1].remote.description, "127.0.0.1:46992")
    }

    func testIPv6WildcardAndMappedLines() {
        let text = header
            + "   0: 00000000000000000000000000000000:B790 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6271318 1 00000000375649f8 100 0 0 10 0\n"
            + "37652: 0000000000000000FFFF00000100007F:B790 0000000000000000FFFF00000100007F:9F98 01 00000000:00000000 00:00000000 00000000     0        0 6271320 1 000000001ea359bc 20 0 0 10 -1\n"
            + "77654: 00000000000000000000000001000000:BA0F 00000000000000000000000001000000:B790 06 00000000:00000000 03:000002A3 00000000     0        0 0 3 00000000418f8b44\n"
        let parsed = BindCheckProcNet.parse(text, family: .inet6, transport: .tcp, littleEndian: true)
        XCTAssertEqual(parsed.malformed, [])
        XCTAssertEqual(parsed.sockets.map(\.local.description), ["[::]:46992", "[::ffff:127.0.0.1]:46992", "[::1]:47631"])
        XCTAssertEqual(parsed.sockets.map(\.state), [.listen, .established, .timeWait])
        XCTAssertEqual(parsed.sockets[2].inode, 0, "TIME-WAIT sockets have no inode")
    }

    func testBigEndianHostsPrintAddressesTheOtherWayRound() {
        let line = header + "   0: 7F000001:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n"
        let parsed = BindCheckProcNet.parse(line, family: .inet, transport: .tcp, littleEndian: false)
        XCTAssertEqual(parsed.sockets.first?.local.description, "127.0.0.1:80")
    }

    func testUDPUnconnectedSocket() {
        let text = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
            + " 1234: 0100007F:B791 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 999 2 0000000000000000 0\n"
        let parsed = BindCheckProcNet.parse(text, family: .inet, transport: .udp, littleEndian: true)
        XCTAssertEqual(parsed.sockets.first?.state.name(for: .udp), "UNCONN")
        XCTAssertEqual(parsed.sockets.first?.acceptsNewClients, true)
    }

    func testMalformedLinesAreReportedWithLineNumbersAndSkipped() {
        let text = header
            + "   0: 0100007F:B790 00000000:0000 0A 00000000:00000000\n"
            + "   1: 0100007G:B790 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n"
            + "   2: 0100007F:B790 00000000:0000 0Z 00000000:00000000 00:00000000 00000000 0 0 1 1\n"
            + "   3: 0100007F:B790 00000000:0000 0A 00000000:00000000 00:00000000 00000000 x 0 1 1\n"
            + "   4: 0100007F:B790 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1x 1\n"
            + "   5: 0100007F:B790 00000000:0000 63 00000000:00000000 00:00000000 00000000 0 0 1 1\n"
            + "   6: 0100007F:B790 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 42 1\n"
        let parsed = BindCheckProcNet.parse(text, family: .inet, transport: .tcp, littleEndian: true)
        XCTAssertEqual(parsed.sockets.map(\.inode), [42])
        XCTAssertEqual(parsed.malformed.map(\.line), [2, 3, 4, 5, 6, 7])
        XCTAssertTrue(parsed.malformed[0].reason.contains("10 fields"), parsed.malformed[0].reason)
        XCTAssertTrue(parsed.malformed[1].reason.contains("local address"), parsed.malformed[1].reason)
        XCTAssertTrue(parsed.malformed[2].reason.contains("state"), parsed.malformed[2].reason)
        XCTAssertTrue(parsed.malformed[3].reason.contains("uid"), parsed.malformed[3].reason)
        XCTAssertTrue(parsed.malformed[4].reason.contains("inode"), parsed.malformed[4].reason)
        XCTAssertTrue(parsed.malformed[5].reason.contains("state"), parsed.malformed[5].reason)
    }

    func testPortFilterSkipsOtherPortsBeforeParsingTheRest() {
        let text = header
            + "   0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n"
            + "   1: 0100007F:0051 00000000:0000 ZZ garbage that would not parse\n"
            + "   2: 0100007F:B790 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 3 1\n"
        XCTAssertEqual(BindCheckProcNet.parse(text, family: .inet, transport: .tcp, filter: .port(Port(80)), littleEndian: true).sockets.map(\.inode), [1])
        XCTAssertEqual(BindCheckProcNet.parse(text, family: .inet, transport: .tcp, filter: .range(46000...47000), littleEndian: true).sockets.map(\.inode), [3])
    }
}
