// The TOML reader (stoep.toml, Traefik's static and dynamic .toml files, edited by hand), and the decoders
// behind it: Traefik's static configuration, the file provider's dynamic configuration, stoep's own file.
import Config

enum TOMLFuzz {
    @Sendable static func run(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        let (table, _) = TOMLParser.parse(text, file: "fuzz.toml")
        ConfigDecodersFuzz.decode(table)
        _ = ConfigLoader.parse(text: text, file: "stoep.toml")
    }
}

/// What both file formats feed: the same tree, decoded as each kind of configuration.
enum ConfigDecodersFuzz {
    static func decode(_ table: TOMLTable) {
        _ = TraefikStaticConfig.decode(table)
        _ = TraefikStaticConfig.decode(table, unknownKeysAreErrors: true)
        _ = TraefikDynamicConfig.decode(table, provider: "file")
    }
}
