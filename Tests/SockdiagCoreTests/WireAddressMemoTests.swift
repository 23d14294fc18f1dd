@testable import SockdiagCore
import Foundation
import XCTest

/// The reader remembers the address texts of the lines before (`WireAddressMemo`): a line read
/// with a memo full of earlier addresses, some a prefix of its own, is read as the general parser
/// reads it alone.
final class WireAddressMemoTests: XCTestCase {
    static let addresses = ["127.0.0.1", "127.0.0.10", "127.0.0.1.", "::1", "::10", "::ffff:127.0.0.1", "::ffff:127.0.0.12",
                            "2001:db8:1:2:3:4:5:6", "2001:db8:aa:bb:cc:dd:e:f", "2001:db8:aa:bb:cc:dd:e:ff", "fe80::1%lo", "10.0.0.2"]

    func egress(local: String, remote: String) -> String {
        WireEventLogTests.egress.replacingOccurrences(of: #""local_address":"127.0.0.1""#, with: #""local_address":"\#(local)""#)
            .replacingOccurrences(of: #""remote_address":"127.0.0.1""#, with: #""remote_address":"\#(remote)""#)
    }

    func connect(_ address: String) -> String {
        WireEventLogTests.connect.replacingOccurrences(of: #""address":"::ffff:127.0.0.1""#, with: #""address":"\#(address)""#)
    }

    /// The reader's reading with `memo` and the general parser's, as text.
    func readings(_ line: String, memo: inout WireAddressMemo) -> (String, String) {
        Array(line.utf8).withUnsafeBytes { bytes in
            var remembered = WireKernelEvent(), general = WireKernelEvent()
            let a = WireEventLineParser.parse(bytes, into: &remembered, wholeTotals: true, memo: &memo)
            let b = WireEventLineParser.parse(bytes, into: &general, wholeTotals: true, tracerLayout: false)
            return ("\(a) \(remembered)", "\(b) \(general)")
        }
    }

    func testLinesReadWithEarlierAddressesRememberedAgreeWithTheGeneralParser() {
        var memo = WireAddressMemo()
        var lines: [String] = []
        for (i, local) in Self.addresses.enumerated() {
            for remote in Self.addresses.shuffled().prefix(4) { lines.append(egress(local: local, remote: remote)) }
            lines.append(connect(Self.addresses[(i * 5) % Self.addresses.count]))
        }
        for round in 0..<3 {
            for line in lines.shuffled() {
                let (remembered, general) = readings(line, memo: &memo)
                XCTAssertEqual(remembered, general, "round \(round): \(line)")
            }
        }
        // Cut short right after an address the memo holds: the address's words would reach past the line.
        for address in Self.addresses {
            let line = connect(address)
            let end = line.range(of: #""address":"\#(address)""#)!.upperBound
            for cut in [line.index(before: end), end, line.index(end, offsetBy: 1), line.index(end, offsetBy: 3)] {
                let (remembered, general) = readings(String(line[..<cut]) + "}", memo: &memo)
                XCTAssertEqual(remembered, general, address)
            }
        }
    }

    /// Numbers of every length up to the longest a value may have, and one longer, in each
    /// numeric field of a connect line.
    func testNumbersOfEveryLengthAgreeWithTheGeneralParser() {
        var memo = WireAddressMemo()
        for key in ["time_ns", "pid", "tid", "uid", "cgroup_id", "cookie", "port"] {
            for digits in 1...21 {
                let number = String("98765432109876543210123".prefix(digits))
                let line = WireEventLogTests.connect.replacingOccurrences(
                    of: #""\#(key)":[0-9]+"#, with: #""\#(key)":\#(number)"#, options: .regularExpression)
                let (remembered, general) = readings(line, memo: &memo)
                XCTAssertEqual(remembered, general, "\(key) \(number)")
            }
        }
    }
}
