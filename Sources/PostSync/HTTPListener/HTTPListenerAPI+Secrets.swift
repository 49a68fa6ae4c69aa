extension HTTPListenerAPI {
    /// Secrets the routes need.
    public struct Secrets: Sendable {
        /// Meta app secret (X-Hub-Signature-256).
        public var instagramAppSecret: String? {
            didSet { instagramKey = instagramAppSecret.flatMap(WebhookKey.init(secret:)) }
        }
        /// Meta verify token (subscription handshake).
        public var instagramVerifyToken: String?
        /// TikTok client secret (TikTok-Signature).
        public var tiktokClientSecret: String? {
            didSet { tiktokKey = tiktokClientSecret.flatMap(WebhookKey.init(secret:)) }
        }
        /// Bearer secret of `/api/cron/sync-all`; nil disables the route (404).
        public var cronSecret: String?

        /// The app secret prepared for HMAC once, not per delivery; nil when it is absent or empty.
        private(set) var instagramKey: WebhookKey?
        /// The client secret prepared for HMAC once; nil when it is absent or empty.
        private(set) var tiktokKey: WebhookKey?

        /// Creates the set.
        public init(
            instagramAppSecret: String?, instagramVerifyToken: String?, tiktokClientSecret: String?, cronSecret: String?
        ) {
            self.instagramAppSecret = instagramAppSecret
            self.instagramVerifyToken = instagramVerifyToken
            self.tiktokClientSecret = tiktokClientSecret
            self.cronSecret = cronSecret
            instagramKey = instagramAppSecret.flatMap(WebhookKey.init(secret:))
            tiktokKey = tiktokClientSecret.flatMap(WebhookKey.init(secret:))
        }
    }
}
