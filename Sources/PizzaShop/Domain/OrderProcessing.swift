import Foundation
import Outbox

/// The job's simulated payment and delivery: each takes half the configured latency and the pair
/// fails with the configured probability. Orders of `declinedUser` always fail payment: a poison
/// event on demand, for drills and tests. Failures are `PizzaShopError`s with `.processingFailed`.
public struct OrderProcessing: Sendable {
    public var latency: Duration
    public var failureRate: Double
    public var declinedUser: String?

    public init(latency: Duration = .zero, failureRate: Double = 0, declinedUser: String? = nil) {
        precondition((0...1).contains(failureRate), "failureRate must be within 0...1")
        self.latency = latency
        self.failureRate = failureRate
        self.declinedUser = declinedUser
    }

    private struct Payer: Decodable {
        var userName: String?
        enum CodingKeys: String, CodingKey { case userName = "user_name" }
    }

    /// The step for `Relay`.
    public var step: ProcessingStep {
        let latency = latency
        let failureRate = failureRate
        let declinedUser = declinedUser
        return { event in
            if let declinedUser, event.eventType == PizzaOrder.createdEventType,
                (try? JSONDecoder().decode(Payer.self, from: Data(event.payload.utf8)))?.userName == declinedUser
            {
                throw PizzaShopError(.processingFailed, "simulated payment declined for \(declinedUser)")
            }
            // Split the failure chance evenly so that the two steps together fail at `failureRate`.
            let perStep = 1 - (1 - failureRate).squareRoot()
            for step in ["payment", "delivery"] {
                if latency > .zero { try await Task.sleep(for: latency / 2) }
                if perStep > 0, Double.random(in: 0..<1) < perStep { throw PizzaShopError(.processingFailed, "simulated \(step) failure") }
            }
        }
    }
}
