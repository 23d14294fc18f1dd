import Foundation
import SockdiagCore
import SockdiagSystem
import SockdiagBPF

/// One place where bind-check and the kernel disagree.
struct TruthDisagreement {
    let kase: TruthCase
    let what: String

    var text: String { "case \(kase.index): \(kase.label)\n    \(what)" }
}

/// Runs cases: real holders, bind-check in this process (the same probe and analysis the command
/// runs), then the kernel asked the same questions with real clients and real binds.
struct TruthRunner {
    let lab: TruthLab
    let scope: TruthScope
    var checks = 0

    /// The binds whose results must not change because bind-check ran: the SO_REUSEPORT binds
    /// that bind-bucket fast reuse can let through, and plain ones.
    static func probes(_ transport: TransportProtocol, port: SockdiagCore.Port) -> [BindCheckTrialRequest] {
        let addresses: [(IPAddress, Bool?)] = [(.v6(.any), false), (.v6(.any), true), (.v4(.any), nil), (.v4(.loopback), nil),
                                                (.v6(.loopback), true), (.v6(IPv6Address(mapping: .loopback)), false)]
        return [true, false].flatMap { reuseport in
            addresses.map { BindCheckTrialRequest(address: $0.0, port: port, transport: transport, v6only: $0.1,
                                                  reuseaddr: false, reuseport: reuseport) }
        }
    }

    /// A batch of cases: every holder set made first, on ports of its own, so that one pass of the
    /// BPF socket iterator (whose loading is most of a bind-check run's cost) serves them all.
    mutating func run(_ batch: [TruthCase]) -> [TruthDisagreement] {
        let prepared = batch.map { kase -> (TruthCase, SockdiagCore.Port, [TruthSocket?]) in
            let port = lab.freshPort()
            return (kase, port, lab.build(kase, port: port))
        }
        let inventory = BindCheckInventory.read(port: nil, transport: batch.contains { $0.transport == .udp } ? .udp : .tcp)
        var found: [TruthDisagreement] = []
        for (kase, port, sockets) in prepared {
            found += check(kase, port: port, sockets: sockets, inventory: inventory)
            lab.closeAll(sockets)
        }
        return found
    }

    private mutating func check(_ kase: TruthCase, port: SockdiagCore.Port, sockets: [TruthSocket?],
                                inventory: BindCheckInventory?) -> [TruthDisagreement] {
        var found: [TruthDisagreement] = []
        func disagree(_ what: String) { found.append(TruthDisagreement(kase: kase, what: what)) }
        let held = sockets.compactMap { $0 }
        func name(_ inode: UInt64) -> String {
            if let i = sockets.firstIndex(where: { $0?.inode == inode }) { return "h\(i)" }
            return "new"
        }
        let query = BindCheckQuery(address: kase.queryAddress, port: port, transport: kase.transport)
        let observation: BindCheckObservation
        do {
            observation = try BindCheckProbe.observe(query, netns: nil, inventory: { inventory })
        } catch {
            disagree("bind-check failed: \(error)")
            return found
        }
        let report = BindCheckReport.analyze(observation)

        // Who gets the clients now: every row of the report, and the lookup itself for a second
        // loopback address and for clients arriving across the veth.
        for row in report.receivers(for: .existing) {
            guard let reception = row.reception else { continue }
            checks += 1
            if let wrong = lab.verify(reception, kase.transport, to: row.destination, port: port, remote: false,
                                      receivers: held, newSocket: nil, name: name) {
                disagree("existing, local client to \(row.destination): \(wrong)")
            }
        }
        let candidates = BindCheckReport.candidates(observation.sockets, defaultV6only: observation.system.bindv6only)
        let extra: [(IPAddress, Bool)] = [(.v4(IPv4Address(127, 0, 0, 2)), false), (.v4(TruthLab.v4A), true), (.v6(TruthLab.v6A), true)]
        for (destination, remote) in extra {
            let device = remote ? lab.vethA : BindCheckLookup.loopbackDevice
            let reception = BindCheckLookup.reception(of: destination, arrivingOn: device, among: candidates, transport: kase.transport)
            checks += 1
            if let wrong = lab.verify(reception, kase.transport, to: destination, port: port, remote: remote,
                                      receivers: held, newSocket: nil, name: name) {
                disagree("existing, \(remote ? "remote" : "local") client to \(destination): \(wrong)")
            }
        }

        // A later bind behaves as if bind-check had never run.
        checkUnchanged(kase, port: port, disagree)

        // Every trial: the result a program would get on a port that bind-check never touched,
        // and the sockets named as the conflict.
        for trial in report.trials {
            let request = trial.outcome.request
            let trialPort = lab.freshPort()
            let copy = lab.build(kase, port: trialPort)
            let real = lab.attempt(request, port: trialPort)
            lab.closeAll(copy)
            checks += 1
            let reported: TruthBindResult = trial.outcomeFailure.map { .failed($0.stage, $0.errno) } ?? .ok
            let label = "trial \(request.address)\(request.v6only.map { " v6only=\($0 ? 1 : 0)" } ?? "") \(request.flagsLabel)"
            if reported != real {
                disagree("\(label): bind-check says \(reported), the kernel \(real)")
                continue
            }
            for note in trial.notes where note.contains("yet the kernel allowed") {
                disagree("\(label): \(note)")
            }
            guard case .failed(_, .addressInUse) = real else { continue }
            let named = trial.conflicts.compactMap { c in sockets.firstIndex { $0?.inode == c.inode } }
            if named.isEmpty {
                disagree("\(label): EADDRINUSE with no conflicting socket named (\(trial.notes.joined(separator: "; ")))")
                continue
            }
            // Without the named sockets the bind works; with any one of them alone it fails. (Holders
            // the kernel refused in the first place stay out of these sets.)
            let refused = Set(sockets.indices.filter { sockets[$0] == nil })
            let withoutPort = lab.freshPort()
            let without = lab.build(kase, port: withoutPort, skipping: Set(named).union(refused))
            let withoutResult = lab.attempt(request, port: withoutPort)
            lab.closeAll(without)
            if withoutResult != .ok {
                disagree("\(label): named \(named.map { "h\($0)" }.joined(separator: ",")), but without them the kernel still says \(withoutResult)")
            }
            for i in named {
                let alonePort = lab.freshPort()
                let alone = lab.build(kase, port: alonePort, skipping: Set(kase.holders.indices).subtracting([i]))
                let aloneResult = lab.attempt(request, port: alonePort)
                lab.closeAll(alone)
                if aloneResult == .ok { disagree("\(label): named h\(i), but with h\(i) alone the kernel allows the bind") }
            }
        }

        // After the bind: the program's socket (the trial bind-check used) joins the holders.
        for scenario in report.scenarios where scenario != .existing {
            let rows = report.receivers(for: scenario)
            guard rows.contains(where: { $0.reception != nil }), case let .afterBind(v6only) = scenario,
                  let trial = report.trials.first(where: { $0.outcome.request.v6only == v6only && $0.outcome.succeeded }) else { continue }
            let afterPort = lab.freshPort()
            let copy = lab.build(kase, port: afterPort)
            defer { lab.closeAll(copy) }
            guard let mine = lab.bindKept(trial.outcome.request, port: afterPort) else {
                disagree("\(scenario.key): the bind bind-check assumes (\(trial.outcome.request.flagsLabel)) fails for real")
                continue
            }
            defer { Glibc.close(mine.fd) }
            let receivers = copy.compactMap { $0 } + [mine]
            var inodes: [UInt64: UInt64] = [:] // bind-check's inode -> this copy's
            for (original, twin) in zip(sockets, copy) {
                if let original, let twin { inodes[original.inode] = twin.inode }
            }
            func twinName(_ inode: UInt64) -> String {
                if inode == mine.inode { return "new" }
                if let i = copy.firstIndex(where: { $0?.inode == inode }) { return "h\(i)" }
                return "?"
            }
            for row in rows {
                guard let reception = row.reception else { continue }
                checks += 1
                if let wrong = lab.verify(reception.mapped(inodes), kase.transport, to: row.destination, port: afterPort,
                                          remote: false, receivers: receivers, newSocket: mine.inode, name: twinName) {
                    disagree("\(scenario.key), local client to \(row.destination): \(wrong)")
                }
            }
        }
        return found
    }

    /// Binds made after bind-check ran get what they would have got without it.
    private mutating func checkUnchanged(_ kase: TruthCase, port: SockdiagCore.Port, _ disagree: (String) -> Void) {
        let untouchedPort = lab.freshPort()
        let untouched = lab.build(kase, port: untouchedPort)
        let before = TruthRunner.probes(kase.transport, port: untouchedPort).map { lab.attempt($0, port: untouchedPort) }
        lab.closeAll(untouched)
        let after = TruthRunner.probes(kase.transport, port: port).map { lab.attempt($0, port: port) }
        checks += 1
        if before != after {
            let probes = TruthRunner.probes(kase.transport, port: port)
            let changed = probes.indices.filter { before[$0] != after[$0] }.map {
                "\(SocketAddress(probes[$0].address, port))\(probes[$0].v6only.map { " v6only=\($0 ? 1 : 0)" } ?? "") \(probes[$0].flagsLabel): \(before[$0]) before, \(after[$0]) after"
            }
            disagree("bind-check changed later binds: \(changed.joined(separator: "; "))")
        }
    }
}

extension BindCheckTrial {
    var outcomeFailure: BindCheckTrialFailure? {
        if case let .failure(f) = outcome.result { return f }
        return nil
    }
}

extension BindCheckReception {
    /// The same reception with existing sockets renamed (to their twins on another port).
    func mapped(_ inodes: [UInt64: UInt64]) -> BindCheckReception {
        func map(_ id: BindCheckReceiverID) -> BindCheckReceiverID {
            if case let .existing(inode) = id { return .existing(inode: inodes[inode] ?? inode) }
            return id
        }
        switch self {
        case .refused, .unreachable: return self
        case let .one(id, why): return .one(map(id), why: why)
        case let .oneOf(ids, why): return .oneOf(ids.map(map), why: why)
        }
    }
}
