/// One numbered schema step of a component (`outbox:<table>`, `pizza`, `inbox`, …), in the SQL
/// dialect of the driver that applies it. Drivers record applied steps in `schema_migrations`.
public struct SchemaMigration: Sendable {
    /// Whose migration it is (`outbox`, `inbox`, the application's name); versions count per component.
    public var component: String
    /// The migration's number within its component; each is applied once, in order.
    public var version: Int
    /// A short name, recorded with the version.
    public var name: String
    /// Statements run in order, in the migration's transaction. Built only from audited identifiers.
    public var statements: [String]

    /// A migration of `component` to `version`, applied in one transaction.
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
