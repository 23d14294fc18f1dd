internal import CLibBPF
import CSockdiagShim
import SockdiagCore
import SockdiagSystem

/// bpf/policy.bpf.c configured for a `TracePolicy` and attached to a cgroup: redirects in
/// connect4/6 and sendmsg4/6 (replies given their original source in recvmsg4/6) and the IPv6
/// block on egress. The naive policy attaches only connect4 and the egress block on skb->family.
///
/// Attach it before a `Tracer` on the same cgroup so the tracer sees the rewritten destinations.
/// The programs detach once: by the consuming `detach()`, or when the enforcer goes out of scope.
public struct PolicyEnforcer: ~Copyable {
    public let policy: TracePolicy
    private var object: LoadedBPFObject
    private let ring: RingBufferReader
    private let decoder = TraceRecordDecoder()

    public init(_ policy: TracePolicy) throws(SockdiagError) {
        let object = try LoadedBPFObject.load(EmbeddedPrograms.policy, name: "policy",
                                              readOnly: [PolicyBPF.ReadOnly.readerPidNamespace.set(to: ThisProcess.pidNamespaceInode ?? 0)])
        let ring = try RingBufferReader(mapDescriptor: object.mapDescriptor(PolicyBPF.Map.policyEvents), what: "policy")
        try PolicyEnforcer.configure(object, for: policy)
        self.policy = policy
        self.object = object
        self.ring = ring
    }

    private static func configure(_ object: borrowing LoadedBPFObject, for policy: TracePolicy) throws(SockdiagError) {
        let rules = object.mapDescriptor(PolicyBPF.Map.rules)
        for (port, targets) in policy.targetsByPort {
            var rule = sockdiag_redirect_rule()
            if let v4 = targets.v4, case let .v4(address) = v4.address {
                rule.has_v4 = 1
                rule.v4_addr = address.networkOrderValue
                rule.v4_port = v4.port.value
            }
            if let v6 = targets.v6, case let .v6(address) = v6.address {
                rule.has_v6 = 1
                withUnsafeMutableBytes(of: &rule.v6_addr) { $0.copyBytes(from: address.bytes) }
                rule.v6_port = v6.port.value
            }
            var key = port.value
            guard bpf_map_update_elem(rules, &key, &rule, UInt64(BPF_ANY)) == 0 else {
                throw .system(call: "bpf_map_update_elem", errno: .current, context: "loading the redirect for port \(port)")
            }
        }
        var config = sockdiag_policy_config()
        if policy.blockIPv6 {
            config.block_mode = policy.naive ? SOCKDIAG_BLOCK_IPV6_BY_FAMILY.rawValue : SOCKDIAG_BLOCK_IPV6_BY_PROTOCOL.rawValue
        }
        var zero: UInt32 = 0
        guard bpf_map_update_elem(object.mapDescriptor(PolicyBPF.Map.config), &zero, &config, UInt64(BPF_ANY)) == 0 else {
            throw .system(call: "bpf_map_update_elem", errno: .current, context: "configuring the policy programs")
        }
    }

    /// The programs this policy needs, in attach order.
    var programNames: [PolicyBPF.Program] {
        var names: [PolicyBPF.Program] = []
        if !policy.redirects.isEmpty {
            names += policy.naive ? [.policyConnect4]
                : [.policyConnect4, .policyConnect6, .policySendmsg4, .policySendmsg6, .policyRecvmsg4, .policyRecvmsg6]
        }
        if policy.blockIPv6 { names.append(.policyEgress) }
        return names
    }

    public mutating func attach(to cgroup: CgroupDirectory) throws(SockdiagError) {
        try object.attach(programNames, to: cgroup)
    }

    @discardableResult
    public func poll(timeoutMilliseconds: Int32, _ handler: (TracePolicyEvent) -> Void) throws(SockdiagError) -> Int {
        try ring.poll(timeoutMilliseconds: timeoutMilliseconds) { data, size in
            if let event = decode(data, size: size) { handler(event) }
        }
    }

    /// Every blocked socket's drops so far, as final records.
    public func blockedTotals() -> [TracePolicyEvent] {
        decoder.decodeFinalEgress(object.entries(PolicyBPF.Map.blocked, zero: sockdiag_egress_event()))
            .map(TracePolicyEvent.blocked)
    }

    public func lostEvents() -> UInt64 {
        object.perCPUValues(PolicyBPF.Map.policyStats, zero: sockdiag_trace_stats()).reduce(0) { $0 + $1.lost_events }
    }

    /// Detaches the programs and unloads the object: the enforcer is gone.
    public consuming func detach() {}

    private func decode(_ data: UnsafeRawPointer, size: Int) -> TracePolicyEvent? {
        guard size >= 4 else { return nil }
        switch data.loadUnaligned(as: UInt32.self) {
        case UInt32(SOCKDIAG_EVENT_REDIRECT.rawValue):
            guard size >= MemoryLayout<sockdiag_redirect_event>.size else { return nil }
            return decodeRedirect(data.loadUnaligned(as: sockdiag_redirect_event.self)).map(TracePolicyEvent.redirect)
        case UInt32(SOCKDIAG_EVENT_BLOCKED.rawValue):
            guard size >= MemoryLayout<sockdiag_egress_event>.size else { return nil }
            return decoder.decodeEgress(data.loadUnaligned(as: sockdiag_egress_event.self), isFinal: false).map(TracePolicyEvent.blocked)
        default:
            return nil
        }
    }

    private func decodeRedirect(_ r: sockdiag_redirect_event) -> TraceRedirect? {
        guard let hook = TraceHook(rawHook: r.hook), let family = AddressFamily(rawSocketFamily: Int(r.socket_family)) else { return nil }
        func address<T>(_ tuple: T) -> IPAddress {
            withUnsafeBytes(of: tuple) { bytes in
                hook.addressFamily == .inet ? .v4(IPv4Address(networkBytes: bytes.prefix(4))) : .v6(IPv6Address(networkBytes: bytes))
            }
        }
        let context = TraceTaskContext(
            hook: hook, timeNs: decoder.wallClock(r.time_ns), pid: Int32(bitPattern: r.tgid), tid: Int32(bitPattern: r.tid),
            comm: TraceRecordDecoder.cString(r.comm), uid: r.uid, cgroupID: r.cgroup_id, cookie: r.cookie, socketFamily: family,
            transport: TransportProtocol(ipProtocolNumber: Int(r.protocol)))
        return TraceRedirect(context, hookOriginal: SocketAddress(address(r.original_addr), Port(r.original_port)),
                             hookTarget: SocketAddress(address(r.addr), Port(r.port)))
    }
}
