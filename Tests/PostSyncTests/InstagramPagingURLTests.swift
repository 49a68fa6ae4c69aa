import Testing

@testable import PostSync

/// `paging.next` as Graph echoes it: the token Graph copies into it is dropped, the rest is kept
/// byte for byte.
@Suite struct InstagramPagingURLTests {
    /// Should drop `access_token` and keep a cursor with `+`, `/` and `%2B` exactly.
    @Test func dropsTheEchoedToken() {
        let next = "https://graph.instagram.com/v23.0/1/media?access_token=IGQ%2Bsecret&fields=id&limit=25&after=QVF%2B/x+y"
        #expect(
            InstagramClient.withoutAccessToken(next)
                == "https://graph.instagram.com/v23.0/1/media?fields=id&limit=25&after=QVF%2B/x+y")
        let clean = "https://graph.instagram.com/v23.0/1/media?fields=id&after=abc"
        #expect(InstagramClient.withoutAccessToken(clean) == clean)
    }
}
