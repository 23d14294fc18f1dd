import XCTest
@testable import SockdiagCore

/// The bind bucket's fast-reuse marks (`sk_reuseport_match()`, `inet_csk_update_fastreuse()`).
final class BindCheckBindBucketTests: XCTestCase {
    func binding(_ address: String, v6only: Bool? = nil) -> BindCheckBinding {
        let a = IPAddress(address)!
        return BindCheckBinding(family: a.family, address: a, v6only: v6only)
    }

    func testAStrictMarkOnV6onlyWildcardLetsADualStackBindThrough() {
        let mark = BindCheckBindBucket(fastreuse: 0, fastreuseport: 2, uid: 0, family: .inet6, address: IPAddress("::")!, v6only: true)
        XCTAssertTrue(mark.lets(binding("::", v6only: false), reuseport: true, uid: 0), "[::] covers [::] whatever IPV6_V6ONLY")
        XCTAssertFalse(mark.lets(binding("::", v6only: false), reuseport: false, uid: 0), "only SO_REUSEPORT binds")
        XCTAssertFalse(mark.lets(binding("::", v6only: false), reuseport: true, uid: 1000), "only the marking uid")
        XCTAssertFalse(mark.lets(binding("127.0.0.1"), reuseport: true, uid: 0), "a V6ONLY mark covers no IPv4")
        XCTAssertTrue(mark.lets(binding("::1"), reuseport: true, uid: 0))
        let v4 = BindCheckBindBucket(fastreuse: 0, fastreuseport: 2, uid: 0, family: .inet, address: IPAddress("127.0.0.1")!, v6only: false)
        XCTAssertFalse(v4.lets(binding("0.0.0.0"), reuseport: true, uid: 0), "the new socket's wildcard does not match a marked address")
        XCTAssertTrue(v4.lets(binding("::ffff:127.0.0.1", v6only: false), reuseport: true, uid: 0))
    }

    func testWhatABindLeaves() {
        let any = BindCheckBindBucket(fastreuse: 0, fastreuseport: 1, uid: 0, family: .inet, address: IPAddress("0.0.0.0")!, v6only: false)
        XCTAssertTrue(any.after(binding("127.0.0.1"), reuseaddr: false, reuseport: true, listening: false, uid: 0).sameEffect(as: any),
                      "a bind the mark lets through leaves it")
        XCTAssertEqual(any.after(binding("127.0.0.1"), reuseaddr: false, reuseport: false, listening: false, uid: 0).fastreuseport, 0,
                       "a plain bind clears it")
        let off = BindCheckBindBucket(fastreuse: 0, fastreuseport: 0, uid: 0, family: .inet, address: IPAddress("0.0.0.0")!, v6only: false)
        let strict = off.after(binding("::", v6only: true), reuseaddr: false, reuseport: true, listening: false, uid: 0)
        XCTAssertEqual(strict.fastreuseport, 2)
        XCTAssertEqual(strict.address, IPAddress("::")!)
        XCTAssertTrue(strict.v6only)
    }
}
