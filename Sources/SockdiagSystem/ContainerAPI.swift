#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// A container name turned into its ID by the Docker or Podman API (`GET /containers/NAME/json` on
/// the runtime's unix socket), the way `docker inspect` asks. The sockets are those the runtimes'
/// own clients use: `DOCKER_HOST` / `CONTAINER_HOST` when they name a unix socket, else
/// /var/run/docker.sock, /run/podman/podman.sock, then rootless Podman's
/// `$XDG_RUNTIME_DIR/podman/podman.sock` and every user's /run/user/UID/podman/podman.sock (root
/// asks each user's rootless Podman, whose containers it traces as well).
public enum ContainerAPI {
    public static func socketPaths(environment: (String) -> String? = { getenv($0).map { String(cString: $0) } },
                                   userRuntimeDirectories: () -> [String] = ContainerAPI.userRuntimeDirectories) -> [String] {
        var paths: [String] = []
        for variable in ["DOCKER_HOST", "CONTAINER_HOST"] {
            if let value = environment(variable), value.hasPrefix("unix://") { paths.append(String(value.dropFirst("unix://".count))) }
        }
        paths += ["/var/run/docker.sock", "/run/podman/podman.sock"]
        let runtimeDirectories = (environment("XDG_RUNTIME_DIR").map { [$0] } ?? []) + userRuntimeDirectories()
        for directory in runtimeDirectories where directory.hasPrefix("/") {
            let path = directory + "/podman/podman.sock"
            if !paths.contains(path) { paths.append(path) }
        }
        return paths
    }

    /// /run/user/UID for each user with a runtime directory, in uid order.
    public static func userRuntimeDirectories() -> [String] {
        SystemFile.entryNames("/run/user").compactMap(UInt32.init).sorted().map { "/run/user/\($0)" }
    }

    /// The full ID of the container called `name`; refuses when no API socket is there to ask.
    public static func resolve(name: String) throws(SockdiagError) -> String {
        let sockets = socketPaths().filter { SystemFile.exists($0) }
        guard !sockets.isEmpty else {
            throw .invalidInput("cannot resolve container name '\(PrintableText.of(name))': no Docker or Podman API socket here; pass the container's ID (at least 12 hex digits, as 'docker ps' or 'crictl ps' prints it)")
        }
        var answers: [String] = []
        for socket in sockets {
            switch ask(socket, path: "/containers/\(percentEncoded(name))/json") {
            case let .success((200, body)):
                if let id = idField(body) { return id }
                answers.append("\(socket): no Id in the answer")
            case let .success((status, _)):
                answers.append("\(socket) answered \(status)")
            case let .failure(error):
                answers.append("\(socket): \(error.name)")
            }
        }
        throw .invalidInput("no container named '\(PrintableText.of(name))' (\(answers.joined(separator: "; ")))")
    }

    /// One HTTP/1.0 request over a unix socket: the status and the body.
    static func ask(_ socketPath: String, path: String) -> Result<(Int, String), Errno> {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(Errno(errno)) }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return .failure(Errno(ENAMETOOLONG)) }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { return .failure(Errno(errno)) }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: localhost\r\n\r\n".utf8)
        do throws(Errno) { try Syscall.writeAll(fd, request) } catch { return .failure(error) }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while response.count < 4 << 20 {
            // The end, a failure or the 5 s receive timeout all end the answer.
            guard let count = try? Syscall.receive(fd, into: &chunk), count > 0 else { break }
            response += chunk[..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        let statusLine = text.prefix { $0 != "\r" && $0 != "\n" }.split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return .failure(Errno(EPROTO)) }
        let body = text.firstRange(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return .success((status, body))
    }

    /// The `"Id"` of an inspect answer: 64 hex digits.
    static func idField(_ body: String) -> String? {
        guard let range = body.firstRange(of: "\"Id\":\"") ?? body.firstRange(of: "\"Id\": \"") else { return nil }
        let id = String(body[range.upperBound...].prefix(64))
        return WorkloadContainer.isFullID(Substring(id)) ? id : nil
    }

    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || "-_.".utf8.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }
}
