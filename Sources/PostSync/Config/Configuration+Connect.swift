extension Configuration {
    /// The OAuth settings of `instagram` (CONTRACT section 11): the app that users authorize and
    /// where its dialogs live. Without `app_id` and `redirect_uri`, `postsync connect instagram`
    /// answers `not_configured`.
    public struct InstagramConnect: Sendable, Equatable {
        /// `instagram.app_id` (public; also the Facebook Login app id).
        public var appID: String?
        /// `instagram.redirect_uri`.
        public var redirectURI: RedirectURI?
        /// `instagram.scopes` for Instagram Login.
        public var scopes: [String]
        /// `instagram.authorize_url`.
        public var authorizeURL: String
        /// `instagram.token_url`: the code exchange of Instagram Login.
        public var tokenURL: String
        /// `instagram.facebook_authorize_url`: the Facebook Login dialog.
        public var facebookAuthorizeURL: String

        /// The permissions Facebook Login asks for: its own names for reading an Instagram
        /// professional account's media and insights through the Page it is linked to.
        public static let facebookScopes = [
            "instagram_basic", "instagram_manage_insights", "pages_show_list", "pages_read_engagement",
            "business_management",
        ]

        /// Creates the settings; the defaults are the documented ones.
        public init(
            appID: String? = nil, redirectURI: RedirectURI? = nil,
            scopes: [String] = ["instagram_business_basic", "instagram_business_manage_insights"],
            authorizeURL: String = "https://www.instagram.com/oauth/authorize",
            tokenURL: String = "https://api.instagram.com/oauth/access_token",
            facebookAuthorizeURL: String = "https://www.facebook.com/v23.0/dialog/oauth"
        ) {
            self.appID = appID
            self.redirectURI = redirectURI
            self.scopes = scopes
            self.authorizeURL = authorizeURL
            self.tokenURL = tokenURL
            self.facebookAuthorizeURL = facebookAuthorizeURL
        }
    }

    /// The OAuth settings of `tiktok` (CONTRACT section 11).
    public struct TikTokConnect: Sendable, Equatable {
        /// `tiktok.redirect_uri` (default `http://127.0.0.1:0/callback/`: the CLI listens on a free
        /// loopback port, as TikTok's desktop apps may).
        public var redirectURI: RedirectURI?
        /// `tiktok.scopes`.
        public var scopes: [String]
        /// `tiktok.authorize_url`.
        public var authorizeURL: String

        /// Creates the settings; the defaults are the documented ones.
        public init(
            redirectURI: RedirectURI? = try? RedirectURI.parse("http://127.0.0.1:0/callback/").get(),
            scopes: [String] = ["user.info.basic", "video.list"],
            authorizeURL: String = "https://www.tiktok.com/v2/auth/authorize/"
        ) {
            self.redirectURI = redirectURI
            self.scopes = scopes
            self.authorizeURL = authorizeURL
        }
    }
}
