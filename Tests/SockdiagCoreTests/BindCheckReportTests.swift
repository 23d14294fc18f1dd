import XCTest
@testable import SockdiagCore

/// Verdicts from observed sockets and trial results (no system access).
final class BindCheckReportTests: XCTestCase {
    let system = BindCheckSystem(bindv6only: false, ipv6Disabled: false, ipv4Addresses: [.loopback], ipv6Addresses: [.loopback],
                                 ephemeralRange: 32768...60999, reservedPorts: "", unprivilegedPortStart: 1024)

    func listener(_ family: AddressFamily, _ address: String, v6only: Bool? = nil, inode: UInt64, pid: Int32, comm: String) -> BindCheckSocket {
        BindCheckSocket(family: family, transport: .tcp, state: .listen, local: SocketAddress(IPAddress(address)!, Port(45000)),
                        remote: SocketAddress(family == .inet ? .v4(.any) : .v6(.any), Port(0)), v6only: v6only, uid: 0,
                        inode: inode, ownership: .owners([BindCheckOwner(pid: pid, comm: comm, cmdline: comm)]))
    }

    func outcomes(_ query: BindCheckQuery, failing: Set<Bool?>) -> [BindCheckTrialOutcome] {
        BindCheckTrialRequest.all(for: query).map { request in
            failing.contains(request.v6only)
                ? BindCheckTrialOutcome(request: request, result: .failure(BindCheckTrialFailure(stage: .bind, errno: .addressInUse)))
                : BindCheckTrialOutcome(request: request, result: .success(query.port))
        }
    }

    /// The Spotify story on Linux: 127.0.0.1:P is held, so a dual-stack [::]:P fails, and a V6ONLY
    /// one succeeds while IPv4 clients keep reaching the other process.
    func testSpotifyStory() {
        let query = BindCheckQuery(address: IPAddress("::")!, port: Port(45000), transport: .tcp)
        let spotify = listener(.inet, "127.0.0.1", inode: 10, pid: 4242, comm: "spotify")
        let report = BindCheckReport.analyze(BindCheckObservation(query: query, system: system, source: .netlink, sockets: [spotify],
                                                                  trials: outcomes(query, failing: [false]), trialUID: 0, netns: nil))
        XCTAssertEqual(report.exitStatus, .problemFound)
        XCTAssertTrue(report.verdict.contains("EADDRINUSE"), report.verdict)
        XCTAssertTrue(report.verdict.contains("spotify (pid 4242)"), report.verdict)
        XCTAssertTrue(report.findings[0].advice?.contains("IPV6_V6ONLY=1") ?? false)
        let afterV6only = report.receivers(for: .afterBind(v6only: true))
        XCTAssertEqual(afterV6only.first { $0.destination == .v4(.loopback) }?.reception?.receivers, [.existing(inode: 10)])
        XCTAssertEqual(afterV6only.first { $0.destination == .v6(.loopback) }?.reception?.receivers, [.newSocket])
        XCTAssertNil(report.receivers(for: .afterBind(v6only: false)).first?.reception, "the dual-stack bind fails")
        let json = report.json
        XCTAssertEqual(json["verdict"], .string(report.verdict))
        XCTAssertEqual(json["source"], "netlink")
    }

    /// The verdict is the first problem's message: the text says it once, with its advice under it.
    func testTextSaysTheVerdictOnceAndKeepsItsAdvice() throws {
        let query = BindCheckQuery(address: IPAddress("::")!, port: Port(45000), transport: .tcp)
        let spotify = listener(.inet, "127.0.0.1", inode: 10, pid: 4242, comm: "spotify")
        let report = BindCheckReport.analyze(BindCheckObservation(query: query, system: system, source: .netlink, sockets: [spotify],
                                                                  trials: outcomes(query, failing: [false]), trialUID: 0, netns: nil))
        let text = report.text()
        XCTAssertEqual(text.components(separatedBy: report.verdict).count - 1, 1, text)
        let lines = text.split(separator: "\n").map(String.init)
        let verdictLine = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("Verdict") })
        XCTAssertTrue(lines[verdictLine].hasSuffix(": " + report.verdict), lines[verdictLine])
        let advice = try XCTUnwrap(report.findings[0].advice)
        XCTAssertEqual(lines[verdictLine + 1], "  advice: " + advice)
        XCTAssertFalse(lines.contains { $0.hasPrefix("  error:") }, text)
        XCTAssertEqual(lines.filter { $0.hasPrefix("  info:") }.count, report.findings.count - 1, "every other finding stays")
    }

    /// A holder that set SO_REUSEPORT as another uid: the SO_REUSEPORT trial fails, and both the
    /// explanation and the advice name the uids.
    func testReuseportHolderOfAnotherUIDIsNamed() throws {
        let query = BindCheckQuery(address: IPAddress("127.0.0.1")!, port: Port(45000), transport: .tcp)
        var holder = listener(.inet, "127.0.0.1", inode: 10, pid: 4242, comm: "server")
        holder.uid = 65534
        holder.options = BindCheckSocketOptions(reuseaddr: false, reuseport: true, v6only: false, boundDeviceIndex: 0, boundDevice: nil)
        let report = BindCheckReport.analyze(BindCheckObservation(query: query, system: system, source: .netlink, sockets: [holder],
                                                                  trials: outcomes(query, failing: [nil]), trialUID: 0, netns: nil))
        let reuseport = try XCTUnwrap(report.trials.first { $0.outcome.request.reuseport })
        XCTAssertEqual(reuseport.conflicts.map(\.inode), [10])
        let why = try XCTUnwrap(reuseport.conflicts.first?.why)
        XCTAssertTrue(why.contains("uid 65534") && why.contains("uid 0"), why)
        let advice = try XCTUnwrap(report.findings.first?.advice)
        XCTAssertTrue(advice.contains("set it as uid 65534"), advice)
        XCTAssertTrue(advice.contains("a program running as uid 65534 with SO_REUSEPORT could share the port"), advice)
        XCTAssertFalse(advice.contains("SO_REUSEPORT on every socket lets them share"), advice)

        holder.uid = 0
        let sameUID = BindCheckReport.analyze(BindCheckObservation(query: query, system: system, source: .netlink, sockets: [holder],
                                                                   trials: outcomes(query, failing: [nil]), trialUID: 0, netns: nil))
        XCTAssertFalse(sameUID.findings.first?.advice?.contains("uid") ?? true, "one uid: the uid is not the obstacle")
    }

    func testAnSkLookupProgramIsAWarningAboutTheReceivers() {
        let query = BindCheckQuery(address: IPAddress("::")!, port: Port(45000), transport: .tcp)
        var observation = BindCheckObservation(query: query, system: system, source: .netlink, sockets: [],
                                               trials: outcomes(query, failing: []), trialUID: 0, netns: nil)
        observation.socketLookupPrograms = [42]
        let report = BindCheckReport.analyze(observation)
        XCTAssertEqual(report.exitStatus, .problemFound)
        XCTAssertTrue(report.verdict.contains("sk_lookup BPF program (id 42)"), report.verdict)
        XCTAssertEqual(report.json["sk_lookup_programs"], [42])
    }

    func testFreePortIsOk() {
        let query = BindCheckQuery(address: IPAddress("::")!, port: Port(45000), transport: .tcp)
        let report = BindCheckReport.analyze(BindCheckObservation(query: query, system: system, source: .proc, sockets: [],
                                                                  trials: outcomes(query, failing: []), trialUID: 0, netns: nil))
        XCTAssertEqual(report.verdict, "ok")
        XCTAssertEqual(report.exitStatus, .ok)
        XCTAssertEqual(report.receivers(for: .afterBind(v6only: false)).map { $0.reception?.receivers ?? [] }, [[.newSocket], [.newSocket], [.newSocket]])
    }

    func testExistingSplitBetweenFamiliesIsAProblemForAll() {
        let v4 = listener(.inet, "127.0.0.1", inode: 1, pid: 10, comm: "a")
        let v6 = listener(.inet6, "::", v6only: true, inode: 2, pid: 20, comm: "b")
        let all = BindCheckAllReport.analyze(listeners: [v4, v6], transport: .tcp, system: system, source: .netlink, netns: nil)
        XCTAssertEqual(all.exitStatus, .problemFound)
        XCTAssertEqual(all.problemPorts.map(\.port), [Port(45000)])
        XCTAssertTrue(all.findings[0].message.contains("split"), all.findings[0].message)
        let same = BindCheckAllReport.analyze(listeners: [v4, listener(.inet6, "::", v6only: true, inode: 3, pid: 10, comm: "a")],
                                              transport: .tcp, system: system, source: .netlink, netns: nil)
        XCTAssertEqual(same.exitStatus, .ok, "one process serving both families is fine")
    }

    func testOnlyAV6onlyListenerRefusesIPv4() {
        let v6 = listener(.inet6, "::", v6only: true, inode: 2, pid: 20, comm: "b")
        let all = BindCheckAllReport.analyze(listeners: [v6], transport: .tcp, system: system, source: .netlink, netns: nil)
        XCTAssertEqual(all.exitStatus, .problemFound)
        XCTAssertTrue(all.findings.contains { $0.message.contains("IPv4 clients of port 45000 are refused") })
    }

    func testTextTablesAreAligned() {
        let query = BindCheckQuery(address: IPAddress("::")!, port: Port(45000), transport: .tcp)
        let sockets = [listener(.inet, "127.0.0.1", inode: 10, pid: 4242, comm: "spotify"),
                       listener(.inet6, "::1", v6only: true, inode: 123456789, pid: 7, comm: "x")]
        let text = BindCheckReport.analyze(BindCheckObservation(query: query, system: system, source: .netlink, sockets: sockets,
                                                                trials: outcomes(query, failing: [false]), trialUID: 0, netns: nil)).text()
        let lines = text.split(separator: "\n").map(String.init)
        let header = lines.first { $0.hasPrefix("FAMILY") }!
        let column = header.range(of: "INODE")!.lowerBound.utf16Offset(in: header)
        for row in lines.filter({ $0.hasPrefix("inet") }) {
            XCTAssertNotEqual(row.dropFirst(column).first, " ", "INODE column misaligned in: \(row)")
            XCTAssertEqual(row[row.index(row.startIndex, offsetBy: column - 1)], " ")
        }
    }
}
