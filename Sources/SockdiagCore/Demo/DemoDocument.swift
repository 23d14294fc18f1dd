/// `sockdiag demo --json`: both stories in one document (docs/schema/demo.schema.json). Its own
/// keys start their lines; each story's report keeps the layout it has when printed alone:
/// compare-wire's with a flow per line, bind-check's indented throughout.
public enum DemoDocument {
    public static func json(mappedClient report: WireReport, mappedExplanation: String,
                            holderPID: Int32, bindCheck: BindCheckReport, portTakenExplanation: String) -> [UInt8] {
        var out: [UInt8] = []
        out.append("{\n\"schema\": ")
        out.appendJSONString(JSONSchemaID.demo)
        out.append(",\n\"ipv4_mapped_client\": ")
        let client = report.json()
        out += client[..<(client.lastIndex { $0 != 0x0A }.map { $0 + 1 } ?? 0)]
        out.append(",\n\"ipv4_mapped_explanation\": ")
        out.appendJSONString(mappedExplanation)
        out.append(",\n\"port_taken_on_ipv4\": ")
        let portTaken = JSON.object([
            ("holder_pid", .int(Int64(holderPID))),
            ("bind_check", bindCheck.json),
            ("explanation", .string(portTakenExplanation)),
        ])
        out += portTaken.bytes(indentedLevels: .max)
        out.append("\n}\n")
        return out
    }
}
