/// Renders the bash completion script from the option tables, so completion offers exactly the
/// subcommands and options that parse. `scripts/sockdiag.bash-completion` is this output; a unit
/// test fails when the two differ.
public enum BashCompletionRenderer {
    public static func render(_ catalog: [CommandSpec] = CommandCatalog.subcommands,
                              version: String = CommandCatalog.version) -> String {
        let names = catalog.map(\.name) + ["help"]
        var script = """
        # bash completion for sockdiag \(version)
        # Generated from the option tables by 'sockdiag completion bash' (scripts/gen-docs). Do not edit.
        # Install: sockdiag completion bash > /usr/share/bash-completion/completions/sockdiag

        _sockdiag_reply() {
            mapfile -t COMPREPLY < <(compgen "$@")
        }

        _sockdiag_files() {
            compopt -o filenames 2>/dev/null
            _sockdiag_reply -f -- "$1"
        }

        _sockdiag_directories() {
            compopt -o filenames 2>/dev/null
            _sockdiag_reply -d -- "$1"
        }

        # A cgroup v2 directory: absolute, or relative to the cgroup2 mount.
        _sockdiag_cgroups() {
            if [[ $1 == /* || $1 == .* ]]; then
                _sockdiag_directories "$1"
                return 0
            fi
            local device mountpoint type rest root=
            while read -r device mountpoint type rest; do
                if [[ $type == cgroup2 ]]; then
                    root=$mountpoint
                    break
                fi
            done </proc/mounts
            [[ -n $root ]] || return 0
            mapfile -t COMPREPLY < <(cd "$root" 2>/dev/null && compgen -d -S / -- "$1")
            compopt -o nospace 2>/dev/null
            return 0
        }

        _sockdiag_interfaces() {
            local interfaces
            interfaces=$(command ls /sys/class/net 2>/dev/null)
            _sockdiag_reply -W "any $interfaces" -- "$1"
        }

        # A name from 'ip netns', or a path such as /proc/PID/ns/net.
        _sockdiag_netns() {
            local names
            names=$(command ls /run/netns 2>/dev/null)
            _sockdiag_reply -W "$names" -- "$1"
            local paths
            mapfile -t paths < <(compgen -f -- "$1")
            COMPREPLY+=("${paths[@]}")
            ((${#paths[@]})) && compopt -o filenames 2>/dev/null
            return 0
        }

        _sockdiag_nothing() {
            COMPREPLY=()
        }

        # After '--': the command to run, then its own arguments.
        _sockdiag_command() {
            local start=$1
            if ((COMP_CWORD == start)); then
                mapfile -t COMPREPLY < <(compgen -c -- "${COMP_WORDS[COMP_CWORD]}" | sort -u)
            elif declare -F _command_offset >/dev/null; then
                _command_offset "$start"
            else
                _sockdiag_files "${COMP_WORDS[COMP_CWORD]}"
            fi
        }

        _sockdiag() {
            local cur=${COMP_WORDS[COMP_CWORD]} prev=
            ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
            # bash splits '--name=value' at '=' (COMP_WORDBREAKS): complete the value of --name.
            if [[ $cur == = ]]; then
                cur=
            elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
                prev=${COMP_WORDS[COMP_CWORD - 2]}
            fi
            COMPREPLY=()
            if ((COMP_CWORD == 1)); then
                _sockdiag_reply -W "\(words(names + ["--help", "-h", "--version"]))" -- "$cur"
                return 0
            fi
            local i
            case ${COMP_WORDS[1]} in

        """
        for spec in catalog {
            script += subcommandCase(spec)
        }
        script += """
                help)
                    ((COMP_CWORD == 2)) && _sockdiag_reply -W "\(words(catalog.map(\.name) + ["--man"]))" -- "$cur"
                    ;;
            esac
            return 0
        }

        complete -F _sockdiag sockdiag

        """
        return script
    }

    private static func subcommandCase(_ spec: CommandSpec) -> String {
        var lines: [String] = ["        \(spec.name))"]
        if spec.trailingCommand != nil {
            lines += [
                "            for ((i = 2; i < COMP_CWORD; i++)); do",
                "                if [[ ${COMP_WORDS[i]} == -- ]]; then",
                "                    _sockdiag_command $((i + 1))",
                "                    return 0",
                "                fi",
                "            done",
            ]
        }
        let options = spec.visibleOptions
        let valueOptions = options.filter(\.takesValue)
        if !valueOptions.isEmpty {
            lines.append("            case $prev in")
            for option in valueOptions {
                let spellings = (option.short.map { ["-\($0)"] } ?? []) + ["--\(option.long)"]
                lines.append("                \(spellings.joined(separator: " | ")))")
                lines.append("                    \(bashFunction(option.valueKind ?? .text)) \"$cur\"")
                lines.append("                    return 0")
                lines.append("                    ;;")
            }
            lines.append("            esac")
        }
        let optionWords = options.flatMap { option in ["--\(option.long)"] + (option.short.map { ["-\($0)"] } ?? []) }
        lines.append("            if [[ $cur == -* ]]; then")
        lines.append("                _sockdiag_reply -W \"\(words(optionWords))\" -- \"$cur\"")
        if let choices = spec.positionals.first?.choices {
            lines.append("            elif ((COMP_CWORD == 2)); then")
            lines.append("                _sockdiag_reply -W \"\(words(choices))\" -- \"$cur\"")
        }
        lines.append("            fi")
        lines.append("            ;;")
        return lines.joined(separator: "\n") + "\n"
    }

    static func bashFunction(_ kind: OptionSpec.ValueKind) -> String {
        switch kind {
        case .file: return "_sockdiag_files"
        case .directory: return "_sockdiag_directories"
        case .cgroup: return "_sockdiag_cgroups"
        case .interface: return "_sockdiag_interfaces"
        case .netns: return "_sockdiag_netns"
        case .text: return "_sockdiag_nothing"
        }
    }

    private static func words(_ list: [String]) -> String { list.joined(separator: " ") }
}
