import Foundation
import XCTest

/// SO_REUSEPORT shares a port only between sockets of one effective uid: holders started as
/// `nobody` against trials run as root (ports 49600-49699).
final class BindCheckUIDTests: XCTestCase {
    static let asNobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]

    func nobodyUID() throws -> Int {
        guard let entry = getpwnam("nobody") else { throw XCTSkip("no user 'nobody'") }
        return Int(entry.pointee.pw_uid)
    }

    func freePort(_ preferred: Int) throws -> Int {
        for port in stride(from: preferred, through: 49699, by: 10) where BindCheckPorts.isFree(port) { return port }
        throw HolderError(description: "no free port from \(preferred) in steps of 10 up to 49699")
    }

    func json(_ args: [String]) throws -> (CommandResult, [String: Any]) {
        let result = try Sockdiag.run(["bind-check", "--json"] + args)
        let object = try XCTUnwrap(result.json as? [String: Any], "no JSON from \(args): \(result.stderr)\(result.stdout)")
        return (result, object)
    }

    func trial(_ doc: [String: Any], reuseport: Bool) -> [String: Any]? {
        (doc["trials"] as? [[String: Any]])?.first { ($0["reuseport"] as? Bool) == reuseport && ($0["reuseaddr"] as? Bool) == false }
    }

    func testReuseportHolderOfAnotherUIDConflictsAndTheUIDIsNamed() throws {
        try requirePrivileges()
        let nobody = try nobodyUID()
        let p = try freePort(49600)
        let holder = try BindCheckHolder("127.0.0.1", p, reuseport: true, prefix: Self.asNobody)
        defer { holder.stop() }
        let (result, doc) = try json(["127.0.0.1", String(p)])
        XCTAssertEqual(result.status, 1, result.stderr)
        let held = try XCTUnwrap((doc["sockets"] as? [[String: Any]])?.first)
        XCTAssertEqual(held["uid"] as? Int, nobody)
        XCTAssertEqual(held["reuseport"] as? Bool, true)
        let reuseport = try XCTUnwrap(trial(doc, reuseport: true))
        XCTAssertEqual(reuseport["result"] as? String, "EADDRINUSE", "both set SO_REUSEPORT, but not as one uid")
        XCTAssertEqual(reuseport["conflicts"] as? [Int], [held["inode"] as? Int ?? -1])
        let why = (reuseport["explanations"] as? [[String: Any]])?.first?["why"] as? String ?? ""
        XCTAssertTrue(why.contains("uid \(nobody)") && why.contains("uid 0"), why)
        let advice = (doc["findings"] as? [[String: Any]])?.first?["advice"] as? String ?? ""
        XCTAssertTrue(advice.contains("a program running as uid \(nobody) with SO_REUSEPORT could share the port"), advice)

        // The same holder as root: the SO_REUSEPORT trial joins it.
        let q = try freePort(49601)
        let rootHolder = try BindCheckHolder("127.0.0.1", q, reuseport: true)
        defer { rootHolder.stop() }
        let (_, rootDoc) = try json(["127.0.0.1", String(q)])
        XCTAssertEqual(trial(rootDoc, reuseport: true)?["result"] as? String, "ok")
    }

    /// UDP lets sockets of different uids share an address with SO_REUSEADDR, yet their
    /// SO_REUSEPORT groups stay apart: every datagram goes to the group nearer the head of the
    /// chain (the one bound last), none is spread over both.
    func testUDPReuseportSocketsOfTwoUIDsAreTwoGroups() throws {
        try requirePrivileges()
        let nobody = try nobodyUID()
        let p = try freePort(49602)
        let root = try BindCheckHolder("127.0.0.1", p, udp: true, reuseaddr: true, reuseport: true)
        let other = try BindCheckHolder("127.0.0.1", p, udp: true, reuseaddr: true, reuseport: true, prefix: Self.asNobody)
        defer { root.stop(); other.stop() }
        let (_, doc) = try json(["--udp", "127.0.0.1", String(p)])
        let now = try XCTUnwrap((doc["receivers"] as? [[String: Any]])?.first {
            $0["scenario"] as? String == "existing" && $0["client_destination"] as? String == "127.0.0.1"
        })
        XCTAssertEqual(now["receiver"] as? String, "existing")
        XCTAssertEqual(now["pid"] as? Int, other.pid, "the socket bound last sits at the head of the chain")
        let why = now["why"] as? String ?? ""
        XCTAssertTrue(why.contains("another SO_REUSEPORT group") && why.contains("ties go to the first"), why)
        let findings = (doc["findings"] as? [[String: Any]] ?? []).map { ($0["message"] as? String ?? "") + " " + ($0["advice"] as? String ?? "") }
        XCTAssertFalse(findings.contains { $0.contains("spread over different processes") || $0.contains("would be shared with") }, "\(findings)")
        XCTAssertFalse(findings.contains { $0.contains("could share the port") }, "a uid-0 socket blocks uid \(nobody) too: \(findings)")
    }
}
