import Foundation

/// Where and how to connect, usually parsed from `redis://[user][:password]@host[:port][/db]`.
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

    /// A configuration from its parts.
    public init(
        host: String = "localhost",
        port: Int = 6379,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        connectTimeout: Duration = .seconds(5),
        commandTimeout: Duration = .seconds(10),
        reconnectBackoff: (initial: Duration, max: Duration) = (.milliseconds(100), .seconds(5))
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.reconnectBackoff = reconnectBackoff
    }

    /// Parses a `redis://` URL; the password never appears in the error text.
    public init(url: String) throws(RedisError) {
        guard let components = URLComponents(string: url), components.scheme == "redis" else {
            throw .invalidURL("expected redis://[user][:password]@host[:port][/db]")
        }
        guard let host = components.host, !host.isEmpty else { throw .invalidURL("missing host") }
        self.init(host: host, port: components.port ?? 6379)
        if let user = components.percentEncodedUser, !user.isEmpty {
            self.username = user.removingPercentEncoding ?? user
        }
        if let password = components.percentEncodedPassword, !password.isEmpty {
            self.password = password.removingPercentEncoding ?? password
        }
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if !path.isEmpty {
            guard let database = Int(path), database >= 0 else {
                throw .invalidURL("database must be a non-negative integer, got '\(path)'")
            }
            self.database = database
        }
    }

    /// Equal when every part is equal.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.host == rhs.host && lhs.port == rhs.port && lhs.username == rhs.username
            && lhs.password == rhs.password && lhs.database == rhs.database && lhs.clientName == rhs.clientName
            && lhs.connectTimeout == rhs.connectTimeout && lhs.commandTimeout == rhs.commandTimeout
            && lhs.reconnectBackoff.initial == rhs.reconnectBackoff.initial
            && lhs.reconnectBackoff.max == rhs.reconnectBackoff.max
    }

    /// The commands that prepare a new connection: AUTH, SELECT and CLIENT SETNAME, as configured.
    var handshake: [[String]] {
        var commands: [[String]] = []
        if let password {
            commands.append(username.map { ["AUTH", $0, password] } ?? ["AUTH", password])
        }
        if database != 0 { commands.append(["SELECT", String(database)]) }
        if let clientName { commands.append(["CLIENT", "SETNAME", clientName]) }
        return commands
    }
}
