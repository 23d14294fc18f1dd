import XCTest
@testable import SockdiagCore

/// --redirect parsing and how redirect/block events read.
final class TracePolicyModelTests: XCTestCase {
    func testRedirectRulesParseBothFamilies() throws {
        let v4 = try TraceRedirectRule(parsing: "53=127.0.0.1:5353")
        XCTAssertEqual(v4.port, Port(53))
        XCTAssertEqual(v4.target.description, "127.0.0.1:5353")
        let v6 = try TraceRedirectRule(parsing: "53=[::1]:5353")
        XCTAssertEqual(v6.target.family, .inet6)
        let policy = try TracePolicy(redirects: [v4, v6], blockIPv6: true)
        XCTAssertEqual(policy.targetsByPort[Port(53)]?.v4, v4.target)
        XCTAssertEqual(policy.targetsByPort[Port(53)]?.v6, v6.target)
        XCTAssertEqual(policy.blockRule, "skb->protocol")
        XCTAssertEqual(try TracePolicy(blockIPv6: true, naive: true).blockRule, "skb->family")
    }

    func testBadRedirectsSayWhatIsWrong() {
        for (text, expected) in [("53", "PORT=ADDRESS:PORT"), ("x=127.0.0.1:1", "x"), ("53=127.0.0.1", "ADDRESS:PORT"),
                                 ("53=[::ffff:1.2.3.4]:53", "mapped"), ("0=127.0.0.1:53", "port 0"), ("53=::1:53", "brackets"),
                                 ("53=[fe80::1%lo]:53", "zone (%lo)")] {
            XCTAssertThrowsError(try TraceRedirectRule(parsing: text), text) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(text): \(error)")
            }
        }
        XCTAssertThrowsError(try TracePolicy(redirects: [try! TraceRedirectRule(parsing: "53=127.0.0.1:1"),
                                                         try! TraceRedirectRule(parsing: "53=127.0.0.2:1")]))
        XCTAssertThrowsError(try TracePolicy(naive: true))
    }

    func testRedirectFromAnInet6SocketAtSendmsg4ShowsTheMappedForms() {
        let redirect = TraceRedirect(TraceTaskContext(hook: .sendmsg4, timeNs: 5, pid: 7, tid: 7, comm: "dotnet", uid: 0,
                                                      cgroupID: 1, cookie: 3, socketFamily: .inet6, transport: .udp),
                                     hookOriginal: SocketAddress(.v4(IPv4Address(10, 0, 0, 53)), Port(53)),
                                     hookTarget: SocketAddress(.v4(.loopback), Port(5353)))
        let json = TracePolicyEvent.redirect(redirect).json(blockRule: "skb->protocol")
        XCTAssertEqual(json["event"], "redirect")
        XCTAssertEqual(json["original_address"], "::ffff:10.0.0.53")
        XCTAssertEqual(json["original_port"], 53)
        XCTAssertEqual(json["address"], "::ffff:127.0.0.1")
        XCTAssertEqual(json["port"], 5353)
        XCTAssertEqual(json["class"], "ipv4-mapped")
        let line = TracePolicyEvent.redirect(redirect).render(TraceRenderer(utcOffsetSeconds: 0), blockRule: "") ?? ""
        XCTAssertTrue(line.contains("[::ffff:10.0.0.53]:53 -> [::ffff:127.0.0.1]:5353"), line)
    }

    func testBlockedSocketsAreNamedAndCounted() {
        var session = TraceSession()
        let context = TraceTaskContext(hook: .connect6, timeNs: 1, pid: 9, tid: 9, comm: "curl", uid: 0, cgroupID: 1,
                                       cookie: 4, socketFamily: .inet6, transport: .tcp)
        _ = session.process(.socketCall(TraceSocketCall(context, hookAddress: .v6(.loopback), port: Port(443))))
        let blocked = TraceEgress(cookie: 4, timeNs: 2, pid: nil, comm: nil, socketFamily: .inet6, wireProtocol: .ipv6, transport: .tcp,
                                  local: SocketAddress(.v6(.loopback), Port(40000)), remote: SocketAddress(.v6(.loopback), Port(443)),
                                  packets: 1, bytes: 80, isFinal: false)
        guard case let .blocked(named) = session.process(.blocked(blocked)) else { return XCTFail("blocked expected") }
        XCTAssertEqual(named.pid, 9)
        let json = TracePolicyEvent.blocked(named).json(blockRule: "skb->protocol")
        XCTAssertEqual(json["event"], "blocked")
        XCTAssertEqual(json["rule"], "skb->protocol")
        XCTAssertNil(json["lesson"])
        XCTAssertEqual(session.summary.blockedSockets, 1)
        XCTAssertEqual(session.summary.json(command: nil, durationNs: 0)["blocked_sockets"], 1)
    }
}
