import Foundation
import Logging
import PizzaShop
import Synchronization
import Testing

@Suite struct JSONLogHandlerTests {
    final class Lines: Sendable {
        private let lines = Mutex<[String]>([])
        func add(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    struct Boom: Error, CustomStringConvertible { var description: String { "boom \"quoted\"" } }

    @Test func oneJSONObjectPerLineWithEverything() throws {
        let lines = Lines()
        var logger = Logger(label: "pizza.job") { label in JSONLogHandler(label: label, sink: lines.add) }
        logger[metadataKey: "consumer.group"] = "kitchen"
        logger.info("event received", metadata: ["order.id": "o-1", "tags": ["a", "b"], "nested": ["k": "v\nw"]])
        logger.error("failed", error: Boom())
        logger.debug("below the level")
        #expect(lines.all.count == 2)
        #expect(lines.all.allSatisfy { $0.hasSuffix("}\n") && $0.filter { $0 == "\n" }.count == 1 })
        let first = try #require(JSONSerialization.jsonObject(with: Data(lines.all[0].utf8)) as? [String: Any])
        #expect(first["level"] as? String == "info")
        #expect(first["message"] as? String == "event received")
        #expect(first["label"] as? String == "pizza.job")
        #expect((first["timestamp"] as? String)?.hasSuffix("Z") == true)
        let metadata = try #require(first["metadata"] as? [String: Any])
        #expect(metadata["order.id"] as? String == "o-1")
        #expect(metadata["consumer.group"] as? String == "kitchen")
        #expect(metadata["tags"] as? [String] == ["a", "b"])
        #expect((metadata["nested"] as? [String: String])?["k"] == "v\nw")
        let second = try #require(JSONSerialization.jsonObject(with: Data(lines.all[1].utf8)) as? [String: Any])
        #expect(second["error"] as? String == "boom \"quoted\"")
    }
}
