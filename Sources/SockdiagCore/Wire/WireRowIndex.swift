/// A hash index from a key to rows of an array its owner keeps: open addressing with linear probing
/// over one flat array of 64-bit slots, each the key's 32-bit hash and the row. The owner hashes the
/// key (`WireRowIndex.hash`) and confirms a candidate row against its own key, so no key is stored
/// twice and no `Hashable` conformance (SipHash over every field, enums included) runs per packet.
struct WireRowIndex: Sendable {
    /// `hash << 32 | row + 1`; 0 is an empty slot.
    private var slots: [UInt64]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 0) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [UInt64](repeatingInHugePages: 0, count: size)
        mask = size - 1
    }

    mutating func reserveCapacity(_ capacity: Int) {
        if capacity * 2 > slots.count { rehash(minimumSize: capacity * 2) }
    }

    /// The row of the first entry with this hash that `matches` accepts.
    @inline(__always)
    func find(hash: UInt32, matches: (Int) -> Bool) -> Int? {
        let mask = self.mask
        return slots.withUnsafeBufferPointer { slots in
            var at = Int(hash) & mask
            while true {
                let slot = slots[at]
                if slot == 0 { return nil }
                if UInt32(truncatingIfNeeded: slot >> 32) == hash {
                    let row = Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) &- 1
                    if matches(row) { return row }
                }
                at = (at &+ 1) & mask
            }
        }
    }

    /// Adds `row` under `hash`, or, when `replacing` is given, points that row's entry at `row`.
    @inline(__always)
    mutating func insert(hash: UInt32, row: Int, replacing old: Int? = nil) {
        let entry = UInt64(hash) << 32 | UInt64(UInt32(truncatingIfNeeded: row &+ 1))
        let mask = self.mask
        if let old {
            let oldEntry = UInt64(hash) << 32 | UInt64(UInt32(truncatingIfNeeded: old &+ 1))
            let replaced: Bool = slots.withUnsafeMutableBufferPointer { slots in
                var at = Int(hash) & mask
                while slots[at] != 0 {
                    if slots[at] == oldEntry { slots[at] = entry; return true }
                    at = (at &+ 1) & mask
                }
                return false
            }
            if replaced { return }
        }
        if (count &+ 1) &* 2 > slots.count { rehash(minimumSize: slots.count * 2) }
        let newMask = self.mask
        slots.withUnsafeMutableBufferPointer { slots in
            let mask = newMask
            var at = Int(hash) & mask
            while slots[at] != 0 { at = (at &+ 1) & mask }
            slots[at] = entry
        }
        count &+= 1
    }

    private mutating func rehash(minimumSize: Int) {
        var size = slots.count
        while size < minimumSize { size <<= 1 }
        var grown = [UInt64](repeatingInHugePages: 0, count: size)
        let newMask = size - 1
        grown.withUnsafeMutableBufferPointer { grown in
            for slot in slots where slot != 0 {
                var at = Int(truncatingIfNeeded: slot >> 32) & newMask
                while grown[at] != 0 { at = (at &+ 1) & newMask }
                grown[at] = slot
            }
        }
        slots = grown
        mask = newMask
    }

    /// A hash for socket cookies. The kernel hands cookies out in increasing runs, and a trace
    /// logs a socket's records close together, so the cookie's low six bits stay the slot's low
    /// bits: sockets met one after another share cache lines instead of each costing a miss. The
    /// cookie's high bits spread the runs over the table.
    @inline(__always)
    static func cookieHash(_ cookie: UInt64) -> UInt32 {
        hash(cookie >> 6) & ~0x3F | UInt32(truncatingIfNeeded: cookie) & 0x3F
    }

    /// A 32-bit hash of up to five 64-bit words: multiply-fold mixing, well spread in the low bits.
    @inline(__always)
    static func hash(_ a: UInt64, _ b: UInt64 = 0, _ c: UInt64 = 0, _ d: UInt64 = 0, _ e: UInt64 = 0) -> UInt32 {
        var h = a &* 0x9E37_79B9_7F4A_7C15
        h = (h ^ (h >> 29) ^ b) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 31) ^ c) &* 0x94D0_49BB_1331_11EB
        h = (h ^ (h >> 29) ^ d) &* 0x9E37_79B9_7F4A_7C15
        h = (h ^ (h >> 32) ^ e) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 32
        return UInt32(truncatingIfNeeded: h)
    }
}
