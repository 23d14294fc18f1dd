/// A JSON value with ordered object keys, so documents come out in the order the docs list them.
public indirect enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (lhs: JSON, rhs: JSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.uint(a), .uint(b)): return a == b
        case let (.int(a), .uint(b)), let (.uint(b), .int(a)): return a >= 0 && UInt64(a) == b
        case let (.double(a), .double(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public subscript(key: String) -> JSON? {
        guard case let .object(pairs) = self else { return nil }
        return pairs.first { $0.0 == key }?.1
    }

    /// One line, no spaces: for JSON Lines.
    public var compact: String { String(decoding: bytes(indentedLevels: 0), as: UTF8.self) }

    /// Two-space indentation: for whole documents.
    public var pretty: String { String(decoding: bytes(indentedLevels: .max), as: UTF8.self) }

    /// The value's text, written by `JSONWriter` with its first `indentedLevels` levels indented.
    func bytes(indentedLevels: Int) -> [UInt8] {
        var writer = JSONWriter(indentedLevels: indentedLevels, reserving: 256)
        write(to: &writer)
        return writer.bytes
    }

    private func write(to writer: inout JSONWriter) {
        switch self {
        case .null: writer.null()
        case let .bool(b): writer.bool(b)
        case let .int(i): writer.number(i)
        case let .uint(u): writer.number(u)
        case let .double(d): writer.number(d)
        case let .string(s): writer.text(s)
        case let .array(items):
            writer.beginArray()
            for item in items { item.write(to: &writer) }
            writer.endArray()
        case let .object(pairs):
            writer.beginObject()
            for (key, value) in pairs {
                writer.key(dynamic: key)
                value.write(to: &writer)
            }
            writer.endObject()
        }
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(Int64(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }
}

extension JSON {
    public static func optional(_ value: String?) -> JSON { value.map(JSON.string) ?? .null }
    public static func optional(_ value: Bool?) -> JSON { value.map(JSON.bool) ?? .null }
    public static func optional<I: BinaryInteger>(_ value: I?) -> JSON { value.map { .int(Int64($0)) } ?? .null }
    public static func number<I: BinaryInteger>(_ value: I) -> JSON {
        if let signed = Int64(exactly: value) { return .int(signed) }
        return .uint(UInt64(value))
    }
}
