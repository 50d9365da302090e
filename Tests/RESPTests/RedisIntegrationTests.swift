import Logging
import RESP
import Synchronization
import TestSupport
import Testing

@Suite(.enabled(if: TestServers.redisEnabled), .serialized, .timeLimit(.minutes(2)))
struct RedisIntegrationTests {
    let configuration: RedisConfiguration
    let logger = Logger(label: "resp-test")

    init() throws {
        configuration = try RedisConfiguration(url: try TestServers.requireRedisURL())
    }

    @Test func pipelinesTenThousandCommandsInOrder() async throws {
        let client = RedisClient(configuration: configuration, logger: logger)
        let key = TestServers.uniqueName("resp_incr")
        let replies = try await client.pipeline(Array(repeating: ["INCR", key], count: 10_000))
        #expect(replies.map(\.integer) == (1...10_000).map { Int64($0) })
        try await client.send(["DEL", key])
        await client.close()
    }

    @Test func errorRepliesThrowWithTheServersMessage() async throws {
        let client = RedisClient(configuration: configuration, logger: logger)
        let key = TestServers.uniqueName("resp_text")
        try await client.send(["SET", key, "not a number"])
        await #expect(throws: RedisError.server("ERR value is not an integer or out of range")) {
            try await client.send(["INCR", key])
        }
        // The connection stays usable after an error reply; a pipeline returns errors in place.
        let replies = try await client.pipeline([["INCR", key], ["GET", key]])
        #expect(replies[1].string == "not a number")
        if case .error = replies[0] {} else { Issue.record("expected an error reply, got \(replies[0])") }
        try await client.send(["DEL", key])
        await client.close()
    }

    @Test func recoversAfterClientKill() async throws {
        let client = RedisClient(configuration: configuration, logger: logger)
        let id = try #require(try await client.send(["CLIENT", "ID"]).integer)
        let killer = try await RedisConnection.connect(configuration: configuration, logger: logger)
        #expect(try await killer.send(["CLIENT", "KILL", "ID", String(id)]).integer == 1)
        await killer.close()
        // The first command may still meet the dying connection; the client then reconnects.
        var answered = false
        for _ in 0..<3 where !answered {
            answered = (try? await client.send(["PING"]))?.string == "PONG"
        }
        #expect(answered)
        let newID = try #require(try await client.send(["CLIENT", "ID"]).integer)
        #expect(newID != id)
        await client.close()
    }

    @Test(.timeLimit(.minutes(1))) func commandTimeoutClosesTheConnection() async throws {
        var short = configuration
        short.commandTimeout = .milliseconds(200)
        let connection = try await RedisConnection.connect(configuration: short, logger: logger)
        await #expect(throws: RedisError.timeout) {
            try await connection.send(["BLPOP", TestServers.uniqueName("resp_never"), "5"])
        }
        // A late reply would be matched to the wrong command, so the connection must go.
        await connection.waitUntilClosed()
        #expect(!connection.isActive)
    }

    @Test func selectsTheDatabaseFromTheURL() async throws {
        let key = TestServers.uniqueName("resp_db")
        let inDatabase3 = RedisClient(
            configuration: try RedisConfiguration(url: "redis://\(configuration.host):\(configuration.port)/3"),
            logger: logger
        )
        let inDatabase0 = RedisClient(configuration: configuration, logger: logger)
        try await inDatabase3.send(["SET", key, "here"])
        #expect(try await inDatabase3.send(["GET", key]).string == "here")
        #expect(try await inDatabase0.send(["GET", key]).isNull)
        try await inDatabase3.send(["DEL", key])
        await inDatabase3.close()
        await inDatabase0.close()
    }

    @Test func authFailureIsAClearServerError() async throws {
        var withPassword = configuration
        withPassword.password = "wrong"
        await #expect {
            try await RedisConnection.connect(configuration: withPassword, logger: logger)
        } throws: { error in
            guard let error = error as? RedisError, error.code == .server else { return false }
            return error.message.contains("AUTH") || error.message.contains("WRONGPASS")
        }
    }

    @Test func pubSubDeliversAndResubscribesAfterKill() async throws {
        let channel = TestServers.uniqueName("resp_channel")
        let client = RedisClient(configuration: configuration, logger: logger)
        var named = configuration
        named.clientName = channel
        let subscription = RedisSubscription(configuration: named, channels: [channel], logger: logger)
        let (subscribed, subscribedContinuation) = AsyncStream.makeStream(of: Void.self)
        let (received, receivedContinuation) = AsyncStream.makeStream(of: String.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await subscription.run(onSubscribed: { subscribedContinuation.yield() }) { message in
                    receivedContinuation.yield(String(decoding: message.payload, as: UTF8.self))
                }
            }
            var subscriptions = subscribed.makeAsyncIterator()
            var messages = received.makeAsyncIterator()
            await subscriptions.next()
            for n in 0..<3 { try await client.send(["PUBLISH", channel, "m\(n)"]) }
            for n in 0..<3 { #expect(await messages.next() == "m\(n)") }

            // Kill the subscription's connection (only ours: other suites run alongside);
            // it must come back by itself.
            let list = try #require(try await client.send(["CLIENT", "LIST", "TYPE", "pubsub"]).string)
            let line = try #require(list.split(separator: "\n").first { $0.contains(" name=\(channel) ") })
            let id = try #require(line.split(separator: " ").first { $0.hasPrefix("id=") }?.dropFirst(3))
            try await client.send(["CLIENT", "KILL", "ID", String(id)])
            await subscriptions.next()
            try await client.send(["PUBLISH", channel, "after"])
            #expect(await messages.next() == "after")
            group.cancelAll()
        }
        await client.close()
    }
}
