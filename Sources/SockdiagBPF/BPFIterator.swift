#if canImport(Glibc)
import Glibc
#endif
internal import CLibBPF
import SockdiagCore
import SockdiagSystem

/// Runs a BPF iterator program of an embedded object once and returns what it wrote: the object
/// is opened, its read-only data set, loaded, the program attached as an iterator and read to the
/// end, then everything is closed again.
enum BPFIterator {
    /// nil when iterators cannot be used here (no privilege, an old kernel, no BTF): the caller
    /// falls back or goes without. `settings` is given the object's `.rodata` (its `const
    /// volatile` variables) before loading and returns it with their values written (nil: cannot).
    static func output(objectBase64: String, program: some BPFProgramName,
                       settings: ([UInt8]) -> [UInt8]? = { $0 }) -> [UInt8]? {
        guard let object = Base64.decode(objectBase64) else { return nil }
        let previous = libbpf_set_print(nil) // a failure here means "fall back", not noise on stderr
        defer { libbpf_set_print(previous) }
        return object.withUnsafeBytes { raw -> [UInt8]? in
            var options = bpf_object_open_opts()
            options.sz = MemoryLayout<bpf_object_open_opts>.size
            guard let obj = bpf_object__open_mem(raw.baseAddress, raw.count, &options) else { return nil }
            defer { bpf_object__close(obj) }
            guard setReadOnlyData(obj, settings), bpf_object__load(obj) == 0 else { return nil }
            return run(obj, program.rawValue)
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

    private static func run(_ obj: OpaquePointer, _ name: String) -> [UInt8]? {
        guard let program = bpf_object__find_program_by_name(obj, name),
              let link = bpf_program__attach_iter(program, nil) else { return nil }
        defer { bpf_link__destroy(link) }
        let fd = bpf_iter_create(bpf_link__fd(link))
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
