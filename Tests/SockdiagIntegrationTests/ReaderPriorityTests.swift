import Foundation
import SockdiagSystem
import XCTest

/// The trace reader's thread yields (nice 19) while its ring has room and takes its own priority
/// back once the ring passes half, as the kernel reports it for that thread alone.
final class ReaderPriorityTests: XCTestCase {
    /// The nice value of one thread, from /proc/thread-self/stat (field 19).
    private func threadNice() throws -> Int {
        let stat = try String(contentsOfFile: "/proc/thread-self/stat", encoding: .utf8)
        let fields = stat[stat.range(of: ")")!.upperBound...].split(separator: " ")
        return try XCTUnwrap(Int(fields[16]))
    }

    func testTheThreadYieldsWhileTheRingHasRoomAndCompetesOnceItPassesHalf() throws {
        try requirePrivileges()
        var result: Result<[Int], Error> = .success([])
        let done = DispatchSemaphore(value: 0)
        // A thread of its own, so the test runner's priority is never touched.
        let thread = Thread {
            defer { done.signal() }
            result = Result {
                let before = try self.threadNice()
                var priority = ReaderPriority(yielding: true)
                priority.adjust(pending: 0, capacity: 1 << 20)
                let yielding = try self.threadNice()
                priority.adjust(pending: 300 << 10, capacity: 1 << 20)  // between an eighth and half: kept
                let kept = try self.threadNice()
                priority.adjust(pending: 600 << 10, capacity: 1 << 20)
                let competing = try self.threadNice()
                priority.adjust(pending: 100 << 10, capacity: 1 << 20)
                let yieldingAgain = try self.threadNice()
                _ = consume priority
                let after = try self.threadNice()
                return [before, yielding, kept, competing, yieldingAgain, after]
            }
        }
        thread.start()
        done.wait()
        let nice = try result.get()
        XCTAssertEqual(nice, [nice[0], 19, 19, nice[0], 19, nice[0]])
    }

    func testAReaderThatMustKeepUpNeverYields() throws {
        var priority = ReaderPriority(yielding: false)
        priority.adjust(pending: 0, capacity: 1 << 20)
        XCTAssertFalse(priority.isYielding)
    }
}
