#if canImport(Glibc)
import Glibc
#endif
internal import CLibBPF
import SockdiagCore
import SockdiagSystem

/// Runs a BPF iterator program of an embedded object once and returns what it wrote: the object
/// is opened, its read-only data set, loaded by the kernel, the program attached as an iterator and
/// read to the end, then everything is closed again.
enum BPFIterator {
    /// nil when iterators cannot be used here (no privilege, an old kernel, no BTF): the caller
    /// falls back or goes without. `settings` is given the object's `.rodata` (its `const
    /// volatile` variables) before loading and returns it with their values written (nil: cannot).
    /// `processes`: walk only the file tables of these processes (nil: of every task).
    static func output(objectBase64: String, program: some BPFProgramName, processes: [Int32]? = nil,
                       settings: ([UInt8]) -> [UInt8]? = { $0 }) -> [UInt8]? {
        guard let object = Base64.decode(objectBase64) else { return nil }
        let previous = libbpf_set_print(nil) // a failure here means "fall back", not noise on stderr
        defer { libbpf_set_print(previous) }
        // The kernel loads it (relocating against the BTF it holds); libbpf's own loading, which
        // reads and indexes the kernel's whole BTF here first, only where the kernel cannot
        // (before Linux 5.17: no BPF_PROG_TYPE_SYSCALL loader or no CO-RE in the kernel).
        let loadedInKernel = opened(object, settings) { obj -> Int32? in
            let descriptor = sockdiag_bpf_load_in_kernel(obj, program.rawValue)
            return descriptor >= 0 ? descriptor : nil
        }
        if let programDescriptor = loadedInKernel {
            defer { close(programDescriptor) }
            return walk(programDescriptor, processes)
        }
        return opened(object, settings) { obj -> [UInt8]? in
            guard bpf_object__load(obj) == 0, let loaded = bpf_object__find_program_by_name(obj, program.rawValue) else { return nil }
            return walk(bpf_program__fd(loaded), processes)
        }
    }

    /// One pass over every task's files, or one over each process's (the kernel then visits no
    /// other file: on a host of 24,000 sockets a cgroup of one process costs its own few files).
    /// A process gone meanwhile has nothing to report; a kernel before 6.1 walks everything.
    private static func walk(_ program: Int32, _ processes: [Int32]?) -> [UInt8]? {
        var bytes: [UInt8] = []
        for pid in processes ?? [0] {
            let link = sockdiag_bpf_iter_link(program, UInt32(bitPattern: pid))
            if link == -EINVAL && pid != 0 { return walk(program, nil) }
            guard link >= 0 else {
                if pid == 0 { return nil }
                continue
            }
            defer { close(link) }
            guard read(link: link, into: &bytes) else { return nil }
        }
        return bytes
    }

    /// The object opened with its read-only data set, handed to `body`, closed again.
    private static func opened<T>(_ object: [UInt8], _ settings: ([UInt8]) -> [UInt8]?,
                                  _ body: (OpaquePointer) -> T?) -> T? {
        object.withUnsafeBytes { raw -> T? in
            var options = bpf_object_open_opts()
            options.sz = MemoryLayout<bpf_object_open_opts>.size
            guard let obj = bpf_object__open_mem(raw.baseAddress, raw.count, &options) else { return nil }
            defer { bpf_object__close(obj) }
            guard setReadOnlyData(obj, settings) else { return nil }
            return body(obj)
        }
    }

    /// True when the object has no `.rodata` to set.
    private static func setReadOnlyData(_ obj: OpaquePointer, _ settings: ([UInt8]) -> [UInt8]?) -> Bool {
        var map = bpf_object__next_map(obj, nil)
        while let current = map {
            if let name = bpf_map__name(current), String(cString: name).hasSuffix(".rodata") {
                var size = 0
                guard let initial = bpf_map__initial_value(current, &size),
                      let data = settings([UInt8](UnsafeRawBufferPointer(start: initial, count: size))) else { return false }
                return data.withUnsafeBytes { bpf_map__set_initial_value(current, $0.baseAddress, $0.count) } == 0
            }
            map = bpf_object__next_map(obj, current)
        }
        return true
    }

    /// Appends everything the iterator behind the link writes, read to the end.
    private static func read(link: Int32, into bytes: inout [UInt8]) -> Bool {
        let fd = bpf_iter_create(link)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var used = bytes.count
        while true {
            // bpf_seq_read hands out at most its 8-page buffer per read.
            if bytes.count - used < 1 << 16 { bytes += [UInt8](repeating: 0, count: max(1 << 17, bytes.count)) }
            let read = bytes.withUnsafeMutableBytes { buffer in
                Result { () throws(Errno) in try Syscall.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[used...])) }
            }
            let n: Int
            switch read {
            case let .success(count): n = count
            // The iterator may ask to be read again while the kernel walks on.
            case let .failure(error) where error.rawValue == EAGAIN: continue
            case .failure:
                bytes.removeLast(bytes.count - used)
                return false
            }
            if n == 0 { break }
            used += n
        }
        bytes.removeLast(bytes.count - used)
        return true
    }
}
