import Foundation
import Outbox
import PostgresNIO

/// A parsed `postgres://user:password@host:port/database?sslmode=disable|prefer|require&schema=name`
/// URL; `schema` becomes the connection's `search_path`.
public struct PostgresURL: Sendable {
    /// The server's host name or address.
    public var host: String
    /// The server's port (5432 unless given).
    public var port: Int
    /// The user to connect as.
    public var username: String
    /// The password, if the URL has one (never logged).
    public var password: String?
    /// The database name; the user's name when absent.
    public var database: String?
    /// `disable`, `prefer` or `require`, from `?sslmode=`.
    public var sslMode: String
    /// Schema every connection uses (its `search_path`), if not the default.
    public var schema: SQLIdentifier?

    /// Parses `postgres://user[:password]@host[:port]/database[?sslmode=…&schema=…]`; a bad part throws `.invalidURL` naming it.
    public init(_ url: String) throws(OutboxError) {
        guard let components = URLComponents(string: url),
            components.scheme == "postgres" || components.scheme == "postgresql"
        else {
            throw OutboxError(code: .invalidURL, message: "expected postgres://user[:password]@host[:port]/database")
        }
        guard let host = components.host, !host.isEmpty else {
            throw OutboxError(code: .invalidURL, message: "database URL has no host")
        }
        guard let user = components.user, !user.isEmpty else {
            throw OutboxError(code: .invalidURL, message: "database URL has no user")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = components.percentEncodedPassword.map { $0.removingPercentEncoding ?? $0 }
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        self.database = path.isEmpty ? nil : path
        self.sslMode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "disable"
        guard ["disable", "prefer", "require"].contains(sslMode) else {
            throw OutboxError(code: .invalidURL, message: "sslmode must be disable, prefer or require")
        }
        if let schema = components.queryItems?.first(where: { $0.name == "schema" })?.value {
            do {
                self.schema = try SQLIdentifier(schema)
            } catch {
                throw OutboxError(code: .invalidURL, message: "schema: \(error.message)")
            }
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
    /// - Parameter settings: server settings for every connection of the pool (startup parameters),
    ///   such as `PostgresOutboxStore.relaySettings`.
    public func clientConfiguration(maximumConnections: Int = 20, settings: [(String, String)] = []) -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host,
            port: port,
            username: username,
            password: password,
            database: database,
            tls: tls
        )
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = settings
        if let schema { configuration.options.additionalStartupParameters.append(("search_path", schema.name)) }
        return configuration
    }

    /// Configuration for a single dedicated connection (LISTEN).
    public func connectionConfiguration() -> PostgresConnection.Configuration {
        let connectionTLS: PostgresConnection.Configuration.TLS =
            switch sslMode {
            case "require": .require(try! .init(configuration: .makeClientConfiguration()))
            case "prefer": .prefer(try! .init(configuration: .makeClientConfiguration()))
            default: .disable
            }
        var configuration = PostgresConnection.Configuration(
            host: host,
            port: port,
            username: username,
            password: password,
            database: database,
            tls: connectionTLS
        )
        if let schema { configuration.options.additionalStartupParameters = [("search_path", schema.name)] }
        return configuration
    }
}
