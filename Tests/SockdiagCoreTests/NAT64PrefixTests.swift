import XCTest
@testable import SockdiagCore

final class NAT64PrefixTests: XCTestCase {
    func v6(_ text: String) -> IPv6Address { try! IPv6Address(parsing: text) }
    let example = IPv4Address(192, 0, 2, 33)

    /// RFC 6052 section 2.4's table: 192.0.2.33 under each prefix length.
    func testRFC6052Table() throws {
        let table: [(String, String)] = [
            ("2001:db8::/32", "2001:db8:c000:221::"),
            ("2001:db8:100::/40", "2001:db8:1c0:2:21::"),
            ("2001:db8:122::/48", "2001:db8:122:c000:2:2100::"),
            ("2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::"),
            ("2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0"),
            ("2001:db8:122:344::/96", "2001:db8:122:344::192.0.2.33"),
            ("64:ff9b::/96", "64:ff9b::192.0.2.33"),
        ]
        for (prefixText, embedded) in table {
            let prefix = try NAT64Prefix(parsing: prefixText)
            XCTAssertEqual(prefix.embed(example), v6(embedded), prefixText)
            XCTAssertEqual(prefix.extract(v6(embedded)), example, prefixText)
            XCTAssertEqual(NAT64Prefix.containing(example, in: v6(embedded), length: prefix.length), prefix, prefixText)
            XCTAssertEqual(prefix.description, prefixText)
        }
        // The u octet is skipped, not read: bits 64-71 set do not change the address read.
        XCTAssertEqual(try NAT64Prefix(parsing: "2001:db8:122::/48").extract(v6("2001:db8:122:c000:ff02:2100::")), example)
        XCTAssertNil(try NAT64Prefix(parsing: "2001:db8:122::/48").extract(v6("2001:db8:123:c000:2:2100::")))
        XCTAssertEqual(NAT64Prefix.wellKnown.description, "64:ff9b::/96")
    }

    func testParseErrorsSayWhatIsWrong() {
        func message(_ text: String) -> String {
            do { _ = try NAT64Prefix(parsing: text); return "parsed" } catch { return error.description }
        }
        XCTAssertEqual(message("fd00:6464::/33"), "'33' is not a NAT64 prefix length: RFC 6052 allows 32, 40, 48, 56, 64 and 96")
        XCTAssertEqual(message("fd00:6464::1/96"), "'fd00:6464::1/96' has bits set after the first 96: write the prefix with zeros there")
        XCTAssertEqual(message("2001:db8:0:0:ff00::/96"), "'2001:db8:0:0:ff00::/96' sets bits 64-71, which RFC 6052 reserves (the u octet) and keeps zero")
        XCTAssertEqual(message("fd00:6464::"), "'fd00:6464::' is not a NAT64 prefix: expected PREFIX/LENGTH, like 64:ff9b::/96")
        XCTAssertTrue(message("192.0.2.0/96").hasPrefix("'192.0.2.0' is not an IPv6 address"), message("192.0.2.0/96"))
        XCTAssertEqual(message("fd00:6464::/96"), "parsed")
    }

    func testOptionParsesPrefixesAndDiscover() throws {
        let parsed = try ArgumentParser.parse(["--nat64-prefix", "fd00:6464::/96", "--nat64-prefix", "discover", "--", "true"],
                                              for: CompareWireCommand.spec)
        let options = try CompareWireOptions(parsed)
        XCTAssertEqual(options.nat64.given, [try NAT64Prefix(parsing: "fd00:6464::/96")])
        XCTAssertTrue(options.nat64.discover)
        let bad = try ArgumentParser.parse(["--nat64-prefix", "fd00::/33", "--", "true"], for: TraceCommand.spec)
        XCTAssertThrowsError(try TraceOptions(bad)) { error in
            XCTAssertEqual((error as? UsageError)?.message, "--nat64-prefix: '33' is not a NAT64 prefix length: RFC 6052 allows 32, 40, 48, 56, 64 and 96")
        }
    }

    /// RFC 7050: the prefix is read from where 192.0.0.170 or .171 sits in the AAAA answer.
    func testDiscoveryReadsThePrefixFromTheAnswers() {
        let slash96 = NAT64Discovery(answers: [.v6(v6("fd00:6464::c000:aa")), .v6(v6("fd00:6464::c000:ab")), .v4(IPv4Address(192, 0, 0, 170))])
        XCTAssertEqual(slash96.prefixes.map(\.prefix.description), ["fd00:6464::/96"])
        XCTAssertEqual(slash96.prefixes.first?.source, .ipv4onlyArpa(answer: v6("fd00:6464::c000:aa")))
        XCTAssertNil(slash96.note)
        let slash64 = NAT64Discovery(answers: [.v6(v6("2001:db8:122:344:c0:0:aa00:0"))])
        XCTAssertEqual(slash64.prefixes.map(\.prefix.description), ["2001:db8:122:344::/64"])
        let none = NAT64Discovery(answers: [.v4(IPv4Address(192, 0, 0, 170))])
        XCTAssertEqual(none.prefixes, [])
        XCTAssertEqual(none.note, "ipv4only.arpa has no IPv6 address here: no DNS64 answers this host (RFC 7050)")
        let unrelated = NAT64Discovery(answers: [.v6(v6("2001:db8::1"))])
        XCTAssertEqual(unrelated.note, "ipv4only.arpa resolved to 2001:db8::1, none embedding 192.0.0.170 or .171")
        let prefixes = NAT64Option.Request(given: [], discover: true).prefixes(discovered: slash96)
        XCTAssertEqual(prefixes.headerLine, "NAT64 prefixes: fd00:6464::/96 (RFC 7050: ipv4only.arpa resolved to fd00:6464::c000:aa); 64:ff9b::/96 (well-known, RFC 6052); 64:ff9b:1::/48 (local-use, RFC 8215; the length is the operator's, read as /96)")
    }

    func testClassificationAgainstGivenPrefixes() throws {
        let prefixes = NAT64Option.Request(given: [try NAT64Prefix(parsing: "fd00:6464::/96"), try NAT64Prefix(parsing: "2001:db8:100::/40")]).prefixes()
        let nsp = v6("fd00:6464::c000:20a").classification(nat64: prefixes)
        XCTAssertEqual(nsp.kind, .nat64)
        XCTAssertEqual(nsp.embeddedIPv4, IPv4Address(192, 0, 2, 10))
        XCTAssertEqual(nsp.scope, .uniqueLocal)
        XCTAssertEqual(v6("2001:db8:1c0:2:21::").classification(nat64: prefixes).embeddedIPv4, example)
        XCTAssertEqual(v6("fd00:6464::c000:20a").classification(nat64: .builtIn).kind, .ipv6)
        XCTAssertEqual(v6("fd00:6465::c000:20a").classification(nat64: prefixes).kind, .ipv6)
        // The built-in prefixes keep their classification.
        XCTAssertEqual(v6("64:ff9b::a00:1").classification(nat64: prefixes).embeddedIPv4, IPv4Address(10, 0, 0, 1))
        XCTAssertEqual(prefixes.match(v6("64:ff9b:1:abcd::1"))?.prefix.source, .localUse)
        XCTAssertNil(prefixes.match(v6("64:ff9b:1:abcd::1"))?.ipv4)
    }

    /// trace's session marks a connect to a given prefix with the prefix, for its JSON and text.
    func testTraceSessionNamesThePrefix() throws {
        let prefixes = NAT64Option.Request(given: [try NAT64Prefix(parsing: "fd00:6464::/96")]).prefixes()
        var session = TraceSession(nat64: prefixes)
        let context = TraceTaskContext(hook: .connect6, timeNs: 1, pid: 7, tid: 7, comm: "curl", uid: 0, cgroupID: 1,
                                       cookie: 9, socketFamily: .inet6, transport: .tcp)
        let call = TraceSocketCall(context, hookAddress: .v6(v6("fd00:6464::c000:20a")), port: Port(80))
        let (event, _) = session.process(.socketCall(call))
        guard case let .socketCall(seen) = event else { return XCTFail("\(event)") }
        let json = seen.json(lesson: nil)
        XCTAssertEqual(json["class"], "nat64")
        XCTAssertEqual(json["ipv4"], "192.0.2.10")
        XCTAssertEqual(json["nat64_prefix"], "fd00:6464::/96")
        XCTAssertEqual(json["nat64_prefix_source"], "--nat64-prefix")
        var buffer = TraceOutputBuffer()
        event.appendJSONLine(lesson: nil, to: &buffer)
        XCTAssertTrue(String(decoding: buffer.bytes, as: UTF8.self).contains("\"class\":\"nat64\",\"ipv4\":\"192.0.2.10\",\"scope\":\"unique-local\",\"nat64_prefix\":\"fd00:6464::/96\",\"nat64_prefix_source\":\"--nat64-prefix\""))
        XCTAssertEqual(String(decoding: buffer.bytes, as: UTF8.self), event.json(lesson: nil).compact + "\n", "both writers agree")
        XCTAssertEqual(session.summary.classes[.nat64], 1)
    }
}
