import SockdiagCore
import XCTest

final class OpenMetricsTextTests: XCTestCase {
    func testEscapingEmptyLabelsDuplicatesAndUnits() {
        var text = OpenMetricsText()
        text.gauge("sockdiag_x_info", help: "Back\\slash and\nnewline.", [
            .init([("comm", "a\"b\\c\nd"), ("unit", nil), ("container", "")], 1),
            .init([("comm", "a\"b\\c\nd")], 1),
        ])
        text.gauge("sockdiag_y_seconds", help: "Time.", unit: "seconds", [.init([], 1.5), .init([("k", "v")], 3)])
        XCTAssertEqual(text.document, """
        # HELP sockdiag_x_info Back\\\\slash and\\nnewline.
        # TYPE sockdiag_x_info gauge
        sockdiag_x_info{comm="a\\"b\\\\c\\nd"} 1
        # HELP sockdiag_y_seconds Time.
        # TYPE sockdiag_y_seconds gauge
        # UNIT sockdiag_y_seconds seconds
        sockdiag_y_seconds 1.5
        sockdiag_y_seconds{k="v"} 3
        # EOF

        """)
    }

    func testPlacementFromCgroupPaths() {
        let id = String(repeating: "0123456789abcdef", count: 4)
        let cases: [(String, ProcessPlacement)] = [
            ("/system.slice/nginx.service", .init(unit: "nginx.service")),
            ("/user.slice/user-1000.slice/session-3.scope", .init(unit: "session-3.scope")),
            ("/system.slice/docker-\(id).scope", .init(container: "0123456789ab")),
            ("/machine.slice/libpod-\(id).scope/container", .init(container: "0123456789ab")),
            ("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-\(id).scope", .init(container: "0123456789ab")),
            ("/docker/\(id)", .init(container: "0123456789ab")),
            ("/lxc.payload.web1/system.slice/nginx.service", .init(container: "web1")),
            ("/system.slice/docker-notanid.scope", .init(unit: "docker-notanid.scope")),
            ("/", .init()),
            ("/sdtest/plain", .init()),
        ]
        for (path, expected) in cases {
            XCTAssertEqual(ProcessPlacement(cgroupPath: path), expected, path)
        }
        // Hybrid layout: the v2 line names no cgroup, systemd's v1 hierarchy does.
        XCTAssertEqual(ProcessPlacement(procCgroup: "12:pids:/\n1:name=systemd:/system.slice/cron.service\n0::/\n"),
                       .init(unit: "cron.service"))
        XCTAssertEqual(ProcessPlacement(procCgroup: "1:name=systemd:/system.slice/cron.service\n0::/system.slice/ssh.service\n"),
                       .init(unit: "ssh.service"))
    }
}
