/// What a shell should offer for an option's value, read from the option table. The bash, zsh and
/// fish renderers all ask this one question, so they offer the same things.
public enum ValueCompletion: Equatable, Sendable {
    case files
    case directories
    case cgroups
    case interfaces
    case networkNamespaces
    case nothing

    public init(_ option: OptionSpec) {
        guard case let .value(placeholder) = option.kind else {
            self = .nothing
            return
        }
        // --cgroup takes paths relative to the cgroup2 mount as well as absolute ones.
        if option.long == "cgroup" {
            self = .cgroups
            return
        }
        switch placeholder {
        case "FILE": self = .files
        case "PATH": self = .directories
        case "IF": self = .interfaces
        case "NAME|PATH": self = .networkNamespaces
        default: self = .nothing
        }
    }
}
