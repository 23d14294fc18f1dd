/// Text with byte escapes after a backslash decoded: the kernel's octal `\040` in mountinfo,
/// systemd's `\x2d` in unit names. An escape that does not parse stays as it is.
enum BackslashEscapes {
    /// `width` bytes after the backslash form one escape; `value` reads them (nil: not an escape).
    static func decode(_ text: some StringProtocol, width: Int, _ value: (ArraySlice<UInt8>) -> UInt8?) -> String {
        let utf8 = Array(text.utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "\\"), index + width < utf8.count, let byte = value(utf8[(index + 1)...(index + width)]) {
                bytes.append(byte)
                index += width + 1
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
