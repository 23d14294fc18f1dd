// libFuzzer target: any bytes through the packet decoder of every link type, into a flow table.
// The first byte picks the link type, the second how much longer the packet claims to be on the
// wire than captured; the rest is the packet.

private let linkTypes = WireLinkType.allCases

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPacketDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 2 else { return 0 }
    let decoder = WirePacketDecoder(linkType: linkTypes[Int(data[0]) % linkTypes.count])
    let packet = UnsafeRawBufferPointer(start: data + 2, count: size - 2)
    var table = WireFlowTable()
    let decoded = decoder.decode(packet, originalLength: packet.count + Int(data[1]))
    table.record(decoded, time: UInt64(size))
    table.record(decoder.decode(packet, originalLength: 0), time: 0)
    if case let .packet(p) = decoded {
        precondition(p.ipLength <= UInt32(packet.count + Int(data[1])), "IP length beyond the wire length")
        precondition(table.flowIndex(for: p.key) != nil, "a decoded packet's flow must be in the table")
        precondition(table.flowIndex(for: p.key.reversed) == table.flowIndex(for: p.key),
                     "a flow must be found from both directions")
    }
    return 0
}
