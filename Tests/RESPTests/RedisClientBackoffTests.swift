import Logging
import RESP
import Testing

@Suite(.timeLimit(.minutes(1)))
struct RedisClientBackoffTests {
    @Test("within the reconnect backoff a call fails at once instead of sleeping in the client")
    func failsFastDuringBackoff() async throws {
        // Nothing listens on port 1; a backoff longer than the test's time limit would fail it if slept.
        let configuration = RedisConfiguration(host: "127.0.0.1", port: 1, reconnectBackoff: (.seconds(120), .seconds(120)))
        let client = RedisClient(configuration: configuration, logger: Logger(label: "test"))
        await #expect(throws: RedisError.self) { try await client.send(["PING"]) }
        do {
            try await client.send(["PING"])
            Issue.record("a call within the backoff succeeded")
        } catch let error as RedisError {
            guard error.code == .connectFailed else {
                Issue.record("expected connectFailed, got \(error)")
                return
            }
            #expect(error.message.contains("1 attempts failed; the next one in"))
        }
    }
}
