import Foundation
import PackagePlugin

/// Has `BPFEmbedder` compile every `bpf/*.bpf.c` with the toolchain's clang (BPF backend) and write
/// the objects into a Swift source file as string literals. The binary then
/// carries its BPF programs and needs no file beside it at run time.
@main
struct EmbedBPFPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        let packageDir = context.package.directoryURL
        let bpfDir = packageDir.appending(path: "bpf")
        let shimInclude = packageDir.appending(path: "Sources/CSockdiagShim/include")
        let fileManager = FileManager.default
        let names = try fileManager.contentsOfDirectory(atPath: bpfDir.path).sorted()
        let sources = names.filter { $0.hasSuffix(".bpf.c") }.map { bpfDir.appending(path: $0) }
        let headers = names.filter { $0.hasSuffix(".h") }.map { bpfDir.appending(path: $0) }
            + (try fileManager.contentsOfDirectory(atPath: shimInclude.path))
                .filter { $0.hasSuffix(".h") }.map { shimInclude.appending(path: $0) }

        let clang = try context.tool(named: "clang").url
        let work = context.pluginWorkDirectoryURL
        #if arch(x86_64)
        let (targetArch, multiarch) = ("x86", "x86_64-linux-gnu")
        #elseif arch(arm64)
        let (targetArch, multiarch) = ("arm64", "aarch64-linux-gnu")
        #else
        #error("unsupported host architecture for BPF builds")
        #endif

        let generated = work.appending(path: "EmbeddedBPFObjects.swift")
        let flags = [
            "-target", "bpf", "-O2", "-g", "-Wall", "-Werror",
            "-D__TARGET_ARCH_\(targetArch)",
            "-I", shimInclude.path, "-I", bpfDir.path,
            "-I", "/usr/include/\(multiarch)",
        ]
        // One step compiles and embeds: the objects are not declared outputs, or SwiftPM would
        // bundle them as resources and link Foundation into the binary for the bundle accessor.
        let commands: [Command] = [.buildCommand(
            displayName: "Compiling and embedding \(sources.count) BPF program(s)",
            executable: try context.tool(named: "BPFEmbedder").url,
            arguments: [generated.path, work.appending(path: "objects").path, clang.path]
                + flags + ["--"] + sources.map(\.path),
            inputFiles: sources + headers,
            outputFiles: [generated]
        )]
        return commands
    }
}
