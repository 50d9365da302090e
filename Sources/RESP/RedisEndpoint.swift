/// A server's address: host and port.
public struct RedisEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// Host name or address (IPv6 without brackets). Empty in a redirect means "the node that answered".
    public var host: String
    /// TCP port.
    public var port: Int

    /// An endpoint from its parts.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, `[v6]:port` or `v6:port` (the last colon separates the port, as in
    /// `MOVED` replies); nil when there is no valid port.
    public init?(_ text: String) {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (1...65535).contains(port) else { return nil }
            self.init(host: String(text[text.index(after: text.startIndex)..<close]), port: port)
            return
        }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (1...65535).contains(port)
        else { return nil }
        self.init(host: String(text[..<colon]), port: port)
    }

    /// `host:port`, with brackets around an IPv6 address.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
