/// The cgroup v2 mounts listed in a /proc/PID/mountinfo text.
public enum CgroupMountInfo {
    /// Mount points of every `cgroup2` filesystem, in the file's order. Octal escapes the kernel
    /// writes for spaces and tabs in paths (`\040`) are decoded.
    public static func cgroup2MountPoints(in mountinfo: String) -> [String] {
        var points: [String] = []
        for line in mountinfo.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
            guard fields.count >= 7, let dash = fields.firstIndex(of: "-"), dash >= 6, dash + 1 < fields.count else { continue }
            if fields[dash + 1] == "cgroup2" { points.append(unescape(fields[4])) }
        }
        return points
    }

    static func unescape(_ field: Substring) -> String {
        BackslashEscapes.decode(field, width: 3, octal)
    }

    private static func octal(_ digits: ArraySlice<UInt8>) -> UInt8? {
        var value = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "7") else { return nil }
            value = value * 8 + Int(digit - UInt8(ascii: "0"))
        }
        return value <= 255 ? UInt8(value) : nil
    }
}
