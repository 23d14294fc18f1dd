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
    static func output(objectBase64: String, program: some BPFProgramName,
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
            let link = bpf_link_create(programDescriptor, 0, BPF_TRACE_ITER, nil)
            guard link >= 0 else { return nil }
            defer { close(link) }
            return read(link: link)
        }
        return opened(object, settings) { obj -> [UInt8]? in
            guard bpf_object__load(obj) == 0, let loaded = bpf_object__find_program_by_name(obj, program.rawValue),
                  let link = bpf_program__attach_iter(loaded, nil) else { return nil }
            defer { bpf_link__destroy(link) }
            return read(link: bpf_link__fd(link))
        }
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

    /// Everything the iterator behind the link writes, read to the end.
    private static func read(link: Int32) -> [UInt8]? {
        let fd = bpf_iter_create(link)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 1 << 19)
        var used = 0
        while true {
            if bytes.count - used < 1 << 16 { bytes += [UInt8](repeating: 0, count: bytes.count) }
            let read = bytes.withUnsafeMutableBytes { buffer in
                Result { () throws(Errno) in try Syscall.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[used...])) }
            }
            let n: Int
            switch read {
            case let .success(count): n = count
            // The iterator may ask to be read again while the kernel walks on.
            case let .failure(error) where error.rawValue == EAGAIN: continue
            case .failure: return nil
            }
            if n == 0 { break }
            used += n
        }
        bytes.removeLast(bytes.count - used)
        return bytes
    }
}
