import SockdiagCore
import SockdiagSystem

// The serial steps after reading, each split over the machine's two cores for large runs: a
// report of tens of thousands of flows is otherwise waited for on one core while the other idles.

/// Below these sizes a second thread costs more than it saves (its start, and the halves'
/// merge): the join of fewer kernel records, the report of fewer flows, runs on one core.
enum TwoCores {
    static let joinFromKernelRecords = 4096
    static let reportFromFlows = 2048
    /// A large report is rendered in this many blocks, half on each core: each core's buffer
    /// holds one block.
    static let reportBlocks = 16
}

/// The join, its flow-table lookups (a cache miss each) made ahead on two cores: the sockets seen
/// only on egress on another thread, the connects and sends on this one.
func joinOnTwoCores(kernel: WireKernelTable, wire: WireFlowTable, nat64: NAT64Prefixes) throws -> WireJoinResult {
    guard kernel.recordCount >= TwoCores.joinFromKernelRecords else {
        return WireJoin.join(kernel: kernel, wire: wire, nat64: nat64)
    }
    let egress = BackgroundWork { WireJoin.egressLookups(kernel: kernel, wire: wire) }
    let intents = WireJoin.intentLookups(kernel: kernel, wire: wire)
    return WireJoin.join(kernel: kernel, wire: wire, found: .init(intents: intents, egress: egress.wait()), nat64: nat64)
}

/// Renders a large report's flows in blocks, two at a time: this core renders and writes the first
/// of each pair while another renders the second. Each core renders into one block of memory kept
/// for all its blocks (`WireJSONBlock`): fresh memory for the whole report costs the kernel's
/// zeroing of every page, more than the rendering. Small reports are written in one go.
func writeFlowsOnTwoCores(_ report: WireReport, to sink: (UnsafeRawBufferPointer) -> Void) throws {
    let count = report.join.rowCount
    guard count >= TwoCores.reportFromFlows else { report.jsonFlows(0..<count, to: sink); return }
    let blockFlows = max(TwoCores.reportFromFlows / 2, (count + TwoCores.reportBlocks - 1) / TwoCores.reportBlocks)
    let mine = WireJSONBlock(), other = WireJSONBlock()
    var start = 0
    while start < count {
        let middle = min(start + blockFlows, count), end = min(middle + blockFlows, count)
        let rendering = BackgroundWork {
            other.removeAll()
            report.jsonFlows(middle..<end, appendingTo: other)
        }
        mine.removeAll()
        report.jsonFlows(start..<middle, appendingTo: mine)
        mine.withBytes(sink)
        rendering.wait()
        if other.count > 0 { other.withBytes(sink) }
        start = end
    }
}

/// The text report with its cells rendered and its rows written in two halves on two cores.
func writeTextOnTwoCores(_ report: WireReport, style: OutputStyle, to sink: ([UInt8]) -> Void) throws {
    let count = report.join.rowCount
    guard count >= TwoCores.reportFromFlows else { sink(report.text(style: style)); return }
    let secondCells = BackgroundWork { report.textCells((count / 2)..<count) }
    let firstCells = report.textCells(0..<(count / 2))
    let second = secondCells.wait()
    let widths = zip(firstCells.widths, second.widths).map { max($0, $1) }
    let secondRows = BackgroundWork { report.textRows(second, widths: widths, style: style) }
    sink(report.textHeader(widths: widths, style: style))
    sink(report.textRows(firstCells, widths: widths, style: style))
    sink(secondRows.wait())
    sink(report.textSummary(style: style))
}
