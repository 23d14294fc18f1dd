/// A program of an embedded BPF object, by the name the build read from the object itself
/// (`TraceBPF.Program.traceConnect4`): a program that is renamed or removed in bpf/ breaks the
/// Swift build instead of the run.
protocol BPFProgramName {
    var rawValue: String { get }
}

/// A map of an embedded BPF object (`TraceBPF.Map.events`), read from the object as programs are.
protocol BPFMapName {
    var rawValue: String { get }
}

/// A `const volatile` global of an object's .rodata, where the build found it: set before the
/// object is loaded, the verifier then treats it as a constant.
struct BPFReadOnlyVariable {
    let name: String
    let offset: Int
    let size: Int

    /// `data` (the section's initial bytes) with `value` written here, little-endian; nil when the
    /// section is too short or the value does not fit the variable.
    func writing<Value: FixedWidthInteger>(_ value: Value, into data: [UInt8]) -> [UInt8]? {
        guard MemoryLayout<Value>.size == size, offset + size <= data.count else { return nil }
        var data = data
        for i in 0..<size { data[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
        return data
    }
}

/// A value for a read-only variable, made where its type is known (`TraceBPF.ReadOnly.filterByProcess.set(to: UInt32(1))`).
struct BPFReadOnlySetting {
    let variable: BPFReadOnlyVariable
    /// The section's bytes with the value written; nil when it does not fit (see `writing`).
    let write: ([UInt8]) -> [UInt8]?
}

extension BPFReadOnlyVariable {
    /// The setting of this variable to `value`, whose size must be the variable's.
    func set<Value: FixedWidthInteger>(to value: Value) -> BPFReadOnlySetting {
        BPFReadOnlySetting(variable: self) { writing(value, into: $0) }
    }
}
