import XCTest
@testable import SockdiagCore

/// The event model: how a hook's raw view becomes what the user reads.
final class TraceModelTests: XCTestCase {
    func call(_ hook: TraceHook, _ family: AddressFamily, _ address: String, cookie: UInt64 = 7,
              transport: TransportProtocol? = .udp) -> TraceSocketCall {
        TraceSocketCall(TraceTaskContext(hook: hook, timeNs: 1_000, pid: 42, tid: 43, comm: "dotnet", uid: 0, cgroupID: 9,
                                         cookie: cookie, socketFamily: family, transport: transport),
                        hookAddress: IPAddress(address)!, port: Port(53))
    }

    func egress(cookie: UInt64 = 7, family: AddressFamily = .inet6, wire: TraceWireProtocol = .ipv4, final: Bool = false) -> TraceEgress {
        TraceEgress(cookie: cookie, timeNs: 2_000, pid: nil, comm: nil, socketFamily: family, wireProtocol: wire,
                    transport: .tcp, local: SocketAddress(.v4(.loopback), Port(40000)),
                    remote: SocketAddress(.v4(.loopback), Port(53)), packets: final ? 5 : 1, bytes: 60, isFinal: final)
    }

    func testSendmsg4FromAnInet6SocketIsShownMapped() {
        let send = call(.sendmsg4, .inet6, "10.0.0.2")
        XCTAssertEqual(send.address.description, "::ffff:10.0.0.2")
        XCTAssertEqual(send.classification.kind, .ipv4Mapped)
        XCTAssertTrue(send.isMapped)
        let json = send.json(lesson: TraceLesson.lesson(for: .socketCall(send)))
        XCTAssertEqual(json["event"], "sendmsg")
        XCTAssertEqual(json["hook"], "sendmsg4")
        XCTAssertEqual(json["socket_family"], "inet6")
        XCTAssertEqual(json["class"], "ipv4-mapped")
        XCTAssertEqual(json["ipv4"], "10.0.0.2")
        XCTAssertEqual(json["address"], "::ffff:10.0.0.2")
        XCTAssertEqual(json["hook_address"], "10.0.0.2")
        XCTAssertEqual(json["lesson"], .string(TraceLesson.mappedSend.text))
    }

    func testSendmsg4FromAnInetSocketIsPlainIPv4() {
        let send = call(.sendmsg4, .inet, "10.0.0.2")
        XCTAssertEqual(send.address.description, "10.0.0.2")
        XCTAssertFalse(send.isMapped)
        let json = send.json(lesson: nil)
        XCTAssertEqual(json["class"], "ipv4")
        XCTAssertNil(json["ipv4"], "plain IPv4 has no embedded address")
        XCTAssertEqual(json["lesson"], .null)
    }

    func testConnect6ClassesFollowTheAddressModel() {
        XCTAssertEqual(call(.connect6, .inet6, "::ffff:1.1.1.1").json(lesson: nil)["class"], "ipv4-mapped")
        XCTAssertEqual(call(.connect6, .inet6, "::1").json(lesson: nil)["class"], "ipv6")
        XCTAssertEqual(call(.connect6, .inet6, "64:ff9b::a00:1").json(lesson: nil)["class"], "nat64")
        XCTAssertEqual(call(.connect6, .inet6, "64:ff9b::a00:1").json(lesson: nil)["ipv4"], "10.0.0.1")
        XCTAssertEqual(call(.connect6, .inet6, "::a00:1").json(lesson: nil)["class"], "ipv4-compatible")
    }

    func testJSONKeysAreTheDocumentedOnesInOrder() {
        guard case let .object(pairs) = call(.connect6, .inet6, "::ffff:1.1.1.1", transport: .tcp).json(lesson: .mappedConnect) else {
            return XCTFail("not an object")
        }
        XCTAssertEqual(pairs.map(\.0), ["schema", "event", "hook", "time_ns", "pid", "tid", "comm", "uid", "cgroup_id", "cookie",
                                        "socket_family", "protocol", "address", "port", "class", "ipv4", "scope",
                                        "hook_address", "cgroup", "unit", "container", "lesson"])
        guard case let .object(egressPairs) = egress().json(lesson: nil) else { return XCTFail("not an object") }
        XCTAssertEqual(egressPairs.map(\.0), ["schema", "event", "final", "time_ns", "cookie", "pid", "comm", "socket_family",
                                              "wire_protocol", "protocol", "local_address", "local_port", "remote_address",
                                              "remote_port", "packets", "bytes", "cgroup", "unit", "container", "lesson"])
    }

    /// Event lines start with their schema, and the event log reader's straight-through path reads
    /// them, as it reads logs saved before events named their schema; both give the general
    /// parser's event.
    func testSavedTracesWithAndWithoutTheSchemaKeyTakeTheFastPath() throws {
        XCTAssertEqual(String(decoding: UnsafeRawBufferPointer(start: TraceOutputBuffer.schemaPrefix.utf8Start,
                                                               count: TraceOutputBuffer.schemaPrefix.utf8CodeUnitCount), as: UTF8.self),
                       #"{"schema":"\#(JSONSchemaID.traceEvent)","#)
        let outcomes = TraceOutcomeKind.allCases.map { TraceEvent.outcome(TraceOutcomeTests.outcome($0, error: $0 == .refused ? 111 : nil)) }
        let bare = TraceEvent.outcome(TraceOutcome(cookie: 9, timeNs: 5, kind: .refused, transport: .udp, socketFamily: nil, local: nil,
                                                   remote: nil, elapsedNs: 0, synRetransmits: nil, rttMicroseconds: nil, bytesSent: nil,
                                                   bytesReceived: nil, error: Errno(111), resetBy: nil))
        for event in [TraceEvent.socketCall(call(.connect6, .inet6, "::ffff:127.0.0.1", transport: .tcp)), .egress(egress()),
                      .egress(egress(final: true)), bare] + outcomes {
            var buffer = TraceOutputBuffer()
            event.appendJSONLine(lesson: nil, to: &buffer)
            let written = buffer.withUnsafeBytes { Array($0) }.dropLast()  // the newline
            XCTAssertEqual(String(decoding: written, as: UTF8.self), event.json(lesson: nil).compact)
            let current = Array(written)
            let old = Array("{".utf8) + current.dropFirst(TraceOutputBuffer.schemaPrefix.utf8CodeUnitCount)
            XCTAssertTrue(String(decoding: old, as: UTF8.self).hasPrefix(#"{"event":"#))
            for line in [current, old] {
                var fast = WireKernelEvent(), general = WireKernelEvent()
                let status = line.withUnsafeBytes { WireEventLineLayout.parse($0, into: &fast, wholeTotals: true) }
                XCTAssertNotNil(status, "not read straight through: \(String(decoding: line, as: UTF8.self))")
                _ = line.withUnsafeBytes { WireEventLineParser.parse($0, into: &general, wholeTotals: true, tracerLayout: false) }
                XCTAssertEqual(fast, general)
            }
        }
    }

    func testSessionNamesEgressAfterItsConnectAndTeachesEachLessonOncePerSocket() {
        var session = TraceSession()
        let connect = call(.connect6, .inet6, "::ffff:127.0.0.1", cookie: 7, transport: .tcp)
        XCTAssertEqual(session.process(.socketCall(connect)).lesson, .mappedConnect)
        let first = session.process(.egress(egress(cookie: 7)))
        XCTAssertEqual(first.lesson, .familyDiffersFromWire)
        guard case let .egress(named) = first.event else { return XCTFail("egress expected") }
        XCTAssertEqual(named.pid, 42)
        XCTAssertEqual(named.comm, "dotnet")
        // The same socket's totals teach nothing new, and another mapped socket teaches again.
        XCTAssertNil(session.process(.egress(egress(cookie: 7, final: true))).lesson)
        XCTAssertEqual(session.process(.egress(egress(cookie: 8))).lesson, .familyDiffersFromWire)
        XCTAssertNil(session.process(.egress(egress(cookie: 9, family: .inet6, wire: .ipv6))).lesson)

        let summary = session.summary
        XCTAssertEqual(summary.events, 1)
        XCTAssertEqual(summary.hooks[.connect6], 1)
        XCTAssertEqual(summary.mappedSockets, [7])
        XCTAssertEqual(summary.egressSockets[TraceEgressPair(.inet6, .ipv4)], 2)
        XCTAssertEqual(summary.egressSockets[TraceEgressPair(.inet6, .ipv6)], 1)
        XCTAssertEqual(summary.lessons[.familyDiffersFromWire], 2)
        XCTAssertTrue(summary.sawSurprise)
    }

    func testPlainTrafficIsNoSurprise() {
        var session = TraceSession()
        _ = session.process(.socketCall(call(.connect4, .inet, "127.0.0.1", transport: .tcp)))
        _ = session.process(.egress(egress(family: .inet, wire: .ipv4)))
        _ = session.process(.socketCall(call(.connect6, .inet6, "::1", cookie: 8, transport: .tcp)))
        XCTAssertFalse(session.summary.sawSurprise)
        let json = session.summary.json(command: nil, durationNs: 5)
        XCTAssertEqual(json["event"], "summary")
        XCTAssertEqual(json["events"], 2)
        XCTAssertEqual(json["lost"], 0)
        XCTAssertEqual(json["mapped_sockets"], 0)
        XCTAssertEqual(json["hooks"]?["connect4"], 1)
    }

    func testHumanLinesShowHookAddressAndClass() {
        let renderer = TraceRenderer(utcOffsetSeconds: 3600)
        let send = call(.sendmsg4, .inet6, "127.0.0.1")
        let text = renderer.render(.socketCall(send), lesson: .mappedSend) ?? ""
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines[0].contains("sendmsg4"))
        XCTAssertTrue(lines[0].contains("inet6/udp"))
        XCTAssertTrue(lines[0].contains("[::ffff:127.0.0.1]:53"))
        XCTAssertTrue(lines[0].contains("ipv4-mapped (127.0.0.1)"))
        XCTAssertTrue(lines[1].contains(TraceLesson.mappedSend.text))
        XCTAssertNil(renderer.render(.egress(egress(final: true)), lesson: nil), "totals belong to the summary")
        XCTAssertEqual(renderer.clock(3_723_000_004_000), "02:02:03.000004") // 01:02:03 UTC at +01:00
    }

    /// The rows a loopback trace is made of (an IPv4 pair with ephemeral ports on egress, a
    /// connect to a mapped address) start CLASS where the header does.
    func testClassStaysUnderItsHeadingForAnIPv4PairWithFiveDigitPorts() {
        let renderer = TraceRenderer(utcOffsetSeconds: 0)
        let classColumn = renderer.header.firstRange(of: "CLASS")!.lowerBound.utf16Offset(in: renderer.header)
        let pair = TraceEgress(cookie: 7, timeNs: 2_000, pid: 42, comm: "python3", socketFamily: .inet6, wireProtocol: .ipv4,
                               transport: .tcp, local: SocketAddress(.v4(.loopback), Port(45952)),
                               remote: SocketAddress(.v4(.loopback), Port(47641)), packets: 1, bytes: 60, isFinal: false)
        let egressRow = renderer.render(.egress(pair), lesson: nil)!
        XCTAssertTrue(egressRow.contains("127.0.0.1:45952 -> 127.0.0.1:47641  ipv4 packets"), egressRow)
        let connectRow = renderer.render(.socketCall(call(.connect4, .inet6, "127.0.0.1", transport: .tcp)), lesson: nil)!
        for (row, classText) in [(egressRow, "ipv4 packets"), (connectRow, "ipv4-mapped")] {
            XCTAssertEqual(row.firstRange(of: classText)?.lowerBound.utf16Offset(in: row), classColumn, row)
        }
    }

    func testMountinfoFindsCgroup2AmongV1Mounts() {
        let text = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw
        50 23 0:40 / /mnt/my\\040cgroups rw - cgroup2 none rw
        garbage line
        """
        XCTAssertEqual(CgroupMountInfo.cgroup2MountPoints(in: text), ["/sys/fs/cgroup/unified", "/mnt/my cgroups"])
        XCTAssertEqual(CgroupMountInfo.cgroup2MountPoints(in: "31 23 0:28 / /sys rw - sysfs sysfs rw\n"), [])
    }

    func testOptionsNeedExactlyOneTarget() throws {
        func parse(_ args: [String]) throws -> TraceOptions {
            try TraceOptions(try ArgumentParser.parse(args, for: TraceCommand.spec))
        }
        XCTAssertEqual(try parse(["--cgroup", "x", "--count", "3", "-j"]), TraceOptions(target: .cgroup("x"), json: true, count: 3))
        XCTAssertEqual(try parse(["-d", "1.5", "--", "curl", "-s"]), TraceOptions(target: .command(["curl", "-s"]), duration: 1.5))
        XCTAssertThrowsError(try parse([]))
        XCTAssertThrowsError(try parse(["--cgroup", "x", "--", "true"]))
        XCTAssertThrowsError(try parse(["--cgroup", "x", "--duration", "0"]))
        XCTAssertEqual(try parse(["--cgroup", "x", "--duration", "2e-1"]).duration, 0.2)
        for text in ["0x10", "inf", "nan", "1e400", " 1", "-1"] {
            XCTAssertThrowsError(try parse(["--cgroup", "x", "--duration", text]), text)
        }
        XCTAssertThrowsError(try parse(["--cgroup", "x", "--count", "-2"]))
        XCTAssertThrowsError(try parse(["--cgroup", "x", "--count", "many"]))
    }

    func testFastJSONLinesAreByteForByteTheJSONValue() {
        var odd = call(.connect6, .inet6, "2001:db8::1", cookie: 1 << 63, transport: nil)
        odd = TraceSocketCall(TraceTaskContext(hook: odd.hook, timeNs: UInt64.max, pid: -1, tid: 0, comm: "we\"ird\tname",
                                               uid: UInt32.max, cgroupID: 0, cookie: odd.cookie, socketFamily: .inet6, transport: nil),
                              hookAddress: odd.hookAddress, port: Port(0))
        var named = egress(final: true)
        named.pid = 42
        named.comm = "curl"
        let events: [(TraceEvent, TraceLesson?)] = [
            (.socketCall(call(.sendmsg4, .inet6, "127.0.0.1")), .mappedSend),
            (.socketCall(call(.postBind6, .inet6, "::")), nil),
            (.socketCall(odd), nil),
            (.egress(egress()), .familyDiffersFromWire),
            (.egress(named), nil),
            (.outcome(TraceOutcomeTests.outcome(.refused, error: 111, resetBy: .peer)), nil),
            (.outcome(TraceOutcomeTests.outcome(.closed, bytes: (5, 7), group: 3)), nil),
            (.outcome(TraceOutcome(cookie: 9, timeNs: 5, kind: .refused, transport: .udp, socketFamily: nil, local: nil, remote: nil,
                                   elapsedNs: 0, synRetransmits: nil, rttMicroseconds: nil, bytesSent: nil, bytesReceived: nil,
                                   error: Errno(111), resetBy: nil)), nil),
        ]
        for (event, lesson) in events {
            var buffer = TraceOutputBuffer()
            event.appendJSONLine(lesson: lesson, to: &buffer)
            XCTAssertEqual(String(decoding: buffer.bytes, as: UTF8.self), event.json(lesson: lesson).compact + "\n")
            // Both writers put the keys in the order the event log reader's fast path reads them.
            let order: [TraceEventKey] = switch event {
            case let .socketCall(call): TraceEventKey.connectOrder.filter {
                ($0 != .ipv4 || call.classification.embeddedIPv4 != nil) && (![.nat64Prefix, .nat64PrefixSource].contains($0) || call.nat64 != nil)
            }
            case .egress: TraceEventKey.egressOrder
            case .outcome: TraceEventKey.outcomeOrder
            }
            guard case let .object(pairs) = event.json(lesson: lesson) else { return XCTFail("not an object: \(event)") }
            XCTAssertEqual(pairs.map(\.0), order.map(\.rawValue))
        }
    }

    func testEventKeyFragmentsSpellTheirKeys() {
        for key in TraceEventKey.allCases {
            XCTAssertEqual(key.fragmentText, key == .event ? #""event":"# : #",""# + key.rawValue + #"":"#)
        }
    }
}
