// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "sockdiag",
    products: [
        .executable(name: "sockdiag", targets: ["sockdiag"]),
    ],
    targets: [
        // main.swift only: the subcommand's name, its checked options, the call of its entry.
        .executableTarget(
            name: "sockdiag",
            dependencies: ["SockdiagCore", "SockdiagSystem", "SockdiagCommands"],
            // The Swift runtime linked in: no shared Swift libraries to find and relocate at each
            // start (9 ms -> 5 ms a run), and the binary runs where no toolchain is installed.
            linkerSettings: [.unsafeFlags(["-static-stdlib"])]
        ),
        // One entry per subcommand: typed options in, the libraries called, the report written.
        .target(
            name: "SockdiagCommands",
            dependencies: ["SockdiagCore", "SockdiagSystem", "SockdiagBPF", "SockdiagCapture"]
        ),
        // Pure logic: addresses, classification, bind rules, flow joining, option tables, JSON.
        // No privileges, no C libraries: fast unit tests.
        .target(name: "SockdiagCore"),
        // The running system without BPF or pcap: sockets, netlink, /proc, cgroups, namespaces.
        .target(name: "SockdiagSystem", dependencies: ["SockdiagCore", "CSockdiagShim"]),
        // libbpf: the embedded programs, their attachment to cgroups, the ring buffer reader.
        // Kept apart from SockdiagCapture because libbpf's and libpcap's headers both define
        // `struct bpf_insn` (eBPF and classic BPF) and cannot meet in one Clang module scope.
        .target(
            name: "SockdiagBPF",
            dependencies: ["SockdiagCore", "SockdiagSystem", "CLibBPF", "CSockdiagShim"],
            plugins: ["EmbedBPFPlugin"]
        ),
        // libpcap: live capture and capture files.
        .target(name: "SockdiagCapture", dependencies: ["SockdiagCore", "SockdiagSystem", "CPcap"]),
        .systemLibrary(
            name: "CLibBPF",
            pkgConfig: "libbpf",
            providers: [.apt(["libbpf-dev", "libelf-dev"])]
        ),
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        // The event layout shared with bpf/*.bpf.c, and the few C helpers that are clumsy from Swift.
        .target(name: "CSockdiagShim"),
        // Build-time tool: compiled BPF objects -> Swift source with the objects as string literals.
        .executableTarget(name: "BPFEmbedder", path: "Sources/BPFEmbedder"),
        .plugin(
            name: "EmbedBPFPlugin",
            capability: .buildTool(),
            dependencies: ["BPFEmbedder"],
            path: "Sources/EmbedBPFPlugin"
        ),
        // SockdiagCommands for the event-log reader's split, read from a file on two threads.
        .testTarget(name: "SockdiagCoreTests", dependencies: ["SockdiagCore", "SockdiagCommands"]),
        .testTarget(
            name: "SockdiagIntegrationTests",
            dependencies: ["SockdiagCore", "SockdiagSystem", "SockdiagBPF", "SockdiagCapture"]
        ),
    ],
    swiftLanguageModes: [.v5]
)
