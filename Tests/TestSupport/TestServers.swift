import Foundation

/// The real servers integration tests use, from the environment that `scripts/services` prints.
/// When `PIZZA_REQUIRE_SERVICES=1` (set by `scripts/test`), a missing server fails the tests instead
/// of skipping them.
public enum TestServers {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// Whether missing servers are failures.
    public static var required: Bool { environment["PIZZA_REQUIRE_SERVICES"] == "1" }

    /// `DATABASE_URL`, if set.
    public static var databaseURL: String? { environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 } }

    /// `REDIS_URL`, if set.
    public static var redisURL: String? { environment["REDIS_URL"].flatMap { $0.isEmpty ? nil : $0 } }

    /// Run PostgreSQL tests: the URL is set, or its absence must fail.
    public static var postgresEnabled: Bool { databaseURL != nil || required }

    /// Run Redis tests: the URL is set, or its absence must fail.
    public static var redisEnabled: Bool { redisURL != nil || required }

    public struct Missing: Error, CustomStringConvertible {
        public var variable: String
        public var description: String { "\(variable) is not set; start the servers with scripts/services start" }
    }

    /// `DATABASE_URL`, or an error naming it.
    public static func requireDatabaseURL() throws -> String {
        guard let databaseURL else { throw Missing(variable: "DATABASE_URL") }
        return databaseURL
    }

    /// `REDIS_URL`, or an error naming it.
    public static func requireRedisURL() throws -> String {
        guard let redisURL else { throw Missing(variable: "REDIS_URL") }
        return redisURL
    }

    /// A short random name for per-test tables, streams and databases.
    public static func uniqueName(_ prefix: String) -> String {
        "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
    }
}
