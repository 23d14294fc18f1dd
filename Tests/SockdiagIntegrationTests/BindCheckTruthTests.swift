import Foundation
import XCTest
import SockdiagCore

/// bind-check against the kernel on generated cases: holder sets of one to four sockets (AF_INET
/// and AF_INET6, wildcard, loopback, mapped and veth addresses, SO_REUSEADDR, SO_REUSEPORT,
/// SO_BINDTODEVICE, two uids) in every order the kernel accepts, checked with real clients and
/// real binds. CI runs a fixed seed; `scripts/truth --seed N --cases N` runs any other.
final class BindCheckTruthTests: XCTestCase {
    static let defaultSeed: UInt64 = 20_261_130
    static let defaultCases = 1_000

    func testBindCheckAgreesWithTheKernel() throws {
        try requirePrivileges()
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["SOCKDIAG_TRUTH_SEED"].flatMap { UInt64($0) } ?? BindCheckTruthTests.defaultSeed
        let count = environment["SOCKDIAG_TRUTH_CASES"].flatMap { Int($0) } ?? BindCheckTruthTests.defaultCases
        let scope = TruthScope()
        let cases = TruthCase.generate(seed: seed, count: count, scope: scope)
        let lab = try TruthLab()
        defer { lab.close() }
        var runner = TruthRunner(lab: lab, scope: scope)
        let started = Date()
        var disagreements: [TruthDisagreement] = []
        for first in stride(from: 0, to: cases.count, by: 25) {
            disagreements += runner.run(Array(cases[first..<min(first + 25, cases.count)]))
        }
        let seconds = Date().timeIntervalSince(started)
        let failedCases = Set(disagreements.map(\.kase.index)).count
        let agreement = 100 * Double(count - failedCases) / Double(max(count, 1))
        print(String(format: "bind-check truth: seed %llu, %d cases, %d checks, %d disagreements in %d cases, %.2f%% agreement, %.1f s",
                     seed, count, runner.checks, disagreements.count, failedCases, agreement, seconds))
        let smallestFirst = disagreements.sorted {
            ($0.kase.holders.count, $0.text.count, $0.kase.index) < ($1.kase.holders.count, $1.text.count, $1.kase.index)
        }
        for d in smallestFirst.prefix(environment["SOCKDIAG_TRUTH_SHOW"].flatMap { Int($0) } ?? 40) { print(d.text) }
        XCTAssertEqual(disagreements.count, 0, "bind-check disagrees with the kernel (smallest cases printed above)")
    }
}
