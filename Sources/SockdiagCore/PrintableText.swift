/// Text a process chose (its comm, its command line) made safe for a terminal, as ps does: each
/// control character (C0, DEL, C1) becomes `?`, so a name cannot break a row or start an escape
/// sequence. JSON keeps the text as it was: its escapes are already safe.
public enum PrintableText {
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    public static func of(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars { out.append(isControl(scalar) ? "?" : scalar) }
        return String(out)
    }

    /// The same for UTF-8 bytes given one at a time, written to `out`: C1 controls are the two
    /// bytes C2 80...C2 9F, so a C2 waits in `heldC2` for the byte after it (`finish` at the end).
    @inline(__always)
    public static func append(_ byte: UInt8, heldC2: inout Bool, to out: inout [UInt8]) {
        if heldC2 {
            heldC2 = false
            if (0x80...0x9F).contains(byte) { out.append(0x3F); return }
            out.append(0xC2)
        }
        if byte == 0xC2 { heldC2 = true; return }
        out.append(byte < 0x20 || byte == 0x7F ? 0x3F : byte)
    }

    public static func finish(heldC2: Bool, to out: inout [UInt8]) {
        if heldC2 { out.append(0xC2) }
    }
}
