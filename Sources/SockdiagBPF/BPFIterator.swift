internal import CLibBPF
import SockdiagCore
import SockdiagSystem

/// Runs a BPF iterator program of an embedded object once and returns what it wrote: the object
/// is opened with its read-only variables set (`OpenedBPFObject`), loaded by the kernel, the
/// program attached as an iterator and read to the end, then everything is closed again.
enum BPFIterator {
    /// nil when iterators cannot be used here (no privilege, an old kernel, no BTF): the caller
    /// falls back or goes without. `name` names the object (`sockopts`).
    /// `processes`: walk only the file tables of these processes (nil: of every task).
    static func output(_ object: [UInt8], name: String, program: some BPFProgramName, processes: [Int32]? = nil,
                       readOnly: [BPFReadOnlySetting] = []) -> [UInt8]? {
        // The kernel loads it (relocating against the BTF it holds); libbpf's own loading, which
        // reads and indexes the kernel's whole BTF here first, only where the kernel cannot
        // (before Linux 5.17: no BPF_PROG_TYPE_SYSCALL loader or no CO-RE in the kernel).
        if let opened = try? OpenedBPFObject(object, name: name, readOnly: readOnly),
           let loaded = opened.loadInKernel(program) {
            return loaded.withRawValue { walk($0, processes) }
        }
        guard let loaded = try? LoadedBPFObject.load(object, name: name, readOnly: readOnly),
              let descriptor = loaded.programDescriptor(program) else { return nil }
        return walk(descriptor, processes)
    }

    /// One pass over every task's files, or one over each process's (the kernel then visits no
    /// other file: on a host of 24,000 sockets a cgroup of one process costs its own few files).
    /// A process gone meanwhile has nothing to report; a kernel before 6.1 walks everything.
    private static func walk(_ program: Int32, _ processes: [Int32]?) -> [UInt8]? {
        var bytes: [UInt8] = []
        for pid in processes ?? [0] {
            let link = sockdiag_bpf_iter_link(program, UInt32(bitPattern: pid))
            if link == -Errno.invalidArgument.rawValue && pid != 0 { return walk(program, nil) }
            guard link >= 0 else {
                if pid == 0 { return nil }
                continue
            }
            guard read(link: FileDescriptor(owning: link), into: &bytes) else { return nil }
        }
        return bytes
    }

    /// Appends everything the iterator behind the link writes, read to the end; the link is
    /// closed after.
    private static func read(link: consuming FileDescriptor, into bytes: inout [UInt8]) -> Bool {
        let fd = link.withRawValue { bpf_iter_create($0) }
        guard fd >= 0 else { return false }
        let iterator = FileDescriptor(owning: fd)
        // bpf_seq_read hands out at most its 8-page buffer per read: each read lands in one scratch
        // chunk and only what was read is appended, so a large output is neither zero-filled
        // beforehand nor copied at every growth of a zeroed buffer.
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let read = chunk.withUnsafeMutableBytes { buffer in
                Result { () throws(Errno) in try iterator.read(into: buffer) }
            }
            switch read {
            case let .success(0): return true
            case let .success(count): bytes.append(contentsOf: chunk[..<count])
            // The iterator may ask to be read again while the kernel walks on.
            case let .failure(error) where error == .resourceTemporarilyUnavailable: continue
            case .failure: return false
            }
        }
    }
}
