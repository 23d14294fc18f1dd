@testable import SockdiagCore

/// Hand-built packets for the decoder tests: each header written byte by byte as the RFCs lay it out.
enum WirePacketBuilder {
    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    static func tcp(_ sport: UInt16, _ dport: UInt16, flags: UInt8 = 0x02) -> [UInt8] {
        be16(sport) + be16(dport) + be32(1) + be32(0) + [0x50, flags] + be16(65535) + [0, 0, 0, 0]
    }

    static func udp(_ sport: UInt16, _ dport: UInt16, payload: Int = 4) -> [UInt8] {
        be16(sport) + be16(dport) + be16(UInt16(8 + payload)) + [0, 0] + [UInt8](repeating: 0xAB, count: payload)
    }

    static func ipv4(_ src: IPv4Address, _ dst: IPv4Address, protocol proto: UInt8, payload: [UInt8],
                     fragmentOffset: UInt16 = 0, moreFragments: Bool = false, totalLength: UInt16? = nil,
                     headerWords: UInt8 = 5) -> [UInt8] {
        let options = [UInt8](repeating: 1, count: max(0, Int(headerWords) - 5) * 4)
        let length = totalLength ?? UInt16(Int(headerWords) * 4 + payload.count)
        let flags: UInt16 = (moreFragments ? 0x2000 : 0) | fragmentOffset
        return [0x40 | headerWords, 0] + be16(length) + be16(0x1234) + be16(flags) + [64, proto, 0, 0]
            + be32(src.value) + be32(dst.value) + options + payload
    }

    static func ipv6(_ src: IPv6Address, _ dst: IPv6Address, next: UInt8, payload: [UInt8], payloadLength: UInt16? = nil) -> [UInt8] {
        [0x60, 0, 0, 0] + be16(payloadLength ?? UInt16(payload.count)) + [next, 64] + src.bytes + dst.bytes + payload
    }

    static func ethernet(_ type: UInt16, vlanTags: [UInt16] = [], _ payload: [UInt8]) -> [UInt8] {
        var frame = [UInt8](repeating: 0x02, count: 6) + [UInt8](repeating: 0x04, count: 6)
        for tag in vlanTags { frame += be16(0x8100) + be16(tag) }
        return frame + be16(type) + payload
    }

    static func linuxCooked(_ protocolType: UInt16, _ payload: [UInt8]) -> [UInt8] {
        be16(4) + be16(1) + be16(6) + [UInt8](repeating: 0x02, count: 8) + be16(protocolType) + payload
    }

    static func linuxCooked2(_ protocolType: UInt16, _ payload: [UInt8]) -> [UInt8] {
        be16(protocolType) + [0, 0] + be32(1) + be16(1) + [4, 6] + [UInt8](repeating: 0x02, count: 8) + payload
    }

    static let v4a = IPv4Address(10, 0, 0, 1)
    static let v4b = IPv4Address(10, 0, 0, 2)
    static let v6a = IPv6Address("2001:db8::1")!
    static let v6b = IPv6Address("2001:db8::2")!
}

extension WirePacketDecoder {
    func decode(_ bytes: [UInt8], originalLength: Int? = nil) -> WireDecoded {
        bytes.withUnsafeBytes { decode($0, originalLength: originalLength ?? bytes.count) }
    }
}

extension WireDecoded {
    var packet: WirePacket? { if case let .packet(p) = self { return p } else { return nil } }
    var skipReason: WireSkipReason? { if case let .skipped(r) = self { return r } else { return nil } }
}
