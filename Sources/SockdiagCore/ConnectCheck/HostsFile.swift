/// /etc/hosts as glibc's `files` module reads it: `ADDRESS NAME [ALIASES...]`, `#` to the end of
/// the line a comment, names compared without regard to case.
public struct HostsFile: Sendable {
    public struct Line: Hashable, Sendable {
        /// 1-based, as an editor shows it.
        public let number: Int
        public let address: IPAddress
        public let names: [String]
        public let text: String
    }

    public let path: String
    public let lines: [Line]

    public init(path: String = "/etc/hosts", text: String) {
        self.path = path
        var lines: [Line] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard words.count >= 2, let address = IPAddress(words[0]) else { continue }
            lines.append(Line(number: index + 1, address: address, names: words.dropFirst().map { $0.lowercased() },
                              text: words.joined(separator: " ")))
        }
        self.lines = lines
    }

    /// Every line that names `host`, in file order.
    public func lines(naming host: String) -> [Line] {
        let wanted = host.lowercased()
        return lines.filter { $0.names.contains(wanted) }
    }
}

/// The `hosts:` line of /etc/nsswitch.conf: which name services answer, in order.
public struct NameServiceOrder: Hashable, Sendable {
    public let services: [String]

    /// glibc's default when the file or the line is missing.
    public static let glibcDefault = NameServiceOrder(services: ["files", "dns"])

    public init(services: [String]) { self.services = services }

    public init(nsswitch text: String?) {
        guard let text else { self = .glibcDefault; return }
        for raw in text.split(separator: "\n") {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            guard let colon = line.firstIndex(of: ":"), line[..<colon].trimmingSpaces == "hosts" else { continue }
            let words = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" })
            // `[NOTFOUND=return]` and the like are actions, not services.
            self.services = words.filter { !$0.hasPrefix("[") }.map(String.init)
            return
        }
        self = .glibcDefault
    }

    /// The service that answers for names not in /etc/hosts: the first one after `files`.
    public var afterFiles: String? { services.first { $0 != "files" } }
    public var readsHostsFile: Bool { services.contains("files") }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return s
    }
}
