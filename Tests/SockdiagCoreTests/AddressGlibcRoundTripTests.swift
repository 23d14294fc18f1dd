#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore
import XCTest

/// The address model against glibc's `inet_pton`/`inet_ntop`, the functions every C tool on the
/// machine (ss, ip, tcpdump) prints and parses with.
final class AddressGlibcRoundTripTests: XCTestCase {
    static func glibcParse6(_ text: String) -> [UInt8]? {
        var storage = in6_addr()
        guard inet_pton(AF_INET6, text, &storage) == 1 else { return nil }
        return withUnsafeBytes(of: &storage) { Array($0) }
    }

    static func glibcPrint6(_ bytes: [UInt8]) -> String {
        var storage = in6_addr()
        withUnsafeMutableBytes(of: &storage) { $0.copyBytes(from: bytes) }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        precondition(inet_ntop(AF_INET6, &storage, &buffer, socklen_t(buffer.count)) != nil)
        return String(cString: buffer)
    }

    static func glibcParse4(_ text: String) -> [UInt8]? {
        var storage = in_addr()
        guard inet_pton(AF_INET, text, &storage) == 1 else { return nil }
        return withUnsafeBytes(of: &storage) { Array($0) }
    }

    static func glibcPrint4(_ bytes: [UInt8]) -> String {
        var storage = in_addr()
        withUnsafeMutableBytes(of: &storage) { $0.copyBytes(from: bytes) }
        var buffer = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        precondition(inet_ntop(AF_INET, &storage, &buffer, socklen_t(buffer.count)) != nil)
        return String(cString: buffer)
    }

    /// Every zero-run position and length (with random non-zero groups around it), mapped and
    /// compatible addresses, runs of equal length, and plain random addresses.
    static func generatedIPv6(count randomCount: Int) -> [[UInt16]] {
        var random = SplitMix64(state: 0x50C4_D1A6)
        func nonZero() -> UInt16 { UInt16.random(in: 1...UInt16.max, using: &random) >> UInt16.random(in: 0...15, using: &random) | 1 }
        var table: [[UInt16]] = []
        for start in 0..<8 {
            for length in 1...(8 - start) {
                var groups = (0..<8).map { _ in nonZero() }
                for i in start..<(start + length) { groups[i] = 0 }
                table.append(groups)
                // A second, shorter or equal run elsewhere, to exercise the tie rule.
                var twice = groups
                if let other = (0..<8).filter({ $0 < start - 1 || $0 > start + length }).randomElement(using: &random) {
                    twice[other] = 0
                    if other + 1 < 8, other + 1 != start { twice[other + 1] = 0 }
                }
                table.append(twice)
            }
        }
        for _ in 0..<32 {
            let v4 = UInt32.random(in: 0...UInt32.max, using: &random) >> UInt32.random(in: 0...31, using: &random)
            let hi = UInt16(v4 >> 16), lo = UInt16(truncatingIfNeeded: v4)
            table.append([0, 0, 0, 0, 0, 0xFFFF, hi, lo])
            table.append([0, 0, 0, 0, 0, 0, hi, lo])
            table.append([0x64, 0xFF9B, 0, 0, 0, 0, hi, lo])
            table.append([0, 0, 0, 0, 0, nonZero(), hi, lo])
            table.append([0, 0, 0, 0, nonZero(), 0xFFFF, hi, lo])
        }
        for special: [UInt16] in [[0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1, 0],
                                  [0, 0, 0, 0, 0, 0xFFFF, 0, 0], [0, 0, 0, 0, 0, 0xFFFF, 0, 1],
                                  [0, 0, 0, 0, 0, 0, 0, 2], [0, 0, 0, 0, 0, 0, 0xFFFF, 0xFFFF],
                                  [1, 0, 0, 0, 0, 0, 0, 0], [UInt16](repeating: 0xFFFF, count: 8)] {
            table.append(special)
        }
        for _ in 0..<randomCount {
            table.append((0..<8).map { _ in UInt16.random(in: 0...3, using: &random) == 0 ? 0 : nonZero() })
        }
        return table
    }

    func testPrintsIPv6ExactlyAsInetNtopAndParsesItsOutputBack() throws {
        let table = Self.generatedIPv6(count: 300)
        XCTAssertGreaterThan(table.count, 500)
        for groups in table {
            let address = IPv6Address(groups: groups)
            let glibcText = Self.glibcPrint6(address.bytes)
            XCTAssertEqual(address.description, glibcText, "groups \(groups.map { String($0, radix: 16) })")
            XCTAssertEqual(try IPv6Address(parsing: glibcText), address, glibcText)
            XCTAssertEqual(Self.glibcParse6(address.description), address.bytes, address.description)
        }
    }

    func testParsesEveryLongFormSpellingAsInetPtonDoes() throws {
        var random = SplitMix64(state: 7)
        for groups in Self.generatedIPv6(count: 100) {
            let address = IPv6Address(groups: groups)
            let padded = groups.map { group -> String in
                let hex = String(group, radix: 16, uppercase: Bool.random(using: &random))
                return String(repeating: "0", count: 4 - hex.count) + hex
            }.joined(separator: ":")
            XCTAssertEqual(Self.glibcParse6(padded), address.bytes, padded)
            XCTAssertEqual(try IPv6Address(parsing: padded), address, padded)
        }
    }

    func testRejectsWhatInetPtonRejects() {
        let invalid = [
            "", ":", ":::", "::::", "1:", ":1", "1::2::3", "1:::2", "12345::", "g::", "::g", "1:2:3:4:5:6:7",
            "1:2:3:4:5:6:7:8:9", "1:2:3:4::5:6:7:8", "::1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8::", "::ffff:1.2.3",
            "::ffff:1.2.3.4.5", "::ffff:256.1.1.1", "::ffff:01.2.3.4", "::1.2.3.4:1", "1.2.3.4::", "1.2.3.4",
            "1:2:3:4:5:6:7:1.2.3.4", "::ffff:1.2.3.4:", " ::1", "::1 ", "[::1]", "::1/128", "0x1::", "+1::",
            "-1::", "1::-1", "::ffff:1.2.3.-4", "::1.2..3", "1::2:", "::ffff:1.2.3.4%", "ffff::1.2.3.4.",
            "fffff::1", "1:2:3:4:5:6:7:8:", ":1:2:3:4:5:6:7:8", "::1:2:3:4:5:6:1.2.3.4",
        ]
        for text in invalid {
            XCTAssertNil(Self.glibcParse6(text), "glibc accepts '\(text)': fix the table")
            XCTAssertNil(IPv6Address(text), "'\(text)' parsed, inet_pton rejects it")
        }
    }

    /// Valid text with one character inserted, deleted or replaced: the parser and inet_pton must
    /// agree on which mutants are addresses, and on their value.
    func testAgreesWithInetPtonOnMutatedText() throws {
        var random = SplitMix64(state: 0xBAD_5EED)
        let alphabet = Array("0123456789abcdefABCDEFg:.:: -")
        let seeds = Self.generatedIPv6(count: 60).map { IPv6Address(groups: $0).description }
            + ["::ffff:192.168.1.1", "::1.2.3.4", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:1.2.3.4", "fe80::1"]
        var accepted = 0, rejected = 0
        for seed in seeds {
            for _ in 0..<12 {
                var characters = Array(seed)
                let position = Int.random(in: 0...characters.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: characters.insert(alphabet.randomElement(using: &random)!, at: position)
                case 1 where position < characters.count: characters.remove(at: position)
                default:
                    if position < characters.count { characters[position] = alphabet.randomElement(using: &random)! }
                }
                let mutant = String(characters)
                let glibc = Self.glibcParse6(mutant)
                let ours = IPv6Address(mutant)
                XCTAssertEqual(ours?.bytes, glibc, "'\(mutant)' (from \(seed))")
                if glibc == nil { rejected += 1 } else { accepted += 1 }
            }
        }
        XCTAssertGreaterThan(accepted, 100)
        XCTAssertGreaterThan(rejected, 100)
    }

    func testIPv4AgreesWithInetPtonAndInetNtop() throws {
        var random = SplitMix64(state: 4)
        var values: [UInt32] = [0, 1, 0x7F00_0001, 0xFFFF_FFFF, 0x0A00_0000, 0xC0A8_0101]
        for _ in 0..<300 { values.append(UInt32.random(in: 0...UInt32.max, using: &random) >> UInt32.random(in: 0...24, using: &random)) }
        for value in values {
            let address = IPv4Address(value)
            let bytes = address.octets
            XCTAssertEqual(address.description, Self.glibcPrint4(bytes))
            XCTAssertEqual(Self.glibcParse4(address.description), bytes)
            XCTAssertEqual(try IPv4Address(parsing: Self.glibcPrint4(bytes)), address)
        }
        let invalid = ["", "1", "1.2", "1.2.3", "1.2.3.4.5", "1.2.3.4.", ".1.2.3.4", "1..2.3", "256.0.0.0", "01.2.3.4",
                       "1.2.3.04", "0x1.2.3.4", "1.2.3.4 ", "1.2.3.-1", "1.2.3.4/32", "1.2.3.4:80", "4294967295",
                       "1.2.3.1000", "a.b.c.d"]
        for text in invalid {
            XCTAssertNil(Self.glibcParse4(text), "glibc accepts '\(text)': fix the table")
            XCTAssertNil(IPv4Address(text), "'\(text)' parsed, inet_pton rejects it")
        }
        let alphabet = Array("0123456789.. x")
        var agreed = 0
        for value in values {
            var characters = Array(IPv4Address(value).description)
            let position = Int.random(in: 0..<characters.count, using: &random)
            if Bool.random(using: &random) { characters[position] = alphabet.randomElement(using: &random)! } else { characters.insert(alphabet.randomElement(using: &random)!, at: position) }
            let mutant = String(characters)
            XCTAssertEqual(IPv4Address(mutant)?.octets, Self.glibcParse4(mutant), "'\(mutant)'")
            agreed += 1
        }
        XCTAssertEqual(agreed, values.count)
    }
}
