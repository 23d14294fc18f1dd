/// pcapng blocks (section header, interface description, enhanced packet with a comment), in this
/// host's byte order as the format allows. libpcap writes pcapng without comments, so sockdiag
/// writes the blocks itself.
public enum WirePcapngEncoder {
    public static func sectionHeader(application: String) -> [UInt8] {
        var body: [UInt8] = []
        append32(0x1A2B_3C4D, to: &body)  // byte-order magic
        append16(1, to: &body)
        append16(0, to: &body)
        append64(UInt64.max, to: &body)  // section length unknown
        option(4, Array(application.utf8), to: &body)  // shb_userappl
        endOfOptions(&body)
        return block(type: 0x0A0D_0D0A, body: body)
    }

    /// An interface with nanosecond timestamps (`if_tsresol` 9).
    public static func interfaceDescription(linkType: WireLinkType, snapLength: UInt32, name: String?) -> [UInt8] {
        var body: [UInt8] = []
        append16(linkType.pcapLinkType, to: &body)
        append16(0, to: &body)
        append32(snapLength, to: &body)
        if let name { option(2, Array(name.utf8), to: &body) }  // if_name
        option(9, [9], to: &body)  // if_tsresol: 10^-9
        endOfOptions(&body)
        return block(type: 1, body: body)
    }

    /// An enhanced packet block for interface 0; `comment` becomes its `opt_comment`.
    public static func enhancedPacket(timeNs: UInt64, packet: UnsafeRawBufferPointer, originalLength: UInt32,
                                      comment: [UInt8]?, to out: inout [UInt8]) {
        let padded = (packet.count + 3) & ~3
        let optionsLength = comment.map { 4 + (($0.count + 3) & ~3) + 4 } ?? 0
        let total = 12 + 20 + padded + optionsLength
        append32(6, to: &out)
        append32(UInt32(total), to: &out)
        append32(0, to: &out)  // interface id
        append32(UInt32(truncatingIfNeeded: timeNs >> 32), to: &out)
        append32(UInt32(truncatingIfNeeded: timeNs), to: &out)
        append32(UInt32(packet.count), to: &out)
        append32(max(originalLength, UInt32(packet.count)), to: &out)
        out.append(contentsOf: packet)
        out.append(contentsOf: repeatElement(0, count: padded - packet.count))
        if let comment {
            option(1, comment, to: &out)
            endOfOptions(&out)
        }
        append32(UInt32(total), to: &out)
    }

    private static func block(type: UInt32, body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        let total = UInt32(12 + body.count)
        append32(type, to: &out)
        append32(total, to: &out)
        out += body
        append32(total, to: &out)
        return out
    }

    private static func option(_ code: UInt16, _ value: [UInt8], to out: inout [UInt8]) {
        let length = min(value.count, Int(UInt16.max) - 3)
        append16(code, to: &out)
        append16(UInt16(length), to: &out)
        out.append(contentsOf: value.prefix(length))
        out.append(contentsOf: repeatElement(0, count: ((length + 3) & ~3) - length))
    }

    private static func endOfOptions(_ out: inout [UInt8]) { append32(0, to: &out) }

    private static func append16(_ v: UInt16, to out: inout [UInt8]) {
        withUnsafeBytes(of: v) { out.append(contentsOf: $0) }
    }

    private static func append32(_ v: UInt32, to out: inout [UInt8]) {
        withUnsafeBytes(of: v) { out.append(contentsOf: $0) }
    }

    private static func append64(_ v: UInt64, to out: inout [UInt8]) {
        withUnsafeBytes(of: v) { out.append(contentsOf: $0) }
    }
}

extension WireJoinedFlow {
    /// The packet comment a Wireshark user sees: the kernel's view of the packet's socket, and how
    /// its connect and connection ended when the trace saw it.
    var pcapngComment: [UInt8] {
        var out = pcapngKernelComment
        // Both sides of a translated flow carry the same comment, naming the translation.
        if let sides = beforeAndAfterTranslation, let translation {
            WireText.append(translation.kind == .clat ? "; translated by a CLAT: " : "; translated by a NAT64: ", to: &out)
            for (i, side) in [sides.before, sides.after].enumerated() {
                if i > 0 { WireText.append(" => ", to: &out) }
                WireText.append(side.key.isIPv6 ? "IPv6 " : "IPv4 ", to: &out)
                side.key.source.write(port: side.key.sourcePort, to: &out)
                WireText.append(" -> ", to: &out)
                side.key.destination.write(port: side.key.destinationPort, to: &out)
            }
            WireText.append(", prefix ", to: &out)
            WireText.append(translation.prefix.displayed, to: &out)
            WireText.append(" (", to: &out)
            WireText.append(translation.prefix.source.description, to: &out)
            out.append(0x29)
        }
        return out
    }

    private var pcapngKernelComment: [UInt8] {
        var out: [UInt8] = []
        guard let kernel else {
            WireText.append("sockdiag: no traced socket (wire-only)", to: &out)
            return out
        }
        WireText.append("sockdiag kernel view: pid ", to: &out)
        if let pid = kernel.pid { WireText.decimal(UInt64(pid), to: &out) } else { out.append(0x3F) }
        WireText.append(" (", to: &out)
        kernel.comm.forEachByte { out.append($0) }
        WireText.append("), socket ", to: &out)
        WireText.append(kernel.socketFamily.rawValue, to: &out)
        if let hook = kernel.hook {
            out.append(0x20)
            WireText.append(hook.rawValue, to: &out)
        }
        WireText.append(" to ", to: &out)
        kernel.address.write(port: kernel.port, to: &out)
        WireText.append(" (", to: &out)
        WireText.append(kernel.addressKind.rawValue, to: &out)
        WireText.append("), cookie ", to: &out)
        WireText.decimal(kernel.cookie, to: &out)
        WireText.append("; verdict ", to: &out)
        WireText.append(verdict.rawValue, to: &out)
        if let outcome = kernel.outcome, outcome.connect != nil || outcome.end != nil {
            WireText.append("; outcome ", to: &out)
            outcome.write(to: &out)
        }
        return out
    }
}

/// The comments of `--write-pcapng`'s second pass over a capture. Replaying the same packets in
/// the same order gives each the flow index the first pass gave it, and so the row of the join
/// that holds its flow.
public struct WirePcapngAnnotation {
    private let decoder: WirePacketDecoder
    private let join: WireJoinResult
    private var replay = WireFlowTable()
    /// Each row's comment, made when its first packet is written.
    private var comments: [[UInt8]?]

    public init(linkType: WireLinkType, join: WireJoinResult) {
        decoder = WirePacketDecoder(linkType: linkType)
        self.join = join
        comments = [[UInt8]?](repeating: nil, count: join.flows.count)
    }

    /// The comment of the next packet of the capture: its flow's kernel view, or nil when the
    /// packet is in no flow or its flow is on no row.
    public mutating func comment(packet bytes: UnsafeRawBufferPointer, originalLength: Int, time: UInt64) -> [UInt8]? {
        guard let index = replay.record(decoder.decode(bytes, originalLength: originalLength), time: time),
              index < join.rowOfWireFlow.count, join.rowOfWireFlow[index] >= 0 else { return nil }
        let row = join.rowOfWireFlow[index]
        if comments[row] == nil { comments[row] = join.flows[row].pcapngComment }
        return comments[row]
    }
}
