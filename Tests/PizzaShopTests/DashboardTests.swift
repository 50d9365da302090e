import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Outbox
import OutboxSQLite
import PizzaShopSQLite
import Testing

@testable import PizzaDashboard
@testable import PizzaShop

/// The dashboard's routes on memory drivers: sign-in, session and CSRF, security headers, the
/// read-only mode, what the sampler computes, and the events, event and order routes.
@Suite(.timeLimit(.minutes(1))) struct DashboardTests {
    static let token = "dashboard-test-token"

    /// A shop with one parked order (a customer name that is markup) and one published order, a
    /// memory broker with two groups, and the effects in a SQLite inbox.
    struct Shop {
        let outbox = MemoryOutboxStore()
        let repository: MemoryPizzaOrderRepository
        let broker = MemoryBroker()
        let parked: OutboxEvent
        let published: OutboxEvent
        let storage: SQLiteStorage
        let recorder: SQLiteDeliveryRecorder

        init() async throws {
            repository = MemoryPizzaOrderRepository(outbox: outbox)
            var hostile = try ValidationTests.parse(ValidationTests.valid)
            hostile.userName = "<script>alert(1)</script>"
            _ = try await repository.create(hostile, headers: ["traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"])
            _ = try await repository.create(try ValidationTests.parse(ValidationTests.valid), headers: [:])
            let batch = try await outbox.claim(limit: 10, owner: "r", leaseDuration: .seconds(30))
            try await outbox.complete(
                [.failed(id: batch.events[0].id, error: "card declined", retryAt: nil), .published(id: batch.events[1].id)],
                owner: "r"
            )
            parked = try #require(try await outbox.event(id: batch.events[0].id))
            published = try #require(try await outbox.event(id: batch.events[1].id))
            for group in ["billing", "kitchen"] { broker.createGroup(group, topic: "pizza-orders") }
            storage = try await SQLiteStorage.open(path: ":memory:", logger: Logger(label: "test"))
            try await storage.migrate(SQLiteDeliveryRecorder.migrations)
            recorder = SQLiteDeliveryRecorder(storage: storage)
            let envelope = try Envelope.decode(Envelope.encode(published, source: "test"))
            _ = try await recorder.record(envelope, group: "kitchen", checkOrder: false)
        }

        var sources: DashboardSources {
            DashboardSources(store: outbox, orders: repository, topic: "pizza-orders", monitor: broker, effects: recorder, groups: [])
        }
    }

    func withDashboard(
        _ shop: Shop,
        access: DashboardAccess = .token(DashboardTests.token),
        _ body: @escaping @Sendable (any TestClientProtocol, DashboardSampler) async throws -> Void
    ) async throws {
        let sampler = DashboardSampler(sources: shop.sources, logger: Logger(label: "test"))
        await sampler.sampleOnce()
        let router = Dashboard(sources: shop.sources, sampler: sampler, access: access).router()
        try await Application(router: router).test(.router) { client in try await body(client, sampler) }
        await shop.storage.close()
    }

    /// Signs in; returns the session cookie and the page's CSRF token.
    func signIn(_ client: any TestClientProtocol) async throws -> (cookie: String, csrf: String) {
        let response = try await client.execute(
            uri: "/login",
            method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: "token=\(Self.token)")
        )
        #expect(response.status == .seeOther && response.headers[.location] == "/")
        let setCookie = try #require(response.headers[.setCookie])
        let cookie = String(setCookie.split(separator: ";")[0])
        let page = try await client.execute(uri: "/", method: .get, headers: [.cookie: cookie])
        let html = String(buffer: page.body)
        let csrf = try #require(html.firstMatch(of: /name="csrf-token" content="([0-9a-f]{64})"/)?.1)
        return (cookie, String(csrf))
    }

    @Test func withoutASessionThePageRedirectsAndTheAPIRefuses() async throws {
        try await withDashboard(try await Shop()) { client, _ in
            let page = try await client.execute(uri: "/", method: .get)
            #expect(page.status == .seeOther && page.headers[.location] == "/login")
            let api = try await client.execute(uri: "/api/overview", method: .get)
            #expect(api.status == .unauthorized)
            #expect(String(buffer: api.body).contains(#""code":"unauthorized""#))
            let forged = try await client.execute(uri: "/api/events", method: .get, headers: [.cookie: "pizza_dashboard=forged"])
            #expect(forged.status == .unauthorized)
        }
    }

    @Test func signInSetsAnHttpOnlySameSiteStrictCookieAndAWrongTokenSetsNothing() async throws {
        try await withDashboard(try await Shop()) { client, _ in
            let wrong = try await client.execute(
                uri: "/login",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "token=nope")
            )
            #expect(wrong.status == .unauthorized && wrong.headers[.setCookie] == nil)
            #expect(String(buffer: wrong.body).contains("not the admin token"))
            let right = try await client.execute(
                uri: "/login",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "token=\(Self.token)")
            )
            let cookie = try #require(right.headers[.setCookie])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"))
            let crossSite = try await client.execute(
                uri: "/login",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .origin: "https://evil.example"],
                body: ByteBuffer(string: "token=\(Self.token)")
            )
            #expect(crossSite.status == .forbidden && crossSite.headers[.setCookie] == nil)
        }
    }

    @Test func everyResponseCarriesTheSecurityHeaders() async throws {
        try await withDashboard(try await Shop()) { client, _ in
            let session = try await signIn(client)
            for uri in ["/", "/login", "/api/overview", "/api/events", "/assets/dashboard.js", "/api/events/not-a-uuid"] {
                let response = try await client.execute(uri: uri, method: .get, headers: [.cookie: session.cookie])
                let policy = response.headers[.contentSecurityPolicy] ?? ""
                #expect(
                    policy.contains("default-src 'none'") && policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"),
                    "\(uri)"
                )
                #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(uri)")
                #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY", "\(uri)")
                #expect(response.headers[.cacheControl] == "no-store", "\(uri)")
            }
        }
    }

    @Test func actionsNeedTheCSRFTokenAndTheSameOrigin() async throws {
        let shop = try await Shop()
        let parked = shop.parked.id.uuidString.lowercased()
        try await withDashboard(shop) { client, _ in
            let session = try await signIn(client)
            let without = try await client.execute(uri: "/api/events/\(parked)/retry", method: .post, headers: [.cookie: session.cookie])
            #expect(without.status == .forbidden && String(buffer: without.body).contains(#""field":"X-CSRF-Token""#))
            let crossSite = try await client.execute(
                uri: "/api/events/\(parked)/retry",
                method: .post,
                headers: [.cookie: session.cookie, Dashboard.csrfHeader: session.csrf, .origin: "https://evil.example"]
            )
            #expect(crossSite.status == .forbidden)
            #expect(try await shop.outbox.event(id: shop.parked.id)?.status == .failed, "nothing changed")
            let retried = try await client.execute(
                uri: "/api/events/\(parked)/retry",
                method: .post,
                headers: [.cookie: session.cookie, Dashboard.csrfHeader: session.csrf]
            )
            #expect(retried.status == .ok && String(buffer: retried.body).contains(#""status":"pending""#))
            #expect(try await shop.outbox.event(id: shop.parked.id)?.status == .pending)
            let again = try await client.execute(
                uri: "/api/events/\(parked)/retry",
                method: .post,
                headers: [.cookie: session.cookie, Dashboard.csrfHeader: session.csrf]
            )
            #expect(again.status == .conflict)
        }
    }

    @Test func retryAllRequeuesEveryFailedEvent() async throws {
        let shop = try await Shop()
        try await withDashboard(shop) { client, _ in
            let session = try await signIn(client)
            let response = try await client.execute(
                uri: "/api/events/retry-failed",
                method: .post,
                headers: [.cookie: session.cookie, Dashboard.csrfHeader: session.csrf]
            )
            #expect(response.status == .ok && String(buffer: response.body).contains(#""requeued":1"#))
            #expect(try await shop.outbox.activity(afterSeq: nil, countLimit: 10).failed == 0)
        }
    }

    @Test func aReadOnlyDashboardWithoutSignInOffersNoActions() async throws {
        let shop = try await Shop()
        try await withDashboard(shop, access: .insecureReadOnly) { client, _ in
            let page = try await client.execute(uri: "/", method: .get)
            #expect(page.status == .ok && String(buffer: page.body).contains(#"name="read-only" content="true""#))
            #expect(try await client.execute(uri: "/api/overview", method: .get).status == .ok)
            let retry = try await client.execute(uri: "/api/events/retry-failed", method: .post)
            #expect(retry.status == .forbidden)
            #expect(try await shop.outbox.event(id: shop.parked.id)?.status == .failed)
        }
    }

    @Test func theSamplerComputesRatesCountsGroupsAndLatency() async throws {
        let shop = try await Shop()
        let sampler = DashboardSampler(sources: shop.sources, logger: Logger(label: "test"))
        let first = await sampler.sampleOnce()
        #expect(first.pending == 0 && first.failed == 1 && first.completed == 1 && first.ordersPerSecond == nil)
        #expect(first.groups.map(\.name) == ["billing", "kitchen"] && first.errors.isEmpty)
        _ = try await shop.repository.create(try ValidationTests.parse(ValidationTests.valid), headers: [:])
        let envelope = try Envelope.decode(Envelope.encode(shop.published, source: "test"))
        _ = try await shop.recorder.record(envelope, group: "billing", checkOrder: false)
        let second = await sampler.sampleOnce()
        #expect((second.ordersPerSecond ?? 0) > 0 && second.pending == 1)
        #expect(second.effects == 1 && (second.latencyP50 ?? -1) >= 0 && second.latencyP99 == second.latencyP50)
        #expect(second.groups.first { $0.name == "billing" }?.latencyP50 != nil)
        #expect(sampler.samples.count == 2)
        await shop.storage.close()
    }

    @Test func samplesAreBounded() async throws {
        let shop = try await Shop()
        let sampler = DashboardSampler(sources: shop.sources, capacity: 3, logger: Logger(label: "test"))
        for _ in 0..<5 { await sampler.sampleOnce() }
        #expect(sampler.samples.count == 3)
        await shop.storage.close()
    }

    @Test func eventsPageSearchAndDetail() async throws {
        let shop = try await Shop()
        try await withDashboard(shop) { client, _ in
            let session = try await signIn(client)
            let get = { (uri: String) in try await client.execute(uri: uri, method: .get, headers: [.cookie: session.cookie]) }
            let failed = String(buffer: try await get("/api/events?status=failed").body)
            #expect(failed.contains(shop.parked.id.uuidString.lowercased()) && !failed.contains(shop.published.id.uuidString.lowercased()))
            let bad = try await get("/api/events?status=lost")
            #expect(bad.status == .badRequest && String(buffer: bad.body).contains(#""field":"status""#))
            let badQuery = try await get("/api/events?q=robert')")
            #expect(badQuery.status == .badRequest && String(buffer: badQuery.body).contains(#""field":"q""#))
            let byOrder = String(buffer: try await get("/api/events?q=\(shop.parked.aggregateID)").body)
            #expect(byOrder.contains(shop.parked.id.uuidString.lowercased()))
            let page = String(buffer: try await get("/api/events?limit=1").body)
            #expect(page.contains(#""next_before""#) && !page.contains(#""next_before":null"#))
            let detail = String(buffer: try await get("/api/events/\(shop.published.id.uuidString.lowercased())").body)
            #expect(detail.contains(#""group":"kitchen""#) && detail.contains(#""groups":["billing","kitchen"]"#))
            let traced = String(buffer: try await get("/api/events/\(shop.parked.id.uuidString.lowercased())").body)
            #expect(traced.contains(#""trace_id":"0af7651916cd43dd8448eb211c80319c""#))
            #expect(try await get("/api/events/\(UUID().uuidString)").status == .notFound)
        }
    }

    @Test func anOrdersTimelineHasItsEventsAndEffectsInTimeOrder() async throws {
        let shop = try await Shop()
        try await withDashboard(shop) { client, _ in
            let session = try await signIn(client)
            let response = try await client.execute(
                uri: "/api/orders/\(shop.published.aggregateID)",
                method: .get,
                headers: [.cookie: session.cookie]
            )
            let body = String(buffer: response.body)
            let kinds = body.matches(of: /"kind":"([a-z]+)"/).map { String($0.1) }
            #expect(kinds == ["created", "event", "published", "effect"])
            #expect(body.contains("took effect in kitchen"))
            #expect(
                try await client.execute(uri: "/api/orders/\(UUID().uuidString)", method: .get, headers: [.cookie: session.cookie]).status
                    == .notFound
            )
        }
    }

    @Test func thePagesEscapeWhatTheyShow() {
        #expect(DashboardPage.escape(#"<script>alert("x")</script> & 'y'"#) == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;")
        #expect(!DashboardPage.signIn(error: "<img src=x onerror=alert(1)>").contains("<img"))
        #expect(!DashboardPage.page(csrfToken: "\"><script>", readOnly: false, signedIn: true).contains("\"><script>"))
        // The script renders data as text only.
        #expect(!DashboardScript.source.contains("innerHTML") && !DashboardScript.source.contains("insertAdjacentHTML"))
    }
}
