public enum PostSyncVersion { public static let string = "0.1.0" }
