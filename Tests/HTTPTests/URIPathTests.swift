// URI path normalisation (RFC 3986 §6.2.2) as Traefik applies it; the proxy's policy over it is tested in
// ProxyTests/RequestTargetPolicyTests.
@testable import HTTP
import XCTest

final class URIPathTests: XCTestCase {
    func testAlreadyNormalMatchesTheFullPath() {
        // The allocation-free check must agree with normalisation and dot-segment removal.
        let samples = ["/", "/a", "/a/", "/a/b", "//", "/a//b", "/.", "/..", "/...", "/a/.", "/a/./b", "/a/../b",
                       "/a.b", "/.a", "/a./", "/a/..b", "/%41", "/a b", "/a;b=c", "/a@b:c", "/(x)", "/[x]"]
        for s in samples {
            let bytes = ArraySlice(Array(s.utf8))
            if URIPath.isAlreadyNormal(bytes) {
                XCTAssertEqual(URIPath.removeDotSegments(URIPath.normalized(bytes)), Array(bytes), s)
            }
        }
        XCTAssertTrue(URIPath.isAlreadyNormal(ArraySlice(Array("/a/b.c/...d".utf8))))
        XCTAssertFalse(URIPath.isAlreadyNormal(ArraySlice(Array("/a/..".utf8))))
    }
}
