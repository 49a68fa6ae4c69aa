import Foundation
import PostSync

/// The store implementations the engine tests run against: every engine test takes one as its
/// argument (`@Test(arguments: StoreBackend.all)`), so a second implementation runs the same
/// suite by adding a case here and its configuration in `configure`.
public enum StoreBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    /// SQLite in the daemon's state directory (CONTRACT section 7), the embedded default.
    case sqlite

    /// Every backend the suite runs against.
    public static var all: [StoreBackend] { allCases }

    /// The backend's name in test output.
    public var description: String { rawValue }

    /// A daemon configuration that selects this backend (SQLite needs no setting).
    public func configure(_ configuration: Configuration) -> Configuration {
        switch self {
        case .sqlite: configuration
        }
    }
}
