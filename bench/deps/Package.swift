// swift-tools-version:6.0
// Tiny programs that each link one dependency, to measure binary size and idle RSS.
import PackageDescription

let base: [LinkerSetting] = [.unsafeFlags(["-static-stdlib", "-Xlinker", "-no-pie"])]
func staticLibs(_ names: String...) -> [LinkerSetting] {
    [.unsafeFlags(["-static-stdlib", "-Xlinker", "-no-pie"] + names.flatMap { ["-Xlinker", "-l:lib\($0).a"] })]
}
func dynamicLibs(_ names: String...) -> [LinkerSetting] { base + names.map { .linkedLibrary($0) } }

let package = Package(
    name: "budget",
    targets: [
        .systemLibrary(name: "CUring", path: "Sources/CUring"),
        .systemLibrary(name: "CYaml", path: "Sources/CYaml"),
        .systemLibrary(name: "CPCRE2", path: "Sources/CPCRE2"),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL"),
        .executableTarget(name: "a_baseline", linkerSettings: base),
        .executableTarget(name: "b_uring_static", dependencies: ["CUring"], linkerSettings: staticLibs("uring")),
        .executableTarget(name: "c_yaml_static", dependencies: ["CYaml"], linkerSettings: staticLibs("yaml")),
        .executableTarget(name: "c_yaml_dynamic", dependencies: ["CYaml"], linkerSettings: dynamicLibs("yaml")),
        .executableTarget(name: "d_pcre2_static", dependencies: ["CPCRE2"], linkerSettings: staticLibs("pcre2-8")),
        .executableTarget(name: "d_pcre2_dynamic", dependencies: ["CPCRE2"], linkerSettings: dynamicLibs("pcre2-8")),
        .executableTarget(name: "e_swift_regex", linkerSettings: base),
        .executableTarget(name: "f_openssl_static", dependencies: ["COpenSSL"], linkerSettings: staticLibs("ssl", "crypto")),
        .executableTarget(name: "f_openssl_dynamic", dependencies: ["COpenSSL"], linkerSettings: dynamicLibs("ssl", "crypto")),
        .executableTarget(name: "g_all_static", dependencies: ["CUring", "CYaml", "CPCRE2"],
                          linkerSettings: staticLibs("uring", "yaml", "pcre2-8")),
        .executableTarget(name: "h_all_openssl_static", dependencies: ["CUring", "CYaml", "CPCRE2", "COpenSSL"],
                          linkerSettings: staticLibs("uring", "yaml", "pcre2-8", "ssl", "crypto")),
    ],
    swiftLanguageModes: [.v6]
)
