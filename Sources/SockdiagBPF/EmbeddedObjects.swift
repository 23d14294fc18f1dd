internal import CLibBPF
internal import CSockdiagShim
public func embeddedSize() -> Int { EmbeddedBPFObjects.traceBase64.utf8.count }
