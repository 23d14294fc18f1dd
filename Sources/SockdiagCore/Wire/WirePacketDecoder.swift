/// A 5-tuple in one direction: what the packet's headers say, nothing more.
struct WireFlowKey: Hashable, Sendable {
    var source: WireAddress
    var destination: WireAddress
    var sourcePort: UInt16
    var destinationPort: UInt16
    var transport: TransportProtocol

    init(transport: TransportProtocol, source: WireAddress, sourcePort: UInt16,
                destination: WireAddress, destinationPort: UInt16) {
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.transport = transport
    }

    var isIPv6: Bool { source.isIPv6 }

    var reversed: WireFlowKey {
        WireFlowKey(transport: transport, source: destination, sourcePort: destinationPort,
                    destination: source, destinationPort: sourcePort)
    }

    /// The same key for both directions of a conversation.
    var canonical: WireFlowKey {
        if source.high != destination.high { return source.high < destination.high ? self : reversed }
        if source.low != destination.low { return source.low < destination.low ? self : reversed }
        return sourcePort <= destinationPort ? self : reversed
    }

    @inline(__always)
    static func == (lhs: WireFlowKey, rhs: WireFlowKey) -> Bool {
        lhs.source.low == rhs.source.low && lhs.destination.low == rhs.destination.low
            && lhs.sourcePort == rhs.sourcePort && lhs.destinationPort == rhs.destinationPort
            && lhs.source.high == rhs.source.high && lhs.destination.high == rhs.destination.high
            && lhs.transport == rhs.transport
            && lhs.source.isIPv6 == rhs.source.isIPv6 && lhs.destination.isIPv6 == rhs.destination.isIPv6
    }

    /// The fields folded into one word first, so the per-packet hash feeds SipHash 8 bytes, not 40.
    @inline(__always)
    func hash(into hasher: inout Hasher) {
        var h = source.high &* 0x9E37_79B9_7F4A_7C15
        h = (h ^ (h >> 29) ^ source.low) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 31) ^ destination.high) &* 0x94D0_49BB_1331_11EB
        h = (h ^ (h >> 29) ^ destination.low) &* 0x9E37_79B9_7F4A_7C15
        h ^= UInt64(sourcePort) << 32 | UInt64(destinationPort) << 16 | UInt64(transport.ipProtocolNumber) << 1 | (source.isIPv6 ? 1 : 0)
        hasher.combine(h)
    }
}

/// What one packet contributes to its flow.
struct WirePacket: Sendable {
    var key: WireFlowKey
    /// The IP packet's length from its header (header included): the same on every link type.
    var ipLength: UInt32
    /// A TCP SYN without ACK: its sender opened the connection.
    var opensConnection: Bool
    /// A TCP SYN with ACK: its receiver opened the connection.
    var acceptsConnection: Bool
    /// A TCP FIN or RST: after it, a SYN on the same 5-tuple starts a new connection.
    var endsConnection: Bool = false
    /// The interface it was captured on (Linux cooked v2 only); 0 when the link type does not say.
    var interfaceIndex: UInt32 = 0
}

enum WireDecoded: Sendable {
    case packet(WirePacket)
    case skipped(WireSkipReason)
}

/// Reads link, network and transport headers straight from the bytes libpcap hands over. It
/// never allocates and never reads past `bytes.count`, whatever the headers claim.
public struct WirePacketDecoder: Sendable {
    let linkType: WireLinkType

    public init(linkType: WireLinkType) { self.linkType = linkType }

    /// `originalLength` is the packet's length on the wire (pcap's `len`), which may exceed the
    /// captured bytes when the snapshot length cut it.
    func decode(_ bytes: UnsafeRawBufferPointer, originalLength: Int) -> WireDecoded {
        let reader = ByteReader(bytes: bytes, wireLength: max(originalLength, bytes.count))
        switch linkType {
        case .ethernet:
            guard bytes.count >= 14 else { return .skipped(.truncated) }
            return reader.etherType(reader.u16(12), at: 14)
        case .linuxCooked:
            guard bytes.count >= 16 else { return .skipped(.truncated) }
            guard reader.u16(2) != arphrdNetlink else { return .skipped(.notIP) }
            return reader.etherType(reader.u16(14), at: 16)
        case .linuxCooked2:
            guard bytes.count >= 20 else { return .skipped(.truncated) }
            guard reader.u16(8) != arphrdNetlink else { return .skipped(.notIP) }
            // v2 carries the interface: a flow seen on a CLAT's TUN device and on its uplink says so.
            let decoded = reader.etherType(reader.u16(0), at: 20)
            guard case var .packet(packet) = decoded else { return decoded }
            packet.interfaceIndex = reader.u32(4)
            return .packet(packet)
        case .raw:
            guard bytes.count >= 1 else { return .skipped(.truncated) }
            switch bytes[0] >> 4 {
            case 4: return reader.ipv4(at: 0)
            case 6: return reader.ipv6(at: 0)
            default: return .skipped(.notIP)
            }
        case .null, .loop:
            guard bytes.count >= 4 else { return .skipped(.truncated) }
            var family = reader.u32(0)
            if case .null = linkType {
                // Host byte order of the machine that captured, which need not be this one.
                family = family.byteSwapped
                if family > 0xFFFF { family = family.byteSwapped }
            }
            switch family {
            case 2: return reader.ipv4(at: 4)
            case 10, 24, 28, 30: return reader.ipv6(at: 4)  // AF_INET6 on Linux, NetBSD/OpenBSD, FreeBSD, Darwin
            default: return .skipped(.notIP)
            }
        }
    }
}

private let arphrdNetlink: UInt16 = 824

private struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let wireLength: Int

    @inline(__always) func u8(_ offset: Int) -> UInt8 { bytes[offset] }
    @inline(__always) func u16(_ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }
    @inline(__always) func u32(_ offset: Int) -> UInt32 {
        bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).bigEndian
    }
    @inline(__always) func u64(_ offset: Int) -> UInt64 {
        bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self).bigEndian
    }

    func etherType(_ type: UInt16, at start: Int) -> WireDecoded {
        var type = type, offset = start, tags = 0
        while type == 0x8100 || type == 0x88A8 || type == 0x9100 {
            guard tags < 8 else { return .skipped(.malformed) }
            guard offset + 4 <= bytes.count else { return .skipped(.truncated) }
            type = u16(offset + 2)
            offset += 4
            tags += 1
        }
        switch type {
        case 0x0800: return ipv4(at: offset)
        case 0x86DD: return ipv6(at: offset)
        default: return .skipped(.notIP)
        }
    }

    func ipv4(at offset: Int) -> WireDecoded {
        guard offset + 20 <= bytes.count else { return .skipped(.truncated) }
        guard u8(offset) >> 4 == 4 else { return .skipped(.malformed) }
        let headerLength = Int(u8(offset) & 0x0F) * 4
        guard headerLength >= 20 else { return .skipped(.malformed) }
        let available = wireLength - offset
        var totalLength = Int(u16(offset + 2))
        if totalLength == 0 { totalLength = available }  // segmentation offload leaves it zero
        guard totalLength >= headerLength, totalLength <= available else { return .skipped(.malformed) }
        guard u16(offset + 6) & 0x1FFF == 0 else { return .skipped(.laterFragment) }
        guard let transport = TransportProtocol(ipProtocolNumber: Int(u8(offset + 9))) else { return .skipped(.otherTransport) }
        guard headerLength + 4 <= totalLength else { return .skipped(.malformed) }
        let source = WireAddress(high: 0, low: UInt64(u32(offset + 12)), isIPv6: false)
        let destination = WireAddress(high: 0, low: UInt64(u32(offset + 16)), isIPv6: false)
        return ports(transport, source, destination, at: offset + headerLength, ipLength: totalLength)
    }

    func ipv6(at offset: Int) -> WireDecoded {
        guard offset + 40 <= bytes.count else { return .skipped(.truncated) }
        guard u8(offset) >> 4 == 6 else { return .skipped(.malformed) }
        let available = wireLength - offset
        let payloadLength = Int(u16(offset + 4))
        // Zero means a jumbogram or an offloaded segment: the capture's length is all there is.
        let ipLength = payloadLength == 0 ? available : 40 + payloadLength
        guard ipLength <= available else { return .skipped(.malformed) }
        var next = u8(offset + 6)
        var header = offset + 40
        let end = offset + ipLength
        for _ in 0..<16 {
            switch next {
            case 6, 17:
                guard header + 4 <= end else { return .skipped(.malformed) }
                let source = WireAddress(high: u64(offset + 8), low: u64(offset + 16), isIPv6: true)
                let destination = WireAddress(high: u64(offset + 24), low: u64(offset + 32), isIPv6: true)
                return ports(TransportProtocol(ipProtocolNumber: Int(next))!, source, destination, at: header, ipLength: ipLength)
            case 0, 43, 60, 135, 139, 140:  // hop-by-hop, routing, destination options, mobility, HIP, shim6
                guard header + 2 <= bytes.count else { return .skipped(.truncated) }
                next = u8(header)
                header += (Int(u8(header + 1)) + 1) * 8
            case 51:  // authentication header counts in 4-byte units
                guard header + 2 <= bytes.count else { return .skipped(.truncated) }
                next = u8(header)
                header += (Int(u8(header + 1)) + 2) * 4
            case 44:
                guard header + 4 <= bytes.count else { return .skipped(.truncated) }
                guard u16(header + 2) >> 3 == 0 else { return .skipped(.laterFragment) }
                next = u8(header)
                header += 8
            default:
                return .skipped(.otherTransport)
            }
            guard header <= end else { return .skipped(.malformed) }
        }
        return .skipped(.otherTransport)
    }

    @inline(__always)
    func ports(_ transport: TransportProtocol, _ source: WireAddress, _ destination: WireAddress,
               at offset: Int, ipLength: Int) -> WireDecoded {
        guard offset + 4 <= bytes.count else { return .skipped(.truncated) }
        var opens = false, accepts = false, ends = false
        if transport == .tcp && offset + 14 <= bytes.count {
            let flags = u8(offset + 13)
            opens = flags & 0x12 == 0x02
            accepts = flags & 0x12 == 0x12
            ends = flags & 0x05 != 0
        }
        let key = WireFlowKey(transport: transport, source: source, sourcePort: u16(offset),
                              destination: destination, destinationPort: u16(offset + 2))
        return .packet(WirePacket(key: key, ipLength: UInt32(truncatingIfNeeded: ipLength),
                                  opensConnection: opens, acceptsConnection: accepts, endsConnection: ends))
    }
}
