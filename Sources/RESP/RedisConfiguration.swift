import Foundation

/// Where and how to connect, usually parsed from a URL: `redis://[user][:password]@host[:port][/db]`
/// for one server, `redis-cluster://[user][:password]@host:port,host:port,…` for the seed nodes of
/// a Redis Cluster, and `rediss://` / `rediss-cluster://` for the same over TLS.
public struct RedisConfiguration: Sendable, Equatable {
    /// The server's host name or address.
    public var host: String
    /// The server's port (6379 unless given).
    public var port: Int
    /// The ACL user for `AUTH`, if any.
    public var username: String?
    /// The password for `AUTH`, if any (never logged).
    public var password: String?
    /// The database `SELECT`ed after connecting.
    public var database: Int
    /// Name shown by `CLIENT LIST` (set with `CLIENT SETNAME` on connect).
    public var clientName: String?
    /// Longest wait for a TCP connection.
    public var connectTimeout: Duration
    /// Longest wait for the replies of one command or pipeline.
    public var commandTimeout: Duration
    /// Backoff between failed connection attempts: doubles from `initial` up to `max`.
    public var reconnectBackoff: (initial: Duration, max: Duration)
    /// TLS for every connection, when set (`rediss://`).
    public var tls: RedisTLS?
    /// The seed nodes of a Redis Cluster (`redis-cluster://`); empty for a single server.
    /// `host` and `port` are the first seed.
    public var clusterSeeds: [RedisEndpoint]

    /// Whether this describes a Redis Cluster rather than one server.
    public var isCluster: Bool { !clusterSeeds.isEmpty }

    /// The server as an endpoint.
    public var endpoint: RedisEndpoint { RedisEndpoint(host: host, port: port) }

    /// The same settings for another server: how a cluster client reaches each node.
    public func node(_ endpoint: RedisEndpoint) -> RedisConfiguration {
        var copy = self
        copy.host = endpoint.host
        copy.port = endpoint.port
        return copy
    }

    /// A configuration from its parts.
    public init(
        host: String = "localhost",
        port: Int = 6379,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        connectTimeout: Duration = .seconds(5),
        commandTimeout: Duration = .seconds(10),
        reconnectBackoff: (initial: Duration, max: Duration) = (.milliseconds(100), .seconds(5)),
        tls: RedisTLS? = nil,
        clusterSeeds: [RedisEndpoint] = []
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.reconnectBackoff = reconnectBackoff
        self.tls = tls
        self.clusterSeeds = clusterSeeds
    }

    /// Parses a `redis://`, `rediss://`, `redis-cluster://` or `rediss-cluster://` URL; the password
    /// never appears in the error text.
    public init(url: String) throws(RedisError) {
        let usage = "expected redis[s]://[user][:password]@host[:port][/db] or redis[s]-cluster://[user][:password]@host:port,host:port"
        guard let schemeEnd = url.range(of: "://") else { throw .invalidURL(usage) }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard ["redis", "rediss", "redis-cluster", "rediss-cluster"].contains(scheme) else { throw .invalidURL(usage) }
        var rest = url[schemeEnd.upperBound...]
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let parts = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let user = String(parts[0])
            if !user.isEmpty { username = user.removingPercentEncoding ?? user }
            if parts.count > 1, !parts[1].isEmpty { password = String(parts[1]).removingPercentEncoding ?? String(parts[1]) }
        }
        let hostPart: Substring
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            hostPart = rest[..<slash]
            path = rest[rest.index(after: slash)...]
        } else {
            hostPart = rest
        }
        guard !hostPart.isEmpty else { throw .invalidURL("missing host") }
        let isCluster = scheme.hasSuffix("-cluster")
        var endpoints: [RedisEndpoint] = []
        for item in hostPart.split(separator: ",", omittingEmptySubsequences: false) {
            let text = String(item)
            guard !text.isEmpty else { throw .invalidURL("empty host in '\(hostPart)'") }
            if let endpoint = RedisEndpoint(text), !endpoint.host.isEmpty {
                endpoints.append(endpoint)
            } else if !text.contains(":") || (text.hasPrefix("[") && text.hasSuffix("]")) {
                endpoints.append(RedisEndpoint(host: text.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: 6379))
            } else {
                throw .invalidURL("invalid host or port '\(text)'")
            }
        }
        if !isCluster, endpoints.count > 1 {
            throw .invalidURL("several hosts need redis-cluster:// (or rediss-cluster://)")
        }
        self.init(host: endpoints[0].host, port: endpoints[0].port)
        self.username = username
        self.password = password
        if scheme.hasPrefix("rediss") { tls = RedisTLS() }
        if isCluster {
            clusterSeeds = endpoints
            // Cluster nodes have database 0 only.
            guard path.isEmpty else { throw .invalidURL("a cluster has no database number, got '/\(path)'") }
        }
        let database = path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if !database.isEmpty {
            guard let number = Int(database), number >= 0 else {
                throw .invalidURL("database must be a non-negative integer, got '\(database)'")
            }
            self.database = number
        }
    }

    /// Equal when every part is equal.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.host == rhs.host && lhs.port == rhs.port && lhs.username == rhs.username
            && lhs.password == rhs.password && lhs.database == rhs.database && lhs.clientName == rhs.clientName
            && lhs.connectTimeout == rhs.connectTimeout && lhs.commandTimeout == rhs.commandTimeout
            && lhs.reconnectBackoff.initial == rhs.reconnectBackoff.initial
            && lhs.reconnectBackoff.max == rhs.reconnectBackoff.max && lhs.tls == rhs.tls
            && lhs.clusterSeeds == rhs.clusterSeeds
    }

    /// The commands that prepare a new connection: AUTH, SELECT and CLIENT SETNAME, as configured.
    var handshake: [[String]] {
        var commands: [[String]] = []
        if let password {
            commands.append(username.map { ["AUTH", $0, password] } ?? ["AUTH", password])
        }
        if database != 0 { commands.append(["SELECT", String(database)]) }
        // A TLS connection proves itself (handshake and certificate) before it is handed out.
        if tls != nil, commands.isEmpty { commands.append(["PING"]) }
        if let clientName { commands.append(["CLIENT", "SETNAME", clientName]) }
        return commands
    }
}
