import SockdiagCore
import XCTest

final class AddressClassificationTests: XCTestCase {
    func testIPv4Scopes() throws {
        let table: [(String, AddressScope)] = [
            ("0.0.0.0", .unspecified),
            ("0.1.2.3", .reserved),
            ("127.0.0.1", .loopback),
            ("127.255.255.254", .loopback),
            ("10.0.0.1", .private),
            ("10.255.255.255", .private),
            ("172.16.0.1", .private),
            ("172.31.255.255", .private),
            ("172.15.255.255", .global),
            ("172.32.0.0", .global),
            ("192.168.1.1", .private),
            ("100.64.0.1", .sharedAddressSpace),
            ("100.127.255.255", .sharedAddressSpace),
            ("100.128.0.0", .global),
            ("169.254.1.1", .linkLocal),
            ("224.0.0.1", .multicast),
            ("239.255.255.250", .multicast),
            ("255.255.255.255", .broadcast),
            ("192.0.2.1", .documentation),
            ("198.51.100.7", .documentation),
            ("203.0.113.200", .documentation),
            ("192.0.0.8", .reserved),
            ("198.18.0.1", .reserved),
            ("198.19.255.255", .reserved),
            ("198.20.0.0", .global),
            ("240.0.0.1", .reserved),
            ("255.255.255.254", .reserved),
            ("1.1.1.1", .global),
            ("8.8.8.8", .global),
            ("223.255.255.255", .global),
        ]
        for (text, scope) in table {
            let classification = try IPv4Address(parsing: text).classification
            XCTAssertEqual(classification, AddressClassification(kind: .ipv4, scope: scope), text)
            XCTAssertTrue(classification.travelsAsIPv4, text)
        }
    }

    /// Text, kind, scope, embedded IPv4 (or nil) and whether packets leave as IPv4.
    func testIPv6KindsScopesAndEmbeddedIPv4() throws {
        let table: [(String, AddressKind, AddressScope, String?, Bool)] = [
            ("::", .ipv6, .unspecified, nil, false),
            ("::1", .ipv6, .loopback, nil, false),
            ("fe80::1", .ipv6, .linkLocal, nil, false),
            ("fe80::1%eth0", .ipv6, .linkLocal, nil, false),
            ("febf:ffff::1", .ipv6, .linkLocal, nil, false),
            ("fc00::1", .ipv6, .uniqueLocal, nil, false),
            ("fd12:3456:789a::1", .ipv6, .uniqueLocal, nil, false),
            ("ff02::1", .ipv6, .multicast, nil, false),
            ("ff0e::101", .ipv6, .multicast, nil, false),
            ("2001:db8::1", .ipv6, .documentation, nil, false),
            ("3fff::1", .ipv6, .documentation, nil, false),
            ("3fff:fff::1", .ipv6, .documentation, nil, false),
            ("3fff:1000::1", .ipv6, .global, nil, false),
            ("2606:4700:4700::1111", .ipv6, .global, nil, false),
            ("2a00:1450:4001::200e", .ipv6, .global, nil, false),
            // IPv4-mapped: the scope is the embedded IPv4's, the packets are IPv4.
            ("::ffff:127.0.0.1", .ipv4Mapped, .loopback, "127.0.0.1", true),
            ("::ffff:10.1.2.3", .ipv4Mapped, .private, "10.1.2.3", true),
            ("::ffff:1.1.1.1", .ipv4Mapped, .global, "1.1.1.1", true),
            ("::ffff:0.0.0.0", .ipv4Mapped, .unspecified, "0.0.0.0", true),
            ("::ffff:224.0.0.251", .ipv4Mapped, .multicast, "224.0.0.251", true),
            // IPv4-compatible (deprecated): never IPv4 on the wire.
            ("::1.2.3.4", .ipv4Compatible, .reserved, "1.2.3.4", false),
            ("::0.0.0.2", .ipv4Compatible, .reserved, "0.0.0.2", false),
            ("::127.0.0.1", .ipv4Compatible, .reserved, "127.0.0.1", false),
            // Not mapped, not compatible: something between the zeros and the IPv4.
            ("::1:ffff:1.2.3.4", .ipv6, .global, nil, false),
            ("::fffe:1.2.3.4", .ipv6, .global, nil, false),
            // NAT64 well-known prefix (RFC 6052) and local-use prefix (RFC 8215).
            ("64:ff9b::192.0.2.33", .nat64, .global, "192.0.2.33", false),
            ("64:ff9b::c000:221", .nat64, .global, "192.0.2.33", false),
            ("64:ff9b::", .nat64, .global, "0.0.0.0", false),
            ("64:ff9b:1::10.0.0.1", .nat64, .global, "10.0.0.1", false),
            ("64:ff9b:1:abcd::1", .nat64, .global, nil, false),
            ("64:ff9b:1:0:0:1:a00:1", .nat64, .global, nil, false),
            ("64:ff9b:0:0:1::1", .ipv6, .global, nil, false),
            ("64:ff9b:2::1", .ipv6, .global, nil, false),
            // 6to4: the IPv4 is bits 16-47.
            ("2002:c000:221::1", .sixToFour, .global, "192.0.2.33", false),
            ("2002:0a01:0203:1:2:3:4:5", .sixToFour, .global, "10.1.2.3", false),
            ("2002::", .sixToFour, .global, "0.0.0.0", false),
            // Teredo: the client's public IPv4 is the last 32 bits, inverted (RFC 4380).
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", .teredo, .global, "192.0.2.45", false),
            ("2001::ffff:ffff", .teredo, .global, "0.0.0.0", false),
            ("2001::", .teredo, .global, "255.255.255.255", false),
            ("2001:1::1", .ipv6, .global, nil, false),
        ]
        for (text, kind, scope, embedded, travelsAsIPv4) in table {
            let classification = try IPv6Address(parsing: text).classification
            XCTAssertEqual(classification.kind, kind, text)
            XCTAssertEqual(classification.scope, scope, text)
            XCTAssertEqual(classification.embeddedIPv4?.description, embedded, text)
            XCTAssertEqual(classification.travelsAsIPv4, travelsAsIPv4, text)
            XCTAssertEqual(try IPAddress(parsing: text).classification, classification, text)
        }
    }

    func testEveryKindAndScopeIsReachable() throws {
        let samples = ["1.1.1.1", "0.0.0.0", "127.0.0.1", "169.254.0.1", "10.0.0.1", "100.64.0.1", "224.0.0.1",
                       "255.255.255.255", "192.0.2.1", "240.0.0.1", "fd00::1", "::ffff:1.2.3.4", "::1.2.3.4",
                       "64:ff9b::1", "2002::1", "2001::1", "2400::1"]
        let classifications = try samples.map { try IPAddress(parsing: $0).classification }
        XCTAssertEqual(Set(classifications.map(\.kind)), Set(AddressKind.allCases))
        XCTAssertEqual(Set(classifications.map(\.scope)), Set(AddressScope.allCases))
    }

    func testKindAndScopeNamesAreTheDocumentedJSONValues() {
        XCTAssertEqual(AddressKind.allCases.map(\.rawValue),
                       ["ipv4", "ipv6", "ipv4-mapped", "ipv4-compatible", "nat64", "6to4", "teredo"])
        XCTAssertEqual(AddressScope.allCases.map(\.rawValue),
                       ["unspecified", "loopback", "link-local", "private", "shared", "unique-local", "multicast",
                        "broadcast", "documentation", "reserved", "global"])
    }
}
