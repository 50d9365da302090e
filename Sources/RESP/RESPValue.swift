/// A RESP2 reply value.
public enum RESPValue: Sendable, Equatable {
    case simpleString(String)
    case error(String)
    case integer(Int64)
    /// A bulk string; nil is the null bulk string (`$-1`).
    case bulkString([UInt8]?)
    /// An array; nil is the null array (`*-1`).
    case array([RESPValue]?)

    /// The value as text, for simple and bulk strings.
    public var string: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let bytes?): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }

    /// The value as an integer, for integers and numeric strings.
    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        default: string.flatMap { Int64($0) }
        }
    }

    /// The elements, for non-null arrays.
    public var array: [RESPValue]? {
        if case .array(let elements?) = self { return elements }
        return nil
    }

    /// Whether this is a null bulk string or null array.
    public var isNull: Bool {
        switch self {
        case .bulkString(nil), .array(nil): true
        default: false
        }
    }

    /// Throws `RedisError.server` for an error reply, returns self otherwise.
    @discardableResult
    public func throwingServerError() throws(RedisError) -> RESPValue {
        if case .error(let message) = self { throw RedisError.server(message) }
        return self
    }
}

extension RESPValue {
    /// Encodes the value in RESP2 (used by tests and by the encoder for commands).
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        append(to: &out)
        return out
    }

    private func append(to out: inout [UInt8]) {
        switch self {
        case .simpleString(let text):
            out.append(UInt8(ascii: "+"))
            out += Array(text.utf8)
            out += [13, 10]
        case .error(let text):
            out.append(UInt8(ascii: "-"))
            out += Array(text.utf8)
            out += [13, 10]
        case .integer(let value):
            out.append(UInt8(ascii: ":"))
            out += Array(String(value).utf8)
            out += [13, 10]
        case .bulkString(nil):
            out += Array("$-1\r\n".utf8)
        case .bulkString(let bytes?):
            out.append(UInt8(ascii: "$"))
            out += Array(String(bytes.count).utf8)
            out += [13, 10]
            out += bytes
            out += [13, 10]
        case .array(nil):
            out += Array("*-1\r\n".utf8)
        case .array(let elements?):
            out.append(UInt8(ascii: "*"))
            out += Array(String(elements.count).utf8)
            out += [13, 10]
            for element in elements { element.append(to: &out) }
        }
    }
}
