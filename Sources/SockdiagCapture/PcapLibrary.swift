internal import CPcap

public enum PcapLibrary {
    /// libpcap's own version line, as `tcpdump --version` prints it.
    public static var version: String { String(cString: pcap_lib_version()) }
}
