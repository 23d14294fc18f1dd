import XCTest
@testable import SockdiagCore

final class WireRowIndexTests: XCTestCase {
    func testFindsEveryRowThroughGrowthAndCollisions() {
        var index = WireRowIndex()
        var keys: [UInt64] = []
        for i in 0..<50_000 {
            let key = UInt64(i) &* 7_919 | UInt64(i % 3) << 40
            // Every tenth key shares its hash with the previous one: the owner's check tells them apart.
            let hash = i % 10 == 9 ? WireRowIndex.hash(keys[i - 1]) : WireRowIndex.hash(key)
            index.insert(hash: hash, row: i)
            keys.append(key)
        }
        XCTAssertEqual(index.count, 50_000)
        for (row, key) in keys.enumerated() {
            let hash = row % 10 == 9 ? WireRowIndex.hash(keys[row - 1]) : WireRowIndex.hash(key)
            XCTAssertEqual(index.find(hash: hash) { keys[$0] == key }, row)
        }
        XCTAssertNil(index.find(hash: WireRowIndex.hash(UInt64.max)) { keys[$0] == .max })
    }

    func testReplacingPointsTheKeyAtTheNewRow() {
        var index = WireRowIndex()
        let rows: [UInt64] = [5, 6, 5]
        index.insert(hash: WireRowIndex.hash(5), row: 0)
        index.insert(hash: WireRowIndex.hash(6), row: 1)
        index.insert(hash: WireRowIndex.hash(5), row: 2, replacing: 0)
        XCTAssertEqual(index.count, 2)
        XCTAssertEqual(index.find(hash: WireRowIndex.hash(5)) { rows[$0] == 5 }, 2)
        XCTAssertEqual(index.find(hash: WireRowIndex.hash(6)) { rows[$0] == 6 }, 1)
    }

    func testFlowTableKeepsBothDirectionsAndReusedTuplesApart() {
        let a = WireAddress(IPv4Address(10, 0, 0, 1)), b = WireAddress(IPv4Address(10, 0, 0, 2))
        let key = WireFlowKey(transport: .tcp, source: a, sourcePort: 40000, destination: b, destinationPort: 80)
        let others = (0..<1000).map { port in
            WireFlow(key: WireFlowKey(transport: .udp, source: a, sourcePort: UInt16(port), destination: b, destinationPort: 53),
                     packets: 1, bytes: 1, firstTime: 0, lastTime: 0)
        }
        let flows = [WireFlow(key: key, packets: 2, bytes: 100, firstTime: 1, lastTime: 2),
                     WireFlow(key: key.reversed, packets: 3, bytes: 100, firstTime: 5, lastTime: 6)]
        let table = WireFlowTable(flows: others + flows)
        let latest = table.flowIndex(for: key.reversed)
        XCTAssertEqual(latest.map { table.flows[$0].packets }, 3)
        XCTAssertEqual(table.flowIndex(for: key, near: 1, where: { _ in true }).map { table.flows[$0].packets }, 2)
        XCTAssertNil(table.flowIndex(for: WireFlowKey(transport: .udp, source: a, sourcePort: 40000, destination: b, destinationPort: 80)))
    }
}
