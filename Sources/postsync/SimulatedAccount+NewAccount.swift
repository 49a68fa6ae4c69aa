import PostSync
import PostSyncSimulator

extension SimulatedAccount {
    /// What `postsync accounts add` would be given for this simulated account (tokens included):
    /// `dev-import` and `demo` add the simulator's accounts this way.
    var newAccount: NewAccount {
        NewAccount(
            platform: Platform(rawValue: platform), externalId: externalId, accessToken: accessToken,
            refreshToken: refreshToken, expiresAt: expiresAt, refreshExpiresAt: refreshExpiresAt, username: username,
            login: login.flatMap(InstagramLogin.init(rawValue:)), issuedAt: issuedAt)
    }
}
