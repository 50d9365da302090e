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
        public var description: String {
            "\(variable) is not set; start the servers with scripts/services start (HA: start-ha, Redis Cluster: start-cluster, Redis TLS: start-redis-tls)"
        }
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

    /// `HA_DATABASE_URL`: the multi-host URL of `scripts/services start-ha` (pg_auto_failover).
    public static var haDatabaseURL: String? { environment["HA_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 } }

    /// Run the HA and TLS tests: the HA setup is running, or its absence must fail.
    public static var haEnabled: Bool { haDatabaseURL != nil || required }

    /// The HA URL with the CA files that signed its nodes' certificates (and one that did not).
    public static func requireHA() throws -> (url: String, caFile: String, otherCAFile: String) {
        guard let url = haDatabaseURL, let ca = environment["HA_CA_FILE"], let other = environment["HA_OTHER_CA_FILE"] else {
            throw Missing(variable: "HA_DATABASE_URL")
        }
        return (url, ca, other)
    }

    /// `REDIS_CLUSTER_URL`: the seeds of `scripts/services start-cluster`.
    public static var redisClusterURL: String? { environment["REDIS_CLUSTER_URL"].flatMap { $0.isEmpty ? nil : $0 } }

    /// Run the Redis Cluster tests: the cluster is running, or its absence must fail.
    public static var redisClusterEnabled: Bool { redisClusterURL != nil || required }

    /// `REDIS_CLUSTER_URL`, or an error naming it.
    public static func requireRedisClusterURL() throws -> String {
        guard let redisClusterURL else { throw Missing(variable: "REDIS_CLUSTER_URL") }
        return redisClusterURL
    }

    /// `REDIS_TLS_URL` of `scripts/services start-redis-tls`, with the CA that signed its certificate and one that did not.
    public static var redisTLS: (url: String, caFile: String, otherCAFile: String)? {
        guard let url = environment["REDIS_TLS_URL"], let ca = environment["REDIS_TLS_CA_FILE"],
            let other = environment["REDIS_TLS_OTHER_CA_FILE"]
        else { return nil }
        return (url, ca, other)
    }

    /// Run the Redis TLS tests: the TLS server is running, or its absence must fail.
    public static var redisTLSEnabled: Bool { redisTLS != nil || required }

    /// The TLS server, or an error naming its variable.
    public static func requireRedisTLS() throws -> (url: String, caFile: String, otherCAFile: String) {
        guard let redisTLS else { throw Missing(variable: "REDIS_TLS_URL") }
        return redisTLS
    }

    /// A short random name for per-test tables, streams and databases.
    public static func uniqueName(_ prefix: String) -> String {
        "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
    }
}
