/// Which sockets a scan keeps, decided on the local port before the rest of a line is parsed.
public enum BindCheckPortFilter: Hashable, Sendable {
    case port(Port)
    case range(ClosedRange<UInt16>)
    case any

    public func matches(_ port: UInt16) -> Bool {
        switch self {
        case let .port(p): return p.value == port
        case let .range(r): return r.contains(port)
        case .any: return true
        }
    }
}

/// Why a /proc/net line could not be read.
public struct BindCheckProcNetError: Error, Hashable, Sendable, CustomStringConvertible {
    public let line: Int
    public let reason: String
    public var description: String { "line \(line): \(reason)" }
}

/// Parser for /proc/net/{tcp,tcp6,udp,udp6}. Addresses there are the kernel's 32-bit words printed
/// with %08X in host byte order, so the text depends on the host's endianness.
public enum BindCheckProcNet {
    public static let hostIsLittleEndian = UInt16(1).littleEndian == 1

    /// Every socket in a whole file whose local port passes `filter`, and the lines that were
    /// malformed (the header line is skipped).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, family: AddressFamily, transport: TransportProtocol,
                             filter: BindCheckPortFilter, littleEndian: Bool = hostIsLittleEndian)
        -> (sockets: [BindCheckSocket], malformed: [BindCheckProcNetError]) {
        var sockets: [BindCheckSocket] = []
        var malformed: [BindCheckProcNetError] = []
        var start = 0
        var lineNumber = 0
        let count = bytes.count
        while start < count {
            var end = start
            while end < count && bytes[end] != 0x0A { end += 1 }
            lineNumber += 1
            if lineNumber > 1 && end > start {
                let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
                switch parseLine(line, family: family, transport: transport, filter: filter, littleEndian: littleEndian) {
                case let .success(socket?): sockets.append(socket)
                case .success(nil): break
                case let .failure(reason): malformed.append(BindCheckProcNetError(line: lineNumber, reason: reason.reason))
                }
            }
            start = end + 1
        }
        return (sockets, malformed)
    }

    public static func parse(_ text: String, family: AddressFamily, transport: TransportProtocol,
                             filter: BindCheckPortFilter = .any, littleEndian: Bool = hostIsLittleEndian)
        -> (sockets: [BindCheckSocket], malformed: [BindCheckProcNetError]) {
        var text = text
        return text.withUTF8 { parse($0, family: family, transport: transport, filter: filter, littleEndian: littleEndian) }
    }

    struct LineFailure: Error { let reason: String }

    /// One data line; nil when its port does not pass the filter.
    static func parseLine(_ line: UnsafeBufferPointer<UInt8>, family: AddressFamily, transport: TransportProtocol,
                          filter: BindCheckPortFilter, littleEndian: Bool) -> Result<BindCheckSocket?, LineFailure> {
        var fields: [Range<Int>] = []
        fields.reserveCapacity(10)
        var i = 0
        while i < line.count && fields.count < 10 {
            while i < line.count && line[i] == 0x20 { i += 1 }
            let s = i
            while i < line.count && line[i] != 0x20 { i += 1 }
            if i > s { fields.append(s..<i) }
        }
        guard fields.count >= 10 else { return .failure(LineFailure(reason: "expected at least 10 fields, found \(fields.count)")) }
        let addressDigits = family == .inet ? 8 : 32
        guard let local = endpoint(line, fields[1], digits: addressDigits, littleEndian: littleEndian) else {
            return .failure(LineFailure(reason: "local address '\(text(line, fields[1]))' is not \(addressDigits) hex digits, ':' and 4 hex digits"))
        }
        guard filter.matches(local.port.value) else { return .success(nil) }
        guard let remote = endpoint(line, fields[2], digits: addressDigits, littleEndian: littleEndian) else {
            return .failure(LineFailure(reason: "remote address '\(text(line, fields[2]))' is not \(addressDigits) hex digits, ':' and 4 hex digits"))
        }
        guard let stateCode = hex(line, fields[3]), let state = BindCheckSocketState(rawValue: UInt8(truncatingIfNeeded: stateCode)), stateCode <= 0xFF else {
            return .failure(LineFailure(reason: "state '\(text(line, fields[3]))' is not a known socket state"))
        }
        guard let uid = decimal(line, fields[7]), uid <= UInt64(UInt32.max) else {
            return .failure(LineFailure(reason: "uid '\(text(line, fields[7]))' is not a number"))
        }
        guard let inode = decimal(line, fields[9]) else {
            return .failure(LineFailure(reason: "inode '\(text(line, fields[9]))' is not a number"))
        }
        return .success(BindCheckSocket(family: family, transport: transport, state: state, local: local, remote: remote,
                                        v6only: nil, uid: UInt32(uid), inode: inode))
    }

    private static func text(_ line: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: line[r]), as: UTF8.self)
    }

    private static func hexDigit(_ b: UInt8) -> UInt64? {
        switch b {
        case 0x30...0x39: return UInt64(b - 0x30)
        case 0x41...0x46: return UInt64(b - 0x41 + 10)
        case 0x61...0x66: return UInt64(b - 0x61 + 10)
        default: return nil
        }
    }

    private static func hex(_ line: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> UInt64? {
        guard !r.isEmpty, r.count <= 16 else { return nil }
        var v: UInt64 = 0
        for i in r { guard let d = hexDigit(line[i]) else { return nil }; v = v << 4 | d }
        return v
    }

    private static func decimal(_ line: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> UInt64? {
        guard !r.isEmpty, r.count <= 19 else { return nil }
        var v: UInt64 = 0
        for i in r {
            let b = line[i]
            guard b >= 0x30 && b <= 0x39 else { return nil }
            v = v * 10 + UInt64(b - 0x30)
        }
        return v
    }

    /// `0100007F:1F90` -> 127.0.0.1:8080 on a little-endian host.
    private static func endpoint(_ line: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, digits: Int, littleEndian: Bool) -> SocketAddress? {
        guard r.count == digits + 5, line[r.lowerBound + digits] == 0x3A,
              let port = hex(line, (r.lowerBound + digits + 1)..<r.upperBound) else { return nil }
        var words: [UInt32] = []
        for w in 0..<(digits / 8) {
            guard let word = hex(line, (r.lowerBound + w * 8)..<(r.lowerBound + w * 8 + 8)) else { return nil }
            // The word's bytes in memory order are the address bytes in network order.
            words.append(littleEndian ? UInt32(word).byteSwapped : UInt32(word))
        }
        let address: IPAddress
        if digits == 8 {
            address = .v4(IPv4Address(words[0]))
        } else {
            address = .v6(IPv6Address(high: UInt64(words[0]) << 32 | UInt64(words[1]), low: UInt64(words[2]) << 32 | UInt64(words[3])))
        }
        return SocketAddress(address, Port(UInt16(port)))
    }
}
