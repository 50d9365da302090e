import Synchronization

/// A dictionary behind a mutex, for small shared maps.
final class LockedDictionary<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let storage = Mutex<[Key: Value]>([:])

    subscript(key: Key) -> Value? {
        get { storage.withLock { $0[key] } }
        set { storage.withLock { $0[key] = newValue } }
    }

    var values: [Value] { storage.withLock { Array($0.values) } }

    /// Removes the entries `shouldRemove` picks; returns how many.
    @discardableResult
    func removeAll(where shouldRemove: (Value) -> Bool) -> Int {
        storage.withLock { storage in
            let before = storage.count
            storage = storage.filter { !shouldRemove($0.value) }
            return before - storage.count
        }
    }

    /// Reads and replaces one entry atomically; `body` returns the new value and a result.
    func update<Result, Failure: Error>(
        _ key: Key,
        _ body: (Value?) throws(Failure) -> (Value, Result)
    ) throws(Failure) -> (Value, Result) {
        try storage.withLock { (storage: inout [Key: Value]) throws(Failure) -> (Value, Result) in
            let (value, result) = try body(storage[key])
            storage[key] = value
            return (value, result)
        }
    }
}
