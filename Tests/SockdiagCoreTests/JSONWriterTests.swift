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
