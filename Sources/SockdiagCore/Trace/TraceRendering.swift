/// The human form of a trace: one aligned line per event, a lesson line under the first event of
/// a socket that teaches one, and a summary block.
public struct TraceRenderer: Sendable {
    /// Seconds east of UTC, for wall-clock times (the caller knows the local zone).
    public let utcOffsetSeconds: Int
    public let style: OutputStyle
    /// The COMM column: a command name (15 bytes at most in the kernel) and the workload label
    /// beside it (`python3 [docker 0123456789ab]`), sized before the first line is printed.
    public let commWidth: Int

    public init(utcOffsetSeconds: Int, style: OutputStyle = .plain, commWidth: Int = TraceRenderer.commandNameWidth) {
        self.utcOffsetSeconds = utcOffsetSeconds
        self.style = style
        self.commWidth = commWidth
    }

    /// The kernel's TASK_COMM_LEN less its NUL.
    public static let commandNameWidth = 15
    /// COMM grows no wider than this; a longer name and label push the rest of its line right.
    public static let widestComm = 48

    /// A COMM column wide enough for any command name beside the widest of `cgroups`' workload
    /// labels (the target's cgroups at the start of the run). Lines are printed as events come,
    /// so, as ss sizes its columns from the sockets it has, the column is sized from the
    /// workloads that are known before the first line.
    public static func commWidth(fitting cgroups: some Sequence<ProcessCgroup>) -> Int {
        let label = cgroups.reduce(0) { max($0, TextTable.visibleWidth($1.textSuffix)) }
        return min(commandNameWidth + label, widestComm)
    }

    public var header: String {
        style.bold(line(["TIME", "PID", "COMM", "HOOK", "SOCKET", "ADDRESS", "CLASS"])) + "\n"
    }

    /// The line for an event, or nil for records the human view leaves to the summary (final totals).
    public func render(_ event: TraceEvent, lesson: TraceLesson?) -> String? {
        var text: String
        switch event {
        case let .socketCall(call):
            let classification = call.classification
            var classText = classification.kind.rawValue
            if let v4 = classification.embeddedIPv4, classification.kind != .ipv4 { classText += " (\(v4))" }
            if call.isMapped { classText = style.yellow(classText) }
            text = line([clock(call.timeNs), String(call.pid), PrintableText.of(call.comm) + (call.context.cgroup?.textSuffix ?? ""), call.hook.rawValue,
                         socketText(call.socketFamily, call.transport),
                         SocketAddress(call.address, call.port).description, classText])
        case let .egress(egress):
            guard !egress.isFinal else { return nil }
            var packets = "\(egress.wireProtocol.rawValue) packets"
            if egress.familyDiffersFromWire { packets = style.yellow(packets) }
            text = line([clock(egress.timeNs), egress.pid.map { String($0) } ?? "-", egress.comm.map { PrintableText.of($0) + (egress.cgroup?.textSuffix ?? "") } ?? "-", "egress",
                         socketText(egress.socketFamily, egress.transport), "\(egress.local) -> \(egress.remote)", packets])
        case let .outcome(outcome):
            text = line([clock(outcome.timeNs), outcome.pid.map { String($0) } ?? "-", outcome.comm.map { PrintableText.of($0) + (outcome.cgroup?.textSuffix ?? "") } ?? "-", outcome.kind.rawValue,
                         outcome.socketFamily.map { socketText($0, outcome.transport) } ?? "-/\(outcome.transport.rawValue)",
                         outcome.remote?.description ?? "-", outcomeText(outcome)])
        }
        text += "\n"
        if let lesson { text += style.yellow("  ! " + lesson.text) + "\n" }
        return text
    }

    public func renderSummary(_ summary: TraceSummary, command: TraceCommandResult?) -> String {
        var lines = [style.bold("Summary")]
        let hooks = TraceHook.allCases.compactMap { hook in summary.hooks[hook].map { "\(hook.rawValue) \($0)" } }
        lines.append("  events:          \(summary.events)" + (hooks.isEmpty ? "" : " (" + hooks.joined(separator: ", ") + ")"))
        let classes = summary.classes.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }
        lines.append("  classes:         " + (classes.isEmpty ? "none" : classes.joined(separator: ", ")))
        lines.append("  mapped sockets:  \(summary.mappedSockets.count) (AF_INET6 sockets with an IPv4 peer)")
        let egress = summary.egressSockets.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        lines.append("  egress sockets:  \(summary.egressSocketCount)" + (egress.isEmpty ? "" : " (socket/wire: " + egress.joined(separator: ", ") + ")"))
        for (lesson, sockets) in summary.lessons.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            lines.append(style.yellow("  ! \(lesson.text) (\(sockets) socket\(sockets == 1 ? "" : "s"))"))
        }
        let outcomes = summary.outcomes.filter { $0.count > 0 }.map { "\($0.kind.rawValue) \($0.count)" }
        if !outcomes.isEmpty { lines.append("  outcomes:        " + outcomes.joined(separator: ", ")) }
        if summary.races > 0 {
            lines.append("  races:           \(summary.races) (IPv4 won \(summary.racesWonByIPv4), IPv6 won \(summary.racesWonByIPv6), none \(summary.races - summary.racesWonByIPv4 - summary.racesWonByIPv6))")
            for race in summary.raceVerdicts { lines.append("    race \(race.group): \(race.verdict)") }
        }
        if summary.redirects > 0 || summary.blockedSockets > 0 {
            lines.append("  policy:          \(summary.redirects) redirected, \(summary.blockedSockets) sockets blocked")
        }
        var lost = "  lost events:     \(summary.counters.lostEvents)"
        if summary.counters.egressUntracked > 0 { lost += ", \(summary.counters.egressUntracked) sockets untracked (egress table)" }
        lines.append(summary.counters.lostEvents > 0 ? style.red(lost) : lost)
        if let readNs = summary.existingReadNs {
            lines.append("  open before:     \(summary.existingSockets) socket\(summary.existingSockets == 1 ? "" : "s") (read in \(TraceOutcome.duration(readNs)))")
        }
        if let command { lines.append("  command:         \(command.description)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `after 0.1 ms, rtt 45 us`, `after 3.0 s, 6 SYNs unanswered`, `after 12.3 ms, by peer, 512 B sent, 4096 B received`.
    func outcomeText(_ outcome: TraceOutcome) -> String {
        var parts = ["after " + TraceOutcome.duration(outcome.elapsedNs)]
        switch outcome.kind {
        case .established:
            if let rtt = outcome.rttMicroseconds { parts.append("rtt \(rtt) us") }
        case .timedOut:
            let sent = 1 + (outcome.synRetransmits ?? 0)
            parts.append("\(sent) SYN\(sent == 1 ? "" : "s") unanswered")
        case .aborted:
            let sent = 1 + (outcome.synRetransmits ?? 0)
            parts.append(outcome.error == nil ? "closed by the program, \(sent) SYN\(sent == 1 ? "" : "s") unanswered"
                                              : "closed by the program before the ICMP error that had come ended it")
        case .reset:
            parts.append(outcome.resetBy == .local ? "RST sent" : "RST received")
        case .failed:
            parts.append(outcome.error == nil ? "no SYN sent" : "no SYN sent, no route")
        case .refused, .unreachable, .closed:
            break
        }
        if let error = outcome.error, outcome.kind != .timedOut { parts.append(error.name) }
        if let icmp = outcome.icmp { parts.append(icmp) }
        if let sent = outcome.bytesSent, let received = outcome.bytesReceived {
            parts.append("\(sent) B sent, \(received) B received")
        }
        var text = parts.joined(separator: ", ")
        switch outcome.kind {
        case .established, .closed: break
        case .reset: text = style.yellow(text)
        default: text = style.red(text)
        }
        return text
    }

    private func socketText(_ family: AddressFamily, _ transport: TransportProtocol?) -> String {
        "\(family.rawValue)/\(transport?.rawValue ?? "other")"
    }

    /// TIME, PID, COMM, HOOK, SOCKET, ADDRESS; CLASS, last, takes what it needs. ADDRESS holds
    /// an IPv4 pair with five-digit ports (`127.0.0.1:45952 -> 127.0.0.1:47641`, 34 columns),
    /// the egress row of most traces.
    private var widths: [Int] { [15, 7, commWidth, 11, 9, 34] }

    /// Cells padded to their columns, two spaces apart. A cell wider than its column (a long
    /// IPv6 pair, a workload that came after the column was sized) pushes the next one right,
    /// and the padding of the cells after it shrinks until the line is back in step with the
    /// header, as ps does with a field wider than its column.
    func line(_ cells: [String]) -> String {
        let widths = self.widths
        var out = ""
        var written = 0
        // Where the header starts the current column.
        var columnStart = 0
        for (index, cell) in cells.enumerated() {
            if index > 0 {
                let start = max(columnStart, written + 2)
                out += String(repeating: " ", count: start - written)
                written = start
            }
            let visible = TextTable.visibleWidth(cell)
            guard index < widths.count else {
                out += cell
                written += visible
                continue
            }
            let end = columnStart + widths[index]
            // Right-align the pid; pad the rest on the right.
            if index == 1 {
                let lead = max(0, end - written - visible)
                out += String(repeating: " ", count: lead) + cell
                written += lead + visible
            } else {
                out += cell + String(repeating: " ", count: max(0, end - written - visible))
                written = max(end, written + visible)
            }
            columnStart = end + 2
        }
        return out
    }

    /// `HH:MM:SS.uuuuuu` in the caller's zone.
    public func clock(_ timeNs: UInt64) -> String {
        let local = Int64(timeNs / 1000) + Int64(utcOffsetSeconds) * 1_000_000
        let micros = ((local % 86_400_000_000) + 86_400_000_000) % 86_400_000_000
        let seconds = micros / 1_000_000
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let fraction = String(micros % 1_000_000)
        return "\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))."
            + String(repeating: "0", count: 6 - fraction.count) + fraction
    }
}
