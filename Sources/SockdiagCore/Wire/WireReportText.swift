/// The first four cells of each row of a range of flows, rendered once: measured for the column
/// widths, then copied out with padding by `WireReport.textRows`.
public struct WireTextCells: Sendable {
    let range: Range<Int>
    var bytes: [UInt8] = []
    /// Where each cell ends in `bytes`, four a row.
    var ends: [Int] = []
    /// The widths these rows need, headers included. Ranges rendered apart (on other cores)
    /// combine by taking the larger width of each column.
    public internal(set) var widths: [Int]
}

extension WireReport {
    /// One row per flow — process, kernel view, wire view, the connect's outcome, verdict — then a summary. Each cell is
    /// rendered once, straight into bytes, and padded to its column's width when copied out.
    public func text(style: OutputStyle = .plain) -> [UInt8] {
        let cells = textCells(join.flows.indices)
        return textHeader(widths: cells.widths, style: style) + textRows(cells, widths: cells.widths, style: style)
            + textSummary(style: style)
    }

    private static let textHeaderTitles: [StaticString] = ["PID/COMM", "KERNEL", "WIRE", "OUTCOME", "VERDICT"]

    /// The cells of the rows in `range`, with the widths they need.
    public func textCells(_ range: Range<Int>) -> WireTextCells {
        var cells = WireTextCells(range: range, widths: WireReport.textHeaderTitles.prefix(4).map(\.utf8CodeUnitCount))
        cells.bytes.reserveCapacityInHugePages(range.count * 120)
        cells.ends.reserveCapacity(range.count * 4)
        for index in range {
            let flow = join.flows[index]
            for column in 0..<4 {
                let start = cells.bytes.count
                cell(flow, column, to: &cells.bytes)
                cells.widths[column] = max(cells.widths[column], cells.bytes.count - start)
                cells.ends.append(cells.bytes.count)
            }
        }
        return cells
    }

    public func textHeader(widths: [Int], style: OutputStyle = .plain) -> [UInt8] {
        var out: [UInt8] = []
        // Which NAT64 prefixes the report used and where each came from: when more than the
        // built-in ones are known, or a row went through one.
        let counts = join.counts
        if !join.nat64.isBuiltIn || counts[WireVerdict.nat64.index] + counts[WireVerdict.clat.index] > 0 {
            WireText.append(PrintableText.of(join.nat64.headerLine) + "\n", to: &out)
        }
        var headerLine: [UInt8] = []
        for (column, title) in WireReport.textHeaderTitles.enumerated() {
            let start = headerLine.count
            headerLine.append(contentsOf: UnsafeRawBufferPointer(start: title.utf8Start, count: title.utf8CodeUnitCount))
            if column < 4 { headerLine.append(contentsOf: repeatElement(0x20, count: widths[column] - (headerLine.count - start) + 2)) }
        }
        WireText.append(style.bold(String(decoding: headerLine, as: UTF8.self)), to: &out)
        out.append(0x0A)
        return out
    }

    /// The rows of `cells`, padded to `widths` (of all rows of the report) and ended by the verdict.
    public func textRows(_ cells: WireTextCells, widths: [Int], style: OutputStyle = .plain) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacityInHugePages((widths.reduce(0, +) + 30) * cells.range.count)
        let verdicts = WireVerdict.allCases.map { verdict -> [UInt8] in
            var text: [UInt8] = []
            switch verdict {
            case .ipv4Mapped, .clat: WireText.append(style.yellow(verdict.rawValue), to: &text)
            case .same: WireText.append(style.green(verdict.rawValue), to: &text)
            default: WireText.append(verdict.rawValue, to: &text)
            }
            text.append(0x0A)
            return text
        }
        let blanks = [UInt8](repeating: 0x20, count: (widths.max() ?? 0) + 2)
        cells.bytes.withUnsafeBufferPointer { bytes in
            var start = 0, cell = 0
            for index in cells.range {
                for column in 0..<4 {
                    let end = cells.ends[cell]
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<end]))
                    out.append(contentsOf: blanks[0..<(widths[column] - (end - start) + 2)])
                    start = end
                    cell += 1
                }
                out.append(contentsOf: verdicts[join.flows.verdict(at: index).index])
            }
        }
        return out
    }

    /// The blank line and the summary after the rows.
    public func textSummary(style: OutputStyle = .plain) -> [UInt8] {
        var out: [UInt8] = [0x0A]
        WireText.append(summaryLines(style: style), to: &out)
        return out
    }

    private func cell(_ flow: WireJoinedFlow, _ column: Int, to out: inout [UInt8]) {
        switch column {
        case 0:
            guard let kernel = flow.kernel else { out.append(0x2D); return }
            if let pid = kernel.pid { WireText.decimal(UInt64(pid), to: &out) } else { out.append(0x3F) }
            out.append(0x2F)
            if kernel.comm.isEmpty { out.append(0x3F) } else {
                var heldC2 = false
                kernel.comm.forEachByte { PrintableText.append($0, heldC2: &heldC2, to: &out) }
                PrintableText.finish(heldC2: heldC2, to: &out)
            }
            if !processCgroups.isEmpty, let pid = kernel.pid, let suffix = processCgroups[pid]?.textSuffix, !suffix.isEmpty {
                WireText.append(suffix, to: &out)
            }
        case 1:
            guard let kernel = flow.kernel else { out.append(0x2D); return }
            WireText.append(kernel.socketFamily.wireIsInet6 ? "inet6 " : "inet ", to: &out)
            kernel.address.write(port: kernel.port, to: &out)
            if let hook = kernel.hook {
                WireText.append(" (", to: &out)
                WireText.append(hook.name, to: &out)
                out.append(0x29)
            }
        case 3:
            guard let outcome = flow.kernel?.outcome, outcome.connect != nil || outcome.end != nil else { out.append(0x2D); return }
            outcome.write(to: &out)
        default:
            guard let wire = flow.wire else { out.append(0x2D); return }
            guard let sides = flow.beforeAndAfterTranslation, let translation = flow.translation else {
                flowText(wire, interfaces: false, to: &out)
                return
            }
            // `IPv4 ... on clat => IPv6 ... on clat, uplink (CLAT, prefix P learned from packets)`
            flowText(sides.before, interfaces: true, to: &out)
            WireText.append(" => ", to: &out)
            flowText(sides.after, interfaces: true, to: &out)
            WireText.append(translation.kind == .clat ? " (CLAT, prefix " : " (NAT64, prefix ", to: &out)
            WireText.append(translation.prefix.displayed, to: &out)
            out.append(0x20)
            WireText.append(translation.prefix.source.brief, to: &out)
            out.append(0x29)
        }
    }

    /// `IPv6 tcp [a]:p -> [b]:q, 5 pkts`, then ` on IF, IF` where the capture says.
    func flowText(_ wire: WireFlow, interfaces: Bool, to out: inout [UInt8]) {
        WireText.append(wire.key.isIPv6 ? "IPv6 " : "IPv4 ", to: &out)
        WireText.append(wire.key.transport == .tcp ? "tcp " : "udp ", to: &out)
        wire.key.source.write(port: wire.key.sourcePort, to: &out)
        WireText.append(" -> ", to: &out)
        wire.key.destination.write(port: wire.key.destinationPort, to: &out)
        WireText.append(", ", to: &out)
        WireText.decimal(wire.packets, to: &out)
        WireText.append(wire.packets == 1 ? " pkt" : " pkts", to: &out)
        guard interfaces else { return }
        let names = wire.interfaces.indexes.map(capture.interfaceName)
        let where_ = names.isEmpty ? capture.interface.flatMap { $0 == "any" ? nil : [$0] } ?? [] : names
        guard !where_.isEmpty else { return }
        WireText.append(" on " + PrintableText.of(where_.joined(separator: ", ")) + (wire.interfaces.more ? ", ..." : ""), to: &out)
    }

    func summaryLines(style: OutputStyle = .plain) -> String {
        let counts = join.counts
        let flows = join.flows.count
        var text = "\(flows) flow\(flows == 1 ? "" : "s"): "
            + WireVerdict.allCases.map { "\(counts[$0.index]) \($0.rawValue)" }.joined(separator: ", ") + "\n"
        let source = capture.file ?? "interface \(capture.interface ?? "any")" + (capture.netns.map { " in network namespace \($0)" } ?? "")
        text += "capture: \(source) (\(capture.linkType.rawValue)): \(capture.packets) packets"
        if let dropped = capture.dropped { text += ", \(dropped) dropped" }
        text += ", \(capture.skipped.total) skipped"
        let reasons = WireSkipReason.allCases.filter { capture.skipped[$0] > 0 }
        if !reasons.isEmpty {
            text += " (" + reasons.map { "\(capture.skipped[$0]) \($0.key.wireReplacing("_", " "))" }.joined(separator: ", ") + ")"
        }
        if capture.endedEarly != nil { text += style.red(", the file ended early") }
        text += "\n"
        text += "events: \(events.file ?? "live trace"): \(events.events) event\(events.events == 1 ? "" : "s")"
        if events.garbage > 0 { text += ", \(events.garbage) unreadable line\(events.garbage == 1 ? "" : "s") skipped" }
        text += ", \(events.lost) lost\n"
        if let command { text += "command: \(command.description)\n" }
        let mapped = counts[WireVerdict.ipv4Mapped.index]
        if mapped > 0 {
            text += style.yellow("note:") + " \(mapped) AF_INET6 socket\(mapped == 1 ? "" : "s") sent IPv4 packets "
                + "(IPv4-mapped peers): a connect4-only hook misses their connects, and an egress rule on "
                + "skb->family sees AF_INET6 where the packet is IPv4; check skb->protocol.\n"
        }
        let clat = counts[WireVerdict.clat.index]
        if clat > 0 {
            text += style.yellow("note:") + " \(clat) AF_INET socket\(clat == 1 ? "" : "s") sent IPv6 packets through a CLAT "
                + "(464XLAT): the kernel ran connect4/sendmsg4 and the IPv4 packets exist only on the translator's "
                + "TUN device; past it they are IPv6 to the NAT64 prefix. An IPv4-only egress rule on the uplink "
                + "(skb->protocol == ETH_P_IP, an iptables rule without its ip6tables twin) or an IPv4 capture "
                + "filter there ('ip', 'host a.b.c.d') misses them; match the IPv6 form PREFIX::a.b.c.d.\n"
        }
        if events.lost > 0 {
            text += style.yellow("note:") + " the tracer lost \(events.lost) events; some flows may show as wire-only.\n"
        }
        return text
    }
}

extension String {
    func wireReplacing(_ target: Character, _ replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
