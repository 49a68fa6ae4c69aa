import Foundation
import PostSync
import Synchronization

/// A scripted `PlatformClient` for actor and supervisor tests: each call takes the next scripted
/// answer (or repeats the default) and is recorded.
public final class FakePlatformClient: PlatformClient {
    /// One scripted fetch answer.
    public enum FetchAnswer: Sendable {
        /// Return these posts.
        case posts([FetchedPost])
        /// Throw this platform error.
        case failure(PlatformError)
        /// Throw a non-platform error: the worker crashes.
        case crash(String)
    }

    /// A crash thrown by `.crash`.
    public struct Crash: Error, CustomStringConvertible {
        /// Message.
        public var description: String
    }

    private struct State {
        var fetches: [FetchAnswer] = []
        var defaultFetch: FetchAnswer = .posts([])
        var refreshes: [Result<RefreshedToken, PlatformError>] = []
        var fetchTokens: [String] = []
        var refreshCount = 0
    }

    private let state = Mutex(State())

    /// Creates a client that returns no posts until scripted.
    public init() {}

    /// Queues fetch answers (first in, first used).
    public func script(_ answers: FetchAnswer...) { state.withLock { $0.fetches += answers } }
    /// Sets the answer used when the queue is empty.
    public func setDefault(_ answer: FetchAnswer) { state.withLock { $0.defaultFetch = answer } }
    /// Queues refresh answers.
    public func scriptRefresh(_ answers: Result<RefreshedToken, PlatformError>...) { state.withLock { $0.refreshes += answers } }
    /// Access tokens seen by fetches, in order.
    public var fetchTokens: [String] { state.withLock { $0.fetchTokens } }
    /// Number of fetch calls.
    public var fetchCount: Int { state.withLock { $0.fetchTokens.count } }
    /// Number of refresh calls.
    public var refreshCount: Int { state.withLock { $0.refreshCount } }

    public func fetch(_ request: FetchRequest, calls: CallCounter) async throws -> FetchResult {
        calls.increment()
        let answer = state.withLock { state -> FetchAnswer in
            state.fetchTokens.append(request.accessToken)
            return state.fetches.isEmpty ? state.defaultFetch : state.fetches.removeFirst()
        }
        switch answer {
        case .posts(let posts): return FetchResult(posts: posts)
        case .failure(let error): throw error
        case .crash(let message): throw Crash(description: message)
        }
    }

    public func refresh(
        account: AccountID, accessToken: String, refreshToken: String?, now: Date, calls: CallCounter
    ) async throws -> RefreshedToken {
        calls.increment()
        let answer = state.withLock { state -> Result<RefreshedToken, PlatformError>? in
            state.refreshCount += 1
            return state.refreshes.isEmpty ? nil : state.refreshes.removeFirst()
        }
        switch answer {
        case .success(let token): return token
        case .failure(let error): throw error
        case nil: throw PlatformError.transient("no scripted refresh")
        }
    }
}

/// Builds a fetched post with all the usual metrics.
public func samplePost(
    _ id: String, publishedAt: Date, likes: Int64 = 1, comments: Int64 = 0, views: Int64? = nil
) -> FetchedPost {
    FetchedPost(
        postID: id, caption: "post \(id)", mediaType: "IMAGE", permalink: "https://example.com/p/\(id)",
        publishedAt: publishedAt, metrics: PostMetrics(likeCount: likes, commentCount: comments, viewCount: views),
        coverage: views == nil ? [.likes, .comments] : [.likes, .comments, .views])
}
