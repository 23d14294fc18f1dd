/// A systemd unit as its cgroup names it: `/system.slice/nginx.service`,
/// `/user.slice/user-1000.slice/session-3.scope`,
/// `/user.slice/user-1000.slice/user@1000.service/app.slice/backup.service`.
public struct SystemdUnit: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable { case service, scope, socket, mount, swap }

    /// The name as `systemctl` prints it, systemd's own escapes kept: `foo\x2dbar.service`.
    public let name: String
    public let kind: Kind
    /// The UID of the `user@UID.service` manager that runs the unit; nil for the system manager.
    public let userManager: UInt32?
    /// The unit's cgroup.
    public let cgroup: String

    public init(name: String, kind: Kind, userManager: UInt32? = nil, cgroup: String) {
        self.name = name
        self.kind = kind
        self.userManager = userManager
        self.cgroup = cgroup
    }

    /// The name with systemd's `\xNN` escapes decoded: `foo\x2dbar.service` is `foo-bar.service`.
    public var unescapedName: String { Self.unescape(name) }

    /// The name without its `.service` suffix, the way `systemctl` lets it be typed.
    public var nameWithoutServiceSuffix: String {
        kind == .service ? String(name.dropLast(".service".count)) : name
    }

    /// Whether a user's `--unit` text names this unit: its name or its unescaped name, `.service` optional.
    public func isNamed(_ text: String) -> Bool {
        let candidates = text.contains(".") && Kind(rawValue: String(text.split(separator: ".").last ?? "")) != nil
            ? [text] : [text, text + ".service"]
        return candidates.contains(name) || candidates.contains(unescapedName)
    }

    /// The unit a cgroup directory name is, after systemd's cgroup escape (a `_` put before names
    /// that start with `_` or `.` or clash with the kernel's files) is undone; nil for slices and
    /// anything that is not a unit name.
    init?(cgroupComponent component: String, cgroup: String, userManager: UInt32?) {
        let name = component.hasPrefix("_") ? String(component.dropFirst()) : component
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex,
              let kind = Kind(rawValue: String(name[name.index(after: dot)...])) else { return nil }
        // user@UID.service is the user's manager; its own units are named below it.
        self.init(name: name, kind: kind, userManager: Self.userManagerUID(component) == nil ? userManager : nil, cgroup: cgroup)
    }

    /// The UID in `user@UID.service`, the cgroup of a user's systemd manager.
    static func userManagerUID(_ component: String) -> UInt32? {
        guard component.hasPrefix("user@"), component.hasSuffix(".service") else { return nil }
        return UInt32(component.dropFirst("user@".count).dropLast(".service".count))
    }

    /// systemd's unescaping of unit names: `\xNN` becomes the byte NN.
    static func unescape(_ text: String) -> String {
        BackslashEscapes.decode(text, width: 3) { escape in
            let digits = escape.dropFirst()
            guard escape.first == UInt8(ascii: "x"), digits.allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }) else { return nil }
            return UInt8(String(decoding: digits, as: UTF8.self), radix: 16)
        }
    }
}
