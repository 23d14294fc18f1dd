internal import CPcap
public func pcapVersion() -> String { String(cString: pcap_lib_version()) }
