import Foundation
import Synchronization

/// An in-process fan-out broker: every subscriber of a topic receives each message published while
/// it is subscribed, in publish order. Like Redis Pub/Sub it keeps nothing for absent subscribers.
public final class MemoryBroker: MessagePublisher, MessageSubscriber {
    private struct State {
        var subscribers: [UInt64: (topic: String, continuation: AsyncStream<IncomingMessage>.Continuation)] = [:]
        var nextID: UInt64 = 0
        var counter: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    public var capabilities: BrokerCapabilities { [] }

    public func publish(_ messages: [OutgoingMessage], topic: String) async throws {
        state.withLock { state in
            for message in messages {
                state.counter += 1
                let incoming = IncomingMessage(brokerID: "\(state.counter)", body: message.body)
                for subscriber in state.subscribers.values where subscriber.topic == topic {
                    subscriber.continuation.yield(incoming)
                }
            }
        }
    }

    public func subscribe(
        topic: String,
        handler: @escaping @Sendable (IncomingMessage) async throws -> Void
    ) async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: IncomingMessage.self)
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            state.subscribers[state.nextID] = (topic, continuation)
            return state.nextID
        }
        defer { _ = state.withLock { $0.subscribers.removeValue(forKey: id) } }
        await withTaskCancellationHandler {
            for await message in stream {
                // No acknowledgements here: a failing handler loses the message, as with Pub/Sub.
                try? await handler(message)
            }
        } onCancel: {
            continuation.finish()
        }
    }

    /// How many subscriptions are active on `topic` (tests wait for this before publishing).
    public func subscriberCount(topic: String) -> Int {
        state.withLock { $0.subscribers.values.count { $0.topic == topic } }
    }
}
