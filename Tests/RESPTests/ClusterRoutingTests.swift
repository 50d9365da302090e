import Testing

@testable import RESP

@Suite struct ClusterSlotTests {
    // The cluster specification's examples and CRC16-XMODEM's check value.
    @Test func crc16OfTheCheckString() {
        #expect(ClusterSlot.crc16(Array("123456789".utf8)) == 0x31C3)
    }

    @Test func slotsOfPlainKeys() {
        #expect(ClusterSlot.of("123456789") == 12739)
        #expect(ClusterSlot.of("foo") == 12182)
        #expect(ClusterSlot.of("bar") == 5061)
        #expect(ClusterSlot.of("") == 0)
    }

    @Test func hashTagsDecideTheSlot() {
        #expect(ClusterSlot.of("{user1000}.following") == ClusterSlot.of("{user1000}.followers"))
        #expect(ClusterSlot.of("{user1000}.following") == ClusterSlot.of("user1000"))
        // Only the first {…} counts.
        #expect(ClusterSlot.of("foo{bar}{zap}") == ClusterSlot.of("bar"))
        // An empty tag hashes the whole key.
        #expect(ClusterSlot.of("foo{}{bar}") == Int(ClusterSlot.crc16(Array("foo{}{bar}".utf8)) & 0x3FFF))
        // From the first { to the first } after it.
        #expect(ClusterSlot.of("foo{{bar}}zap") == ClusterSlot.of("{bar"))
        // No closing brace: the whole key.
        #expect(ClusterSlot.of("foo{bar") == Int(ClusterSlot.crc16(Array("foo{bar".utf8)) & 0x3FFF))
    }
}

@Suite struct ClusterReplyTests {
    @Test func movedAndAskNameTheSlotAndNode() {
        #expect(ClusterReply(.error("MOVED 3999 127.0.0.1:6381")) == .moved(slot: 3999, to: RedisEndpoint(host: "127.0.0.1", port: 6381)))
        #expect(ClusterReply(.error("ASK 3999 10.0.0.2:7002")) == .ask(slot: 3999, to: RedisEndpoint(host: "10.0.0.2", port: 7002)))
        // An unknown endpoint: the same host as the node that answered.
        #expect(ClusterReply(.error("MOVED 1 :7003")) == .moved(slot: 1, to: RedisEndpoint(host: "", port: 7003)))
        #expect(ClusterReply(.error("MOVED 1 ::1:7003")) == .moved(slot: 1, to: RedisEndpoint(host: "::1", port: 7003)))
    }

    @Test func tryAgainAndClusterDownAreRetried() {
        #expect(
            ClusterReply(.error("TRYAGAIN Multiple keys request during rehashing of slot"))
                == .retryLater("TRYAGAIN Multiple keys request during rehashing of slot")
        )
        #expect(ClusterReply(.error("CLUSTERDOWN The cluster is down")) == .retryLater("CLUSTERDOWN The cluster is down"))
    }

    @Test func otherRepliesAreNotRouting() {
        #expect(ClusterReply(.error("ERR unknown command")) == nil)
        #expect(ClusterReply(.error("MOVED nonsense")) == nil)
        #expect(ClusterReply(.simpleString("OK")) == nil)
    }

    @Test func slotMapFromClusterShards() throws {
        func node(_ port: Int, _ role: String, _ health: String) -> RESPValue {
            .array([
                .bulkString(Array("id".utf8)), .bulkString(Array("n\(port)".utf8)), .bulkString(Array("port".utf8)), .integer(Int64(port)),
                .bulkString(Array("tls-port".utf8)), .integer(Int64(port + 100)), .bulkString(Array("ip".utf8)),
                .bulkString(Array("10.0.0.1".utf8)), .bulkString(Array("endpoint".utf8)), .bulkString(Array("10.0.0.1".utf8)),
                .bulkString(Array("role".utf8)), .bulkString(Array(role.utf8)), .bulkString(Array("health".utf8)),
                .bulkString(Array(health.utf8)),
            ])
        }
        func shard(_ ranges: [Int], _ nodes: [RESPValue]) -> RESPValue {
            .array([.bulkString(Array("slots".utf8)), .array(ranges.map { .integer(Int64($0)) }), .bulkString(Array("nodes".utf8)), .array(nodes)])
        }
        let reply = RESPValue.array([
            shard([0, 8191], [node(7001, "master", "online"), node(7004, "replica", "online")]),
            // A failed master and its promoted replica: the online one serves.
            shard([8192, 16000, 16001, 16383], [node(7002, "master", "failed"), node(7005, "master", "online")]),
        ])
        let answeredBy = RedisEndpoint(host: "10.0.0.1", port: 7001)
        let map = try ClusterSlotMap(shards: reply, tls: false, answeredBy: answeredBy)
        #expect(map.isComplete)
        #expect(map.owners[0] == RedisEndpoint(host: "10.0.0.1", port: 7001))
        #expect(map.owners[16383] == RedisEndpoint(host: "10.0.0.1", port: 7005))
        #expect(map.masters.map(\.port) == [7001, 7005])
        let tlsMap = try ClusterSlotMap(shards: reply, tls: true, answeredBy: answeredBy)
        #expect(tlsMap.owners[0]?.port == 7101)
        #expect(throws: RedisError.self) { try ClusterSlotMap(shards: .simpleString("OK"), tls: false, answeredBy: answeredBy) }
    }
}

@Suite struct RedisURLTests {
    @Test func singleServerURLs() throws {
        let plain = try RedisConfiguration(url: "redis://:secret@cache.example:6380/2")
        #expect(plain.host == "cache.example" && plain.port == 6380 && plain.database == 2 && plain.password == "secret")
        #expect(plain.tls == nil && !plain.isCluster)
        let tls = try RedisConfiguration(url: "rediss://user:p%40ss@cache.example")
        #expect(tls.tls == RedisTLS() && tls.port == 6379 && tls.username == "user" && tls.password == "p@ss")
    }

    @Test func clusterURLsListTheirSeeds() throws {
        let cluster = try RedisConfiguration(url: "redis-cluster://127.0.0.1:7001,127.0.0.1:7002,[::1]:7003")
        #expect(cluster.isCluster)
        #expect(
            cluster.clusterSeeds == [
                RedisEndpoint(host: "127.0.0.1", port: 7001), RedisEndpoint(host: "127.0.0.1", port: 7002), RedisEndpoint(host: "::1", port: 7003),
            ]
        )
        #expect(cluster.endpoint == RedisEndpoint(host: "127.0.0.1", port: 7001))
        let secure = try RedisConfiguration(url: "rediss-cluster://:pw@node-a:7001,node-b")
        #expect(secure.tls != nil && secure.password == "pw" && secure.clusterSeeds.last == RedisEndpoint(host: "node-b", port: 6379))
    }

    @Test(arguments: [
        ("http://localhost", "expected"), ("redis://", "missing host"), ("redis://a:1,b:2", "redis-cluster"),
        ("redis-cluster://a:1/3", "no database"), ("redis://host:99999", "invalid host or port"), ("redis://h/x", "non-negative"),
        ("redis-cluster://a:1,,b:2", "empty host"),
    ])
    func badURLsSayWhy(_ url: String, _ expected: String) {
        do {
            _ = try RedisConfiguration(url: url)
            Issue.record("accepted \(url)")
        } catch {
            #expect(error.code == .invalidURL)
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    @Test func thePasswordIsNeverInTheError() {
        do {
            _ = try RedisConfiguration(url: "redis://:hunter2@h:1,h:2")
            Issue.record("accepted")
        } catch {
            #expect(!error.description.contains("hunter2"))
        }
    }
}
