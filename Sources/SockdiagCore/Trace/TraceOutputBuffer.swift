/// Bytes of trace output built without intermediate strings: a busy cgroup makes tens of
/// thousands of events per second, and the reader shares the CPUs with the traced programs.
/// The JSON it writes is byte for byte what `TraceEvent.json(lesson:).compact` gives.
public struct TraceOutputBuffer: Sendable {
    public private(set) var bytes: [UInt8] = []
    /// Address text by address: a trace sees the same few peers over and over.
    private var addressText: [IPAddress: [UInt8]] = [:]

    public init() {
        bytes.reserveCapacity(1 << 16)
    }

    public var isEmpty: Bool { bytes.isEmpty }

    public mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    public mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }

    mutating func raw(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// `"text"`, escaped as JSON requires.
    mutating func quoted(_ text: String) {
        var needsEscaping = false
        for byte in text.utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            needsEscaping = true
            break
        }
        if needsEscaping {
            var escaped = ""
            JSON.writeEscaped(text, to: &escaped)
            bytes.append(contentsOf: escaped.utf8)
        } else {
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: text.utf8)
            bytes.append(UInt8(ascii: "\""))
        }
    }

    mutating func quoted(_ address: IPAddress) {
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: text(of: address))
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func text(of address: IPAddress) -> [UInt8] {
        if let known = addressText[address] { return known }
        let made = Array(address.description.utf8)
        if addressText.count >= 4096 { addressText.removeAll(keepingCapacity: true) }
        addressText[address] = made
        return made
    }

    mutating func number<I: BinaryInteger>(_ value: I) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            decimal(UInt64(-Int64(value)))
        } else {
            decimal(UInt64(value))
        }
    }

    private mutating func decimal(_ value: UInt64) {
        if value < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0) // 24 bytes: room for 20 digits
        var value = value
        withUnsafeMutableBytes(of: &scratch) { digits in
            var start = digits.count
            while value > 0 {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: digits[start...]))
        }
    }

    mutating func optionalQuoted(_ text: String?) {
        if let text { quoted(text) } else { raw("null") }
    }
}

extension TraceEvent {
    /// Appends the event's JSON line (with its newline).
    public func appendJSONLine(lesson: TraceLesson?, to out: inout TraceOutputBuffer) {
        switch self {
        case let .socketCall(call): call.appendJSON(lesson: lesson, to: &out)
        case let .egress(egress): egress.appendJSON(lesson: lesson, to: &out)
        }
        out.raw(",\"lesson\":")
        out.optionalQuoted(lesson?.text)
        out.raw("}\n")
    }
}

extension TraceSocketCall {
    fileprivate func appendJSON(lesson: TraceLesson?, to out: inout TraceOutputBuffer) {
        let classification = self.classification
        out.raw("{\"event\":"); out.quoted(hook.call.rawValue)
        out.raw(",\"hook\":"); out.quoted(hook.rawValue)
        out.raw(",\"time_ns\":"); out.number(timeNs)
        out.raw(",\"pid\":"); out.number(pid)
        out.raw(",\"tid\":"); out.number(tid)
        out.raw(",\"comm\":"); out.quoted(comm)
        out.raw(",\"uid\":"); out.number(uid)
        out.raw(",\"cgroup_id\":"); out.number(cgroupID)
        out.raw(",\"cookie\":"); out.number(cookie)
        out.raw(",\"socket_family\":"); out.quoted(socketFamily.rawValue)
        out.raw(",\"protocol\":"); out.optionalQuoted(transport?.rawValue)
        out.raw(",\"address\":"); out.quoted(address)
        out.raw(",\"port\":"); out.number(port.value)
        out.raw(",\"class\":"); out.quoted(classification.kind.rawValue)
        if let v4 = classification.embeddedIPv4 { out.raw(",\"ipv4\":"); out.quoted(.v4(v4)) }
        out.raw(",\"scope\":"); out.quoted(classification.scope.rawValue)
        out.raw(",\"hook_address\":"); out.quoted(hookAddress)
    }
}

extension TraceEgress {
    fileprivate func appendJSON(lesson: TraceLesson?, to out: inout TraceOutputBuffer) {
        out.raw("{\"event\":\"egress\",\"final\":"); out.raw(isFinal ? "true" : "false")
        out.raw(",\"time_ns\":"); out.number(timeNs)
        out.raw(",\"cookie\":"); out.number(cookie)
        out.raw(",\"pid\":"); if let pid { out.number(pid) } else { out.raw("null") }
        out.raw(",\"comm\":"); out.optionalQuoted(comm)
        out.raw(",\"socket_family\":"); out.quoted(socketFamily.rawValue)
        out.raw(",\"wire_protocol\":"); out.quoted(wireProtocol.rawValue)
        out.raw(",\"protocol\":"); out.optionalQuoted(transport?.rawValue)
        out.raw(",\"local_address\":"); out.quoted(local.address)
        out.raw(",\"local_port\":"); out.number(local.port.value)
        out.raw(",\"remote_address\":"); out.quoted(remote.address)
        out.raw(",\"remote_port\":"); out.number(remote.port.value)
        out.raw(",\"packets\":"); out.number(packets)
        out.raw(",\"bytes\":"); out.number(bytes)
    }
}
