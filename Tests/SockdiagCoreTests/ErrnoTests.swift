#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore
import XCTest

/// `Errno`'s named values against the C library's constants, with swift-system's names:
/// `notPermitted` is EPERM and `permissionDenied` is EACCES, not the other way round.
final class ErrnoTests: XCTestCase {
    func testNamedValuesAreTheCLibrarysConstants() {
        let named: [(Errno, Int32, String)] = [
            (.notPermitted, EPERM, "EPERM"), (.noSuchFileOrDirectory, ENOENT, "ENOENT"),
            (.noSuchProcess, ESRCH, "ESRCH"), (.interrupted, EINTR, "EINTR"),
            (.permissionDenied, EACCES, "EACCES"), (.resourceTemporarilyUnavailable, EAGAIN, "EAGAIN"),
            (.resourceBusy, EBUSY, "EBUSY"), (.invalidArgument, EINVAL, "EINVAL"), (.brokenPipe, EPIPE, "EPIPE"),
            (.addressFamilyNotSupported, EAFNOSUPPORT, "EAFNOSUPPORT"),
            (.addressInUse, EADDRINUSE, "EADDRINUSE"), (.addressNotAvailable, EADDRNOTAVAIL, "EADDRNOTAVAIL"),
            (.connectionRefused, ECONNREFUSED, "ECONNREFUSED"),
        ]
        for (errno, value, name) in named {
            XCTAssertEqual(errno.rawValue, value, name)
            XCTAssertEqual(errno.name, name)
            XCTAssertEqual(Errno(name: name), errno)
        }
    }

    func testUnnamedValuesRoundTripAsNumbers() {
        XCTAssertEqual(Errno(4095).name, "E4095")
        XCTAssertEqual(Errno(name: "E4095"), Errno(4095))
        XCTAssertNil(Errno(name: "nonsense"))
    }

    /// An event log's names are read from their bytes: every value's name reads back as it, and
    /// what is not a name reads as the String does.
    func testNamesReadFromBytesAsFromStrings() {
        func fromBytes(_ name: String) -> Errno? { Array(name.utf8).withUnsafeBytes { Errno(name: $0) } }
        for value in Int32(1)...600 { XCTAssertEqual(fromBytes(Errno(value).name), Errno(value), "\(value)") }
        for text in ["", "E", "E4095", "ECONNRESETX", "ECONNRESE", "econnreset", "ECONNRESET\0", "EPROTONOSUPPORTS", "nonsense"] {
            XCTAssertEqual(fromBytes(text), Errno(name: text), text)
        }
    }
}
