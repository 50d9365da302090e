import Foundation
import Outbox

/// The job's simulated payment and delivery: each takes half the configured latency and the pair
/// fails with the configured probability.
public struct OrderProcessing: Sendable {
    public struct SimulatedFailure: Error, CustomStringConvertible {
        public var step: String
        public var description: String { "simulated \(step) failure" }
    }

    public var latency: Duration
    public var failureRate: Double

    public init(latency: Duration = .zero, failureRate: Double = 0) {
        precondition((0...1).contains(failureRate), "failureRate must be within 0...1")
        self.latency = latency
        self.failureRate = failureRate
    }

    /// The step for `Relay`.
    public var step: ProcessingStep {
        let latency = latency
        let failureRate = failureRate
        return { _ in
            // Split the failure chance evenly so that the two steps together fail at `failureRate`.
            let perStep = 1 - (1 - failureRate).squareRoot()
            for step in ["payment", "delivery"] {
                if latency > .zero { try await Task.sleep(for: latency / 2) }
                if perStep > 0, Double.random(in: 0..<1) < perStep { throw SimulatedFailure(step: step) }
            }
        }
    }
}
