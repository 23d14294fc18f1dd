/// Standard base64 (RFC 4648) decoding, used for the BPF objects embedded in the binary.
public enum Base64 {
    /// Each character's 6-bit value; 0xFF for a byte outside the alphabet (padding included).
    private static let table: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            t[Int(c)] = UInt8(i)
        }
        return t
    }()

    /// The bytes, or nil for text that is not base64. Padding is optional; bits left over in the
    /// last character are dropped.
    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8(decode(utf8:))
    }

    /// Four characters at a time into memory sized once: the embedded objects (tens of kilobytes,
    /// one decoded at every bind-check and trace run) cost a few instructions per byte, not a
    /// call per byte.
    private static func decode(utf8 input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var characters = input.count
        while characters > 0 && input[characters - 1] == UInt8(ascii: "=") { characters -= 1 }
        let padding = input.count - characters
        // A lone 6-bit character cannot end a quantum, and padding only ever completes one.
        guard padding <= 2, characters % 4 != 1, padding == 0 || input.count % 4 == 0 else { return nil }
        let quanta = characters / 4, rest = characters % 4
        let count = quanta * 3 + max(0, rest - 1)
        // Any character outside the alphabet (0xFF) sets the high bits, which no 6-bit value has.
        var seen: UInt8 = 0
        let bytes = table.withUnsafeBufferPointer { table in
            [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
                var i = 0, o = 0
                for _ in 0..<quanta {
                    let a = table[Int(input[i])], b = table[Int(input[i + 1])]
                    let c = table[Int(input[i + 2])], d = table[Int(input[i + 3])]
                    seen |= a | b | c | d
                    let value = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                    out[o] = UInt8(truncatingIfNeeded: value >> 16)
                    out[o + 1] = UInt8(truncatingIfNeeded: value >> 8)
                    out[o + 2] = UInt8(truncatingIfNeeded: value)
                    i += 4
                    o += 3
                }
                if rest > 0 {
                    var value: UInt32 = 0
                    for k in 0..<rest {
                        let v = table[Int(input[i + k])]
                        seen |= v
                        value = value << 6 | UInt32(v)
                    }
                    value <<= UInt32(6 * (4 - rest))
                    for k in 0..<(rest - 1) { out[o + k] = UInt8(truncatingIfNeeded: value >> UInt32(16 - 8 * k)) }
                    o += rest - 1
                }
                initialized = o
            }
        }
        return seen & 0xC0 == 0 ? bytes : nil
    }
}
