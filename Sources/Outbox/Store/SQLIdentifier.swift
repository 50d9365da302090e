/// The one audited way to put an identifier (table, index, channel name) into SQL text: only
/// lower-case ASCII letters, digits and underscores, starting with a letter or underscore, at most
/// 63 bytes — so quoting is never needed and injection is impossible.
public struct SQLIdentifier: Sendable, Hashable, CustomStringConvertible {
    /// The identifier, safe to interpolate into SQL.
    public let name: String

    /// Accepts `[a-z_][a-z0-9_]*` of at most 63 bytes; anything else throws `.invalidIdentifier`.
    public init(_ name: String) throws(OutboxError) {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count),
            let first = bytes.first, first == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first),
            bytes.allSatisfy({
                $0 == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
            })
        else {
            throw OutboxError(code: .invalidIdentifier, message: "'\(name)' is not a valid SQL identifier (use [a-z_][a-z0-9_]*, at most 63 bytes)")
        }
        self.name = name
    }

    /// A derived identifier such as `<table>_pending_idx`, validated again.
    public func suffixed(_ suffix: String) throws(OutboxError) -> SQLIdentifier {
        try SQLIdentifier(name + suffix)
    }

    /// The identifier.
    public var description: String { name }
}
