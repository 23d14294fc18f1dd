internal import CLibBPF
import SockdiagCore
import SockdiagSystem

/// How many bytes a BPF ring buffer holds that its reader has not consumed yet, read from the two
/// position pages the kernel maps for every ring (the consumer's at offset 0, the producer's one
/// page further), without a system call.
struct RingBufferBacklog: ~Copyable {
    private let consumer: MappedPages
    private let producer: MappedPages
    /// The ring's size in bytes.
    let capacity: Int

    init(mapDescriptor: Int32) throws(SockdiagError) {
        var info = bpf_map_info()
        var length = UInt32(MemoryLayout<bpf_map_info>.size)
        guard bpf_obj_get_info_by_fd(mapDescriptor, &info, &length) == 0 else {
            throw .system(call: "bpf_obj_get_info_by_fd", errno: .current, context: "reading the ring buffer's size")
        }
        let consumer: MappedPages
        do throws(Errno) { consumer = try MappedPages(mapDescriptor, pageIndex: 0) } catch {
            throw .system(call: "mmap", errno: error, context: "reading the ring buffer's consumer position")
        }
        let producer: MappedPages
        do throws(Errno) { producer = try MappedPages(mapDescriptor, pageIndex: 1) } catch {
            throw .system(call: "mmap", errno: error, context: "reading the ring buffer's producer position")
        }
        self.consumer = consumer
        self.producer = producer
        capacity = Int(info.max_entries)
    }

    /// Where the kernel will write the ring's next record: every record before it is written.
    var producerPosition: UInt64 { producer.base.load(as: UInt64.self) }

    /// Whether the reader has consumed every record before `position`.
    func hasConsumed(through position: UInt64) -> Bool {
        Int64(bitPattern: consumer.base.load(as: UInt64.self) &- position) >= 0
    }

    /// Bytes written and not yet consumed (headers included).
    var pendingBytes: Int {
        let consumed = consumer.base.load(as: UInt64.self)
        let produced = producer.base.load(as: UInt64.self)
        return Int(truncatingIfNeeded: produced &- consumed)
    }
}
