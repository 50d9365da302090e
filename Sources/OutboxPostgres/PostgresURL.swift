import Foundation
import PostgresNIO

/// A parsed `postgres://user:password@host:port/database?sslmode=disable|prefer|require` URL.
public struct PostgresURL: Sendable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String?
    public var sslMode: String

    public init(_ url: String) throws(OutboxPostgresError) {
        guard let components = URLComponents(string: url),
              components.scheme == "postgres" || components.scheme == "postgresql"
        else {
            throw OutboxPostgresError(code: .invalidURL, message: "expected postgres://user[:password]@host[:port]/database")
        }
        guard let host = components.host, !host.isEmpty else {
            throw OutboxPostgresError(code: .invalidURL, message: "database URL has no host")
        }
        guard let user = components.user, !user.isEmpty else {
            throw OutboxPostgresError(code: .invalidURL, message: "database URL has no user")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = components.percentEncodedPassword.map { $0.removingPercentEncoding ?? $0 }
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        self.database = path.isEmpty ? nil : path
        self.sslMode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "disable"
        guard ["disable", "prefer", "require"].contains(sslMode) else {
            throw OutboxPostgresError(code: .invalidURL, message: "sslmode must be disable, prefer or require")
        }
    }

    private var tls: PostgresClient.Configuration.TLS {
        switch sslMode {
        case "require": .require(.makeClientConfiguration())
        case "prefer": .prefer(.makeClientConfiguration())
        default: .disable
        }
    }

    /// Configuration for a pooled client.
    public func clientConfiguration(maximumConnections: Int = 20) -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls
        )
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    /// Configuration for a single dedicated connection (LISTEN).
    public func connectionConfiguration() -> PostgresConnection.Configuration {
        let connectionTLS: PostgresConnection.Configuration.TLS = switch sslMode {
        case "require": .require(try! .init(configuration: .makeClientConfiguration()))
        case "prefer": .prefer(try! .init(configuration: .makeClientConfiguration()))
        default: .disable
        }
        return PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: connectionTLS
        )
    }
}
