#if canImport(Glibc)
import Glibc
#endif
internal import CLibBPF
import CSockdiagShim
import SockdiagCore
import SockdiagSystem

/// bpf/trace.bpf.c loaded, attached to one cgroup through bpf_links (which the kernel drops when
/// this process exits, even by SIGKILL), and its ring buffer read as `TraceEvent`s.
///
///     let tracer = try Tracer()
///     try tracer.attach(to: cgroup)
///     while running { try tracer.poll(timeoutMilliseconds: 50) { event in ... } }
///     let totals = tracer.egressTotals()   // final per-socket egress counts
///     let counters = tracer.counters()     // lost events
///     tracer.detach()
public final class Tracer {
    private var object: OpaquePointer?
    private var links: [OpaquePointer] = []
    private var ring: OpaquePointer?
    private let reader: RingReader
    private let egressMapDescriptor: Int32
    private let statsMapDescriptor: Int32

    /// The programs, in attach order; each one's section names its cgroup hook.
    static let programNames = ["trace_connect4", "trace_connect6", "trace_sendmsg4", "trace_sendmsg6",
                               "trace_post_bind4", "trace_post_bind6", "trace_egress"]

    /// Loads the embedded object into the kernel. Nothing is attached yet.
    public init() throws(SockdiagError) {
        BPFLog.silence()
        let bytes = EmbeddedPrograms.trace
        let opened = bytes.withUnsafeBytes { bpf_object__open_mem($0.baseAddress, $0.count, nil) }
        guard let opened else {
            throw .system(call: "bpf_object__open_mem", errno: Errno(errno), context: "opening the embedded trace programs")
        }
        let loaded = bpf_object__load(opened)
        guard loaded == 0 else {
            bpf_object__close(opened)
            throw BPFLog.loadError(Errno(-loaded))
        }
        object = opened
        func mapDescriptor(_ name: String) -> Int32 {
            guard let map = bpf_object__find_map_by_name(opened, name) else { return -1 }
            return bpf_map__fd(map)
        }
        egressMapDescriptor = mapDescriptor("egress")
        statsMapDescriptor = mapDescriptor("stats")
        reader = RingReader()
        let context = Unmanaged.passUnretained(reader).toOpaque()
        guard let ringBuffer = ring_buffer__new(mapDescriptor("events"), ringSample, context, nil) else {
            let error = Errno(errno)
            bpf_object__close(opened)
            object = nil
            throw .system(call: "ring_buffer__new", errno: error, context: "reading the trace ring buffer")
        }
        ring = ringBuffer
    }

    /// Attaches every program to the cgroup. On failure nothing stays attached.
    public func attach(to cgroup: CgroupDirectory) throws(SockdiagError) {
        guard let object else { throw .invalidInput("the tracer was detached") }
        for name in Tracer.programNames {
            guard let program = bpf_object__find_program_by_name(object, name) else {
                detach()
                throw .invalidInput("the embedded trace object lacks \(name); the build is broken")
            }
            guard let link = bpf_program__attach_cgroup(program, cgroup.descriptor) else {
                let error = Errno(errno)
                detachLinks()
                throw .system(call: "bpf_link_create", errno: error, context: "attaching \(name) to \(cgroup.path)")
            }
            links.append(link)
        }
    }

    /// Waits up to `timeoutMilliseconds` for events and hands each to `handler`; returns how many.
    /// The BPF side wakes the reader only when much is pending, so the wait usually runs its course.
    @discardableResult
    public func poll(timeoutMilliseconds: Int32, _ handler: (TraceEvent) -> Void) throws(SockdiagError) -> Int {
        guard let ring else { return 0 }
        return try withoutActuallyEscaping(handler) { (escapable) throws(SockdiagError) -> Int in
            reader.handler = escapable
            defer { reader.handler = nil }
            var count = 0
            let polled = ring_buffer__poll(ring, timeoutMilliseconds)
            if polled < 0 && polled != -EINTR {
                throw SockdiagError.system(call: "ring_buffer__poll", errno: Errno(-polled), context: "reading trace events")
            }
            count += Int(max(0, polled))
            // Records submitted without a wakeup are only read by a consume.
            let consumed = ring_buffer__consume(ring)
            if consumed < 0 && consumed != -EINTR {
                throw SockdiagError.system(call: "ring_buffer__consume", errno: Errno(-consumed), context: "reading trace events")
            }
            return count + Int(max(0, consumed))
        }
    }

    /// Every socket's egress so far, as final records (`isFinal`), read from the per-socket map.
    public func egressTotals() -> [TraceEgress] {
        guard egressMapDescriptor >= 0 else { return [] }
        var totals: [TraceEgress] = []
        var key: UInt64 = 0
        var next: UInt64 = 0
        var value = sockdiag_egress_event()
        var hasKey = false
        while true {
            let status = hasKey ? bpf_map_get_next_key(egressMapDescriptor, &key, &next)
                                : bpf_map_get_next_key(egressMapDescriptor, nil, &next)
            guard status == 0 else { break }
            if bpf_map_lookup_elem(egressMapDescriptor, &next, &value) == 0,
               let egress = reader.decoder.decodeEgress(value, isFinal: true) {
                totals.append(egress)
            }
            key = next
            hasKey = true
        }
        return totals.sorted { $0.timeNs < $1.timeNs }
    }

    /// What the BPF side could not report, summed over CPUs.
    public func counters() -> TraceCounters {
        guard statsMapDescriptor >= 0 else { return TraceCounters() }
        let cpus = Int(max(1, libbpf_num_possible_cpus()))
        var values = [sockdiag_trace_stats](repeating: sockdiag_trace_stats(), count: cpus)
        var zero: UInt32 = 0
        guard values.withUnsafeMutableBytes({ bpf_map_lookup_elem(statsMapDescriptor, &zero, $0.baseAddress) }) == 0 else {
            return TraceCounters()
        }
        var counters = TraceCounters()
        for value in values {
            counters.lostEvents += value.lost_events
            counters.egressUntracked += value.egress_untracked
            counters.egressUnattributed += value.egress_unattributed
        }
        return counters
    }

    /// Detaches every program and unloads the object. Safe to call twice.
    public func detach() {
        detachLinks()
        if let ring { ring_buffer__free(ring) }
        ring = nil
        if let object { bpf_object__close(object) }
        object = nil
    }

    private func detachLinks() {
        for link in links { bpf_link__destroy(link) }
        links.removeAll()
    }

    deinit { detach() }
}

/// The ring buffer's callback target: decodes a record and hands it to the current poll's handler.
final class RingReader {
    let decoder = TraceRecordDecoder()
    var handler: ((TraceEvent) -> Void)?

    func receive(_ data: UnsafeRawPointer, size: Int) {
        guard let event = decoder.decode(data, size: size) else { return }
        handler?(event)
    }
}

private func ringSample(_ context: UnsafeMutableRawPointer?, _ data: UnsafeMutableRawPointer?, _ size: Int) -> Int32 {
    guard let context, let data else { return 0 }
    Unmanaged<RingReader>.fromOpaque(context).takeUnretainedValue().receive(UnsafeRawPointer(data), size: size)
    return 0
}
