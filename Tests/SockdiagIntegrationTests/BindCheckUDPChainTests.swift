import Foundation
import XCTest
import SockdiagCore

/// UDP sockets of this process on one port, and who gets real datagrams.
enum UDPHolders {
    struct Holder {
        let fd: Int32
        let inode: Int
    }

    /// A UDP socket bound to `address`:`port` in this process (AF_INET6 ones dual-stack), with
    /// SO_REUSEADDR, SO_REUSEPORT and a device as asked.
    static func holder(_ address: String, _ port: Int, reuseport: Bool, device: String? = nil) throws -> Holder {
        let ip = try IPAddress(parsing: address)
        let fd = socket(ip.family == .inet ? AF_INET : AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
        var one: Int32 = 1, zero: Int32 = 0
        if ip.family == .inet6 { setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &zero, 4) }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4)
        if reuseport { setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, 4) }
        if let device {
            XCTAssertEqual(device.withCString { setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, $0, socklen_t(device.utf8.count + 1)) }, 0)
        }
        XCTAssertEqual(SocketAddress(ip, Port(UInt16(port))).withSockaddr { bind(fd, $0, $1) }, 0, "bind \(address) \(port)")
        var st = stat()
        fstat(fd, &st)
        return Holder(fd: fd, inode: Int(st.st_ino))
    }

    /// bind-check's receiver of a local client of `destination` now: the inode it names (nil
    /// when it names no single socket).
    static func namedReceiver(_ query: String, _ port: Int, destination: String) throws -> Int? {
        let result = try Sockdiag.run(["bind-check", "--json", "--udp", query, String(port)])
        let doc = try XCTUnwrap(result.json as? [String: Any], result.stderr)
        let row = try XCTUnwrap((doc["receivers"] as? [[String: Any]])?.first {
            $0["scenario"] as? String == "existing" && $0["client_destination"] as? String == destination
        }, "no row for \(destination)")
        return row["receiver"] as? String == "existing" ? row["inode"] as? Int : nil
    }

    /// The kernel gives every datagram a local client sends to `destination` to `expected`, and
    /// bind-check, asked about `query`, names it as the receiver.
    static func assertKernelAndBindCheckGive(_ destination: String, to expected: Holder, among holders: [Holder], asking query: String,
                                             port: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try receivers(of: destination, port, among: holders), [expected.inode], "the kernel", file: file, line: line)
        XCTAssertEqual(try namedReceiver(query, port, destination: destination), expected.inode, "bind-check", file: file, line: line)
    }

    /// Which holder gets each of eight datagrams a local client sends to `destination`:`port`.
    static func receivers(of destination: String, _ port: Int, among holders: [Holder]) throws -> Set<Int> {
        let ip = try IPAddress(parsing: destination)
        var got: Set<Int> = []
        for _ in 0..<8 {
            let client = socket(ip.family == .inet ? AF_INET : AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
            var byte: UInt8 = 1
            _ = SocketAddress(ip, Port(UInt16(port))).withSockaddr { sendto(client, &byte, 1, 0, $0, $1) }
            close(client)
            var fds = holders.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            XCTAssertEqual(poll(&fds, nfds_t(fds.count), 2000), 1, "one socket gets the datagram")
            for (i, p) in fds.enumerated() where p.revents & Int16(POLLIN) != 0 {
                _ = recv(holders[i].fd, &byte, 1, Int32(MSG_DONTWAIT))
                got.insert(holders[i].inode)
            }
        }
        return got
    }
}

/// UDP sets whose sock_diag dump order is not their lookup order (ports 46800-46899): the dump
/// walks the port-only chain one family after the other, and a socket whose local address
/// changed sits elsewhere in the address-and-port chain the lookup walks. bind-check names the
/// receiver the kernel's own walk of the lookup chain gives; real datagrams check it.
final class BindCheckUDPChainTests: XCTestCase {
    /// Two 0.0.0.0 sockets (SO_REUSEADDR); the older one then connect()s and disconnects. Its
    /// local address changed twice, and each time the kernel moved it to the head of the new
    /// address's lookup chain (`udp_lib_rehash()`): it now heads the wildcard chain and wins the
    /// tie for every datagram to 127.0.0.1, while the port chain the dump walks still lists the
    /// newer one first.
    func testAReconnectedSocketHeadsTheLookupChain() throws {
        try requirePrivileges()
        let p = try BindCheckPorts.free(46803)
        let older = try UDPHolders.holder("0.0.0.0", p, reuseport: false)
        let newer = try UDPHolders.holder("0.0.0.0", p, reuseport: false)
        defer { [older, newer].forEach { close($0.fd) } }
        XCTAssertEqual(SocketAddress(.v4(.loopback), Port(9)).withSockaddr { connect(older.fd, $0, $1) }, 0)
        var unspecified = sockaddr()
        unspecified.sa_family = sa_family_t(AF_UNSPEC)
        XCTAssertEqual(connect(older.fd, &unspecified, socklen_t(MemoryLayout<sockaddr>.size)), 0, "disconnect")
        try UDPHolders.assertKernelAndBindCheckGive("127.0.0.1", to: older, among: [older, newer], asking: "0.0.0.0", port: p)
    }

    /// [::] bound to lo, then [::] SO_REUSEPORT: the SO_REUSEPORT socket entered both chains at
    /// the tail (`sk_add_node_rcu()`, `udp_lib_get_port()`), so the lo-bound socket is met first,
    /// scores higher (bound to the arriving device) and gets every datagram to ::1.
    func testAnAF_INET6ReuseportSocketBoundLastSitsAtTheTail() throws {
        try requirePrivileges()
        let p = try BindCheckPorts.free(46800)
        let onLo = try UDPHolders.holder("::", p, reuseport: false, device: "lo")
        let reuseport = try UDPHolders.holder("::", p, reuseport: true)
        defer { [onLo, reuseport].forEach { close($0.fd) } }
        try UDPHolders.assertKernelAndBindCheckGive("::1", to: onLo, among: [onLo, reuseport], asking: "::", port: p)
    }

    /// 0.0.0.0 SO_REUSEPORT, then a dual-stack [::] bound to lo: the dump lists every AF_INET
    /// socket before every AF_INET6 one, but the [::] socket, bound last, heads the lookup chain
    /// 0.0.0.0 and [::] share; it scores higher and gets every datagram to 127.0.0.1. Bound the
    /// other way round, the SO_REUSEPORT socket heads the chain and ends the walk at once.
    func testTheLookupChainMixesFamiliesInBindOrder() throws {
        try requirePrivileges()
        let p = try BindCheckPorts.free(46801)
        let v4 = try UDPHolders.holder("0.0.0.0", p, reuseport: true)
        let onLo = try UDPHolders.holder("::", p, reuseport: false, device: "lo")
        try UDPHolders.assertKernelAndBindCheckGive("127.0.0.1", to: onLo, among: [v4, onLo], asking: "0.0.0.0", port: p)
        [v4, onLo].forEach { close($0.fd) }

        let q = try BindCheckPorts.free(46802)
        let first = try UDPHolders.holder("::", q, reuseport: false, device: "lo")
        let last = try UDPHolders.holder("0.0.0.0", q, reuseport: true)
        defer { [first, last].forEach { close($0.fd) } }
        try UDPHolders.assertKernelAndBindCheckGive("127.0.0.1", to: last, among: [first, last], asking: "0.0.0.0", port: q)
    }
}

/// The lookup's incoming-CPU point (ports 46810-46899): a socket whose `sk_incoming_cpu` names a
/// CPU scores one point more in lookups that CPU runs, so where it would tie, which socket gets
/// a client depends on the CPU that handles the client's packet. bind-check says so, and names
/// both; clients pinned to each CPU in turn show the kernel doing it.
final class BindCheckIncomingCPUTests: XCTestCase {
    /// Pins the calling thread to `cpu` (nil: every CPU). sched_setaffinity() is a GNU extension
    /// that the Glibc module leaves out, so it is looked up by name.
    func pin(_ cpu: Int?) {
        typealias SetAffinity = @convention(c) (pid_t, Int, UnsafeRawPointer) -> Int32
        guard let symbol = dlsym(nil, "sched_setaffinity") else { return XCTFail("no sched_setaffinity") }
        var mask = [UInt64](repeating: cpu == nil ? ~0 : 0, count: 16) // a cpu_set_t: 1024 bits
        if let cpu { mask[cpu / 64] = 1 << UInt64(cpu % 64) }
        let rc = mask.withUnsafeBytes { unsafeBitCast(symbol, to: SetAffinity.self)(0, $0.count, $0.baseAddress!) }
        XCTAssertEqual(rc, 0, "sched_setaffinity")
    }

    func testATieBrokenByTheIncomingCPUIsOneOfNamingTheRule() throws {
        try requirePrivileges()
        XCTAssertGreaterThanOrEqual(sysconf(Int32(_SC_NPROCESSORS_ONLN)), 2, "two CPUs to pin clients to")
        let p = try BindCheckPorts.free(46810)
        let behind = try UDPHolders.holder("0.0.0.0", p, reuseport: false)
        var cpu: Int32 = 1
        XCTAssertEqual(setsockopt(behind.fd, SOL_SOCKET, SO_INCOMING_CPU, &cpu, 4), 0)
        let head = try UDPHolders.holder("0.0.0.0", p, reuseport: false)
        defer { [behind, head].forEach { close($0.fd) }; pin(nil) }
        pin(1)
        XCTAssertEqual(try UDPHolders.receivers(of: "127.0.0.1", p, among: [behind, head]), [behind.inode], "the kernel, on CPU 1")
        pin(0)
        XCTAssertEqual(try UDPHolders.receivers(of: "127.0.0.1", p, among: [behind, head]), [head.inode], "the kernel, on CPU 0")
        pin(nil)
        let result = try Sockdiag.run(["bind-check", "--json", "--udp", "0.0.0.0", String(p)])
        let doc = try XCTUnwrap(result.json as? [String: Any], result.stderr)
        let row = try XCTUnwrap((doc["receivers"] as? [[String: Any]])?.first {
            $0["scenario"] as? String == "existing" && $0["client_destination"] as? String == "127.0.0.1"
        })
        XCTAssertEqual(row["receiver"] as? String, "one_of", "\(row)")
        XCTAssertEqual(Set((row["one_of"] as? [[String: Any]] ?? []).compactMap { $0["inode"] as? Int }), [behind.inode, head.inode])
        let why = row["why"] as? String ?? ""
        XCTAssertTrue(why.contains("sk_incoming_cpu") && why.contains("on CPU 1: 0.0.0.0 (inode \(behind.inode))"), why)
    }
}
