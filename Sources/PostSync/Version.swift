/// The version `postsync --version` and `GET /v1/status` report.
public enum PostSyncVersion {
    /// Semantic version.
    public static let string = "0.1.0"
}
