import Outbox
import OutboxTesting
import Testing

struct MemoryStoreHarness: OutboxStoreHarness {
    func withStore(_ body: (MemoryOutboxStore) async throws -> Void) async throws {
        try await body(MemoryOutboxStore())
    }

    func enqueue(_ events: [NewOutboxEvent], into store: MemoryOutboxStore) async throws {
        store.enqueue(events)
    }
}

@Suite("MemoryOutboxStore conformance", .timeLimit(.minutes(2)))
struct MemoryStoreConformanceTests {
    @Test(arguments: OutboxStoreConformance.allCases)
    func conformance(_ check: OutboxStoreConformanceCase) async throws {
        try await check.run(MemoryStoreHarness())
    }
}
