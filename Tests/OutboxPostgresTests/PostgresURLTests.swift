import Outbox
import OutboxPostgres
import Testing

@Suite struct PostgresURLTests {
    @Test func oneHostReadsAsLibpqDoes() throws {
        let url = try PostgresURL("postgres://pizza:s%40cret@db.example/orders")
        #expect(url.endpoints == [.init(host: "db.example", port: 5432)])
        #expect(url.username == "pizza")
        #expect(url.password == "s@cret")
        #expect(url.database == "orders")
        #expect(url.sslMode == .prefer)
        #expect(url.targetSessionAttributes == .any)
        #expect(url.connectTimeout == .seconds(5))
        #expect(url.schema == nil)
    }

    @Test func severalHostsDefaultToReadWrite() throws {
        let url = try PostgresURL("postgresql://pizza@10.0.0.1:5441,10.0.0.2,[::1]:5443/pizza?sslmode=require&connect_timeout=2&schema=shop")
        #expect(url.endpoints == [.init(host: "10.0.0.1", port: 5441), .init(host: "10.0.0.2", port: 5432), .init(host: "::1", port: 5443)])
        #expect(url.targetSessionAttributes == .readWrite)
        #expect(url.sslMode == .require)
        #expect(url.connectTimeout == .seconds(2))
        #expect(url.schema?.name == "shop")
        #expect(url.password == nil)
        #expect(url.redacted == "postgres://pizza@10.0.0.1:5441,10.0.0.2:5432,[::1]:5443/pizza")
    }

    @Test func targetAndTLSFilesAreKept() throws {
        let url = try PostgresURL(
            "postgres://u@a:1,b:2/d?target_session_attrs=any&sslmode=verify-full&sslrootcert=/ca.pem&sslcert=/c.pem&sslkey=/k.pem&application_name=job"
        )
        #expect(url.targetSessionAttributes == .any)
        #expect(url.sslMode == .verifyFull)
        #expect(url.sslRootCertificate == "/ca.pem")
        #expect(url.sslCertificate == "/c.pem")
        #expect(url.sslKey == "/k.pem")
        #expect(url.applicationName == "job")
    }

    @Test(arguments: [
        ("mysql://u@h/d", "postgres://"),
        ("postgres://h/d", "no user"),
        ("postgres://u@/d", "no host"),
        ("postgres://u@h:0/d", "port"),
        ("postgres://u@h:99999/d", "port"),
        ("postgres://u@h:x/d", "port"),
        ("postgres://u@a,,b/d", "empty host"),
        ("postgres://u@[::1/d", "'['"),
        ("postgres://u@h/d?sslmode=always", "sslmode"),
        ("postgres://u@h/d?target_session_attrs=primary", "target_session_attrs"),
        ("postgres://u@h/d?connect_timeout=-1", "connect_timeout"),
        ("postgres://u@h/d?sslcert=/c.pem", "sslkey"),
        ("postgres://u@127.0.0.1/d?sslmode=verify-full", "verify-full"),
        ("postgres://u@h/d?schema=a-b", "schema"),
        ("postgres://u@h/d?pool=3", "unknown URL parameter 'pool'"),
        ("postgres://u@h/d?sslmode", "needs a value"),
    ])
    func badURLsNameTheirPart(url: String, part: String) {
        #expect {
            try PostgresURL(url)
        } throws: { error in
            guard let error = error as? OutboxError else { return false }
            return error.code == .invalidURL && error.message.contains(part)
        }
    }
}
