/// One numbered schema step of a component (`outbox:<table>`, `pizza`, `inbox`, …), in the SQL
/// dialect of the driver that applies it. Drivers record applied steps in `schema_migrations`.
public struct SchemaMigration: Sendable {
    public var component: String
    public var version: Int
    public var name: String
    /// Statements run in order, in the migration's transaction. Built only from audited identifiers.
    public var statements: [String]

    public init(component: String, version: Int, name: String, statements: [String]) {
        self.component = component
        self.version = version
        self.name = name
        self.statements = statements
    }

    /// `component/0001_name`, as migrators report what they applied.
    public var label: String {
        let number = String(version)
        return "\(component)/\(String(repeating: "0", count: max(0, 4 - number.count)))\(number)_\(name)"
    }
}
