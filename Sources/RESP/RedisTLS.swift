import NIOCore
import NIOSSL

/// TLS settings of a Redis connection (`rediss://`): managed Redis services require it.
public struct RedisTLS: Sendable, Equatable {
    /// A PEM file of the certificate authorities to trust; nil trusts the system's roots.
    public var caFile: String?
    /// Skips certificate verification altogether: for self-signed test setups only.
    public var insecure: Bool
    /// The name the certificate must carry, when it differs from the host connected to.
    public var serverName: String?

    /// TLS that verifies the server's certificate chain and name.
    public init(caFile: String? = nil, insecure: Bool = false, serverName: String? = nil) {
        self.caFile = caFile
        self.insecure = insecure
        self.serverName = serverName
    }

    /// The channel handler for a connection to `host`. The certificate's name is checked against
    /// `serverName` or the host; for an IP address the chain is verified but not the name (NIOSSL
    /// takes no IP address as server name).
    func makeHandler(host: String) throws -> NIOSSLClientHandler {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile { configuration.trustRoots = .file(caFile) }
        let name = serverName ?? host
        let isAddress = (try? SocketAddress(ipAddress: name, port: 0)) != nil
        configuration.certificateVerification = insecure ? .none : isAddress ? .noHostnameVerification : .fullVerification
        let context = try NIOSSLContext(configuration: configuration)
        return try NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : name)
    }
}
