# fish completion for sockdiag 0.1.0
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
complete -c sockdiag -n __fish_use_subcommand -a demo -d 'Reproduce both dual-stack stories here, in a few seconds'
complete -c sockdiag -n __fish_use_subcommand -a bind-check -d 'Explain what binding ADDRESS PORT does and who gets the clients'
complete -c sockdiag -n __fish_use_subcommand -a connect-check -d 'Show what a client of HOST PORT really reaches, address by address'
complete -c sockdiag -n __fish_use_subcommand -a trace -d 'Show connects, sends and binds as the kernel saw them (eBPF)'
complete -c sockdiag -n __fish_use_subcommand -a compare-wire -d 'Put the kernel\'s view of each flow beside the wire\'s view'
complete -c sockdiag -n __fish_use_subcommand -a completion -d 'Print the bash, zsh or fish completion script'
complete -c sockdiag -n __fish_use_subcommand -a help -d 'Show the help of a subcommand'
complete -c sockdiag -n '__sockdiag_after_dashdash trace compare-wire' -x -a '(__sockdiag_command)'

complete -c sockdiag -n '__sockdiag_in demo' -s j -l json -d 'Print both reports as one JSON document'
complete -c sockdiag -n '__sockdiag_in demo' -s h -l help -d 'Show this help and exit'

complete -c sockdiag -n '__sockdiag_in bind-check' -s t -l tcp -d 'Check a TCP bind (the default)'
complete -c sockdiag -n '__sockdiag_in bind-check' -s u -l udp -d 'Check a UDP bind'
complete -c sockdiag -n '__sockdiag_in bind-check' -s j -l json -d 'Print one JSON document instead of text'
complete -c sockdiag -n '__sockdiag_in bind-check' -s a -l all -d 'Check every listening port on the host at once'
complete -c sockdiag -n '__sockdiag_in bind-check' -l all-netns -d 'With --all: walk every network namespace that has a process or an \'ip netns\' name, and report each'
complete -c sockdiag -n '__sockdiag_in bind-check' -l netns -x -a '(__sockdiag_netns)' -d 'Look inside another network namespace (a name from \'ip netns\', or a path such as /proc/PID/ns/net)'
complete -c sockdiag -n '__sockdiag_in bind-check' -l openmetrics -d 'With --all: print OpenMetrics text for Prometheus (listeners, split ports, findings) instead of the table'
complete -c sockdiag -n '__sockdiag_in bind-check' -s o -l output -r -F -d 'With --openmetrics: write to FILE atomically (a temporary file in its directory, then rename), as node_exporter\'s textfile collector needs'
complete -c sockdiag -n '__sockdiag_in bind-check' -s h -l help -d 'Show this help and exit'

complete -c sockdiag -n '__sockdiag_in connect-check' -s u -l udp -d 'Check UDP (the default is TCP)'
complete -c sockdiag -n '__sockdiag_in connect-check' -s j -l json -d 'Print one JSON document instead of text'
complete -c sockdiag -n '__sockdiag_in connect-check' -s p -l probe -d 'Really connect to each address (TCP: connect and close, nothing sent; UDP: one empty datagram) and name the process that accepted it'
complete -c sockdiag -n '__sockdiag_in connect-check' -l netns -x -a '(__sockdiag_netns)' -d 'Look from inside another network namespace (a name from \'ip netns\', or a path such as /proc/PID/ns/net)'
complete -c sockdiag -n '__sockdiag_in connect-check' -s h -l help -d 'Show this help and exit'

complete -c sockdiag -n '__sockdiag_in trace' -s c -l cgroup -x -a '(__sockdiag_cgroups)' -d 'Trace the processes of this cgroup v2 directory (absolute, or relative to the cgroup2 mount)'
complete -c sockdiag -n '__sockdiag_in trace' -s p -l pid -x -d 'Watch this process and the children it forks from now on, filtered in the kernel where it lives; it is never moved'
complete -c sockdiag -n '__sockdiag_in trace' -s u -l unit -x -d 'Watch a systemd unit, found from the cgroup layout (system and user units; \'.service\' may be left out)'
complete -c sockdiag -n '__sockdiag_in trace' -l container -x -d 'Watch a container: its ID or a unique prefix of at least 12 hex digits (Docker, Podman, containerd, CRI-O); a name needs the Docker or Podman API socket'
complete -c sockdiag -n '__sockdiag_in trace' -s j -l json -d 'Print JSON Lines, one event per line'
complete -c sockdiag -n '__sockdiag_in trace' -s d -l duration -x -d 'Stop after this many seconds'
complete -c sockdiag -n '__sockdiag_in trace' -s n -l count -x -d 'Stop after N connect/sendmsg/bind events'
complete -c sockdiag -n '__sockdiag_in trace' -l redirect -x -d 'Send connects and unconnected sends to PORT (TCP and UDP) to ADDR:PORT instead, IPv4-mapped destinations included; replies keep the original source'
complete -c sockdiag -n '__sockdiag_in trace' -l block-ipv6 -d 'Drop packets that are IPv6 on the wire (skb->protocol), letting IPv4 from AF_INET6 sockets through'
complete -c sockdiag -n '__sockdiag_in trace' -l naive -d 'Enforce --redirect and --block-ipv6 the naive way (connect4 only, skb->family), to see where it fails'
complete -c sockdiag -n '__sockdiag_in trace' -l force -d 'Allow --redirect/--block-ipv6 on the root cgroup (every process on the host)'
complete -c sockdiag -n '__sockdiag_in trace' -l nat64-prefix -x -d 'Also treat P/LEN (RFC 6052 lengths 32, 40, 48, 56, 64, 96) as a NAT64 prefix, beside 64:ff9b::/96 and 64:ff9b:1::/48'
complete -c sockdiag -n '__sockdiag_in trace' -l openmetrics -d 'Print OpenMetrics text for Prometheus when the trace ends (events by hook and address class, family mismatches, lost events) instead of the events'
complete -c sockdiag -n '__sockdiag_in trace' -s o -l output -r -F -d 'With --openmetrics: write to FILE atomically (a temporary file in its directory, then rename), as node_exporter\'s textfile collector needs'
complete -c sockdiag -n '__sockdiag_in trace' -s h -l help -d 'Show this help and exit'

complete -c sockdiag -n '__sockdiag_in compare-wire' -s i -l interface -x -a '(__sockdiag_interfaces)' -d 'Capture on this interface (default: any)'
complete -c sockdiag -n '__sockdiag_in compare-wire' -l netns -x -a '(__sockdiag_netns)' -d 'Capture in this network namespace: \'host\' (the one sockdiag runs in), a name from \'ip netns\', or a path such as /proc/PID/ns/net'
complete -c sockdiag -n '__sockdiag_in compare-wire' -s c -l cgroup -x -a '(__sockdiag_cgroups)' -d 'Trace the processes of this cgroup v2 directory'
complete -c sockdiag -n '__sockdiag_in compare-wire' -s p -l pid -x -d 'Watch this process and the children it forks from now on, filtered in the kernel where it lives; it is never moved'
complete -c sockdiag -n '__sockdiag_in compare-wire' -s u -l unit -x -d 'Watch a systemd unit, found from the cgroup layout (system and user units; \'.service\' may be left out)'
complete -c sockdiag -n '__sockdiag_in compare-wire' -l container -x -d 'Watch a container: its ID or a unique prefix of at least 12 hex digits (Docker, Podman, containerd, CRI-O); a name needs the Docker or Podman API socket'
complete -c sockdiag -n '__sockdiag_in compare-wire' -s j -l json -d 'Print one JSON document instead of text'
complete -c sockdiag -n '__sockdiag_in compare-wire' -s d -l duration -x -d 'Stop after this many seconds'
complete -c sockdiag -n '__sockdiag_in compare-wire' -s w -l write-pcapng -r -F -d 'Also write the capture as pcapng, each packet commented with the kernel\'s view of its socket'
complete -c sockdiag -n '__sockdiag_in compare-wire' -l nat64-prefix -x -d 'Also treat P/LEN (RFC 6052 lengths 32, 40, 48, 56, 64, 96) as a NAT64 prefix, beside 64:ff9b::/96 and 64:ff9b:1::/48'
complete -c sockdiag -n '__sockdiag_in compare-wire' -s r -l pcap -r -F -d 'Offline: read packets from this pcap or pcapng file'
complete -c sockdiag -n '__sockdiag_in compare-wire' -s e -l events -r -F -d 'Offline: read kernel events from this \'sockdiag trace --json\' log'
complete -c sockdiag -n '__sockdiag_in compare-wire' -s h -l help -d 'Show this help and exit'

complete -c sockdiag -n '__sockdiag_in completion' -s h -l help -d 'Show this help and exit'
complete -c sockdiag -n '__sockdiag_in completion' -a 'bash zsh fish'

complete -c sockdiag -n '__sockdiag_in help' -a 'demo bind-check connect-check trace compare-wire completion --man'
