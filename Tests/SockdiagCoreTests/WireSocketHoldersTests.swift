import XCTest
@testable import SockdiagCore

/// Rows of sockets whose connect the trace never saw name a process: a socket open before the run
/// by its `socket` event's cookie, an accepted one by its listener's process.
final class WireSocketHoldersTests: XCTestCase, WireJoinBuilding {

    func line(_ text: String) -> WireKernelEvent {
        var event = WireKernelEvent()
        let status = Array(text.utf8).withUnsafeBytes { WireEventLineParser.parse($0, into: &event) }
        guard case .event = status else { XCTFail("not an event: \(text)"); return event }
        return event
    }

    static let mappedBeforeTheRun = #"{"schema":"sockdiag.trace-event/1","event":"socket","time_ns":1796040966109412498,"pid":15445,"comm":"python3","cgroup_id":36429,"cookie":71,"socket_family":"inet6","protocol":"tcp","state":"ESTAB","v6only":false,"local_address":"::ffff:127.0.0.1","local_port":37086,"remote_address":"::ffff:127.0.0.1","remote_port":38447,"class":"ipv4-mapped","ipv4":"127.0.0.1"}"#
    static let listenerBeforeTheRun = #"{"schema":"sockdiag.trace-event/1","event":"socket","time_ns":1796040966109412498,"pid":15446,"comm":"server","cgroup_id":36429,"cookie":72,"socket_family":"inet6","protocol":"tcp","state":"LISTEN","v6only":false,"local_address":"::","local_port":8080,"remote_address":null,"remote_port":null,"class":null}"#

    func testSocketEventLineIsReadForItsHolder() {
        let event = line(Self.mappedBeforeTheRun)
        XCTAssertEqual(event.kind, .socket)
        XCTAssertEqual(event.pid, 15445)
        XCTAssertEqual(event.comm.description, "python3")
        XCTAssertEqual(event.cookie, 71)
        XCTAssertFalse(event.listening)
        XCTAssertTrue(line(Self.listenerBeforeTheRun).listening)
        var noPid = WireKernelEvent()
        let status = Array(#"{"event":"socket","cookie":3}"#.utf8).withUnsafeBytes { WireEventLineParser.parse($0, into: &noPid) }
        guard case let .garbage(problem) = status else { return XCTFail("a socket event without pid was taken") }
        XCTAssertEqual(problem, .missingKey(event: .socket, key: "pid"))
    }

    func testConnectionOpenedBeforeTheRunNamesItsHolderWithVerdictIPv4Mapped() {
        let events = [line(Self.mappedBeforeTheRun),
                      egress(71, .inet6, local: "127.0.0.1", 37086, remote: "127.0.0.1", 38447, pid: nil)]
        let joined = join(events, [flow("127.0.0.1", 37086, "127.0.0.1", 38447)])
        XCTAssertEqual(joined.flows.count, 1)
        XCTAssertEqual(joined.flows[0].kernel?.pid, 15445)
        XCTAssertEqual(joined.flows[0].kernel?.comm.description, "python3")
        XCTAssertEqual(joined.flows[0].verdict, .ipv4Mapped)
    }

    func testAcceptedSocketNamesTheProcessOfItsListener() {
        // Listening before the run on [::]:8080; the accepted socket's packets are IPv4.
        let fromSnapshot = join([line(Self.listenerBeforeTheRun),
                                      egress(90, .inet6, local: "10.0.0.1", 8080, remote: "10.0.0.2", 50000, pid: nil)],
                                     [flow("10.0.0.1", 8080, "10.0.0.2", 50000)])
        XCTAssertEqual(fromSnapshot.flows[0].kernel?.pid, 15446)
        XCTAssertEqual(fromSnapshot.flows[0].kernel?.comm.description, "server")
        // Bound during the run: the TCP bind names the server.
        let bind = line(#"{"event":"bind","hook":"post_bind4","time_ns":1,"pid":77,"tid":77,"comm":"httpd","uid":0,"cgroup_id":5,"cookie":9,"socket_family":"inet","protocol":"tcp","address":"127.0.0.1","port":9090}"#)
        let fromBind = join([bind, egress(91, .inet, local: "127.0.0.1", 9090, remote: "127.0.0.1", 40000, pid: nil)],
                                 [flow("127.0.0.1", 9090, "127.0.0.1", 40000)])
        XCTAssertEqual(fromBind.flows[0].kernel?.pid, 77)
        // A UDP bind names nothing; a socket on another port stays unnamed.
        let udpBind = line(#"{"event":"bind","hook":"post_bind4","time_ns":1,"pid":78,"tid":78,"comm":"dns","uid":0,"cgroup_id":5,"cookie":10,"socket_family":"inet","protocol":"udp","address":"127.0.0.1","port":9090}"#)
        let unnamed = join([udpBind, bind, egress(92, .inet, local: "127.0.0.1", 9091, remote: "127.0.0.1", 40001, pid: nil)],
                                [flow("127.0.0.1", 9091, "127.0.0.1", 40001)])
        XCTAssertNil(unnamed.flows[0].kernel?.pid)
    }

    func testLaterPartsOfALogKeepTheirHolders() {
        var first = WireKernelTable(), later = WireKernelTable()
        first.add(egress(71, .inet6, local: "127.0.0.1", 37086, remote: "127.0.0.1", 38447, pid: nil))
        later.add(line(Self.mappedBeforeTheRun))
        first.addCounts(of: later)
        XCTAssertEqual(first.holders.holder(cookie: 71, transport: .tcp, localAddress: nil, localPort: nil)?.pid, 15445)
    }
}
