import Synchronization

/// A dictionary behind a mutex, for small shared maps.
final class LockedDictionary<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let storage = Mutex<[Key: Value]>([:])

    subscript(key: Key) -> Value? {
        get { storage.withLock { $0[key] } }
        set { storage.withLock { $0[key] = newValue } }
    }

    var values: [Value] { storage.withLock { Array($0.values) } }
}
