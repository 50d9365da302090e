import Outbox
import OutboxTesting
import Testing

struct MemoryInboxHarness: InboxHarness {
    func withInbox(_ body: (MemoryInbox) async throws -> Void) async throws {
        try await body(MemoryInbox())
    }
}

@Suite("MemoryInbox conformance", .timeLimit(.minutes(1)))
struct MemoryInboxTests {
    @Test(arguments: InboxConformance.allCases)
    func conformance(_ check: InboxConformanceCase) async throws {
        try await check.run(MemoryInboxHarness())
    }
}
