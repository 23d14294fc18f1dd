/// One answer of the resolver as glibc's sort sees it: the destination and the source address
/// the kernel would pick for it (glibc connects a UDP socket and asks getsockname).
public struct SortCandidate: Hashable, Sendable {
    public let destination: IPAddress
    /// nil when the kernel has no route to it (rule 1 puts it last).
    public let source: IPAddress?
    /// The prefix length of the source address on its interface (rule 9, IPv4); nil when unknown.
    public let sourcePrefixLength: Int?
    /// The source address is deprecated (rule 3).
    public let sourceDeprecated: Bool

    public init(destination: IPAddress, source: IPAddress?, sourcePrefixLength: Int? = nil, sourceDeprecated: Bool = false) {
        self.destination = destination
        self.source = source
        self.sourcePrefixLength = sourcePrefixLength
        self.sourceDeprecated = sourceDeprecated
    }
}

/// The RFC 6724 (RFC 3484 in glibc's words) rule that put one answer before the next.
public enum SelectionRule: Int, Hashable, Sendable {
    case usable = 1, matchingScope = 2, deprecated = 3, matchingLabel = 5, precedence = 6, smallerScope = 8,
         longestPrefix = 9, resolverOrder = 10

    public var title: String {
        switch self {
        case .usable: return "avoid unusable destinations"
        case .matchingScope: return "prefer matching scope"
        case .deprecated: return "avoid deprecated addresses"
        case .matchingLabel: return "prefer matching label"
        case .precedence: return "prefer higher precedence"
        case .smallerScope: return "prefer smaller scope"
        case .longestPrefix: return "use longest matching prefix"
        case .resolverOrder: return "otherwise keep the order the name service gave"
        }
    }
}

/// One sorted answer: where it stands and why it is not after the next one.
public struct SortedDestination: Hashable, Sendable {
    public let candidate: SortCandidate
    public let precedence: Int
    public let label: Int
    public let scope: Int
    /// The rule that placed it before the next answer; for the last one, the rule that placed the
    /// one before it ahead of it; nil when it is the only answer.
    public let rule: SelectionRule?
    /// One line: `rule 6 (prefer higher precedence): 50 > 10`.
    public let why: String
}

/// glibc's rfc3484_sort with its merge sort (qsort_r): the same order glibc gives, rule by rule,
/// so that each answer can say which rule placed it.
public struct DestinationSorter: Sendable {
    public let table: AddressPolicyTable

    public init(table: AddressPolicyTable) { self.table = table }

    /// `candidates` in the order the name service returned them.
    public func sort(_ candidates: [SortCandidate]) -> [SortedDestination] {
        let order = mergeSort(Array(candidates.indices)) { compare(candidates[$0], $0, candidates[$1], $1).0 > 0 }
        let sorted = order.map { candidates[$0] }
        return sorted.enumerated().map { position, candidate in
            var rule: SelectionRule? = nil
            var why = "the only answer"
            if sorted.count > 1 {
                let (a, b) = position + 1 < sorted.count ? (position, position + 1) : (position - 1, position)
                let (_, decided, detail) = compare(sorted[a], order[a], sorted[b], order[b])
                rule = decided
                let subject = position + 1 < sorted.count ? "before \(sorted[b].destination)" : "after \(sorted[a].destination)"
                why = "rule \(decided.rawValue) (\(decided.title)) puts it \(subject)" + (detail.isEmpty ? "" : ": \(detail)")
            }
            let d = candidate.destination
            return SortedDestination(candidate: candidate, precedence: table.precedence(of: d), label: table.label(of: d),
                                     scope: table.scope(of: d), rule: rule, why: why)
        }
    }

    /// <0 when `a` goes first, with the rule that decided and its figures.
    func compare(_ a: SortCandidate, _ ia: Int, _ b: SortCandidate, _ ib: Int) -> (Int, SelectionRule, String) {
        // Rule 1: a destination the kernel has no source address for goes last.
        if (a.source != nil) != (b.source != nil) {
            return (a.source != nil ? -1 : 1, .usable, "no route to \(a.source == nil ? a.destination : b.destination)")
        }
        let scopeA = table.scope(of: a.destination), scopeB = table.scope(of: b.destination)
        if let sa = a.source, let sb = b.source {
            // Rule 2.
            let matchA = scopeA == table.scope(of: sa), matchB = scopeB == table.scope(of: sb)
            if matchA != matchB {
                return (matchA ? -1 : 1, .matchingScope, "scope \(scopeA) from source scope \(table.scope(of: sa)), \(scopeB) from \(table.scope(of: sb))")
            }
            // Rule 3.
            if a.sourceDeprecated != b.sourceDeprecated {
                return (b.sourceDeprecated ? -1 : 1, .deprecated, "source \(a.sourceDeprecated ? sa : sb) is deprecated")
            }
            // Rule 5.
            let labelA = table.label(of: a.destination) == table.label(of: sa)
            let labelB = table.label(of: b.destination) == table.label(of: sb)
            if labelA != labelB {
                let (x, sx) = labelA ? (a.destination, sa) : (b.destination, sb)
                return (labelA ? -1 : 1, .matchingLabel, "\(x) and its source \(sx) share label \(table.label(of: x)); the other pair does not")
            }
        }
        // Rule 6.
        let precA = table.precedence(of: a.destination), precB = table.precedence(of: b.destination)
        if precA != precB {
            return (precA > precB ? -1 : 1, .precedence, "precedence \(max(precA, precB)) > \(min(precA, precB))")
        }
        // Rule 8.
        if scopeA != scopeB {
            return (scopeA < scopeB ? -1 : 1, .smallerScope, "scope \(min(scopeA, scopeB)) < \(max(scopeA, scopeB))")
        }
        // Rule 9: same family only.
        if let sa = a.source, let sb = b.source, a.destination.family == b.destination.family {
            let (bitsA, bitsB) = commonPrefixes(a.destination, sa, a.sourcePrefixLength, b.destination, sb, b.sourcePrefixLength)
            if bitsA != bitsB {
                return (bitsA > bitsB ? -1 : 1, .longestPrefix, "\(max(bitsA, bitsB)) bits shared with its source, against \(min(bitsA, bitsB))")
            }
        }
        return (ia < ib ? -1 : 1, .resolverOrder, "precedence \(precA) and scope \(scopeA) on both")
    }

    /// glibc's rule 9 figures: leading bits each destination shares with its source. IPv4 counts
    /// only when destination and source lie in the source's subnet; IPv6 compares the first 32-bit
    /// word in which either pair differs, and counts within that word, as glibc's `fls` does.
    func commonPrefixes(_ d1: IPAddress, _ s1: IPAddress, _ length1: Int?,
                        _ d2: IPAddress, _ s2: IPAddress, _ length2: Int?) -> (Int, Int) {
        func v4(_ d: IPv4Address, _ s: IPv4Address, _ length: Int?) -> Int {
            let length = length ?? 0
            let mask: UInt32 = length == 0 ? 0 : ~(UInt32.max >> UInt32(min(length, 32)))
            guard d.value & mask == s.value & mask else { return 0 }
            return (d.value ^ s.value).leadingZeroBitCount
        }
        func words(_ a: IPv6Address) -> [UInt32] {
            let b = a.bytes
            return (0..<4).map { w in b[w * 4..<w * 4 + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
        }
        switch (d1, s1, d2, s2) {
        case let (.v4(a), .v4(sa), .v4(b), .v4(sb)):
            return (v4(a, sa, length1), v4(b, sb, length2))
        case let (.v6(a), .v6(sa), .v6(b), .v6(sb)):
            let (wa, wsa, wb, wsb) = (words(a), words(sa), words(b), words(sb))
            guard let i = (0..<4).first(where: { wa[$0] != wsa[$0] || wb[$0] != wsb[$0] }) else { return (0, 0) }
            return ((wa[i] ^ wsa[i]).leadingZeroBitCount, (wb[i] ^ wsb[i]).leadingZeroBitCount)
        default:
            return (0, 0)
        }
    }
}

/// glibc's msort: split in halves (the first n/2), sort each, merge taking from the left unless
/// the comparison puts the left one after the right one.
func mergeSort(_ items: [Int], _ after: (Int, Int) -> Bool) -> [Int] {
    guard items.count > 1 else { return items }
    let half = items.count / 2
    let left = mergeSort(Array(items[..<half]), after), right = mergeSort(Array(items[half...]), after)
    var merged: [Int] = []
    merged.reserveCapacity(items.count)
    var i = 0, j = 0
    while i < left.count && j < right.count {
        if after(left[i], right[j]) { merged.append(right[j]); j += 1 } else { merged.append(left[i]); i += 1 }
    }
    return merged + left[i...] + right[j...]
}
