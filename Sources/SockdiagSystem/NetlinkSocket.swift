#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// A netlink socket this process owns, closed when it goes, and the one reading of its replies
/// that the sock_diag dumps (`BindCheckNetlink`) and the rtnetlink questions (`RouteNetlink`) share.
struct NetlinkSocket: ~Copyable {
    static let done: UInt16 = 3, error: UInt16 = 2

    private let fd: Int32
    /// What the errors call the socket's conversation ("sock_diag dump", "rtnetlink").
    private let purpose: String

    /// `socket(AF_NETLINK, type, netlinkProtocol)`; `name` is what a failure calls the socket.
    init(type: __socket_type, netlinkProtocol: Int32, name: String, purpose: String) throws(SockdiagError) {
        do throws(Errno) {
            fd = try Syscall.retrying { socket(AF_NETLINK, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue), netlinkProtocol) }
        } catch {
            throw .system(call: "socket(AF_NETLINK, \(name))", errno: error, context: "")
        }
        self.purpose = purpose
    }

    deinit { close(fd) }

    /// Sends one request whole; `context` is what a failure says was being sent.
    func send(_ request: [UInt8], context: String) throws(SockdiagError) {
        do throws(Errno) {
            let sent = try Syscall.send(fd, request)
            if sent != request.count { throw Errno(EMSGSIZE) }
        } catch {
            throw .system(call: "send", errno: error, context: context)
        }
    }

    /// Hands each reply message to `message` (its type, the received batch, the message's offset
    /// and length in it) until NLMSG_DONE, an acknowledgement (NLMSG_ERROR 0), a message cut short,
    /// or a batch after which `endsAfterBatch` says the answer is whole. With a `sequence`,
    /// messages answering another request are passed over. NLMSG_ERROR with a code throws it.
    func receive(bufferSize: Int, sequence: UInt32? = nil, endsAfterBatch: () -> Bool = { false },
                 _ message: (_ type: UInt16, _ batch: [UInt8], _ offset: Int, _ length: Int) -> Void) throws(SockdiagError) {
        var buffer = [UInt8](repeating: 0, count: bufferSize)
        while true {
            let n: Int
            do throws(Errno) {
                n = try Syscall.receive(fd, into: &buffer)
            } catch {
                throw .system(call: "recv", errno: error, context: purpose)
            }
            var offset = 0
            while offset + 16 <= n {
                let length = Int(buffer.le32(at: offset)), type = buffer.le16(at: offset + 4)
                guard length >= 16, offset + length <= n else { return }
                if let sequence, buffer.le32(at: offset + 8) != sequence { offset += (length + 3) & ~3; continue }
                if type == NetlinkSocket.done { return }
                if type == NetlinkSocket.error {
                    let code = Int32(bitPattern: buffer.le32(at: offset + 16))
                    if code == 0 { return }
                    throw .system(call: purpose, errno: Errno(-code), context: "")
                }
                message(type, buffer, offset, length)
                offset += (length + 3) & ~3
            }
            if endsAfterBatch() { return }
        }
    }
}
