import Foundation
import PackagePlugin

/// Compiles every `bpf/*.bpf.c` with the toolchain's clang (BPF backend) and hands the objects to
/// `BPFEmbedder`, which writes them into a Swift source file as string literals. The binary then
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

        var commands: [Command] = []
        var objects: [URL] = []
        for source in sources {
            let stem = source.lastPathComponent.replacingOccurrences(of: ".bpf.c", with: "")
            let object = work.appending(path: "\(stem).bpf.o")
            objects.append(object)
            commands.append(.buildCommand(
                displayName: "Compiling BPF \(source.lastPathComponent)",
                executable: clang,
                arguments: [
                    "-target", "bpf", "-O2", "-g", "-Wall", "-Werror",
                    "-D__TARGET_ARCH_\(targetArch)",
                    "-I", shimInclude.path, "-I", bpfDir.path,
                    "-I", "/usr/include/\(multiarch)",
                    "-c", source.path, "-o", object.path,
                ],
                inputFiles: [source] + headers,
                outputFiles: [object]
            ))
        }
        let generated = work.appending(path: "EmbeddedBPFObjects.swift")
        commands.append(.buildCommand(
            displayName: "Embedding \(objects.count) BPF object(s)",
            executable: try context.tool(named: "BPFEmbedder").url,
            arguments: [generated.path] + objects.map(\.path),
            inputFiles: objects,
            outputFiles: [generated]
        ))
        return commands
    }
}
