import Logging
import Synchronization
import TestSupport
import Testing

@testable import RESP

/// Against the cluster of `scripts/services start-cluster` (3 masters, 3 replicas).
@Suite(.enabled(if: TestServers.redisClusterEnabled), .serialized, .timeLimit(.minutes(2)))
struct RedisClusterIntegrationTests {
    let configuration: RedisConfiguration
    let logger = Logger(label: "resp-cluster-test")

    init() throws {
        configuration = try RedisConfiguration(url: try TestServers.requireRedisClusterURL())
    }

    @Test func aPipelineIsSplitByNodeAndAnsweredInOrder() async throws {
        let client = RedisClusterClient(configuration: configuration, logger: logger)
        let keys = (0..<300).map { TestServers.uniqueName("cluster_key_\($0)") }
        let masters = try await client.masters()
        #expect(masters.count == 3)
        // The keys land on every master.
        var nodes = Set<RedisEndpoint>()
        for key in keys { nodes.insert(try await client.endpoint(forKey: key)) }
        #expect(nodes.count == 3)
        let set = try await client.pipeline(keys.enumerated().map { RedisCommand(["SET", $1, "v\($0)"], key: $1) })
        #expect(set.allSatisfy { $0 == .simpleString("OK") })
        let got = try await client.pipeline(keys.map { RedisCommand(["GET", $0], key: $0) })
        #expect(got.map(\.string) == (0..<300).map { "v\($0)" })
        _ = try await client.pipeline(keys.map { RedisCommand(["DEL", $0], key: $0) })
        await client.close()
    }

    @Test func aWrongRouteIsCorrectedByMoved() async throws {
        let client = RedisClusterClient(configuration: configuration, logger: logger)
        let key = TestServers.uniqueName("moved")
        let owner = try await client.endpoint(forKey: key)
        let wrong = try await client.masters().first { $0 != owner }!
        await client.route(slot: ClusterSlot.of(key), to: wrong)
        let readsBefore = await client.mapReads
        try await client.send(["SET", key, "x"], key: key)
        #expect(try await client.send(["GET", key], key: key).string == "x")
        // MOVED fixed the slot and re-read the map.
        #expect(try await client.endpoint(forKey: key) == owner)
        #expect(await client.mapReads > readsBefore)
        try await client.send(["DEL", key], key: key)
        await client.close()
    }

    @Test func closingRepliesComeFromEachNode() async throws {
        let client = RedisClusterClient(configuration: configuration, logger: logger)
        let keys = (0..<30).map { TestServers.uniqueName("wait_\($0)") }
        // Each master has one replica: WAIT 1 confirms every node's share.
        let replies = try await client.pipeline(keys.map { RedisCommand(["SET", $0, "1"], key: $0) }, closingEachNodeWith: ["WAIT", "1", "2000"])
        #expect(replies.allSatisfy { $0.reply == .simpleString("OK") && $0.closing == .integer(1) })
        _ = try await client.pipeline(keys.map { RedisCommand(["DEL", $0], key: $0) })
        await client.close()
    }

    /// A slot moves between masters (CLUSTER SETSLOT … IMPORTING/MIGRATING, MIGRATE, SETSLOT … NODE)
    /// while a client keeps writing to a key in it: every write succeeds (ASK during the move,
    /// MOVED after it) and none is lost.
    @Test func writesContinueWhileTheirSlotMigrates() async throws {
        let client = RedisClusterClient(configuration: configuration, logger: logger)
        let key = TestServers.uniqueName("migrating")
        let source = try await client.endpoint(forKey: key)
        let target = try await client.masters().first { $0 != source }!
        let writes = Tally()
        let stop = Tally()
        let slot = ClusterSlot.of(key)
        try await client.send(["SET", key, "0"], key: key)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while stop.count == 0 {
                    try await client.send(["INCR", key], key: key)
                    writes.add()
                }
            }
            try await Task.sleep(for: .milliseconds(200))
            try await migrate(slot: slot, from: source, to: target)
            try await Task.sleep(for: .milliseconds(200))
            stop.add()
            try await group.waitForAll()
            #expect(try await client.endpoint(forKey: key) == target)
            #expect(try await client.send(["GET", key], key: key).integer == Int64(writes.count))
            #expect(writes.count > 10)
            // Put the slot back, so other tests see the cluster as it was made.
            try await migrate(slot: slot, from: target, to: source)
        }
        try await client.send(["DEL", key], key: key)
        await client.close()
    }

    private func migrate(slot: Int, from source: RedisEndpoint, to target: RedisEndpoint) async throws {
        let from = try await RedisConnection.connect(configuration: configuration.node(source), logger: logger)
        let to = try await RedisConnection.connect(configuration: configuration.node(target), logger: logger)
        let sourceID = try #require(try await from.send(["CLUSTER", "MYID"]).string)
        let targetID = try #require(try await to.send(["CLUSTER", "MYID"]).string)
        try await to.send(["CLUSTER", "SETSLOT", String(slot), "IMPORTING", sourceID])
        try await from.send(["CLUSTER", "SETSLOT", String(slot), "MIGRATING", targetID])
        while true {
            let keys = try await from.send(["CLUSTER", "GETKEYSINSLOT", String(slot), "100"]).array?.compactMap(\.string) ?? []
            if keys.isEmpty { break }
            try await from.send(["MIGRATE", target.host, String(target.port), "", "0", "5000", "KEYS"] + keys)
            // Let the writer meet the half-moved slot (ASK) for a while.
            try await Task.sleep(for: .milliseconds(100))
        }
        try await to.send(["CLUSTER", "SETSLOT", String(slot), "NODE", targetID])
        try await from.send(["CLUSTER", "SETSLOT", String(slot), "NODE", targetID])
        await from.close()
        await to.close()
    }
}

/// A count shared with a writer task.
final class Tally: Sendable {
    private let value = Mutex(0)
    var count: Int { value.withLock { $0 } }
    func add() { value.withLock { $0 += 1 } }
}

/// Against the TLS-only server of `scripts/services start-redis-tls` (certificate from a test CA).
@Suite(.enabled(if: TestServers.redisTLSEnabled), .timeLimit(.minutes(1)))
struct RedisTLSTests {
    let logger = Logger(label: "resp-tls-test")

    @Test func verifiesTheServerAgainstTheCA() async throws {
        let server = try TestServers.requireRedisTLS()
        var configuration = try RedisConfiguration(url: server.url)
        configuration.tls = RedisTLS(caFile: server.caFile)
        let client = RedisClient(configuration: configuration, logger: logger)
        #expect(try await client.send(["PING"]) == .simpleString("PONG"))
        await client.close()
    }

    @Test func refusesACertificateFromAnotherCA() async throws {
        let server = try TestServers.requireRedisTLS()
        var configuration = try RedisConfiguration(url: server.url)
        configuration.tls = RedisTLS(caFile: server.otherCAFile)
        do {
            _ = try await RedisConnection.connect(configuration: configuration, logger: logger)
            Issue.record("connected to a server whose certificate no trusted CA signed")
        } catch let error as RedisError {
            #expect(error.code == .connectFailed)
            #expect(error.message.contains("TLS"), "\(error.message)")
        }
    }

    @Test func refusesTheSystemRootsForATestCertificate() async throws {
        let server = try TestServers.requireRedisTLS()
        let configuration = try RedisConfiguration(url: server.url)
        await #expect(throws: RedisError.self) { try await RedisConnection.connect(configuration: configuration, logger: logger) }
    }

    @Test func insecureSkipsVerification() async throws {
        let server = try TestServers.requireRedisTLS()
        var configuration = try RedisConfiguration(url: server.url)
        configuration.tls = RedisTLS(caFile: server.otherCAFile, insecure: true)
        let connection = try await RedisConnection.connect(configuration: configuration, logger: logger)
        #expect(try await connection.send(["PING"]) == .simpleString("PONG"))
        await connection.close()
    }

    @Test func aPlainClientIsNotServed() async throws {
        let server = try TestServers.requireRedisTLS()
        var configuration = try RedisConfiguration(url: server.url.replacingOccurrences(of: "rediss://", with: "redis://"))
        configuration.commandTimeout = .seconds(2)
        let client = RedisClient(configuration: configuration, logger: logger)
        await #expect(throws: RedisError.self) { try await client.send(["PING"]) }
        await client.close()
    }
}
