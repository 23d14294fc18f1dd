/// One trial bind: a real socket bound (and, for TCP, listening) with these options, closed at once.
public struct BindCheckTrialRequest: Hashable, Sendable {
    public let address: IPAddress
    public let port: Port
    public let transport: TransportProtocol
    /// IPV6_V6ONLY for an IPv6 address; nil for IPv4.
    public let v6only: Bool?
    public let reuseaddr: Bool
    public let reuseport: Bool

    public init(address: IPAddress, port: Port, transport: TransportProtocol, v6only: Bool?,
                reuseaddr: Bool, reuseport: Bool) {
        self.address = address
        self.port = port
        self.transport = transport
        self.v6only = address.family == .inet6 ? v6only : nil
        self.reuseaddr = reuseaddr
        self.reuseport = reuseport
    }

    public var binding: BindCheckBinding {
        BindCheckBinding(family: address.family, address: address, v6only: v6only ?? false)
    }

    /// Every trial sockdiag makes for a query: V6ONLY=0 and =1 for an IPv6 address, each plain,
    /// with SO_REUSEADDR and with SO_REUSEPORT.
    public static func all(for query: BindCheckQuery) -> [BindCheckTrialRequest] {
        let v6onlyValues: [Bool?] = query.address.family == .inet6 ? [false, true] : [nil]
        return v6onlyValues.flatMap { v6only in
            [(false, false), (true, false), (false, true)].map { flags in
                BindCheckTrialRequest(address: query.address, port: query.port, transport: query.transport,
                                      v6only: v6only, reuseaddr: flags.0, reuseport: flags.1)
            }
        }
    }

    /// `plain`, `SO_REUSEADDR`, `SO_REUSEPORT`.
    public var flagsLabel: String {
        reuseport ? "SO_REUSEPORT" : reuseaddr ? "SO_REUSEADDR" : "plain"
    }
}

/// The system call that failed in a trial.
public enum BindCheckTrialStage: String, Hashable, Sendable {
    case socket, setsockopt, bind, listen
}

/// What the kernel said to a trial bind.
public struct BindCheckTrialOutcome: Hashable, Sendable {
    public let request: BindCheckTrialRequest
    /// The port the socket got (the kernel's choice for port 0), or where and how it failed.
    public let result: Result<Port, BindCheckTrialFailure>
    /// Why the result is predicted rather than tried: a real trial would have left a mark on the
    /// port's bind bucket that changes later binds. nil for a real trial.
    public let notTried: String?

    public init(request: BindCheckTrialRequest, result: Result<Port, BindCheckTrialFailure>, notTried: String? = nil) {
        self.request = request
        self.result = result
        self.notTried = notTried
    }

    /// The outcome of `request` without binding: predicted, when a real trial would change what
    /// later binds do (BindCheckTCPPrediction); nil when a real trial leaves no trace (or the
    /// bucket's marks are unknown) and should be made.
    public static func predictedInstead(of request: BindCheckTrialRequest, sockets: [BindCheckSocket], trialUID: UInt32,
                                        defaultV6only: Bool) -> BindCheckTrialOutcome? {
        guard let prediction = BindCheckTCPPrediction.predict(request, sockets: sockets, trialUID: trialUID, defaultV6only: defaultV6only),
              let mark = prediction.leaves else { return nil }
        let what = mark.fastreuseport == 0
            ? "clear the port's fast-reuse mark, which now lets later SO_REUSEPORT binds skip the conflict check"
            : "leave the port's bind bucket marked for fast reuse (\(mark.markText)), so that later such binds would skip the conflict check"
        return BindCheckTrialOutcome(request: request, result: prediction.result,
                                     notTried: "predicted, not tried: a real \(request.flagsLabel) trial would \(what)")
    }

    public var succeeded: Bool { if case .success = result { return true } else { return false } }

    public var errno: Errno? { if case let .failure(f) = result { return f.errno } else { return nil } }

    /// `ok` or the errno name.
    public var resultName: String { errno?.name ?? "ok" }

    public var tried: Bool { notTried == nil }
}

public struct BindCheckTrialFailure: Error, Hashable, Sendable {
    public let stage: BindCheckTrialStage
    public let errno: Errno

    public init(stage: BindCheckTrialStage, errno: Errno) {
        self.stage = stage
        self.errno = errno
    }
}

/// A trial with the existing sockets it conflicts with, explained.
public struct BindCheckTrial: Hashable, Sendable {
    public let outcome: BindCheckTrialOutcome
    public let conflicts: [BindCheckConflict]
    /// What the result teaches beyond the conflicts (a flag an existing socket must have set, a
    /// conflict the visible sockets do not explain).
    public let notes: [String]

    /// Explains an outcome with the rules: on EADDRINUSE, the sockets that certainly conflict (or,
    /// when none certainly does, those that do unless they set a flag the result shows they lack);
    /// on success, the flags that the sockets which would otherwise conflict must have set.
    /// `boundInactiveBlindSpot` says why the socket list would miss a TCP socket that bound the
    /// port without listening (nil when the list shows those).
    public static func explain(_ outcome: BindCheckTrialOutcome, sockets: [BindCheckSocket],
                               trialUID: UInt32, defaultV6only: Bool, boundInactiveBlindSpot: String? = nil) -> BindCheckTrial {
        let request = outcome.request
        guard request.port.value != 0 else {
            return BindCheckTrial(outcome: outcome, conflicts: [], notes: [])
        }
        let predicted = sockets.compactMap {
            BindCheckRules.conflict(of: request, with: $0, trialUID: trialUID, defaultV6only: defaultV6only)
        }
        var notes: [String] = outcome.notTried.map { [$0] } ?? []
        switch outcome.result {
        case .success:
            let certain = predicted.filter(\.certain)
            if let skipped = BindCheckTrial.checkSkipped(request, certain, sockets: sockets, trialUID: trialUID, defaultV6only: defaultV6only) {
                notes.append(skipped)
            }
            for conflict in predicted {
                if conflict.certain {
                    if notes.contains(where: { $0.contains("inode \(conflict.inode)") }) { continue }
                    notes.append("the rules predict a conflict with inode \(conflict.inode), yet the kernel allowed the bind (is one of them bound to a device?)")
                } else if let escape = conflict.escape {
                    notes.append("inode \(conflict.inode) must have set \(escape.rawValue): the bind shared its address")
                }
            }
            return BindCheckTrial(outcome: outcome, conflicts: [], notes: notes)
        case let .failure(failure):
            guard failure.errno == .addressInUse else {
                return BindCheckTrial(outcome: outcome, conflicts: [], notes: [BindCheckTrial.meaning(of: failure, request)])
            }
            let certain = predicted.filter(\.certain)
            if !certain.isEmpty { return BindCheckTrial(outcome: outcome, conflicts: certain, notes: []) }
            let possible = predicted.map { conflict -> BindCheckConflict in
                var c = conflict
                if let escape = conflict.escape {
                    c.why += predicted.count == 1 ? "; it did not set \(escape.rawValue), or the bind would have succeeded"
                                                  : "; it conflicts unless it set \(escape.rawValue) too"
                }
                return c
            }
            if possible.isEmpty, let blindSpot = boundInactiveBlindSpot {
                notes.append("no visible socket explains the conflict: most likely a TCP socket bound to the port without listen() (a server between bind() and listen(), or a client that bound before connect()); \(blindSpot)")
            } else if possible.isEmpty {
                notes.append("no visible socket explains the conflict (one bound to a device, in another process's view, or gone since the scan)")
            }
            return BindCheckTrial(outcome: outcome, conflicts: possible, notes: notes)
        }
    }

    /// Why a bind went through although a socket overlaps it without sharing: TCP's bind bucket
    /// carried a fast-reuse mark that let it skip the conflict check (`inet_csk_get_port()`), or
    /// UDP's conflict check stopped at the first overlapping socket of the port's chain, which
    /// shares through SO_REUSEPORT (`udp_lib_lport_inuse()`). nil when neither applies.
    static func checkSkipped(_ request: BindCheckTrialRequest, _ conflicts: [BindCheckConflict], sockets: [BindCheckSocket],
                             trialUID: UInt32, defaultV6only: Bool) -> String? {
        guard !conflicts.isEmpty else { return nil }
        let inodes = conflicts.map { "inode \($0.inode)" }.joined(separator: ", ")
        switch request.transport {
        case .tcp:
            guard let prediction = BindCheckTCPPrediction.predict(request, sockets: sockets, trialUID: trialUID, defaultV6only: defaultV6only),
                  prediction.skippedCheck,
                  let bucket = sockets.lazy.compactMap({ $0.options?.bindBucket }).first else { return nil }
            return "the port's bind bucket is marked for fast reuse (\(bucket.markText), left by an earlier SO_REUSEPORT bind), so the kernel skipped the conflict check that \(inodes) would fail"
        case .udp:
            guard request.reuseport else { return nil }
            let sharing = sockets.filter { s in
                s.transport == .udp && s.local.port == request.port && s.options?.reuseport == true && s.uid == trialUID
                    && !(request.reuseaddr && s.options?.reuseaddr == true)
                    && BindCheckRules.overlaps(request.binding, BindCheckBinding(family: s.family, address: s.local.address, v6only: s.v6only ?? defaultV6only))
            }
            guard let first = sharing.min(by: { ($0.walkOrder ?? 0) < ($1.walkOrder ?? 0) }) else { return nil }
            return "the kernel's UDP conflict check stops at the first overlapping socket in the port's chain, and inode \(first.inode) (SO_REUSEPORT, uid \(first.uid)) comes before \(inodes) and lets the bind share"
        }
    }

    /// What an errno other than EADDRINUSE means for a bind.
    static func meaning(of failure: BindCheckTrialFailure, _ request: BindCheckTrialRequest) -> String {
        switch (failure.errno, failure.stage) {
        case (.addressNotAvailable, _):
            return "\(request.address) is not an address of this host (or of this network namespace)"
        case (.permissionDenied, _):
            return "ports below net.ipv4.ip_unprivileged_port_start need CAP_NET_BIND_SERVICE"
        case (.addressFamilyNotSupported, _):
            return "IPv6 is not available here (disabled, or no IPv6 in the kernel)"
        case (.invalidArgument, .bind) where request.v6only == true && request.address.unmapped.family == .inet:
            return "an IPV6_V6ONLY socket cannot bind an IPv4-mapped address"
        case (.invalidArgument, .setsockopt):
            return "the kernel refused the socket option"
        default:
            return "\(failure.stage) failed with \(failure.errno.name)"
        }
    }
}
