import XCTest
@testable import SockdiagCore

/// connect-check's query parsing, client runs and verdicts, on observations built by hand.
final class ConnectCheckModelTests: XCTestCase {
    func a(_ text: String) -> IPAddress { IPAddress(text)! }

    func query(_ args: [String]) throws -> ConnectCheckQuery { try ConnectCheckQuery(positionals: args, transport: .tcp) }

    func error(_ args: [String]) -> String {
        do { _ = try ConnectCheckQuery(positionals: args, transport: .tcp); return "" } catch { return error.description }
    }

    func testQueryForms() throws {
        XCTAssertEqual(try query(["localhost", "3000"]).host, .name("localhost"))
        XCTAssertEqual(try query(["localhost:3000"]).port, Port(3000))
        XCTAssertEqual(try query(["[::1]:3000"]).host, .address(a("::1")))
        XCTAssertEqual(try query(["[::1]", "3000"]).host, .address(a("::1")))
        XCTAssertEqual(try query(["127.0.0.1:80"]).host, .address(a("127.0.0.1")))
        XCTAssertEqual(try query(["::1", "80"]).host, .address(a("::1")))
        XCTAssertEqual(try query(["db.internal", "5432"]).text, "db.internal:5432")
    }

    func testBadQueries() {
        XCTAssertEqual(error(["", "80"]), "the host name is empty")
        XCTAssertEqual(error([":80"]), "the host name is empty")
        XCTAssertEqual(error(["localhost", "70000"]), "'70000' is not a port: it is out of range: ports run from 0 to 65535")
        XCTAssertTrue(error(["localhost", "0"]).contains("port 0 cannot be connected to"))
        XCTAssertTrue(error(["localhost"]).contains("missing port after 'localhost'"))
        XCTAssertTrue(error(["::1"]).contains("[::1]:PORT"))
        XCTAssertTrue(error(["localhost:80", "81"]).contains("already names a port"))
        XCTAssertTrue(error(["[::1"]).contains("missing port") || error(["[::1"]).contains("']'"))
        XCTAssertTrue(error(["a", "b", "c"]).contains("too many arguments"))
        XCTAssertTrue(error([]).contains("missing HOST and PORT"))
    }

    /// A listener on 127.0.0.1 only; `localhost` answers ::1 first (the Node 17 story).
    func node17Observation(hostsText: String = "127.0.0.1 localhost\n::1 localhost\n", gaiConf: String? = nil,
                           resolved: [String] = ["::1", "127.0.0.1"]) -> ConnectCheckObservation {
        let listener = BindCheckSocket(family: .inet, transport: .tcp, state: .listen,
                                       local: SocketAddress(a("127.0.0.1"), Port(3000)), remote: SocketAddress(a("0.0.0.0"), Port(0)),
                                       v6only: nil, uid: 0, inode: 77,
                                       ownership: .owners([ProcessIdentity(pid: 42, comm: "node", cmdline: "node server.js")]))
        let routes: [IPAddress: RouteAnswer] = [a("::1"): RouteAnswer(kind: .local, interface: "lo", source: a("::1")),
                                                a("127.0.0.1"): RouteAnswer(kind: .local, interface: "lo", source: a("127.0.0.1"))]
        let list = resolved.map(a)
        return ConnectCheckObservation(query: ConnectCheckQuery(host: .name("localhost"), port: Port(3000), transport: .tcp),
                                       resolved: list, resolvedWithoutAddrconfig: list, hosts: HostsFile(text: hostsText),
                                       nameServices: .glibcDefault, gaiConf: gaiConf, routes: routes, sockets: [listener],
                                       defaultV6only: false)
    }

    func run(_ report: ConnectCheckReport, _ name: String) -> ClientRun { report.clients.first { $0.client.name == name }! }

    func testNode17Story() {
        let report = ConnectCheckReport.analyze(node17Observation())
        XCTAssertEqual(report.resolution.map(\.address), [a("::1"), a("127.0.0.1")])
        XCTAssertEqual(report.resolution.map(\.source.text), ["/etc/hosts:2", "/etc/hosts:1"])
        XCTAssertNil(report.modelOrderDiffers)
        XCTAssertEqual(run(report, "node_17_19").attempts.map(\.outcome), [.refused])
        XCTAssertNil(run(report, "node_17_19").reaches)
        XCTAssertEqual(run(report, "node_20").attempts.map(\.address), [a("::1"), a("127.0.0.1")])
        XCTAssertEqual(run(report, "node_20").reaches, a("127.0.0.1"))
        XCTAssertEqual(run(report, "python_create_connection").reaches, a("127.0.0.1"))
        XCTAssertEqual(run(report, "curl_before_8_2_1").attempts.map(\.address), [a("127.0.0.1")], "curl 7.78-8.2.0 answers localhost itself, IPv4 first")
        XCTAssertEqual(run(report, "curl").attempts.map(\.address), [a("::1"), a("127.0.0.1")], "curl 8.2.1+: IPv6 first")
        XCTAssertEqual(run(report, "java").reaches, a("127.0.0.1"))
        XCTAssertEqual(report.connectAddress(a("127.0.0.1"), run(report, "java").client), a("::ffff:127.0.0.1"))
        XCTAssertEqual(report.verdict, .firstChoiceRefused)
        XCTAssertEqual(report.exitStatus, .problemFound)
        XCTAssertTrue(report.findings.contains { $0.message.contains("Node 17-19") && $0.message.contains("refused") })
        let json = report.json
        XCTAssertEqual(json["verdict"], .string("first_choice_refused"))
        guard case let .array(answers)? = json["answers"] else { return XCTFail("no answers") }
        XCTAssertEqual(answers[0]["receiver"], .string("refused"))
        XCTAssertEqual(answers[1]["receiver"], .string("socket"))
        XCTAssertEqual(answers[1]["pid"], .int(42))
    }

    func testAModelThatDisagreesWithGlibcIsReportedAsABug() {
        let report = ConnectCheckReport.analyze(node17Observation(resolved: ["127.0.0.1", "::1"]))
        XCTAssertEqual(report.modelOrderDiffers, [a("::1"), a("127.0.0.1")])
        XCTAssertTrue(report.findings.contains { $0.severity == .error && $0.message.contains("bug in sockdiag") })
    }

    func testSpotifySplitSeenFromTheClient() {
        var observation = node17Observation()
        observation.sockets.append(BindCheckSocket(family: .inet6, transport: .tcp, state: .listen,
                                                   local: SocketAddress(a("::"), Port(3000)), remote: SocketAddress(a("::"), Port(0)),
                                                   v6only: true, uid: 0, inode: 88,
                                                   ownership: .owners([ProcessIdentity(pid: 43, comm: "spotify", cmdline: "spotify")])))
        let report = ConnectCheckReport.analyze(observation)
        XCTAssertEqual(report.verdict, .split)
        XCTAssertEqual(run(report, "node_17_19").reaches, a("::1"))
        XCTAssertEqual(run(report, "java").reaches, a("127.0.0.1"))
        XCTAssertTrue(report.findings.first?.message.contains("different processes") ?? false)
        XCTAssertTrue(report.text().contains("spotify (pid 43)"))
    }

    func testConsistentWhenADualStackListenerTakesBoth() {
        var observation = node17Observation()
        observation.sockets = [BindCheckSocket(family: .inet6, transport: .tcp, state: .listen,
                                               local: SocketAddress(a("::"), Port(3000)), remote: SocketAddress(a("::"), Port(0)),
                                               v6only: false, uid: 0, inode: 99)]
        let report = ConnectCheckReport.analyze(observation)
        XCTAssertEqual(report.verdict, .consistent)
        XCTAssertEqual(report.exitStatus, .ok)
    }

    func testNothingReachable() {
        var observation = node17Observation()
        observation.sockets = []
        XCTAssertEqual(ConnectCheckReport.analyze(observation).verdict, .nothingReachable)
    }

    func testHappyEyeballsOrders() {
        let list = [a("::1"), a("::2"), a("127.0.0.1"), a("127.0.0.2")]
        let everythingRefused: (IPAddress) -> AttemptOutcome = { _ in .refused }
        let node = ConnectCheckClients.all.first { $0.name == "node_20" }!
        let curl = ConnectCheckClients.all.first { $0.name == "curl" }!
        XCTAssertEqual(ConnectCheckClients.run(node, list: list, transport: .tcp, outcome: everythingRefused).attempts.map(\.address),
                       [a("::1"), a("127.0.0.1"), a("::2"), a("127.0.0.2")], "Node alternates families")
        XCTAssertEqual(ConnectCheckClients.run(curl, list: list, transport: .tcp, outcome: everythingRefused).attempts.map(\.address),
                       list, "curl and Go finish the first family first when each attempt fails at once")
        XCTAssertEqual(ConnectCheckClients.run(node, list: list, transport: .udp, outcome: everythingRefused).attempts.count, 1,
                       "a UDP client sends to its first address only")
    }

    func testJavaListsAndAddrconfigDrop() {
        var observation = node17Observation()
        observation.resolved = [a("127.0.0.1")]
        let report = ConnectCheckReport.analyze(observation)
        XCTAssertEqual(report.droppedByAddrconfig, [.inet6])
        XCTAssertEqual(run(report, "java").list, [a("127.0.0.1"), a("::1")])
        XCTAssertEqual(run(report, "java_prefer_ipv6").list, [a("::1"), a("127.0.0.1")])
        XCTAssertEqual(run(report, "python_create_connection").list, [a("::1"), a("127.0.0.1")], "Python does not pass AI_ADDRCONFIG")
        XCTAssertEqual(run(report, "node_17_19").list, [a("127.0.0.1")])
    }

    func testGoReadsTheHostsFileInFileOrder() {
        let report = ConnectCheckReport.analyze(node17Observation())
        XCTAssertEqual(run(report, "go").list, [a("127.0.0.1"), a("::1")])
    }
}
