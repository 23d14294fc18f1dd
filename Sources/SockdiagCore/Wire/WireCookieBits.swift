/// Which socket cookies are in a set, as one bit each over the span they cover. The kernel hands
/// cookies out from one counter, so a trace's sockets fill a narrow span densely: a question about
/// any of them reads a few kilobytes, where a hash index of the same cookies takes a cache miss
/// per question. A span too sparse for bits (more than `sparseLimit` bits a cookie) gives up,
/// and `contains` answers nil: the caller asks its index instead.
struct WireCookieBits: Sendable {
    /// The cookie of bit 0 of `words[0]`; a multiple of 64.
    private var base: UInt64 = 0
    private var words: [UInt64] = []
    private var count = 0
    private(set) var gaveUp = false

    static let sparseLimit = 256

    /// Whether `cookie` is in the set; nil once the set has given up.
    @inline(__always)
    func contains(_ cookie: UInt64) -> Bool? {
        if gaveUp { return nil }
        guard cookie >= base else { return false }
        let word = (cookie &- base) >> 6
        guard word < UInt64(words.count) else { return false }
        return words[Int(word)] & (1 << (cookie & 63)) != 0
    }

    mutating func insert(_ cookie: UInt64) {
        if gaveUp { return }
        let aligned = cookie & ~63
        if words.isEmpty {
            base = aligned
            words = [0]
        } else if aligned < base {
            // Grown downwards by at least the current size, so a run of lower cookies moves the
            // words a few times, not once per cookie.
            let needed = Int((base - aligned) >> 6)
            let added = max(needed, words.count)
            guard spanIsDense(words.count + added) else { return giveUp() }
            let newBase = base >= UInt64(added) << 6 ? base - UInt64(added) << 6 : 0
            let shift = Int((base - newBase) >> 6)
            words = [UInt64](repeating: 0, count: shift) + words
            base = newBase
        } else if (aligned - base) >> 6 >= UInt64(words.count) {
            let needed = Int((aligned - base) >> 6) + 1
            guard spanIsDense(needed) else { return giveUp() }
            words.append(contentsOf: repeatElement(0, count: max(needed, words.count * 2) - words.count))
        }
        let word = Int((cookie - base) >> 6)
        if words[word] & (1 << (cookie & 63)) == 0 {
            words[word] |= 1 << (cookie & 63)
            count += 1
        }
    }

    /// Spans of up to 64 Kbit (8 KB) are always kept; wider ones need `sparseLimit` cookies.
    private func spanIsDense(_ wordCount: Int) -> Bool {
        wordCount <= 1024 || wordCount <= (count + 1) * (WireCookieBits.sparseLimit / 64)
    }

    private mutating func giveUp() {
        gaveUp = true
        words = []
    }
}
