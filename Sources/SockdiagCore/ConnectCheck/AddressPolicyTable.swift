/// One row of an address selection policy table: a prefix and its precedence or label.
public struct AddressPolicyEntry: Hashable, Sendable {
    public let prefix: IPv6Address
    public let length: Int
    public let value: Int

    public init(_ prefix: IPv6Address, _ length: Int, _ value: Int) {
        self.prefix = prefix
        self.length = length
        self.value = value
    }

    /// `::ffff:0:0/96 10`.
    public var description: String { "\(prefix)/\(length) \(value)" }
}

/// The tables glibc's getaddrinfo sorts its answers with (RFC 3484 as glibc keeps it, RFC 6724
/// where Go uses it), and where they came from: built in, or /etc/gai.conf.
public struct AddressPolicyTable: Hashable, Sendable {
    /// Longest prefix first, as glibc searches them.
    public let precedence: [AddressPolicyEntry]
    public let label: [AddressPolicyEntry]
    /// `scopev4` rows: an IPv4 prefix and its scope, longest first.
    public let scopeV4: [(prefix: IPv4Address, length: Int, scope: Int)]
    /// `/etc/gai.conf` when a line of it replaced a built-in table, nil for the built-in tables.
    public let origin: String?

    public static func == (a: AddressPolicyTable, b: AddressPolicyTable) -> Bool {
        a.precedence == b.precedence && a.label == b.label && a.origin == b.origin
            && a.scopeV4.map { "\($0.prefix)/\($0.length) \($0.scope)" } == b.scopeV4.map { "\($0.prefix)/\($0.length) \($0.scope)" }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(precedence)
        hasher.combine(label)
    }

    private static func v6(_ text: String) -> IPv6Address { IPv6Address(text)! }

    /// glibc's built-in tables (sysdeps/posix/getaddrinfo.c: default_precedence, default_labels,
    /// default_scopes). Its precedences are RFC 3484's: IPv4 (as ::ffff:0:0/96) gets 10, below
    /// every native IPv6 address (40) and ::1 (50).
    public static let glibcDefault = AddressPolicyTable(
        precedence: [AddressPolicyEntry(v6("::1"), 128, 50), AddressPolicyEntry(v6("2002::"), 16, 30),
                     AddressPolicyEntry(v6("::"), 96, 20), AddressPolicyEntry(v6("::ffff:0:0"), 96, 10),
                     AddressPolicyEntry(v6("::"), 0, 40)],
        label: [AddressPolicyEntry(v6("::1"), 128, 0), AddressPolicyEntry(v6("2002::"), 16, 2),
                AddressPolicyEntry(v6("::"), 96, 3), AddressPolicyEntry(v6("::ffff:0:0"), 96, 4),
                AddressPolicyEntry(v6("fec0::"), 10, 5), AddressPolicyEntry(v6("fc00::"), 7, 6),
                AddressPolicyEntry(v6("2001::"), 32, 7), AddressPolicyEntry(v6("::"), 0, 1)],
        scopeV4: defaultScopeV4, origin: nil)

    /// RFC 6724 section 2.1, the table Go's resolver sorts DNS answers with (net/addrselect.go).
    public static let rfc6724 = AddressPolicyTable(
        precedence: [AddressPolicyEntry(v6("::1"), 128, 50), AddressPolicyEntry(v6("::ffff:0:0"), 96, 35),
                     AddressPolicyEntry(v6("::"), 96, 1), AddressPolicyEntry(v6("2001::"), 32, 5),
                     AddressPolicyEntry(v6("2002::"), 16, 30), AddressPolicyEntry(v6("3ffe::"), 16, 1),
                     AddressPolicyEntry(v6("fec0::"), 10, 1), AddressPolicyEntry(v6("fc00::"), 7, 3),
                     AddressPolicyEntry(v6("::"), 0, 40)],
        label: [AddressPolicyEntry(v6("::1"), 128, 0), AddressPolicyEntry(v6("::ffff:0:0"), 96, 4),
                AddressPolicyEntry(v6("::"), 96, 3), AddressPolicyEntry(v6("2001::"), 32, 5),
                AddressPolicyEntry(v6("2002::"), 16, 2), AddressPolicyEntry(v6("3ffe::"), 16, 12),
                AddressPolicyEntry(v6("fec0::"), 10, 11), AddressPolicyEntry(v6("fc00::"), 7, 13),
                AddressPolicyEntry(v6("::"), 0, 1)],
        scopeV4: defaultScopeV4, origin: nil)

    static let defaultScopeV4: [(prefix: IPv4Address, length: Int, scope: Int)] = [
        (IPv4Address(169, 254, 0, 0), 16, 2), (IPv4Address(127, 0, 0, 0), 8, 2), (.any, 0, 14),
    ]

    init(precedence: [AddressPolicyEntry], label: [AddressPolicyEntry],
         scopeV4: [(prefix: IPv4Address, length: Int, scope: Int)], origin: String?) {
        self.precedence = precedence
        self.label = label
        self.scopeV4 = scopeV4
        self.origin = origin
    }

    /// The tables as glibc builds them from gai.conf: each kind of line (`precedence`, `label`,
    /// `scopev4`) present replaces that whole built-in table, plus a catch-all (::/0 40, ::/0 1,
    /// 0.0.0.0/0 14) when the file gives none; lines glibc cannot read are skipped, as glibc skips
    /// them. So one `precedence ::ffff:0:0/96 100` line also drops ::1 from 50 to 40.
    public static func glibc(gaiConf text: String?, path: String = "/etc/gai.conf") -> AddressPolicyTable {
        guard let text else { return glibcDefault }
        var precedence: [AddressPolicyEntry] = [], label: [AddressPolicyEntry] = []
        var scopes: [(prefix: IPv4Address, length: Int, scope: Int)] = []
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard words.count >= 3, let value = Int(words[2]), value >= 0 else { continue }
            let parts = words[1].split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            switch words[0] {
            case "precedence", "label":
                guard let prefix = IPv6Address(parts[0]) else { continue }
                let length = parts.count == 2 ? Int(parts[1]) : 128
                guard let length, (0...128).contains(length) else { continue }
                let entry = AddressPolicyEntry(prefix, length, value)
                if words[0] == "precedence" { precedence.append(entry) } else { label.append(entry) }
            case "scopev4":
                if let mapped = IPv6Address(parts[0]), mapped.isIPv4Mapped {
                    let length = parts.count == 2 ? Int(parts[1]) : 128
                    guard let length, (96...128).contains(length) else { continue }
                    scopes.append((mapped.low32, length - 96, value))
                } else if let v4 = IPv4Address(parts[0]) {
                    let length = parts.count == 2 ? Int(parts[1]) : 32
                    guard let length, (0...32).contains(length) else { continue }
                    scopes.append((v4, length, value))
                }
            default:
                continue
            }
        }
        guard !(precedence.isEmpty && label.isEmpty && scopes.isEmpty) else { return glibcDefault }
        func finish(_ list: [AddressPolicyEntry], builtIn: [AddressPolicyEntry], catchAll: Int) -> [AddressPolicyEntry] {
            guard !list.isEmpty else { return builtIn }
            var all = list
            if !all.contains(where: { $0.length == 0 }) { all.append(AddressPolicyEntry(.any, 0, catchAll)) }
            return stableSorted(all) { $0.length > $1.length }
        }
        var scopeTable = defaultScopeV4
        if !scopes.isEmpty {
            var all = scopes
            if !all.contains(where: { $0.length == 0 }) { all.append((.any, 0, 14)) }
            scopeTable = stableSorted(all) { $0.length > $1.length }
        }
        return AddressPolicyTable(precedence: finish(precedence, builtIn: glibcDefault.precedence, catchAll: 40),
                                  label: finish(label, builtIn: glibcDefault.label, catchAll: 1),
                                  scopeV4: scopeTable, origin: path)
    }

    /// The value of the first (longest) prefix that holds `address`; IPv4 is looked up as
    /// ::ffff:a.b.c.d, as glibc does.
    static func lookup(_ address: IPAddress, in table: [AddressPolicyEntry], default fallback: Int) -> Int {
        let six: IPv6Address
        switch address {
        case let .v4(a): six = IPv6Address(mapping: a)
        case let .v6(a): six = a.withoutZone
        }
        return table.first { six.isIn($0.prefix, length: $0.length) }?.value ?? fallback
    }

    public func precedence(of address: IPAddress) -> Int { Self.lookup(address, in: precedence, default: 0) }
    public func label(of address: IPAddress) -> Int { Self.lookup(address, in: label, default: Int(Int32.max)) }

    /// glibc's get_scope: IPv6 link-local and loopback 2, site-local 5, multicast its own field,
    /// others 14; IPv4 from the scopev4 table (127/8 and 169.254/16 are 2, the rest 14).
    public func scope(of address: IPAddress) -> Int {
        switch address {
        case let .v4(a):
            return scopeV4.first { a.isIn($0.prefix, length: $0.length) }?.scope ?? 14
        case let .v6(a):
            let bytes = a.bytes
            if bytes[0] == 0xFF { return Int(bytes[1] & 0x0F) }
            if (bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80) || a.withoutZone == .loopback { return 2 }
            if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0xC0 { return 5 }
            return 14
        }
    }
}

/// A sort that keeps equal elements in their order (Swift's sort does not promise it).
func stableSorted<T>(_ items: [T], by before: (T, T) -> Bool) -> [T] {
    items.enumerated().sorted { a, b in
        if before(a.element, b.element) { return true }
        if before(b.element, a.element) { return false }
        return a.offset < b.offset
    }.map(\.element)
}
