/// Outcomes by socket cookie, in the order their sockets were first met: found through a
/// `WireRowIndex` on the cookie, as intents and egress records are, instead of a dictionary, whose
/// SipHash and scattered buckets cost a cache miss on every outcome record and every report row.
struct WireOutcomeTable: Sendable, Equatable {
    private var cookies: [UInt64] = []
    private var outcomes: [WireOutcome] = []
    private var index = WireRowIndex()

    var isEmpty: Bool { outcomes.isEmpty }
    var count: Int { outcomes.count }

    mutating func reserveCapacity(_ capacity: Int) {
        cookies.reserveCapacityInHugePages(capacity)
        outcomes.reserveCapacityInHugePages(capacity)
        index.reserveCapacity(capacity)
    }

    subscript(cookie: UInt64) -> WireOutcome? { row(of: cookie).map { outcomes[$0] } }

    /// Changes the socket's outcome by `body`, starting from an empty one when it has none yet.
    @inline(__always)
    mutating func update(_ cookie: UInt64, _ body: (inout WireOutcome) -> Void) {
        if let at = row(of: cookie) {
            body(&outcomes[at])
            return
        }
        index.insert(hash: WireRowIndex.cookieHash(cookie), row: outcomes.count)
        cookies.append(cookie)
        var outcome = WireOutcome()
        body(&outcome)
        outcomes.append(outcome)
    }

    /// Another part's outcomes, read later in the same log.
    mutating func merge(_ later: WireOutcomeTable) {
        for (cookie, outcome) in zip(later.cookies, later.outcomes) { update(cookie) { $0.merge(outcome) } }
    }

    @inline(__always)
    private func row(of cookie: UInt64) -> Int? {
        cookies.withUnsafeBufferPointer { cookies in
            index.find(hash: WireRowIndex.cookieHash(cookie)) { cookies[$0] == cookie }
        }
    }

    /// The same outcomes for the same sockets, in whatever order they were met.
    static func == (a: WireOutcomeTable, b: WireOutcomeTable) -> Bool {
        a.count == b.count && zip(a.cookies, a.outcomes).allSatisfy { b[$0.0] == $0.1 }
    }
}
