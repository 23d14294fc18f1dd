@testable import SockdiagCore
import Foundation
import XCTest

/// Every JSON sockdiag prints goes through one byte-level writer: the value tree, the streamed
/// document and the fast paths must escape, number and indent alike.
final class JSONWriterTests: XCTestCase {
    private let awkward = "tab\there \"quoted\" back\\slash \u{1} bell\u{7} line\nend caf\u{E9} \u{1F600}"

    func testTheValueTreeAndTheFastPathEscapeAlike() throws {
        var bytes: [UInt8] = []
        bytes.appendJSONString(awkward)
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), JSON.string(awkward).compact)
        XCTAssertEqual(JSON.string(awkward).compact,
                       #""tab\there \"quoted\" back\\slash \u0001 bell\u0007 line\nend caf\#u{E9} \#u{1F600}""#)
        // What Foundation reads back is the text that went in.
        let decoded = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) as? String
        XCTAssertEqual(decoded, awkward)
    }

    /// A row writer's cursor copies short texts in overlapping words: every length, at every
    /// position, gives the bytes an array append gives, and writes nothing past them.
    func testTheCursorCopiesTextsOfEveryLengthExactly() {
        let source = (0..<40).map { UInt8(0x41 + $0) }
        let memory = UnsafeMutablePointer<UInt8>.allocate(capacity: 200)
        defer { memory.deallocate() }
        for first in 0..<12 {
            for length in 0...source.count {
                memory.initialize(repeating: 0xEE, count: 200)
                var cursor = ByteCursor(memory)
                var expected: [UInt8] = []
                for piece in [Array(source.prefix(first)), Array(source.prefix(length)), Array(source.suffix(length))] {
                    piece.withUnsafeBufferPointer { cursor.append(contentsOf: $0) }
                    expected += piece
                }
                XCTAssertEqual(Array(cursor.written), expected, "\(first) then \(length) bytes")
                XCTAssertTrue(UnsafeBufferPointer(start: memory + cursor.count, count: 200 - cursor.count).allSatisfy { $0 == 0xEE },
                              "nothing written past \(first) then \(length) bytes")
            }
        }
    }

    func testReplacedControlCharactersKeepEachByteWithinTwo() {
        var bytes: [UInt8] = []
        bytes.appendJSONString("lo\u{1}\"x\\", controlCharacters: .replaced)
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), #""lo?\"x\\""#)
    }

    func testNumbersAtTheirLimits() {
        var bytes: [UInt8] = []
        for value in [Int64.min, -1, 0, 9, 10, 99_999, Int64.max] {
            bytes.removeAll()
            bytes.appendJSONNumber(value)
            XCTAssertEqual(String(decoding: bytes, as: UTF8.self), String(value))
        }
        bytes.removeAll()
        bytes.appendJSONNumber(UInt64.max)
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), String(UInt64.max))
        XCTAssertEqual(JSON.double(.nan).compact, "null")
        XCTAssertEqual(JSON.double(0.5).compact, "0.5")
    }

    func testIndentedLevelsGiveCompactPrettyAndTheReportsLayout() {
        let value: JSON = .object([("a", [1, .object([("b", nil)]), []]), ("c", .object([])), ("d", "x")])
        XCTAssertEqual(value.compact, #"{"a":[1,{"b":null},[]],"c":{},"d":"x"}"#)
        XCTAssertEqual(value.pretty, """
        {
          "a": [
            1,
            {
              "b": null
            },
            []
          ],
          "c": {},
          "d": "x"
        }
        """)
        // compare-wire's report: two levels indented, deeper values on one line.
        var writer = JSONWriter(indentedLevels: 2)
        writer.beginObject()
        writer.key("flows"); writer.beginArray()
        writer.beginObject(); writer.key("pid"); writer.number(7 as Int?); writer.key("wire"); writer.compact(value); writer.endObject()
        writer.endArray()
        writer.key("command"); writer.null()
        writer.endObject()
        writer.finish()
        XCTAssertEqual(String(decoding: writer.bytes, as: UTF8.self), """
        {
          "flows": [
            {"pid":7,"wire":{"a":[1,{"b":null},[]],"c":{},"d":"x"}}
          ],
          "command": null
        }

        """)
    }
}
