import NIOCore

/// An incremental RESP2 parser. Bytes are consumed as they arrive and the parse state (open arrays,
/// a partly read line or bulk body) is kept between calls, so no byte is ever parsed twice.
public struct RESPParser: Sendable {
    /// Longest header line accepted (`+…`, `-…`, `:…`, `$n`, `*n`).
    public static let maxLineLength = 64 * 1024
    /// Largest bulk string accepted (Redis's own limit).
    public static let maxBulkLength = 512 * 1024 * 1024
    /// Deepest nesting accepted.
    public static let maxDepth = 64

    private struct OpenArray {
        var remaining: Int
        var elements: [RESPValue]
    }

    private var stack: [OpenArray] = []
    private var line: [UInt8] = []
    /// Bytes of the bulk body still expected, CRLF included, and what was read so far.
    private var bulkRemaining: Int?
    private var bulk: [UInt8] = []

    /// A parser with nothing buffered.
    public init() {}

    /// Whether a value is partly parsed.
    public var isMidValue: Bool { !stack.isEmpty || !line.isEmpty || bulkRemaining != nil }

    /// Consumes all readable bytes of `buffer` and returns the top-level values they completed.
    public mutating func feed(_ buffer: inout ByteBuffer) throws(RedisError) -> [RESPValue] {
        var values: [RESPValue] = []
        while buffer.readableBytes > 0 {
            if let remaining = bulkRemaining {
                let take = min(remaining, buffer.readableBytes)
                bulk += buffer.readBytes(length: take)!
                if remaining - take > 0 {
                    bulkRemaining = remaining - take
                    continue
                }
                bulkRemaining = nil
                guard bulk.count >= 2, bulk[bulk.count - 2] == 13, bulk[bulk.count - 1] == 10 else {
                    throw .protocolViolation("bulk string not terminated by CRLF")
                }
                bulk.removeLast(2)
                let value = RESPValue.bulkString(bulk)
                bulk = []
                try complete(value, into: &values)
                continue
            }
            // Header line: take bytes up to and including LF.
            let view = buffer.readableBytesView
            guard let lf = view.firstIndex(of: 10) else {
                line += buffer.readBytes(length: buffer.readableBytes)!
                if line.count > Self.maxLineLength { throw .protocolViolation("line too long") }
                continue
            }
            line += buffer.readBytes(length: lf - view.startIndex + 1)!
            if line.count > Self.maxLineLength { throw .protocolViolation("line too long") }
            guard line.count >= 3, line[line.count - 2] == 13 else {
                throw .protocolViolation("line not terminated by CRLF")
            }
            let header = line
            line = []
            try parseHeader(header, into: &values)
        }
        return values
    }

    private mutating func parseHeader(_ header: [UInt8], into values: inout [RESPValue]) throws(RedisError) {
        let body = header[1..<(header.count - 2)]
        switch header[0] {
        case UInt8(ascii: "+"):
            try complete(.simpleString(String(decoding: body, as: UTF8.self)), into: &values)
        case UInt8(ascii: "-"):
            try complete(.error(String(decoding: body, as: UTF8.self)), into: &values)
        case UInt8(ascii: ":"):
            guard let number = Int64(String(decoding: body, as: UTF8.self)) else {
                throw .protocolViolation("invalid integer")
            }
            try complete(.integer(number), into: &values)
        case UInt8(ascii: "$"):
            let length = try Self.length(body)
            if length < 0 {
                try complete(.bulkString(nil), into: &values)
            } else {
                guard length <= Self.maxBulkLength else { throw .protocolViolation("bulk string too long") }
                bulkRemaining = length + 2
                bulk.reserveCapacity(min(length + 2, 64 * 1024))
            }
        case UInt8(ascii: "*"):
            let count = try Self.length(body)
            if count < 0 {
                try complete(.array(nil), into: &values)
            } else if count == 0 {
                try complete(.array([]), into: &values)
            } else {
                guard stack.count < Self.maxDepth else { throw .protocolViolation("arrays nested too deeply") }
                stack.append(OpenArray(remaining: count, elements: []))
                stack[stack.count - 1].elements.reserveCapacity(min(count, 1024))
            }
        default:
            throw .protocolViolation("unknown type byte \(header[0])")
        }
    }

    private static func length(_ body: ArraySlice<UInt8>) throws(RedisError) -> Int {
        guard let value = Int(String(decoding: body, as: UTF8.self)), value >= -1 else {
            throw .protocolViolation("invalid length")
        }
        return value
    }

    /// Attaches a finished value to the innermost open array, closing arrays that become full.
    private mutating func complete(_ value: RESPValue, into values: inout [RESPValue]) throws(RedisError) {
        var value = value
        while !stack.isEmpty {
            stack[stack.count - 1].elements.append(value)
            stack[stack.count - 1].remaining -= 1
            guard stack[stack.count - 1].remaining == 0 else { return }
            value = .array(stack.removeLast().elements)
        }
        values.append(value)
    }
}

/// Encodes commands as RESP arrays of bulk strings.
public enum RESPEncoder {
    /// Appends one command to `buffer`.
    public static func encode(_ command: [String], into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "*"))
        buffer.writeString(String(command.count))
        buffer.writeStaticString("\r\n")
        for argument in command {
            buffer.writeInteger(UInt8(ascii: "$"))
            buffer.writeString(String(argument.utf8.count))
            buffer.writeStaticString("\r\n")
            buffer.writeString(argument)
            buffer.writeStaticString("\r\n")
        }
    }
}
