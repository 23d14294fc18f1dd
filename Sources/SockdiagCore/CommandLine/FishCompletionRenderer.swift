/// Renders the fish completions from the option tables, as `BashCompletionRenderer` does for bash:
/// one `complete` line per subcommand and per option, option values from the table's value kinds, and
/// after `--` the command's own completion. `scripts/sockdiag.fish` is this output; a unit test
/// fails when the two differ.
public enum FishCompletionRenderer {
    public static func render(_ catalog: [CommandSpec] = CommandCatalog.subcommands,
                              version: String = CommandCatalog.version) -> String {
        var script = """
        # fish completion for sockdiag \(version)
        # Generated from the option tables by 'sockdiag completion fish' (scripts/gen-docs). Do not edit.
        # Install: sockdiag completion fish > ~/.config/fish/completions/sockdiag.fish

        # True when the subcommand on the line is $argv[1] and no '--' has ended its options yet.
        function __sockdiag_in
            set -l tokens (commandline -opc)
            test (count $tokens) -ge 2; and test "$tokens[2]" = "$argv[1]"; and not contains -- -- $tokens[3..-1]
        end

        # True after '--' in a subcommand that runs a command.
        function __sockdiag_after_dashdash
            set -l tokens (commandline -opc)
            contains -- "$tokens[2]" $argv; and contains -- -- $tokens[3..-1]
        end

        # After '--': the command to run, then that command's own completion.
        function __sockdiag_command
            set -l tokens (commandline -opc)
            set -l index (contains -i -- -- $tokens)
            set -l rest $tokens[(math $index + 1)..-1]
            if test (count $rest) -eq 0
                __fish_complete_command
            else
                complete -C (string join ' ' -- (string escape -- $rest) (commandline -ct))
            end
        end

        # The value being completed, without the '--name=' of '--name=value'.
        function __sockdiag_value
            string replace -r -- '^--[^=]*=' '' (commandline -ct)
        end

        # A cgroup v2 directory: absolute, or relative to the cgroup2 mount.
        function __sockdiag_cgroups
            set -l token (__sockdiag_value)
            if string match -qr '^[/.]' -- $token
                __fish_complete_directories $token
                return
            end
            set -l root
            while read -l device mountpoint type rest
                if test "$type" = cgroup2
                    set root $mountpoint
                    break
                end
            end </proc/mounts
            test -n "$root"; or return
            for directory in $root/$token*/
                string replace -- "$root/" '' $directory
            end
        end

        function __sockdiag_interfaces
            echo any
            for interface in /sys/class/net/*
                basename $interface
            end
        end

        # A name from 'ip netns', or a path such as /proc/PID/ns/net.
        function __sockdiag_netns
            for name in /run/netns/*
                basename $name
            end
            __fish_complete_path (__sockdiag_value)
        end

        complete -c sockdiag -f
        complete -c sockdiag -n __fish_use_subcommand -s h -l help -d 'Show this help and exit'
        complete -c sockdiag -n __fish_use_subcommand -l version -d 'Print the version and exit'

        """
        for spec in catalog {
            script += "complete -c sockdiag -n __fish_use_subcommand -a \(spec.name) -d \(quoted(ZshCompletionRenderer.shortHelp(spec.abstract)))\n"
        }
        script += "complete -c sockdiag -n __fish_use_subcommand -a help -d 'Show the help of a subcommand'\n"
        let runners = catalog.filter { $0.trailingCommand != nil }.map(\.name)
        if !runners.isEmpty {
            script += "complete -c sockdiag -n '__sockdiag_after_dashdash \(runners.joined(separator: " "))' -x -a '(__sockdiag_command)'\n"
        }
        for spec in catalog {
            script += "\n"
            for option in spec.visibleOptions {
                script += optionLine(option, in: spec.name) + "\n"
            }
            if let choices = spec.positionals.first?.choices {
                script += "complete -c sockdiag -n '__sockdiag_in \(spec.name)' -a \(quoted(choices.joined(separator: " ")))\n"
            }
        }
        let topics = (catalog.map(\.name) + ["--man"]).joined(separator: " ")
        script += "\ncomplete -c sockdiag -n '__sockdiag_in help' -a \(quoted(topics))\n"
        return script
    }

    static func optionLine(_ option: OptionSpec, in subcommand: String) -> String {
        var line = "complete -c sockdiag -n '__sockdiag_in \(subcommand)'"
        if let short = option.short { line += " -s \(short)" }
        line += " -l \(option.long)"
        if let kind = option.valueKind {
            switch kind {
            case .file: line += " -r -F"
            case .directory: line += " -x -a '(__fish_complete_directories (__sockdiag_value))'"
            case .cgroup: line += " -x -a '(__sockdiag_cgroups)'"
            case .interface: line += " -x -a '(__sockdiag_interfaces)'"
            case .netns: line += " -x -a '(__sockdiag_netns)'"
            case .text: line += " -x"
            }
        }
        return line + " -d " + quoted(ZshCompletionRenderer.shortHelp(option.help))
    }

    /// A single-quoted fish word: only `\` and `'` are special inside.
    static func quoted(_ text: String) -> String {
        "'" + text.backslashEscaping("\\'") + "'"
    }
}
