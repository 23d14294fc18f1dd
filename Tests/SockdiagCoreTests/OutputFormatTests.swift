import Foundation
import SockdiagCore
import XCTest

final class OutputFormatTests: XCTestCase {
    func testJSONStringEscaping() {
        let table: [(String, String)] = [
            ("plain", #""plain""#),
            ("say \"hi\"", #""say \"hi\"""#),
            (#"C:\path"#, #""C:\\path""#),
            ("a\nb\rc\td", #""a\nb\rc\td""#),
            ("\u{0}\u{1}\u{8}\u{c}\u{1f}", #""\u0000\u0001\u0008\u000c\u001f""#),
            ("\u{7f}", "\"\u{7f}\""),
            ("/usr/bin", #""/usr/bin""#),
            ("é ✓ 🎉 fe80::1%eth0", "\"é ✓ 🎉 fe80::1%eth0\""),
        ]
        for (value, encoded) in table {
            XCTAssertEqual(JSON.string(value).compact, encoded)
            // Whatever we write, a standard JSON reader reads back unchanged.
            let decoded = try? JSONSerialization.jsonObject(with: Data("[\(encoded)]".utf8)) as? [String]
            XCTAssertEqual(decoded, [value], encoded)
        }
    }

    func testCompactAndPrettyKeepKeyOrder() {
        let document: JSON = .object([
            ("zeta", 1), ("alpha", .array(["x", nil, true])), ("empty_object", .object([])), ("empty_array", []),
            ("big", .uint(UInt64.max)), ("negative", .int(-5)), ("ratio", .double(0.25)), ("nan", .double(.nan)),
            ("key \"quoted\"", .bool(false)),
        ])
        XCTAssertEqual(document.compact,
                       #"{"zeta":1,"alpha":["x",null,true],"empty_object":{},"empty_array":[],"big":18446744073709551615,"negative":-5,"ratio":0.25,"nan":null,"key \"quoted\"":false}"#)
        XCTAssertEqual(document.pretty, """
        {
          "zeta": 1,
          "alpha": [
            "x",
            null,
            true
          ],
          "empty_object": {},
          "empty_array": [],
          "big": 18446744073709551615,
          "negative": -5,
          "ratio": 0.25,
          "nan": null,
          "key \\"quoted\\"": false
        }
        """)
        XCTAssertNotNil(try? JSONSerialization.jsonObject(with: Data(document.pretty.utf8)))
        XCTAssertEqual(document["ratio"], .double(0.25))
        XCTAssertNil(document["missing"])
        XCTAssertEqual(JSON.number(UInt64.max), .uint(UInt64.max))
        XCTAssertEqual(JSON.number(UInt16(80)), .int(80))
        XCTAssertEqual(JSON.optional(nil as String?), .null)
    }

    func testTextTableAlignsColumnsAndIgnoresColourCodes() {
        var table = TextTable(header: ["PROTO", "LOCAL", "PROCESS"])
        table.append(["tcp", "[::]:45000", "java(1234)"])
        table.append(["udp", "127.0.0.1:53", "dnsmasq(7)"])
        table.append(["tcp6", "[fe80::1%eth0]:22", "sshd(1)"])
        XCTAssertEqual(table.render(), """
        PROTO  LOCAL              PROCESS
        tcp    [::]:45000         java(1234)
        udp    127.0.0.1:53       dnsmasq(7)
        tcp6   [fe80::1%eth0]:22  sshd(1)

        """)
        let colour = OutputStyle(colored: true)
        var coloured = TextTable(header: ["A", "B"])
        coloured.append([colour.red("xx"), "1"])
        coloured.append(["yyyy", colour.green("2")])
        let lines = coloured.render(separator: " | ", style: colour).split(separator: "\n")
        XCTAssertEqual(lines[0], "\u{1B}[1mA    | B\u{1B}[0m")
        XCTAssertEqual(lines[1], "\u{1B}[31mxx\u{1B}[0m   | 1")
        XCTAssertEqual(lines[2], "yyyy | \u{1B}[32m2\u{1B}[0m")
        XCTAssertEqual(OutputStyle.plain.bold("x"), "x")
        XCTAssertEqual(TextTable().render(), "")
    }

    func testBase64DecodesRFC4648VectorsAndRejectsMalformedText() {
        let vectors: [(String, String)] = [("", ""), ("Zg==", "f"), ("Zm8=", "fo"), ("Zm9v", "foo"), ("Zm9vYg==", "foob"),
                                           ("Zm9vYmE=", "fooba"), ("Zm9vYmFy", "foobar"), ("Zm9vYg", "foob")]
        for (encoded, decoded) in vectors {
            XCTAssertEqual(Base64.decode(encoded), Array(decoded.utf8), encoded)
        }
        XCTAssertEqual(Base64.decode("//79/A=="), [0xFF, 0xFE, 0xFD, 0xFC])
        var random = SystemRandomNumberGenerator()
        for length in [0, 1, 2, 3, 4, 57, 1000] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            XCTAssertEqual(Base64.decode(Data(bytes).base64EncodedString()), bytes, "\(length) bytes")
        }
        for malformed in ["Z", "Zm9vY", "Zg=", "Zg===", "====", "Zg==Zg==", "Zm9v\n", "Zm 9v", "Zm9v!", "Zm9-", "Zm9_"] {
            XCTAssertNil(Base64.decode(malformed), malformed)
        }
    }
}
