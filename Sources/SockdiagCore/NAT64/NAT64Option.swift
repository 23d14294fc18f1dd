/// `--nat64-prefix P/LEN|discover`, shared by trace and compare-wire.
public enum NAT64Option {
    public static let spec = OptionSpec("nat64-prefix", .value(placeholder: "P/LEN"), repeatable: true,
                                        help: "Also treat P/LEN (RFC 6052 lengths 32, 40, 48, 56, 64, 96) as a NAT64 prefix, beside 64:ff9b::/96 and 64:ff9b:1::/48. The word discover instead asks the system resolver for ipv4only.arpa (RFC 7050). Repeatable.")

    /// What the command line asked for.
    public struct Request: Hashable, Sendable {
        public var given: [NAT64Prefix]
        /// RFC 7050 discovery through the system resolver.
        public var discover: Bool

        public init(given: [NAT64Prefix] = [], discover: Bool = false) {
            self.given = given
            self.discover = discover
        }

        public init(_ arguments: ParsedArguments) throws(UsageError) {
            self.init()
            for text in arguments.values(NAT64Option.spec) {
                if text == "discover" { discover = true; continue }
                do { given.append(try NAT64Prefix(parsing: text)) } catch { throw UsageError("--nat64-prefix: \(error.description)") }
            }
        }

        /// The prefixes, with those RFC 7050 found (`discovered`) after the given ones.
        public func prefixes(discovered: NAT64Discovery? = nil) -> NAT64Prefixes {
            var prefixes = NAT64Prefixes(given.map { NAT64KnownPrefix($0, source: .option) } + (discovered?.prefixes ?? []))
            prefixes.discoveryNote = discovered?.note
            return prefixes
        }
    }
}

/// What RFC 7050 discovery found: the prefixes read from the AAAA answers for ipv4only.arpa, or
/// why there were none.
public struct NAT64Discovery: Hashable, Sendable {
    public static let name = "ipv4only.arpa"
    /// The well-known IPv4 addresses ipv4only.arpa has (RFC 7050 section 2.2).
    public static let wellKnownIPv4 = [IPv4Address(192, 0, 0, 170), IPv4Address(192, 0, 0, 171)]

    public let prefixes: [NAT64KnownPrefix]
    /// Set when nothing was found: the resolver's error, or answers without a prefix.
    public let note: String?

    /// From the resolver's answers: each IPv6 answer holding 192.0.0.170 or .171 at an RFC 6052
    /// position gives the prefix before it (RFC 7050 section 3, longest length first).
    public init(answers: [IPAddress]) {
        var found: [NAT64KnownPrefix] = []
        for case let .v6(answer) in answers {
            search: for length in NAT64Prefix.validLengths.reversed() {
                for ipv4 in NAT64Discovery.wellKnownIPv4 {
                    if let prefix = NAT64Prefix.containing(ipv4, in: answer, length: length) {
                        if !found.contains(where: { $0.prefix == prefix }) {
                            found.append(NAT64KnownPrefix(prefix, source: .ipv4onlyArpa(answer: answer.withoutZone)))
                        }
                        break search
                    }
                }
            }
        }
        prefixes = found
        let v6 = answers.filter { if case .v6 = $0 { return true } else { return false } }
        note = !found.isEmpty ? nil
            : v6.isEmpty ? "\(NAT64Discovery.name) has no IPv6 address here: no DNS64 answers this host (RFC 7050)"
            : "\(NAT64Discovery.name) resolved to \(v6.map(\.description).joined(separator: ", ")), none embedding 192.0.0.170 or .171"
    }

    /// The resolver gave no answer at all.
    public init(failure: String) {
        prefixes = []
        note = "\(NAT64Discovery.name) did not resolve (\(failure)): no NAT64 prefix discovered"
    }
}
