#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// Every directory of a cgroup hierarchy, as paths relative to its root (`/`, `/system.slice`, ...):
/// what `--unit` and `--container` are looked up in.
public enum CgroupTreeWalk {
    /// Depth-first, parents before children, at most `maxDepth` levels below the root (a kubelet's
    /// container sits five levels down).
    public static func directories(under mountPoint: String, maxDepth: Int = 12) -> [String] {
        var found: [String] = ["/"]
        walk(mountPoint, relative: "", depth: 0, maxDepth: maxDepth, into: &found)
        return found
    }

    private static func walk(_ path: String, relative: String, depth: Int, maxDepth: Int, into found: inout [String]) {
        guard depth < maxDepth, let dir = opendir(path) else { return }
        var children: [String] = []
        while let entry = readdir(dir) {
            guard entry.pointee.d_type == UInt8(DT_DIR) else { continue }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { children.append(name) }
        }
        closedir(dir)
        for name in children.sorted() {
            let child = relative + "/" + name
            found.append(child)
            walk(path + "/" + name, relative: child, depth: depth + 1, maxDepth: maxDepth, into: &found)
        }
    }

    /// The processes of a cgroup and of every cgroup below it.
    public static func processes(under path: String) -> [Int32] {
        var pids = SystemFile.readString(path + "/cgroup.procs")?.split(separator: "\n").compactMap { Int32($0) } ?? []
        for relative in directories(under: path).dropFirst() {
            pids += SystemFile.readString(path + relative + "/cgroup.procs")?.split(separator: "\n").compactMap { Int32($0) } ?? []
        }
        return pids
    }
}
