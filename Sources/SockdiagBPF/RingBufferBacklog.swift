#if canImport(Glibc)
import Glibc
#endif
internal import CLibBPF
import SockdiagCore

/// How many bytes a BPF ring buffer holds that its reader has not consumed yet, read from the two
/// position pages the kernel maps for every ring (the consumer's at offset 0, the producer's one
/// page further), without a system call.
struct RingBufferBacklog: ~Copyable {
    private let consumer: UnsafeMutableRawPointer
    private let producer: UnsafeMutableRawPointer
    private let pageSize: Int
    /// The ring's size in bytes.
    let capacity: Int

    init(mapDescriptor: Int32) throws(SockdiagError) {
        var info = bpf_map_info()
        var length = UInt32(MemoryLayout<bpf_map_info>.size)
        guard bpf_obj_get_info_by_fd(mapDescriptor, &info, &length) == 0 else {
            throw .system(call: "bpf_obj_get_info_by_fd", errno: Errno(errno), context: "reading the ring buffer's size")
        }
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard let consumer = mmap(nil, pageSize, PROT_READ, MAP_SHARED, mapDescriptor, 0), consumer != MAP_FAILED else {
            throw .system(call: "mmap", errno: Errno(errno), context: "reading the ring buffer's consumer position")
        }
        guard let producer = mmap(nil, pageSize, PROT_READ, MAP_SHARED, mapDescriptor, off_t(pageSize)), producer != MAP_FAILED else {
            let error = Errno(errno)
            munmap(consumer, pageSize)
            throw .system(call: "mmap", errno: error, context: "reading the ring buffer's producer position")
        }
        self.consumer = consumer
        self.producer = producer
        self.pageSize = pageSize
        capacity = Int(info.max_entries)
    }

    /// Bytes written and not yet consumed (headers included).
    var pendingBytes: Int {
        let consumed = consumer.load(as: UInt64.self)
        let produced = producer.load(as: UInt64.self)
        return Int(truncatingIfNeeded: produced &- consumed)
    }

    deinit {
        munmap(consumer, pageSize)
        munmap(producer, pageSize)
    }
}
