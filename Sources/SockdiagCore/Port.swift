/// A TCP or UDP port number, 0-65535. Port 0 asks the kernel for an ephemeral port.
public struct Port: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let value: UInt16

    public init(_ value: UInt16) { self.value = value }

    public init(parsing text: some StringProtocol) throws(AddressParseError) {
        let string = String(text)
        guard !string.isEmpty else { throw .invalidPort(string, "it is empty") }
        guard string.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw .invalidPort(string, "expected a decimal number from 0 to 65535")
        }
        let significant = string.drop(while: { $0 == "0" })
        guard significant.count <= 5, let number = significant.isEmpty ? 0 : Int(significant), number <= 65535 else {
            throw .invalidPort(string, "it is out of range: ports run from 0 to 65535")
        }
        value = UInt16(number)
    }

    public var description: String { String(value) }

    public static func < (lhs: Port, rhs: Port) -> Bool { lhs.value < rhs.value }
}
