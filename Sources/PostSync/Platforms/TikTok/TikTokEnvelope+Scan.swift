import Foundation

extension TikTokEnvelope {
    /// Decodes an answer. Video pages (`/v2/video/list/`, `/v2/video/query/`) are read with
    /// `JSONScanner` when it can; everything else, and what the scanner does not handle, with
    /// `JSONDecoder`, which then gives the same value or the decoding error.
    static func decode(from body: Data) throws -> Self {
        if Payload.self == TikTokVideoPage.self,
            let envelope = TikTokEnvelope<TikTokVideoPage>.scanned(from: body) as? Self
        {
            return envelope
        }
        return try JSONDecoder().decode(Self.self, from: body)
    }
}

extension TikTokEnvelope where Payload == TikTokVideoPage {
    /// The answer as `JSONScanner` reads it; nil when it holds anything the scanner leaves to
    /// `JSONDecoder`.
    static func scanned(from body: Data) -> Self? {
        JSONScanner.read(body, scan)
    }

    // As `init(from:)`: `error` is required, `data` counts only when the code is "ok" (it is
    // scanned all the same; anything unexpected in it falls back to the decoder).
    private static func scan(_ scanner: inout JSONScanner) throws(JSONScanner.Unexpected) -> Self {
        var data: TikTokVideoPage?
        var error: TikTokAPIError?
        try scanner.beginObject()
        var first = true
        while let key = try scanner.nextKey(isFirst: &first) {
            if JSONScanner.key(key, is: "data") {
                data = try scanner.takeNull() ? nil : try TikTokVideoPage.scan(&scanner)
            } else if JSONScanner.key(key, is: "error") {
                error = try TikTokAPIError.scan(&scanner)
            } else {
                try scanner.skipValue()
            }
        }
        guard let error else { throw JSONScanner.Unexpected() }
        return Self(data: error.code == "ok" ? data : nil, error: error)
    }
}

extension TikTokAPIError {
    fileprivate static func scan(_ scanner: inout JSONScanner) throws(JSONScanner.Unexpected) -> TikTokAPIError {
        var code: String?
        var message: String?
        var logId: String?
        try scanner.beginObject()
        var first = true
        while let key = try scanner.nextKey(isFirst: &first) {
            if JSONScanner.key(key, is: "code") {
                code = try scanner.string()
            } else if JSONScanner.key(key, is: "message") {
                message = try scanner.optionalString()
            } else if JSONScanner.key(key, is: "log_id") {
                logId = try scanner.optionalString()
            } else {
                try scanner.skipValue()
            }
        }
        guard let code else { throw JSONScanner.Unexpected() }
        return TikTokAPIError(code: code, message: message, logId: logId)
    }
}

extension TikTokVideoPage {
    fileprivate static func scan(_ scanner: inout JSONScanner) throws(JSONScanner.Unexpected) -> TikTokVideoPage {
        var page = TikTokVideoPage()
        try scanner.beginObject()
        var first = true
        while let key = try scanner.nextKey(isFirst: &first) {
            if JSONScanner.key(key, is: "videos") {
                if try scanner.takeNull() { continue }
                var videos: [TikTokVideo] = []
                try scanner.beginArray()
                var firstElement = true
                while try scanner.nextElement(isFirst: &firstElement) { videos.append(try TikTokVideo.scan(&scanner)) }
                page.videos = videos
            } else if JSONScanner.key(key, is: "cursor") {
                page.cursor = try scanner.optionalInt64()
            } else if JSONScanner.key(key, is: "has_more") {
                page.hasMore = try scanner.takeNull() ? nil : try scanner.bool()
            } else {
                try scanner.skipValue()
            }
        }
        return page
    }
}

extension TikTokVideo {
    fileprivate static func scan(_ scanner: inout JSONScanner) throws(JSONScanner.Unexpected) -> TikTokVideo {
        var id: String?
        var video = TikTokVideo(id: "")
        try scanner.beginObject()
        var first = true
        while let key = try scanner.nextKey(isFirst: &first) {
            if JSONScanner.key(key, is: "id") {
                id = try scanner.string()
            } else if JSONScanner.key(key, is: "create_time") {
                video.createTime = try scanner.optionalInt64()
            } else if JSONScanner.key(key, is: "title") {
                video.title = try scanner.optionalString()
            } else if JSONScanner.key(key, is: "video_description") {
                video.videoDescription = try scanner.optionalString()
            } else if JSONScanner.key(key, is: "share_url") {
                video.shareURL = try scanner.optionalString()
            } else if JSONScanner.key(key, is: "like_count") {
                video.likeCount = try scanner.optionalInt64()
            } else if JSONScanner.key(key, is: "comment_count") {
                video.commentCount = try scanner.optionalInt64()
            } else if JSONScanner.key(key, is: "share_count") {
                video.shareCount = try scanner.optionalInt64()
            } else if JSONScanner.key(key, is: "view_count") {
                video.viewCount = try scanner.optionalInt64()
            } else {
                try scanner.skipValue()
            }
        }
        guard let id else { throw JSONScanner.Unexpected() }
        video.id = id
        return video
    }
}
