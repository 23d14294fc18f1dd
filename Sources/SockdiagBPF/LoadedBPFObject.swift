internal import CLibBPF
import SockdiagCore
import SockdiagSystem

/// An embedded BPF object opened by libbpf, its maps shared and its read-only variables set, not
/// yet in the kernel: every embedded object starts here. Loading consumes it, by libbpf
/// (`load`: programs to attach and maps to read) or by the kernel (`loadInKernel`: an iterator
/// run once); one that is dropped unloaded is closed.
struct OpenedBPFObject: ~Copyable {
    private let object: OpaquePointer

    /// `sharing` names maps of this object that are to be another object's maps (by descriptor),
    /// so two objects write one ring buffer. `readOnly` sets `const volatile` variables of .rodata
    /// before the verifier sees them. `name` names the object in messages.
    init(_ bytes: [UInt8], name: String, sharing: [(map: any BPFMapName, descriptor: Int32)] = [],
         readOnly: [BPFReadOnlySetting] = []) throws(SockdiagError) {
        BPFLog.silence()
        let opened = bytes.withUnsafeBytes { bpf_object__open_mem($0.baseAddress, $0.count, nil) }
        guard let opened else {
            throw .system(call: "bpf_object__open_mem", errno: .current, context: "opening the embedded \(name) programs")
        }
        for shared in sharing {
            let reused = bpf_object__find_map_by_name(opened, shared.map.rawValue).map { bpf_map__reuse_fd($0, shared.descriptor) }
                ?? -Errno.invalidArgument.rawValue
            guard reused == 0 else {
                bpf_object__close(opened)
                throw .system(call: "bpf_map__reuse_fd", errno: Errno(-reused), context: "sharing the \(shared.map.rawValue) map with the \(name) programs")
            }
        }
        if !readOnly.isEmpty && !Self.setReadOnly(readOnly, in: opened) {
            bpf_object__close(opened)
            throw .invalidInput("the embedded \(name) object lacks \(readOnly.map(\.variable.name).joined(separator: ", ")) in its .rodata; the build is broken")
        }
        object = opened
    }

    /// Writes the values into the opened object's .rodata, where the build found each variable.
    private static func setReadOnly(_ values: [BPFReadOnlySetting], in object: OpaquePointer) -> Bool {
        var map = bpf_object__next_map(object, nil)
        while let current = map {
            if let name = bpf_map__name(current), String(cString: name).hasSuffix(".rodata") {
                var size = 0
                guard let initial = bpf_map__initial_value(current, &size) else { return false }
                var data: [UInt8]? = [UInt8](UnsafeRawBufferPointer(start: initial, count: size))
                for setting in values { data = data.flatMap(setting.write) }
                guard let data else { return false }
                return data.withUnsafeBytes { bpf_map__set_initial_value(current, $0.baseAddress, $0.count) } == 0
            }
            map = bpf_object__next_map(object, current)
        }
        return false
    }

    /// Loads the object through libbpf, which relocates it against the kernel's BTF read in this
    /// process; `name` names it in messages.
    consuming func load(name: String) throws(SockdiagError) -> LoadedBPFObject {
        let object = self.object
        discard self
        let loaded = bpf_object__load(object)
        guard loaded == 0 else {
            bpf_object__close(object)
            throw BPFLog.loadError(Errno(-loaded), what: name)
        }
        return LoadedBPFObject(loaded: object, name: name)
    }

    /// Has the kernel load the object, as a light skeleton does (`sockdiag_bpf_load_in_kernel`: the
    /// kernel relocates it against the BTF it holds), and returns `program`'s descriptor; the
    /// object is closed. nil where the kernel cannot (before Linux 5.17).
    consuming func loadInKernel(_ program: some BPFProgramName) -> FileDescriptor? {
        let descriptor = sockdiag_bpf_load_in_kernel(object, program.rawValue)
        return descriptor >= 0 ? FileDescriptor(owning: descriptor) : nil
    }

    deinit { bpf_object__close(object) }
}

/// One embedded BPF object loaded into the kernel, with the bpf_links of its attached programs.
/// The links are destroyed (the programs detached) and the object closed once, when its owner
/// goes; links also detach when this process exits, however it exits.
struct LoadedBPFObject: ~Copyable {
    private let object: OpaquePointer
    private var links: [OpaquePointer] = []
    let name: String

    /// The object opened as `OpenedBPFObject.init` does, then loaded by libbpf.
    static func load(_ bytes: [UInt8], name: String, sharing: [(map: any BPFMapName, descriptor: Int32)] = [],
                     readOnly: [BPFReadOnlySetting] = []) throws(SockdiagError) -> LoadedBPFObject {
        try OpenedBPFObject(bytes, name: name, sharing: sharing, readOnly: readOnly).load(name: name)
    }

    fileprivate init(loaded object: OpaquePointer, name: String) {
        self.object = object
        self.name = name
    }

    /// Sets `key -> value` in a hash map of UInt32 keys and UInt8 values.
    func insert(_ key: UInt32, _ value: UInt8, into map: some BPFMapName) throws(SockdiagError) {
        var key = key, value = value
        let result = bpf_map_update_elem(mapDescriptor(map), &key, &value, UInt64(BPF_ANY))
        guard result == 0 else { throw .system(call: "bpf_map_update_elem", errno: Errno(-result), context: "filling \(map.rawValue)") }
    }

    /// Whether a hash map of UInt32 keys holds no entry.
    func isEmpty(_ map: some BPFMapName) -> Bool {
        var next: UInt32 = 0
        return bpf_map_get_next_key(mapDescriptor(map), nil, &next) != 0
    }

    /// The descriptor of a program, which the object keeps; nil when it has none by that name.
    func programDescriptor(_ program: some BPFProgramName) -> Int32? {
        bpf_object__find_program_by_name(object, program.rawValue).map(bpf_program__fd)
    }

    /// The descriptor of a map, or -1 when the object has none by that name.
    func mapDescriptor(_ map: some BPFMapName) -> Int32 {
        guard let map = bpf_object__find_map_by_name(object, map.rawValue) else { return -1 }
        return bpf_map__fd(map)
    }

    /// Attaches the named programs to the cgroup in order; on failure, detaches the ones this call attached.
    mutating func attach(_ programNames: [some BPFProgramName], to cgroup: CgroupDirectory) throws(SockdiagError) {
        try attachEach(programNames, call: "bpf_link_create", target: " to \(cgroup.path)") { program in
            cgroup.withDescriptor { bpf_program__attach_cgroup(program, $0) }
        }
    }

    /// Attaches programs that name their own attach point (tp_btf/...), in order; on failure,
    /// detaches the ones this call attached.
    mutating func attachTracing(_ programNames: [some BPFProgramName]) throws(SockdiagError) {
        try attachEach(programNames, call: "bpf_program__attach", target: "") { bpf_program__attach($0) }
    }

    private mutating func attachEach(_ programNames: [some BPFProgramName], call: String, target: String,
                                     _ link: (OpaquePointer) -> OpaquePointer?) throws(SockdiagError) {
        var attached: [OpaquePointer] = []
        for programName in programNames.map(\.rawValue) {
            guard let program = bpf_object__find_program_by_name(object, programName) else {
                attached.forEach { bpf_link__destroy($0) }
                throw .invalidInput("the embedded \(name) object lacks \(programName); the build is broken")
            }
            guard let made = link(program) else {
                let error = Errno.current
                attached.forEach { bpf_link__destroy($0) }
                throw .system(call: call, errno: error, context: "attaching \(programName)\(target)")
            }
            attached.append(made)
        }
        links += attached
    }

    /// Detaches the programs attached so far; the object stays loaded.
    mutating func detachLinks() {
        for link in links { bpf_link__destroy(link) }
        links.removeAll()
    }

    /// A per-CPU array element 0 read into one value per CPU.
    func perCPUValues<T: BitwiseCopyable>(_ map: some BPFMapName, zero: T) -> [T] {
        let fd = mapDescriptor(map)
        guard fd >= 0 else { return [] }
        let cpus = Int(max(1, libbpf_num_possible_cpus()))
        var values = [T](repeating: zero, count: cpus)
        var key: UInt32 = 0
        guard values.withUnsafeMutableBytes({ bpf_map_lookup_elem(fd, &key, $0.baseAddress) }) == 0 else { return [] }
        return values
    }

    /// The values of an array made with BPF_F_MMAPABLE that `keep` accepts, in index order, read
    /// in place through a read-only mapping: no copy of the whole array, whose slots are mostly
    /// empty in a short run. T is a plain C struct of the map's value size; nil when the map
    /// cannot be mapped.
    func mappedValues<T: BitwiseCopyable>(_ map: some BPFMapName, as type: T.Type, keep: (T) -> Bool) -> [T]? {
        let fd = mapDescriptor(map)
        var info = bpf_map_info()
        var length = UInt32(MemoryLayout<bpf_map_info>.size)
        guard fd >= 0, bpf_obj_get_info_by_fd(fd, &info, &length) == 0, Int(info.value_size) == MemoryLayout<T>.size else {
            return nil
        }
        // The kernel lays the values out 8-byte aligned.
        let stride = (Int(info.value_size) + 7) & ~7
        let count = Int(info.max_entries)
        let pages: MappedPages
        do throws(Errno) { pages = try MappedPages(fd, bytes: stride * count) } catch { return nil }
        var kept: [T] = []
        for index in 0..<count {
            let value = pages.base.loadUnaligned(fromByteOffset: index * stride, as: T.self)
            if keep(value) { kept.append(value) }
        }
        return kept
    }

    /// Every value of a hash map keyed by UInt64 (socket cookies), in the map's order. T is a plain
    /// C struct. Read a few thousand entries per system call (a trace ends with one entry per
    /// socket it saw: 40,000 after 20,000 connects); a kernel without batch lookups for the map is
    /// walked key by key, two calls per entry.
    func entries<T: BitwiseCopyable>(_ map: some BPFMapName, zero: T) -> [T] {
        let fd = mapDescriptor(map)
        guard fd >= 0 else { return [] }
        if let batched = batchEntries(fd, zero: zero) { return batched }
        var out: [T] = []
        var key: UInt64 = 0, next: UInt64 = 0
        var value = zero
        var hasKey = false
        while (hasKey ? bpf_map_get_next_key(fd, &key, &next) : bpf_map_get_next_key(fd, nil, &next)) == 0 {
            if withUnsafeMutableBytes(of: &value, { bpf_map_lookup_elem(fd, &next, $0.baseAddress) }) == 0 { out.append(value) }
            key = next
            hasKey = true
        }
        return out
    }

    /// The entries through BPF_MAP_LOOKUP_BATCH (Linux 5.6+), in the order `bpf_map_get_next_key`
    /// walks them (bucket by bucket); nil when the kernel refuses the command for this map.
    private func batchEntries<T: BitwiseCopyable>(_ fd: Int32, zero: T) -> [T]? {
        let chunk = 4096
        var keys = [UInt64](repeating: 0, count: chunk)
        var values = [T](repeating: zero, count: chunk)
        var out: [T] = []
        // The kernel's position between calls (a bucket index for hash maps), opaque here.
        var position: UInt64 = 0
        var started = false
        while true {
            var count = UInt32(chunk)
            var next: UInt64 = 0
            let result = keys.withUnsafeMutableBytes { keyBytes in
                values.withUnsafeMutableBytes { valueBytes in
                    started ? bpf_map_lookup_batch(fd, &position, &next, keyBytes.baseAddress, valueBytes.baseAddress, &count, nil)
                            : bpf_map_lookup_batch(fd, nil, &next, keyBytes.baseAddress, valueBytes.baseAddress, &count, nil)
                }
            }
            let error = result < 0 ? Errno(-result) : nil
            // ENOENT: the last entries came with this call. Anything else (EINVAL or ENOTSUPP: no
            // batch lookups for this map here) leaves the whole walk to the caller.
            if let error, error != .noSuchFileOrDirectory { return nil }
            out.append(contentsOf: values.prefix(Int(count)))
            if error != nil { return out }
            position = next
            started = true
        }
    }

    deinit {
        for link in links { bpf_link__destroy(link) }
        bpf_object__close(object)
    }
}

/// A ring buffer read through libbpf, its records handed to a closure for the length of a poll;
/// freed once, when its owner goes.
struct RingBufferReader: ~Copyable {
    private let ring: OpaquePointer
    /// The C callback's context: a class, so its address stays put while the reader moves.
    private let sink = RingSink()

    init(mapDescriptor: Int32, what: String) throws(SockdiagError) {
        let context = Unmanaged.passUnretained(sink).toOpaque()
        guard let made = ring_buffer__new(mapDescriptor, ringSample, context, nil) else {
            throw .system(call: "ring_buffer__new", errno: .current, context: "reading the \(what) ring buffer")
        }
        ring = made
    }

    /// Most records one poll hands on. libbpf reads a ring until it finds it empty, so against a
    /// program that writes as fast as it is read (a send loop in the traced cgroup) a poll would
    /// never return, and neither --duration, --count nor a signal would be looked at again.
    static let recordsPerPoll = 16_384

    /// Waits up to `timeoutMilliseconds`, then reads what is pending, at most `recordsPerPoll`
    /// records; returns how many.
    func poll(timeoutMilliseconds: Int32, _ handler: (UnsafeRawPointer, Int) -> Void) throws(SockdiagError) -> Int {
        try withoutActuallyEscaping(handler) { (escapable) throws(SockdiagError) -> Int in
            sink.handler = escapable
            sink.remaining = Self.recordsPerPoll
            defer { sink.handler = nil }
            let polled = ring_buffer__poll(ring, timeoutMilliseconds)
            if sink.remaining == 0 { return Self.recordsPerPoll }
            if polled < 0 && polled != -Errno.interrupted.rawValue {
                throw SockdiagError.system(call: "ring_buffer__poll", errno: Errno(-polled), context: "reading events")
            }
            // Records submitted without a wakeup are only read by a consume.
            let consumed = ring_buffer__consume(ring)
            if sink.remaining == 0 { return Self.recordsPerPoll }
            if consumed < 0 && consumed != -Errno.interrupted.rawValue {
                throw SockdiagError.system(call: "ring_buffer__consume", errno: Errno(-consumed), context: "reading events")
            }
            return Int(max(0, polled)) + Int(max(0, consumed))
        }
    }

    deinit { ring_buffer__free(ring) }
}

private final class RingSink {
    var handler: ((UnsafeRawPointer, Int) -> Void)?
    /// Records this poll may still hand on; at 0 the callback stops libbpf's read.
    var remaining = 0
}

/// What the callback returns to stop libbpf's read once the poll's records are used up: libbpf
/// keeps the record just handed on as consumed and returns this value.
private let pollBudgetSpent: Int32 = -Errno.resourceTemporarilyUnavailable.rawValue

private func ringSample(_ context: UnsafeMutableRawPointer?, _ data: UnsafeMutableRawPointer?, _ size: Int) -> Int32 {
    guard let context, let data else { return 0 }
    let sink = Unmanaged<RingSink>.fromOpaque(context).takeUnretainedValue()
    sink.handler?(UnsafeRawPointer(data), size)
    sink.remaining -= 1
    return sink.remaining > 0 ? 0 : pollBudgetSpent
}
