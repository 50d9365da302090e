import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Outbox
import RESP
import Testing

@testable import TodoOutbox

/// Against the PostgreSQL and Redis that the main package's `scripts/services` starts.
@Suite(.timeLimit(.minutes(1))) struct TodoOutboxTests {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// A new item is stored, and its event reaches the Redis stream as a CloudEvents envelope.
    @Test(.enabled(if: environment["DATABASE_URL"] != nil || environment["PIZZA_REQUIRE_SERVICES"] == "1"))
    func aNewTodoIsStoredAndAnnounced() async throws {
        let databaseURL = try #require(Self.environment["DATABASE_URL"], "DATABASE_URL is not set; start scripts/services")
        let redisURL = try #require(Self.environment["REDIS_URL"], "REDIS_URL is not set; start scripts/services")
        let stream = "todo-events-\(UUID().uuidString.prefix(8))"
        let configuration = TodoConfiguration(databaseURL: databaseURL, redisURL: redisURL, port: 0, stream: stream)
        let redis = RedisClient(configuration: try RedisConfiguration(url: redisURL), logger: Logger(label: "test"))
        let app = try buildApplication(configuration, logger: Logger(label: "test"))
        try await app.test(.router) { client in
            let created = try await client.execute(
                uri: "/todos",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"title":"water the plants"}"#)
            )
            #expect(created.status == .created)
            let todo = try JSONDecoder().decode(Todo.self, from: Data(buffer: created.body))
            let found = try await client.execute(uri: "/todos/\(todo.id.uuidString.lowercased())", method: .get)
            #expect(found.status == .ok)
            // Block on the stream until the relay's XADD lands (no polling loop, no sleep).
            let reply = try await redis.send(["XREAD", "BLOCK", "8000", "STREAMS", stream, "0"])
            let envelope = try Envelope.decode(try #require(Self.firstBody(reply)))
            #expect(envelope.type == "TodoCreated" && envelope.subject == todo.id.uuidString.lowercased())
            #expect(envelope.data["title"]?.stringValue == "water the plants")
            let empty = try await client.execute(
                uri: "/todos",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"title":""}"#)
            )
            #expect(empty.status == .unprocessableContent)
        }
        _ = try await redis.send(["DEL", stream])
        await redis.close()
    }

    /// The `body` field of the first entry of an `XREAD` reply.
    static func firstBody(_ reply: RESPValue) -> String? {
        guard case .array(let streams?) = reply, case .array(let pair?) = streams.first, pair.count == 2,
            case .array(let entries?) = pair[1], case .array(let entry?) = entries.first, entry.count == 2,
            case .array(let fields?) = entry[1]
        else { return nil }
        var iterator = fields.makeIterator()
        while let name = iterator.next(), let value = iterator.next() {
            if name.string == "body" { return value.string }
        }
        return nil
    }
}
