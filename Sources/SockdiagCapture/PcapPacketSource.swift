internal import CPcap
import SockdiagCore
import SockdiagSystem

/// A libpcap handle, from a capture file (pcap or pcapng) or a live interface, with nanosecond
/// timestamps. Packets are lent to a closure for the duration of the call; nothing is copied.
public final class PcapPacketSource {
    private let handle: OpaquePointer
    private var dumper: OpaquePointer?
    public let linkType: WireLinkType
    public let snapLength: Int32
    /// What the user named: the file path or the interface.
    public let name: String
    /// The stdio buffer of a capture file's stream, freed after the stream is closed.
    private let fileBuffer: UnsafeMutableRawPointer?
    /// A regular capture file mapped into memory, whose records `readAll` reads in place when they
    /// are in the classic format (`WireClassicPcap`).
    private let mapped: MappedFileRegion?

    private init(handle: OpaquePointer, name: String, fileBuffer: UnsafeMutableRawPointer? = nil,
                 mapped: consuming MappedFileRegion? = nil) throws(SockdiagError) {
        let dlt = pcap_datalink(handle)
        guard let linkType = WireLinkType(dataLinkType: dlt) else {
            let dltName = pcap_datalink_val_to_name(dlt).map { String(cString: $0) } ?? "DLT \(dlt)"
            sockdiag_pcap_close(handle, fileBuffer)
            throw .invalidInput("\(name): link type \(dltName) (\(dlt)) is not supported (supported: \(WireLinkType.supportedNames))")
        }
        self.handle = handle
        self.fileBuffer = fileBuffer
        self.linkType = linkType
        self.snapLength = pcap_snapshot(handle)
        self.name = name
        self.mapped = mapped
    }

    deinit {
        if let dumper { pcap_dump_close(dumper) }
        sockdiag_pcap_close(handle, fileBuffer)
    }

    /// Opens a pcap or pcapng file.
    public static func openFile(_ path: String) throws(SockdiagError) -> PcapPacketSource {
        try open(path, descriptor: -1)
    }

    /// Reads a pcap or pcapng file from `file`, open already (standard input, a FIFO, a file
    /// checked when it was opened): its owner hands the number to libpcap, which closes it, also
    /// when the file is not a capture. `path` names it in messages.
    /// With `size` (a regular file of that many bytes) and a classic pcap magic, the file is also
    /// mapped for `readAll`; a file that grows while it is read is read as far as it reached then.
    /// Any other file (pcapng) is left to libpcap alone, not mapped.
    public static func openFile(_ path: String, reading file: consuming FileDescriptor, size: Int? = nil) throws(SockdiagError) -> PcapPacketSource {
        var mapped: MappedFileRegion? = nil
        var magic: UInt32 = 0
        if let size, size > 0,
           (try? withUnsafeMutableBytes(of: &magic) { buffer throws(Errno) in try file.read(into: buffer, at: 0) }) == 4,
           WireClassicPcap.nanosecondTimestamps(magic: magic) != nil {
            do throws(Errno) { mapped = try MappedFileRegion(file, offset: 0, count: size, populate: true) } catch {}
        }
        return try open(path, descriptor: file.release(), mapped: mapped)
    }

    /// `descriptor` -1: open `path`.
    private static func open(_ path: String, descriptor: Int32, mapped: consuming MappedFileRegion? = nil) throws(SockdiagError) -> PcapPacketSource {
        var buffer: UnsafeMutableRawPointer?
        var error: Int32 = 0
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let handle = sockdiag_pcap_open_file(path, descriptor, &buffer, &error, &errbuf) else {
            let message = error != 0 ? Errno(error).message : String(cString: errbuf)
            throw .invalidInput("\(path): cannot read as a capture file: \(message.isEmpty ? "unknown error" : message)")
        }
        return try PcapPacketSource(handle: handle, name: path, fileBuffer: buffer, mapped: mapped)
    }

    /// Opens a live capture: immediate delivery (no batching delay), a buffer big enough for
    /// bursts, nanosecond timestamps where the interface has them, non-blocking reads. `filter` is
    /// chosen once the link type is known: a VLAN clause, say, compiles only on Ethernet.
    public static func openLive(interface: String, snapLength: Int32 = 262_144, bufferSize: Int32 = 64 << 20,
                                filter: (WireLinkType) -> String?) throws(SockdiagError) -> PcapPacketSource {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let handle = pcap_create(interface, &errbuf) else {
            throw .invalidInput("capture on \(interface): \(String(cString: errbuf))")
        }
        pcap_set_snaplen(handle, snapLength)
        pcap_set_immediate_mode(handle, 1)
        pcap_set_buffer_size(handle, bufferSize)
        pcap_set_timeout(handle, 100)
        _ = pcap_set_tstamp_precision(handle, Int32(PCAP_TSTAMP_PRECISION_NANO))
        let status = pcap_activate(handle)
        if status < 0 {
            let detail = String(cString: pcap_geterr(handle))
            let reason = String(cString: pcap_statustostr(status))
            pcap_close(handle)
            if status == PCAP_ERROR_PERM_DENIED {
                throw .missingPrivilege("capture on \(interface) needs root or CAP_NET_RAW: \(detail.isEmpty ? reason : detail)")
            }
            throw .invalidInput("capture on \(interface): \(detail.isEmpty ? reason : detail)")
        }
        // On `any`, Linux cooked v2 records which interface each packet was seen on: a flow that
        // crossed a CLAT's TUN device and an uplink is reported on both.
        if interface == "any" { _ = pcap_set_datalink(handle, 276) }
        let source = try PcapPacketSource(handle: handle, name: interface)
        if let expression = filter(source.linkType) { try source.setFilter(expression) }
        guard pcap_setnonblock(handle, 1, &errbuf) == 0 else {
            throw .invalidInput("capture on \(interface): \(String(cString: errbuf))")
        }
        return source
    }

    private func setFilter(_ expression: String) throws(SockdiagError) {
        var program = bpf_program()
        guard pcap_compile(handle, &program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw .invalidInput("capture filter '\(expression)': \(String(cString: pcap_geterr(handle)))")
        }
        defer { pcap_freecode(&program) }
        guard pcap_setfilter(handle, &program) == 0 else {
            throw .invalidInput("capture filter '\(expression)': \(String(cString: pcap_geterr(handle)))")
        }
    }

    /// Also saves every packet read from now on to a pcap file (for a second, annotating pass).
    public func saveCopy(to path: String) throws(SockdiagError) {
        guard let dumper = pcap_dump_open(handle, path) else {
            throw .invalidInput("\(path): \(String(cString: pcap_geterr(handle)))")
        }
        self.dumper = dumper
    }

    /// Flushes and closes the copy started by `saveCopy`.
    public func closeCopy() {
        if let dumper { pcap_dump_close(dumper) }
        dumper = nil
    }

    /// Calls `body` for each packet until the end of a file. A file cut off in a record (a killed
    /// tcpdump, or one still writing) ends the reading early: the packets before the cut were
    /// read, and libpcap's words are returned. Any other corruption is an error.
    @discardableResult
    public func readAll(_ body: (UnsafeRawBufferPointer, _ originalLength: Int, _ time: UInt64) -> Void) throws(SockdiagError) -> String? {
        let readInPlace: Bool? = mapped?.withBytes { bytes in
            guard let records = WireClassicPcap(bytes, snapshot: Int(snapLength)) else { return false }
            records.forEachPacket(body)
            return true
        }
        if readInPlace == true { return nil }
        return try readAllThroughLibpcap(body)
    }

    /// `readAll` with every record read by libpcap, whatever the file's format.
    @discardableResult
    public func readAllThroughLibpcap(_ body: (UnsafeRawBufferPointer, _ originalLength: Int, _ time: UInt64) -> Void) throws(SockdiagError) -> String? {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        while true {
            let status = pcap_next_ex(handle, &header, &data)
            if status == 1, let header, let data {
                let h = header.pointee
                body(UnsafeRawBufferPointer(start: data, count: Int(h.caplen)), Int(h.len),
                     WireClassicPcap.time(seconds: Int64(h.ts.tv_sec), fraction: Int64(h.ts.tv_usec)))
                continue
            }
            if status == PCAP_ERROR_BREAK { return nil }  // end of file
            let message = String(cString: pcap_geterr(handle))
            if message.hasPrefix("truncated") { return message }
            throw .invalidInput("\(name): \(message)")
        }
    }

    /// Reads what is available now from a live capture, without blocking. Returns the number of
    /// packets read; when it is zero the caller should `waitForPackets`.
    public func readAvailable(limit: Int = 4096,
                              _ body: (UnsafeRawBufferPointer, _ originalLength: Int, _ time: UInt64) -> Void) throws(SockdiagError) -> Int {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        var count = 0
        while count < limit {
            let status = pcap_next_ex(handle, &header, &data)
            guard status == 1, let header, let data else {
                if status == 0 || status == PCAP_ERROR_BREAK { return count }
                throw .invalidInput("capture on \(name): \(String(cString: pcap_geterr(handle)))")
            }
            if let dumper {
                pcap_dump(UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self), header, data)
            }
            let h = header.pointee
            body(UnsafeRawBufferPointer(start: data, count: Int(h.caplen)), Int(h.len),
                 UInt64(h.ts.tv_sec) &* 1_000_000_000 &+ UInt64(h.ts.tv_usec))
            count += 1
        }
        return count
    }

    /// Waits up to `milliseconds` for the capture to have packets.
    public func waitForPackets(milliseconds: Int32) {
        sockdiag_pcap_wait(handle, milliseconds)
    }

    /// Packets the kernel dropped because the buffer was full, or the interface dropped.
    public var dropped: UInt64? {
        var stats = pcap_stat()
        guard pcap_stats(handle, &stats) == 0 else { return nil }
        return UInt64(stats.ps_drop) + UInt64(stats.ps_ifdrop)
    }
}
