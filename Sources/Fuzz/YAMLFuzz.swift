// The YAML reader (libyaml's events built into the tree Traefik's .yml files decode from: anchors, aliases,
// merge keys, flow and block styles), then the same decoders as TOML's.
import Config

enum YAMLFuzz {
    @Sendable static func run(_ bytes: [UInt8]) {
        let (table, _) = YAMLReader.parse(String(decoding: bytes, as: UTF8.self), file: "fuzz.yml")
        ConfigDecodersFuzz.decode(table)
    }
}
