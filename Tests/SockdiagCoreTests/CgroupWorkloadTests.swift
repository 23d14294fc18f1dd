import XCTest
@testable import SockdiagCore

final class CgroupWorkloadTests: XCTestCase {
    let id = String(repeating: "0123456789abcdef", count: 4)

    func container(_ path: String) -> WorkloadContainer? { CgroupWorkload(cgroupPath: path).container }
    func unit(_ path: String) -> SystemdUnit? { CgroupWorkload(cgroupPath: path).unit }

    func testSystemUnits() {
        XCTAssertEqual(unit("/system.slice/nginx.service"),
                       SystemdUnit(name: "nginx.service", kind: .service, cgroup: "/system.slice/nginx.service"))
        // A service's own sub-cgroups (delegation) still belong to it.
        XCTAssertEqual(unit("/system.slice/nginx.service/workers")?.cgroup, "/system.slice/nginx.service")
        XCTAssertEqual(unit("/user.slice/user-1000.slice/session-3.scope")?.name, "session-3.scope")
        XCTAssertEqual(unit("/user.slice/user-1000.slice/session-3.scope")?.userManager, nil)
        XCTAssertEqual(unit("system.slice/cron.service")?.cgroup, "/system.slice/cron.service")
        XCTAssertNil(unit("/system.slice"))
        XCTAssertNil(unit("/"))
        XCTAssertNil(unit("/sdtest/plain.txt"))
    }

    func testUserUnits() {
        let backup = unit("/user.slice/user-1000.slice/user@1000.service/app.slice/backup.service")
        XCTAssertEqual(backup?.name, "backup.service")
        XCTAssertEqual(backup?.userManager, 1000)
        // The manager itself is a system unit.
        let manager = unit("/user.slice/user-1000.slice/user@1000.service")
        XCTAssertEqual(manager?.name, "user@1000.service")
        XCTAssertNil(manager?.userManager)
        XCTAssertEqual(unit("/user.slice/user-1000.slice/user@1000.service/init.scope")?.userManager, 1000)
    }

    func testSystemdEscapes() {
        let escaped = unit(#"/system.slice/system-foo\x2dbar.slice/foo\x2dbar@a\x2db.service"#)
        XCTAssertEqual(escaped?.name, #"foo\x2dbar@a\x2db.service"#)
        XCTAssertEqual(escaped?.unescapedName, "foo-bar@a-b.service")
        // The cgroup escape: a name starting with `_` or `.`, or shaped like a kernel file, gets a `_` before it.
        XCTAssertEqual(unit("/system.slice/_cpu.service")?.name, "cpu.service")
        XCTAssertEqual(unit("/system.slice/__init.service")?.name, "_init.service")
        XCTAssertEqual(SystemdUnit.unescape(#"a\x2"#), #"a\x2"#)
        XCTAssertEqual(SystemdUnit.unescape(#"a\xzzb"#), #"a\xzzb"#)
        XCTAssertEqual(SystemdUnit.unescape(#"a\x+fb"#), #"a\x+fb"#)
        XCTAssertEqual(SystemdUnit.unescape(#"\x41\x2D"#), "A-")
    }

    func testUnitNamesAsTyped() throws {
        let unit = try XCTUnwrap(unit(#"/system.slice/my\x2dapp.service"#))
        for typed in [#"my\x2dapp.service"#, #"my\x2dapp"#, "my-app", "my-app.service"] {
            XCTAssertTrue(unit.isNamed(typed), typed)
        }
        for typed in ["my", "my-app.scope", "app", ""] {
            XCTAssertFalse(unit.isNamed(typed), typed)
        }
        let scope = try XCTUnwrap(self.unit("/user.slice/user-1000.slice/session-3.scope"))
        XCTAssertTrue(scope.isNamed("session-3.scope"))
        XCTAssertFalse(scope.isNamed("session-3"))
        XCTAssertEqual(scope.nameWithoutServiceSuffix, "session-3.scope")
        XCTAssertEqual(unit.nameWithoutServiceSuffix, #"my\x2dapp"#)
    }

    func testDockerBothDrivers() {
        XCTAssertEqual(container("/system.slice/docker-\(id).scope"),
                       WorkloadContainer(runtime: .docker, id: id, cgroup: "/system.slice/docker-\(id).scope"))
        XCTAssertEqual(container("/docker/\(id)"), WorkloadContainer(runtime: .docker, id: id, cgroup: "/docker/\(id)"))
        XCTAssertEqual(container("/docker/\(id)")?.label, "docker 0123456789ab")
        // Not an ID: a unit, not a container.
        XCTAssertNil(container("/system.slice/docker-notanid.scope"))
        XCTAssertEqual(unit("/system.slice/docker-notanid.scope")?.name, "docker-notanid.scope")
        XCTAssertNil(container("/docker/\(id.uppercased())"))
        XCTAssertNil(container("/docker/\(id.dropLast())"))
        XCTAssertNil(container("/\(id)"))
    }

    func testPodman() {
        let scope = "/machine.slice/libpod-\(id).scope"
        XCTAssertEqual(container(scope), WorkloadContainer(runtime: .podman, id: id, cgroup: scope))
        // With its /container child the container's cgroup is still the scope.
        XCTAssertEqual(container(scope + "/container")?.cgroup, scope)
        // conmon is not the container.
        XCTAssertNil(container("/machine.slice/libpod-conmon-\(id).scope"))
        XCTAssertEqual(container("/libpod_parent/libpod-\(id)")?.runtime, .podman)
        // Rootless, under the user's manager.
        XCTAssertEqual(container("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-\(id).scope")?.id, id)
    }

    func testKubernetes() {
        let burstable = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1a2b_3c4d.slice"
        XCTAssertEqual(container("\(burstable)/cri-containerd-\(id).scope"),
                       WorkloadContainer(runtime: .containerd, id: id, podUID: "1a2b-3c4d", cgroup: "\(burstable)/cri-containerd-\(id).scope"))
        XCTAssertEqual(container("/kubepods.slice/kubepods-pod77_88.slice/crio-\(id).scope"),
                       WorkloadContainer(runtime: .crio, id: id, podUID: "77-88", cgroup: "/kubepods.slice/kubepods-pod77_88.slice/crio-\(id).scope"))
        XCTAssertNil(container("/kubepods.slice/kubepods-pod77_88.slice/crio-conmon-\(id).scope"))
        // cgroupfs: /kubepods/QOS/podUID/ID (containerd), crio-ID (CRI-O); guaranteed pods have no QOS level.
        XCTAssertEqual(container("/kubepods/besteffort/pod1a2b-3c4d/\(id)"),
                       WorkloadContainer(runtime: .containerd, id: id, podUID: "1a2b-3c4d", cgroup: "/kubepods/besteffort/pod1a2b-3c4d/\(id)"))
        XCTAssertEqual(container("/kubepods/pod1a2b-3c4d/\(id)")?.podUID, "1a2b-3c4d")
        XCTAssertEqual(container("/kubepods/burstable/pod9/crio-\(id)")?.runtime, .crio)
        XCTAssertNil(container("/kubepods/burstable/pod9"))
        // A kubelet's tree below another root (a kind node, a test's own directory).
        XCTAssertEqual(container("/kind/kubelet/kubepods/pod1a2b-3c4d/\(id)")?.podUID, "1a2b-3c4d")
        XCTAssertNil(container("/pods/pod1a2b-3c4d/\(id)"))
        XCTAssertNil(container("/kubepods/burstable/\(id)"))
    }

    func testLXCAndNesting() {
        let nested = CgroupWorkload(cgroupPath: "/lxc.payload.web1/system.slice/nginx.service")
        XCTAssertEqual(nested.container, WorkloadContainer(runtime: .lxc, id: "web1", cgroup: "/lxc.payload.web1"))
        XCTAssertEqual(nested.unit?.name, "nginx.service")
        XCTAssertEqual(nested.label, "lxc web1 nginx.service")
        XCTAssertEqual(container("/lxc/web2")?.id, "web2")
        // The container scope is not also reported as the unit.
        XCTAssertNil(unit("/system.slice/docker-\(id).scope"))
        XCTAssertEqual(CgroupWorkload(cgroupPath: "/system.slice/docker-\(id).scope").label, "docker 0123456789ab")
        XCTAssertTrue(CgroupWorkload(cgroupPath: "/").isEmpty)
    }

    func testPrefixMatch() throws {
        let docker = try XCTUnwrap(container("/docker/\(id)"))
        XCTAssertTrue(docker.idStarts(with: "0123456789AB"))
        XCTAssertTrue(docker.idStarts(with: id))
        XCTAssertFalse(docker.idStarts(with: "123456789abc"))
    }

    func testProcCgroupText() {
        XCTAssertEqual(CgroupWorkload(procCgroup: "12:pids:/\n1:name=systemd:/system.slice/cron.service\n0::/\n").unit?.name, "cron.service")
        XCTAssertEqual(CgroupWorkload.cgroupPath(procCgroup: "0::/system.slice/ssh.service\n"), "/system.slice/ssh.service")
        XCTAssertEqual(CgroupWorkload.cgroupPath(procCgroup: "0::/\n"), "/")
        XCTAssertEqual(CgroupWorkload.cgroupPath(procCgroup: ""), "/")
    }
}

final class WorkloadLookupTests: XCTestCase {
    let id = String(repeating: "0123456789abcdef", count: 4)
    let other = "0123456789ab" + String(repeating: "f", count: 52)

    var tree: [String] {
        ["/", "/system.slice", "/system.slice/nginx.service", "/system.slice/nginx.service/workers",
         #"/system.slice/my\x2dapp.service"#, "/system.slice/docker-\(id).scope",
         "/user.slice", "/user.slice/user-1000.slice", "/user.slice/user-1000.slice/user@1000.service",
         "/user.slice/user-1000.slice/user@1000.service/app.slice",
         "/user.slice/user-1000.slice/user@1000.service/app.slice/nginx.service",
         "/machine.slice/libpod-\(other).scope", "/machine.slice/libpod-\(other).scope/container"]
    }

    func testUnits() throws {
        XCTAssertEqual(WorkloadLookup.units(in: tree).map(\.name),
                       ["nginx.service", #"my\x2dapp.service"#, "user@1000.service", "nginx.service"])
        XCTAssertEqual(try WorkloadLookup.unit(named: "my-app", in: tree).cgroup, #"/system.slice/my\x2dapp.service"#)
        XCTAssertThrowsError(try WorkloadLookup.unit(named: "nginx", in: tree)) { error in
            XCTAssertEqual("\(error)".contains("names 2 units"), true, "\(error)")
            XCTAssertTrue("\(error)".contains("nginx.service (user 1000)"), "\(error)")
        }
        XCTAssertThrowsError(try WorkloadLookup.unit(named: "redis", in: tree)) { error in
            XCTAssertTrue("\(error)".contains(#"no systemd unit 'redis' in the cgroup tree; units here: my\x2dapp.service, nginx.service, nginx.service (user 1000), user@1000.service"#), "\(error)")
        }
    }

    func testContainers() throws {
        XCTAssertEqual(WorkloadLookup.containers(in: tree).map(\.runtime), [.docker, .podman])
        XCTAssertEqual(try WorkloadLookup.container(idPrefix: "0123456789abc", in: tree).runtime, .docker)
        XCTAssertEqual(try WorkloadLookup.container(idPrefix: "0123456789abf", in: tree).cgroup, "/machine.slice/libpod-\(other).scope")
        XCTAssertThrowsError(try WorkloadLookup.container(idPrefix: "0123456789ab", in: tree)) { error in
            XCTAssertTrue("\(error)".contains("ambiguous"), "\(error)")
        }
        XCTAssertThrowsError(try WorkloadLookup.container(idPrefix: "aaaaaaaaaaaa", in: tree)) { error in
            XCTAssertTrue("\(error)".contains("no container with an ID starting aaaaaaaaaaaa; containers here: docker 0123456789ab, podman 0123456789ab"), "\(error)")
        }
    }

    func testCommonAncestor() {
        XCTAssertEqual(WorkloadLookup.commonAncestor(["/a/b/c", "/a/b/d", "/a/b"]), "/a/b")
        XCTAssertEqual(WorkloadLookup.commonAncestor(["/a/b", "/c"]), "/")
        XCTAssertEqual(WorkloadLookup.commonAncestor(["/a/b"]), "/a/b")
    }

    func testContainerReference() {
        XCTAssertEqual(LiveTarget.ContainerReference("0123456789AB"), .idPrefix("0123456789ab"))
        XCTAssertEqual(LiveTarget.ContainerReference("0123456789a"), .name("0123456789a"))
        XCTAssertEqual(LiveTarget.ContainerReference("web"), .name("web"))
    }
}
