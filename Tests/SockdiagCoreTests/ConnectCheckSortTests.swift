import XCTest
@testable import SockdiagCore

/// glibc's destination sort and gai.conf, as connect-check replays them.
final class ConnectCheckSortTests: XCTestCase {
    func a(_ text: String) -> IPAddress { IPAddress(text)! }

    /// Loopback destinations have themselves as source, as the kernel picks them.
    func candidate(_ text: String, source: String? = nil, prefix: Int? = nil) -> SortCandidate {
        SortCandidate(destination: a(text), source: a(source ?? text), sourcePrefixLength: prefix)
    }

    func order(_ table: AddressPolicyTable, _ candidates: [SortCandidate]) -> [String] {
        DestinationSorter(table: table).sort(candidates).map(\.candidate.destination.description)
    }

    func testBuiltInTablePutsIPv6LoopbackBeforeIPv4WhateverTheFileOrder() {
        for input in [["127.0.0.1", "::1"], ["::1", "127.0.0.1"]] {
            let sorted = DestinationSorter(table: .glibcDefault).sort(input.map { candidate($0) })
            XCTAssertEqual(sorted.map(\.candidate.destination.description), ["::1", "127.0.0.1"])
            XCTAssertEqual(sorted[0].rule, .precedence)
            XCTAssertEqual(sorted[0].precedence, 50)
            XCTAssertEqual(sorted[1].precedence, 10)
            XCTAssertTrue(sorted[0].why.contains("precedence 50 > 10"), sorted[0].why)
        }
    }

    func testOnePrecedenceLineReplacesTheWholeTable() {
        let table = AddressPolicyTable.glibc(gaiConf: "# prefer IPv4\nprecedence  ::ffff:0:0/96  100\n")
        XCTAssertEqual(table.origin, "/etc/gai.conf")
        XCTAssertEqual(table.precedence(of: a("127.0.0.1")), 100)
        // ::1/128 50 is gone with the built-in table: ::1 falls to the catch-all ::/0 40.
        XCTAssertEqual(table.precedence(of: a("::1")), 40)
        XCTAssertEqual(table.label, AddressPolicyTable.glibcDefault.label, "labels stay built in")
        XCTAssertEqual(order(table, [candidate("::1"), candidate("127.0.0.1")]), ["127.0.0.1", "::1"])
    }

    func testCommentsAndUnreadableLinesAreSkippedAsGlibcSkipsThem() {
        let table = AddressPolicyTable.glibc(gaiConf: "#precedence ::ffff:0:0/96 100\nprecedence nonsense 7\nlabel ::1/129 3\nreload yes\n")
        XCTAssertEqual(table, AddressPolicyTable.glibcDefault)
        XCTAssertNil(table.origin)
        XCTAssertEqual(AddressPolicyTable.glibc(gaiConf: nil), .glibcDefault)
    }

    func testScopeV4AndLabelLines() {
        let table = AddressPolicyTable.glibc(gaiConf: "scopev4 ::ffff:10.0.0.0/104 5\nlabel ::ffff:0:0/96 9\n")
        XCTAssertEqual(table.scope(of: a("10.1.2.3")), 5)
        XCTAssertEqual(table.scope(of: a("127.0.0.1")), 14, "a scopev4 line replaces the built-in 127/8 and 169.254/16 rows")
        XCTAssertEqual(table.label(of: a("192.0.2.1")), 9)
        XCTAssertEqual(table.label(of: a("2001:db8::1")), 1, "the catch-all label")
    }

    func testUnreachableDestinationsGoLast() {
        let unreachable = SortCandidate(destination: a("2001:db8::1"), source: nil)
        let sorted = DestinationSorter(table: .glibcDefault).sort([unreachable, candidate("192.0.2.1", source: "192.0.2.7", prefix: 24)])
        XCTAssertEqual(sorted.map(\.candidate.destination.description), ["192.0.2.1", "2001:db8::1"])
        XCTAssertEqual(sorted[0].rule, .usable)
    }

    func testLongestMatchingPrefixWithinOneFamily() {
        let near = candidate("fd00::2:5", source: "fd00::2")
        let far = candidate("fd00:1::5", source: "fd00::2")
        let sorted = DestinationSorter(table: .glibcDefault).sort([far, near])
        XCTAssertEqual(sorted.map(\.candidate.destination.description), ["fd00::2:5", "fd00:1::5"])
        XCTAssertEqual(sorted[0].rule, .longestPrefix)
    }

    func testTiesKeepTheNameServiceOrder() {
        let sorted = DestinationSorter(table: .glibcDefault).sort([candidate("127.0.0.2"), candidate("127.0.0.1")])
        XCTAssertEqual(sorted.map(\.candidate.destination.description), ["127.0.0.2", "127.0.0.1"])
        XCTAssertEqual(sorted[1].rule, .resolverOrder)
    }

    func testRFC6724TableRanksIPv4AboveULAs() {
        // Go's table: ::ffff:0:0/96 35 beats fc00::/7 3; glibc's built-in one puts the ULA first.
        let input = [candidate("fd00::9", source: "fd00::2"), candidate("192.0.2.1", source: "192.0.2.7", prefix: 24)]
        XCTAssertEqual(order(.rfc6724, input), ["192.0.2.1", "fd00::9"])
        XCTAssertEqual(order(.glibcDefault, input), ["fd00::9", "192.0.2.1"])
    }

    func testHostsFileAndNsswitch() {
        let hosts = HostsFile(text: "# comment\n127.0.0.1\tlocalhost\n::1 localhost ip6-localhost # v6\n10.0.0.1 Other.Test\nbogus line\n")
        XCTAssertEqual(hosts.lines(naming: "LOCALHOST").map(\.number), [2, 3])
        XCTAssertEqual(hosts.lines(naming: "other.test").first?.address, a("10.0.0.1"))
        XCTAssertEqual(NameServiceOrder(nsswitch: "passwd: files\nhosts:   files [NOTFOUND=return] mdns4_minimal dns\n").services,
                       ["files", "mdns4_minimal", "dns"])
        XCTAssertEqual(NameServiceOrder(nsswitch: "passwd: files\n"), .glibcDefault)
        XCTAssertEqual(NameServiceOrder(nsswitch: "hosts: files myhostname dns").afterFiles, "myhostname")
    }
}
