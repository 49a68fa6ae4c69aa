extension HTTPListenerAPI {
    /// Secrets the routes need.
    public struct Secrets: Sendable {
        /// Meta app secret (X-Hub-Signature-256).
        public var instagramAppSecret: String?
        /// Meta verify token (subscription handshake).
        public var instagramVerifyToken: String?
        /// TikTok client secret (TikTok-Signature).
        public var tiktokClientSecret: String?
        /// Bearer secret of `/api/cron/sync-all`; nil disables the route (404).
        public var cronSecret: String?

        /// Creates the set.
        public init(
            instagramAppSecret: String?, instagramVerifyToken: String?, tiktokClientSecret: String?, cronSecret: String?
        ) {
            self.instagramAppSecret = instagramAppSecret
            self.instagramVerifyToken = instagramVerifyToken
            self.tiktokClientSecret = tiktokClientSecret
            self.cronSecret = cronSecret
        }
    }
}
