import Foundation
import NIOSSL
import Outbox
import PostgresNIO

/// A parsed PostgreSQL URL, read as libpq reads it:
/// `postgres://user[:password]@host[:port][,host[:port]…]/database[?parameters]`.
///
/// Several hosts name the servers of one replicated cluster (a primary and its standbys); a
/// connection goes to the first, in order, that `target_session_attrs` accepts. Parameters:
/// `sslmode` (`disable`, `prefer`, `require`, `verify-ca`, `verify-full`; default `prefer`),
/// `sslrootcert`, `sslcert`, `sslkey` (PEM files), `target_session_attrs` (`any`, `read-write`;
/// default `any` for one host, `read-write` for several), `connect_timeout` (seconds, default 5),
/// `application_name`, and `schema` (the project's own: every connection's `search_path`).
/// Any other parameter is an error, as it is for libpq.
public struct PostgresURL: Sendable {
    /// One `host:port` of the URL.
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        /// A host name or address.
        public var host: String
        /// The port, 5432 unless given.
        public var port: Int

        /// An endpoint from its parts.
        public init(host: String, port: Int = 5432) {
            self.host = host
            self.port = port
        }

        /// `host:port`.
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// Which servers a connection may stay on (libpq's `target_session_attrs`).
    public enum TargetSessionAttributes: String, Sendable {
        /// Any server that accepts the connection.
        case any
        /// Only a server that accepts writes: a primary, not a hot standby.
        case readWrite = "read-write"
    }

    /// Whether and how the connection is encrypted and the server's certificate checked (libpq's `sslmode`).
    public enum SSLMode: String, Sendable, CaseIterable {
        /// Never encrypted.
        case disable
        /// Encrypted if the server offers it; the certificate is not checked.
        case prefer
        /// Always encrypted; the certificate is not checked (unless `sslrootcert` is given: then as `verify-ca`).
        case require
        /// Always encrypted; the certificate must be signed by a trusted authority.
        case verifyCA = "verify-ca"
        /// As `verify-ca`, and the certificate must name the host connected to.
        case verifyFull = "verify-full"
    }

    /// The servers, in the order they are tried.
    public var endpoints: [Endpoint]
    /// The first server's host name or address.
    public var host: String { endpoints[0].host }
    /// The first server's port.
    public var port: Int { endpoints[0].port }
    /// The user to connect as.
    public var username: String
    /// The password, if the URL has one (never logged).
    public var password: String?
    /// The database name; the user's name when absent.
    public var database: String?
    /// How the connection is encrypted, from `?sslmode=` (default `prefer`, as libpq's).
    public var sslMode: SSLMode
    /// PEM file of the authorities trusted to sign the server's certificate (`sslrootcert`).
    public var sslRootCertificate: String?
    /// PEM file of the client's certificate (`sslcert`), presented when the server asks for one.
    public var sslCertificate: String?
    /// PEM file of the client certificate's private key (`sslkey`).
    public var sslKey: String?
    /// Which servers a connection may stay on.
    public var targetSessionAttributes: TargetSessionAttributes
    /// Longest a connection attempt to one host may take.
    public var connectTimeout: Duration
    /// Name reported to the server (`application_name`), if any.
    public var applicationName: String?
    /// Schema every connection uses (its `search_path`), if not the default.
    public var schema: SQLIdentifier?

    private static let parameters: Set<String> = [
        "sslmode", "sslrootcert", "sslcert", "sslkey", "target_session_attrs", "connect_timeout", "application_name", "schema",
    ]

    /// Parses a URL; a bad part throws `.invalidURL` with a message naming it.
    public init(_ url: String) throws(OutboxError) {
        func bad(_ message: String) -> OutboxError { OutboxError(code: .invalidURL, message: message) }
        guard let schemeEnd = url.range(of: "://"), ["postgres", "postgresql"].contains(url[..<schemeEnd.lowerBound].lowercased())
        else {
            throw bad("expected postgres://user[:password]@host[:port][,host[:port]…]/database")
        }
        var rest = Substring(url[schemeEnd.upperBound...])
        // -- query, then path, then user info: the host list may hold commas and colons
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        guard let at = rest.lastIndex(of: "@") else { throw bad("database URL has no user (postgres://user@host/database)") }
        let userInfo = rest[..<at]
        let hostList = rest[rest.index(after: at)...]
        let userPart = userInfo.firstIndex(of: ":").map { userInfo[..<$0] } ?? userInfo
        guard let user = String(userPart).removingPercentEncoding, !user.isEmpty else { throw bad("database URL has no user") }
        self.username = user
        if let colon = userInfo.firstIndex(of: ":") {
            let raw = String(userInfo[userInfo.index(after: colon)...])
            guard let password = raw.removingPercentEncoding else { throw bad("the password is not percent-encoded correctly") }
            self.password = password
        } else {
            self.password = nil
        }
        guard !hostList.isEmpty else { throw bad("database URL has no host") }
        self.endpoints = try hostList.split(separator: ",", omittingEmptySubsequences: false).map { item throws(OutboxError) in
            try Self.endpoint(item)
        }
        let database = String(path).removingPercentEncoding ?? String(path)
        guard !database.contains("/") else { throw bad("the database name (the URL's path) must not contain '/'") }
        self.database = database.isEmpty ? nil : database

        var values: [String: String] = [:]
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            guard Self.parameters.contains(name) else {
                throw bad("unknown URL parameter '\(name)' (known: \(Self.parameters.sorted().joined(separator: ", ")))")
            }
            guard parts.count == 2, let value = String(parts[1]).removingPercentEncoding else {
                throw bad("URL parameter '\(name)' needs a value")
            }
            values[name] = value
        }
        if let mode = values["sslmode"] {
            guard let parsed = SSLMode(rawValue: mode) else {
                throw bad("sslmode must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            self.sslMode = parsed
        } else {
            self.sslMode = .prefer
        }
        self.sslRootCertificate = values["sslrootcert"]
        self.sslCertificate = values["sslcert"]
        self.sslKey = values["sslkey"]
        guard (sslCertificate == nil) == (sslKey == nil) else { throw bad("sslcert and sslkey go together") }
        if sslMode == .verifyFull, let literal = endpoints.first(where: { $0.host.isIPAddress }) {
            // The driver sends no server name for an address, so the certificate could not be
            // matched against it: refuse rather than check less than verify-full promises.
            throw bad("sslmode=verify-full needs host names, not addresses (\(literal.host)); use a name in the certificate, or verify-ca")
        }
        if let attributes = values["target_session_attrs"] {
            guard let parsed = TargetSessionAttributes(rawValue: attributes) else {
                throw bad("target_session_attrs must be any or read-write")
            }
            self.targetSessionAttributes = parsed
        } else {
            self.targetSessionAttributes = endpoints.count > 1 ? .readWrite : .any
        }
        if let timeout = values["connect_timeout"] {
            guard let seconds = Int(timeout), seconds > 0 else { throw bad("connect_timeout must be a positive number of seconds") }
            self.connectTimeout = .seconds(seconds)
        } else {
            self.connectTimeout = .seconds(5)
        }
        self.applicationName = values["application_name"]
        if let schema = values["schema"] {
            do {
                self.schema = try SQLIdentifier(schema)
            } catch {
                throw bad("schema: \(error.message)")
            }
        }
    }

    private static func endpoint(_ item: Substring) throws(OutboxError) -> Endpoint {
        func bad(_ message: String) -> OutboxError { OutboxError(code: .invalidURL, message: message) }
        var host = item
        var portText: Substring?
        if item.hasPrefix("[") {
            // -- [v6 address]:port
            guard let close = item.firstIndex(of: "]") else { throw bad("host '\(item)': unclosed '['") }
            host = item[item.index(after: item.startIndex)..<close]
            let after = item[item.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw bad("host '\(item)': expected ':port' after ']'") }
                portText = after.dropFirst()
            }
        } else if let colon = item.firstIndex(of: ":") {
            host = item[..<colon]
            portText = item[item.index(after: colon)...]
        }
        guard !host.isEmpty else { throw bad("an empty host in the host list '\(item)'") }
        var port = 5432
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else { throw bad("host '\(item)': port must be 1–65535") }
            port = value
        }
        return Endpoint(host: String(host), port: port)
    }

    /// The TLS setup `sslMode` asks for, with the files it names; a file that cannot be read throws.
    func tlsConfiguration() throws -> TLSConfiguration? {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case .disable: return nil
        case .prefer: tls.certificateVerification = .none
        case .require: tls.certificateVerification = sslRootCertificate == nil ? .none : .noHostnameVerification
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let sslRootCertificate { tls.trustRoots = .file(sslRootCertificate) }
        if let sslCertificate, let sslKey {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(sslCertificate).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: sslKey, format: .pem))
        }
        return tls
    }

    /// The TLS configuration, and whether the server may decline it (`prefer`); nil for `disable`.
    private func tlsSetup() throws(OutboxError) -> (configuration: TLSConfiguration, preferred: Bool)? {
        do {
            guard let configuration = try tlsConfiguration() else { return nil }
            return (configuration, sslMode == .prefer)
        } catch {
            throw Self.unusableTLSFiles(error)
        }
    }

    private static func unusableTLSFiles(_ error: any Error) -> OutboxError {
        OutboxError(code: .invalidURL, message: "the TLS files of the database URL cannot be used: \(error)", underlying: error)
    }

    /// Configuration for one connection to `endpoint` (one of `endpoints`).
    /// - Parameter settings: server settings sent at startup, such as `PostgresOutboxStore.relaySettings`.
    public func connectionConfiguration(
        for endpoint: Endpoint,
        settings: [(String, String)] = []
    ) throws(OutboxError) -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        if let setup = try tlsSetup() {
            let context: NIOSSLContext
            do {
                context = try NIOSSLContext(configuration: setup.configuration)
            } catch {
                throw Self.unusableTLSFiles(error)
            }
            tls = setup.preferred ? .prefer(context) : .require(context)
        } else {
            tls = .disable
        }
        var configuration = PostgresConnection.Configuration(
            host: endpoint.host,
            port: endpoint.port,
            username: username,
            password: password,
            database: database,
            tls: tls
        )
        configuration.options.connectTimeout = TimeAmount.nanoseconds(Int64(connectTimeout.components.seconds) * 1_000_000_000)
        var startup = settings
        if let schema { startup.append(("search_path", schema.name)) }
        if let applicationName { startup.append(("application_name", applicationName)) }
        configuration.options.additionalStartupParameters = startup
        return configuration
    }

    /// Configuration for a pooled `PostgresClient` on the first host (a client of postgres-nio
    /// knows one server; ``PostgresPool`` follows several).
    /// - Parameter settings: server settings for every connection of the pool (startup parameters).
    public func clientConfiguration(
        maximumConnections: Int = 20,
        settings: [(String, String)] = []
    ) throws(OutboxError) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        if let setup = try tlsSetup() {
            tls = setup.preferred ? .prefer(setup.configuration) : .require(setup.configuration)
        } else {
            tls = .disable
        }
        var configuration = PostgresClient.Configuration(
            host: host,
            port: port,
            username: username,
            password: password,
            database: database,
            tls: tls
        )
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = connectTimeout
        configuration.options.additionalStartupParameters = settings
        if let schema { configuration.options.additionalStartupParameters.append(("search_path", schema.name)) }
        if let applicationName { configuration.options.additionalStartupParameters.append(("application_name", applicationName)) }
        return configuration
    }

    /// The URL without its password, for logs.
    public var redacted: String {
        "postgres://\(username)@\(endpoints.map(\.description).joined(separator: ","))/\(database ?? "")"
    }
}

extension String {
    /// An IPv4 or IPv6 address rather than a name.
    var isIPAddress: Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return withCString { inet_pton(AF_INET, $0, &v4) == 1 || inet_pton(AF_INET6, $0, &v6) == 1 }
    }
}
