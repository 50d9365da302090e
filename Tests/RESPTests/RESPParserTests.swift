import NIOCore
import RESP
import Testing

@Suite struct RESPParserTests {
    static let samples: [RESPValue] = [
        .simpleString("OK"),
        .simpleString(""),
        .error("ERR unknown command 'FOO'"),
        .integer(0),
        .integer(-42),
        .integer(Int64.max),
        .bulkString(Array("hello".utf8)),
        .bulkString([]),
        .bulkString(Array("with\r\nCRLF inside\r\n".utf8)),
        .bulkString(nil),
        .array([]),
        .array(nil),
        .array([.integer(1), .bulkString(Array("two".utf8)), .simpleString("three")]),
        .array([.array([.integer(1), .array([])]), .bulkString(nil), .error("WRONGTYPE x")]),
        .array([.bulkString(Array("message".utf8)), .bulkString(Array("pizza-orders".utf8)), .bulkString(Array(#"{"id":"1"}"#.utf8))]),
    ]

    static func feed(_ parser: inout RESPParser, _ bytes: some Sequence<UInt8>) throws -> [RESPValue] {
        var buffer = ByteBuffer(bytes: Array(bytes))
        let values = try parser.feed(&buffer)
        #expect(buffer.readableBytes == 0)
        return values
    }

    @Test(arguments: samples)
    func parsesEveryReplySplitAtEveryByte(_ sample: RESPValue) throws {
        let bytes = sample.encoded()
        for split in 0...bytes.count {
            var parser = RESPParser()
            var values = try Self.feed(&parser, bytes[..<split])
            if split < bytes.count { #expect(values.isEmpty) }
            values += try Self.feed(&parser, bytes[split...])
            #expect(values == [sample], "split at \(split)")
            #expect(!parser.isMidValue)
        }
    }

    @Test func parsesAStreamFedOneByteAtATime() throws {
        var parser = RESPParser()
        var values: [RESPValue] = []
        for byte in Self.samples.flatMap({ $0.encoded() }) {
            values += try Self.feed(&parser, [byte])
        }
        #expect(values == Self.samples)
    }

    @Test func parsesManyRepliesInOneRead() throws {
        var parser = RESPParser()
        let values = try Self.feed(&parser, Self.samples.flatMap { $0.encoded() })
        #expect(values == Self.samples)
    }

    @Test func parsesALargeBulkStringInChunks() throws {
        let payload = (0..<200_000).map { UInt8($0 % 251) }
        let bytes = RESPValue.bulkString(payload).encoded()
        var parser = RESPParser()
        var values: [RESPValue] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + 4093, bytes.count)
            values += try Self.feed(&parser, bytes[offset..<end])
            offset = end
        }
        #expect(values == [.bulkString(payload)])
    }

    @Test(arguments: ["?what\r\n", ":12x\r\n", "$-2\r\n", "$3\r\nabcXY", "*abc\r\n", "+no-cr\n"])
    func rejectsProtocolViolations(_ text: String) {
        var parser = RESPParser()
        #expect(throws: RedisError.self) { try Self.feed(&parser, Array(text.utf8)) }
    }

    @Test func encodesCommandsAsArraysOfBulkStrings() {
        var buffer = ByteBuffer()
        RESPEncoder.encode(["SET", "key", "välue"], into: &buffer)
        #expect(buffer.readString(length: buffer.readableBytes) == "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$6\r\nvälue\r\n")
    }
}

@Suite struct RedisConfigurationTests {
    @Test func parsesPasswordHostPortAndDatabase() throws {
        let configuration = try RedisConfiguration(url: "redis://:s%40cret@cache.internal:6380/3")
        #expect(configuration.host == "cache.internal")
        #expect(configuration.port == 6380)
        #expect(configuration.username == nil)
        #expect(configuration.password == "s@cret")
        #expect(configuration.database == 3)
    }

    @Test func parsesUserAndDefaults() throws {
        let configuration = try RedisConfiguration(url: "redis://app:pw@localhost")
        #expect(configuration.username == "app" && configuration.password == "pw")
        #expect(configuration.port == 6379 && configuration.database == 0)
    }

    @Test(arguments: ["http://localhost", "redis://", "redis://:topsecret@host/abc", "not a url"])
    func rejectsBadURLsWithoutEchoingSecrets(_ url: String) {
        do {
            _ = try RedisConfiguration(url: url)
            Issue.record("accepted \(url)")
        } catch {
            #expect(!"\(error)".contains("topsecret"))
        }
    }
}
