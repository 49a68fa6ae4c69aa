import Hummingbird

/// The paths of a router's routes, whatever their methods: a request the router does not take is
/// a 405 when its path is one of these, else a 404.
final class RoutePaths: Sendable {
    private let paths = Locked<[RouterPath]>([])

    /// Creates an empty set.
    init() {}

    /// Adds the path of a route.
    func insert(_ path: RouterPath) {
        paths.withLock { $0.append(path) }
    }

    /// Whether a request path (as sent, possibly percent-encoded) is the path of some route.
    func contains(_ path: String) -> Bool {
        // Split as the router splits, so that `/v1//status/` is the same path to both.
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        return paths.withLock { paths in
            paths.contains { route in
                route.count == components.count
                    && zip(route, components).allSatisfy { element, component in element ~= component }
            }
        }
    }
}
