import SockdiagBPF
import SockdiagCapture
import SockdiagCore

/// `sockdiag --version`: what a bug report needs: this build, its BPF objects, and the C libraries
/// it was built with beside the ones it runs with.
public enum Version {
    public static var text: String {
        """
        sockdiag \(CommandCatalog.version)
        bpf build id: \(BPFBuildInfo.buildID) (sha256 of \(BPFBuildInfo.objectNames))
        libbpf: built with \(BPFBuildInfo.libbpfBuildVersion), running \(BPFBuildInfo.libbpfRuntimeVersion)
        libpcap: built with \(BPFBuildInfo.libpcapBuildVersion), running \(PcapLibrary.version)

        """
    }
}
