import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Outbox
import PizzaShop
import Testing

/// A known path with a method it does not serve answers 405 with `Allow` (RFC 9110 §15.5.6), OPTIONS
/// answers 204 with the same header, and unknown paths stay 404 — on both routers, without a socket.
@Suite struct MethodNotAllowedTests {
    static func producer(admin: Bool) -> Application<RouterResponder<BasicRequestContext>> {
        let outbox = MemoryOutboxStore()
        let repository = MemoryPizzaOrderRepository(outbox: outbox)
        return Application(
            router: ProducerAPI(repository: repository, admin: admin ? AdminAPI(store: outbox, token: "t") : nil).router()
        )
    }

    static let consumer = Application(router: ConsumerAPI(received: ReceivedEvents(capacity: 10)).router())

    /// `method path` answers 405 naming exactly `allow`, as a JSON error.
    static func expect405(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, allow: String) async throws {
        let response = try await client.execute(uri: path, method: method)
        #expect(response.status == .methodNotAllowed, "\(method) \(path)")
        #expect(response.headers[.allow] == allow, "\(method) \(path)")
        #expect(try ProducerAPITests.errorMember(response.body, "code") == "method_not_allowed")
        let options = try await client.execute(uri: path, method: .options)
        #expect(options.status == .noContent && options.headers[.allow] == allow, "OPTIONS \(path)")
    }

    @Test func producerRoutes() async throws {
        try await Self.producer(admin: false).test(.router) { client in
            try await Self.expect405(client, .init("TRACE")!, "/pizza", allow: "POST, OPTIONS")
            try await Self.expect405(client, .delete, "/pizza/\(UUID().uuidString.lowercased())", allow: "GET, PATCH, OPTIONS")
            try await Self.expect405(client, .post, "/healthz", allow: "GET, OPTIONS")
            try await Self.expect405(client, .put, "/readyz", allow: "GET, OPTIONS")
            try await Self.expect405(client, .init("TRACE")!, "/openapi.json", allow: "GET, OPTIONS")
            // Unknown paths, and unknown orders on a known path, stay 404.
            #expect(try await client.execute(uri: "/nowhere", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/nowhere", method: .options).status == .notFound)
            #expect(try await client.execute(uri: "/pizza/\(UUID().uuidString)", method: .get).status == .notFound)
            // Without an admin token the admin routes do not exist, for any method.
            #expect(try await client.execute(uri: "/admin/outbox", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/admin/outbox", method: .delete).status == .notFound)
        }
    }

    @Test func adminRoutes() async throws {
        try await Self.producer(admin: true).test(.router) { client in
            try await Self.expect405(client, .delete, "/admin/outbox", allow: "GET, OPTIONS")
            try await Self.expect405(client, .get, "/admin/outbox/retry-failed", allow: "POST, OPTIONS")
            try await Self.expect405(client, .get, "/admin/outbox/\(UUID().uuidString.lowercased())/retry", allow: "POST, OPTIONS")
        }
    }

    @Test func consumerRoutes() async throws {
        try await Self.consumer.test(.router) { client in
            try await Self.expect405(client, .post, "/events", allow: "GET, OPTIONS")
            try await Self.expect405(client, .init("TRACE")!, "/stats", allow: "GET, OPTIONS")
            try await Self.expect405(client, .delete, "/healthz", allow: "GET, OPTIONS")
            #expect(try await client.execute(uri: "/nowhere", method: .post).status == .notFound)
        }
    }

    /// The served document lists the admin operations exactly when they are served.
    @Test(arguments: [false, true]) func theDocumentDescribesWhatIsServed(admin: Bool) async throws {
        try await Self.producer(admin: admin).test(.router) { client in
            let response = try await client.execute(uri: "/openapi.json", method: .get)
            let document = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            let paths = try #require(document["paths"] as? [String: Any])
            #expect(paths.keys.contains { $0.hasPrefix("/admin") } == admin)
            let schemes = (document["components"] as? [String: Any])?["securitySchemes"]
            #expect((schemes != nil) == admin)
        }
    }
}
