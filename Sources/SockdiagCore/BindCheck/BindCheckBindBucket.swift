/// A TCP port's bind bucket (`struct inet_bind_bucket`): the "fast reuse" marks the binds on the
/// port leave behind, read by the BPF socket iterator. They outlive the socket that set them for
/// as long as any socket holds the port, and they let a later bind skip the conflict check.
public struct BindCheckBindBucket: Hashable, Sendable {
    /// `tb->fastreuse`: above 0, a SO_REUSEADDR bind that is not listening yet skips the check.
    public var fastreuse: Int8
    /// `tb->fastreuseport`: 0 off; 1 (FASTREUSEPORT_ANY) every SO_REUSEPORT bind of `uid` skips
    /// the check; 2 (FASTREUSEPORT_STRICT) one of `uid` whose address `address` covers.
    public var fastreuseport: Int8
    public var uid: UInt32
    public var family: AddressFamily
    public var address: IPAddress
    public var v6only: Bool

    public init(fastreuse: Int8, fastreuseport: Int8, uid: UInt32, family: AddressFamily, address: IPAddress, v6only: Bool) {
        self.fastreuse = fastreuse
        self.fastreuseport = fastreuseport
        self.uid = uid
        self.family = family
        self.address = address
        self.v6only = v6only
    }

    /// `sk_reuseport_match()` (net/ipv4/inet_connection_sock.c): the mark lets this SO_REUSEPORT
    /// bind through without a conflict check. The marked address's wildcard covers every address
    /// (and with FASTREUSEPORT_STRICT nothing else is compared: a `[::]` marked IPV6_V6ONLY=1 lets
    /// a dual-stack `[::]` through, IPv4 holders or not).
    func lets(_ trial: BindCheckBinding, reuseport: Bool, uid trialUID: UInt32) -> Bool {
        guard fastreuseport > 0, reuseport, trialUID == uid else { return false }
        if fastreuseport == 1 { return true }
        let trialV6only = trial.v6only ?? false
        let marked = BindCheckBinding(family: family, address: address, v6only: v6only)
        // ipv4_rcv_saddr_equal() / ipv6_rcv_saddr_equal() with only the marked side's wildcard matching.
        guard family == .inet6, case let .v6(mine) = address else {
            guard !trialV6only, let a = marked.kernelIPv4Address, let b = trial.kernelIPv4Address else { return false }
            return a == b || a == .any
        }
        let markedType = AddressType(mine)
        let trialType: AddressType
        switch trial.address {
        case .v4: trialType = .mapped
        case let .v6(b): trialType = AddressType(b)
        }
        if markedType == .mapped && trialType == .mapped {
            guard !trialV6only, let a = marked.kernelIPv4Address, let b = trial.kernelIPv4Address else { return false }
            return a == b || a == .any
        }
        if markedType == .any && trialType == .any { return true }
        if markedType == .any && !(v6only && trialType == .mapped) { return true }
        if case let .v6(b) = trial.address, b.withoutZone == mine.withoutZone { return true }
        return false
    }

    /// `inet_csk_update_fastreuse()` on a bucket that already has owners: what a successful bind
    /// (or listen) of `trial` leaves.
    func after(_ trial: BindCheckBinding, reuseaddr: Bool, reuseport: Bool, listening: Bool, uid trialUID: UInt32) -> BindCheckBindBucket {
        var next = self
        if !(reuseaddr && !listening) { next.fastreuse = 0 }
        if !reuseport {
            next.fastreuseport = 0
        } else if !lets(trial, reuseport: true, uid: trialUID) {
            next.fastreuseport = 2
            next.uid = trialUID
            next.family = trial.family
            next.address = trial.address
            next.v6only = trial.v6only ?? false
        }
        return next
    }

    /// Whether two marks treat every later bind alike.
    func sameEffect(as other: BindCheckBindBucket) -> Bool {
        guard (fastreuse > 0) == (other.fastreuse > 0), fastreuseport == other.fastreuseport else { return false }
        if fastreuseport <= 0 { return true }
        if fastreuseport == 1 { return uid == other.uid }
        return uid == other.uid && family == other.family && address == other.address && v6only == other.v6only
    }

    /// `[::]:P IPV6_V6ONLY=1 by uid 0`, as a sentence fragment.
    var markText: String {
        let binding = BindCheckBinding(family: family, address: address, v6only: v6only)
        if fastreuseport == 1 { return "any SO_REUSEPORT bind by uid \(uid)" }
        let only = family == .inet6 && address.isUnspecified ? " IPV6_V6ONLY=\(v6only ? 1 : 0)" : ""
        return "SO_REUSEPORT binds by uid \(uid) within \(binding.addressText)\(only)"
    }
}

/// What a TCP trial bind would do, from the rules alone: the conflict check unless the bucket's
/// mark lets it skip it (`inet_csk_get_port()`), once at bind() and again at listen(), and the
/// mark each step leaves behind.
public struct BindCheckTCPPrediction: Hashable, Sendable {
    public let result: Result<Port, BindCheckTrialFailure>
    /// The mark left on the bucket, when the trial changes it.
    public let leaves: BindCheckBindBucket?
    /// Set when the bucket's mark, not the conflict check, let the bind through.
    public let skippedCheck: Bool

    /// nil when the bucket or a socket's flags are unknown.
    public static func predict(_ request: BindCheckTrialRequest, sockets: [BindCheckSocket], trialUID: UInt32,
                               defaultV6only: Bool) -> BindCheckTCPPrediction? {
        guard request.transport == .tcp, request.port.value != 0 else { return nil }
        let onPort = sockets.filter { $0.transport == .tcp && $0.local.port == request.port }
        guard !onPort.isEmpty else { return BindCheckTCPPrediction(result: .success(request.port), leaves: nil, skippedCheck: false) }
        guard onPort.allSatisfy({ $0.options != nil || $0.state == .timeWait }),
              let bucket = onPort.compactMap({ $0.options?.bindBucket }).first else { return nil }
        let conflicts = onPort.compactMap {
            BindCheckRules.conflict(of: request, with: $0, trialUID: trialUID, defaultV6only: defaultV6only)
        }
        let trial = request.binding
        func fails(_ stage: BindCheckTrialStage) -> BindCheckTCPPrediction {
            BindCheckTCPPrediction(result: .failure(BindCheckTrialFailure(stage: stage, errno: .addressInUse)), leaves: nil, skippedCheck: false)
        }
        let skipAtBind = (bucket.fastreuse > 0 && request.reuseaddr) || bucket.lets(trial, reuseport: request.reuseport, uid: trialUID)
        if !skipAtBind && !conflicts.isEmpty { return fails(.bind) }
        let bound = bucket.after(trial, reuseaddr: request.reuseaddr, reuseport: request.reuseport, listening: false, uid: trialUID)
        let skipAtListen = bound.lets(trial, reuseport: request.reuseport, uid: trialUID)
        if !skipAtListen && !conflicts.isEmpty {
            let failed = fails(.listen)
            return BindCheckTCPPrediction(result: failed.result, leaves: bound.sameEffect(as: bucket) ? nil : bound, skippedCheck: skipAtBind)
        }
        let listening = bound.after(trial, reuseaddr: request.reuseaddr, reuseport: request.reuseport, listening: true, uid: trialUID)
        return BindCheckTCPPrediction(result: .success(request.port), leaves: listening.sameEffect(as: bucket) ? nil : listening,
                                      skippedCheck: !conflicts.isEmpty)
    }
}
