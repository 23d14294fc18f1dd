/// A Linux errno value with its symbolic name, as a trial bind reports it (`EADDRINUSE`).
public struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    // swift-system's names (`Errno.notPermitted` is EPERM, `Errno.permissionDenied` is EACCES).
    public static let notPermitted = Errno(1)           // EPERM
    public static let noSuchFileOrDirectory = Errno(2)  // ENOENT
    public static let noSuchProcess = Errno(3)          // ESRCH
    public static let interrupted = Errno(4)            // EINTR
    public static let permissionDenied = Errno(13)      // EACCES
    public static let resourceTemporarilyUnavailable = Errno(11) // EAGAIN
    public static let resourceBusy = Errno(16)          // EBUSY
    public static let invalidArgument = Errno(22)       // EINVAL
    public static let brokenPipe = Errno(32)            // EPIPE
    public static let addressFamilyNotSupported = Errno(97) // EAFNOSUPPORT
    public static let addressInUse = Errno(98)          // EADDRINUSE
    public static let addressNotAvailable = Errno(99)   // EADDRNOTAVAIL
    public static let connectionRefused = Errno(111)    // ECONNREFUSED

    private static let names: [Int32: String] = [
        1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 6: "ENXIO", 7: "E2BIG", 8: "ENOEXEC", 9: "EBADF",
        11: "EAGAIN", 12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 16: "EBUSY", 17: "EEXIST",
        19: "ENODEV", 20: "ENOTDIR", 21: "EISDIR", 22: "EINVAL", 23: "ENFILE", 24: "EMFILE", 26: "ETXTBSY", 27: "EFBIG",
        28: "ENOSPC", 30: "EROFS", 32: "EPIPE", 36: "ENAMETOOLONG", 38: "ENOSYS", 39: "ENOTEMPTY",
        40: "ELOOP", 64: "ENONET", 71: "EPROTO", 88: "ENOTSOCK", 92: "ENOPROTOOPT", 93: "EPROTONOSUPPORT",
        94: "ESOCKTNOSUPPORT", 95: "EOPNOTSUPP", 97: "EAFNOSUPPORT", 98: "EADDRINUSE",
        99: "EADDRNOTAVAIL", 100: "ENETDOWN", 101: "ENETUNREACH", 103: "ECONNABORTED",
        104: "ECONNRESET", 105: "ENOBUFS", 106: "EISCONN", 107: "ENOTCONN", 110: "ETIMEDOUT",
        111: "ECONNREFUSED", 112: "EHOSTDOWN", 113: "EHOSTUNREACH", 114: "EALREADY", 115: "EINPROGRESS",
        524: "ENOTSUPP",
    ]

    /// The errno named `EADDRINUSE` (or `E<number>`), as `name` writes it.
    public init?(name: String) {
        if let known = Errno.names.first(where: { $0.value == name }) {
            self.init(known.key)
        } else if name.hasPrefix("E"), let value = Int32(name.dropFirst()) {
            self.init(value)
        } else {
            return nil
        }
    }

    /// The errno whose name is the bytes `name`, as `init(name:)` reads it: a known name is found
    /// without making a String (an event log names one on every reset connection).
    public init?(name bytes: UnsafeRawBufferPointer) {
        if let packed = PackedName(bytes), let known = Errno.byPackedName[packed] {
            self.init(known)
        } else {
            self.init(name: String(decoding: bytes, as: UTF8.self))
        }
    }

    /// A name of at most 16 bytes as two words and its length: a dictionary key that hashes
    /// integers instead of a String.
    private struct PackedName: Hashable {
        var low: UInt64 = 0, high: UInt64 = 0, count: Int

        init?(_ bytes: UnsafeRawBufferPointer) {
            guard bytes.count <= 16 else { return nil }
            count = bytes.count
            for (i, byte) in bytes.enumerated() {
                if i < 8 { low |= UInt64(byte) << (8 * i) } else { high |= UInt64(byte) << (8 * (i - 8)) }
            }
        }
    }

    private static let byPackedName: [PackedName: Int32] = Dictionary(uniqueKeysWithValues: names.compactMap { value, name in
        Array(name.utf8).withUnsafeBytes { PackedName($0) }.map { ($0, value) }
    })

    /// `EADDRINUSE`, or `E<number>` for a value without a name here.
    public var name: String { Errno.names[rawValue] ?? "E\(rawValue)" }

    public var description: String { name }
}
