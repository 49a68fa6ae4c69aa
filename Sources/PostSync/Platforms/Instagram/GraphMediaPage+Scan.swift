import Foundation

extension GraphMediaPage {
    /// Decodes a `/media` page: with `JSONScanner` when it can, else with `JSONDecoder`, which
    /// then gives the same value or the decoding error.
    static func decode(from body: Data) throws -> GraphMediaPage {
        if let page = scanned(from: body) { return page }
        return try JSONDecoder().decode(GraphMediaPage.self, from: body)
    }

    /// The page as `JSONScanner` reads it; nil when it holds anything the scanner leaves to
    /// `JSONDecoder`.
    static func scanned(from body: Data) -> GraphMediaPage? {
        JSONScanner.read(body, scan)
    }

    // The same fields as the Decodable conformance; unknown keys are skipped.
    private static func scan(_ scanner: inout JSONScanner) throws(JSONScanner.Unexpected) -> GraphMediaPage {
        var data: [GraphMedia]?
        var paging: Paging?
        try scanner.beginObject()
        var first = true
        while let key = try scanner.nextKey(isFirst: &first) {
            if JSONScanner.key(key, is: "data") {
                var media: [GraphMedia] = []
                try scanner.beginArray()
                var firstElement = true
                while try scanner.nextElement(isFirst: &firstElement) { media.append(try GraphMedia.scan(&scanner)) }
                data = media
            } else if JSONScanner.key(key, is: "paging") {
                paging = try scanner.takeNull() ? nil : try Paging.scan(&scanner)
            } else {
                try scanner.skipValue()
            }
        }
        guard let data else { throw JSONScanner.Unexpected() }
        return GraphMediaPage(data: data, paging: paging)
    }
}

extension GraphMediaPage.Paging {
    fileprivate static func scan(_ scanner: inout JSONScanner) throws(JSONScanner.Unexpected) -> Self {
        var next: String?
        try scanner.beginObject()
        var first = true
        while let key = try scanner.nextKey(isFirst: &first) {
            if JSONScanner.key(key, is: "next") {
                next = try scanner.takeNull() ? nil : try scanner.string()
            } else {
                try scanner.skipValue()
            }
        }
        return Self(next: next)
    }
}

extension GraphMedia {
    fileprivate static func scan(_ scanner: inout JSONScanner) throws(JSONScanner.Unexpected) -> GraphMedia {
        var id: String?
        var media = GraphMedia(id: "")
        try scanner.beginObject()
        var first = true
        while let key = try scanner.nextKey(isFirst: &first) {
            if JSONScanner.key(key, is: "id") {
                id = try scanner.string()
            } else if JSONScanner.key(key, is: "caption") {
                media.caption = try scanner.optionalString()
            } else if JSONScanner.key(key, is: "media_type") {
                media.mediaType = try scanner.optionalString()
            } else if JSONScanner.key(key, is: "media_product_type") {
                media.mediaProductType = try scanner.optionalString()
            } else if JSONScanner.key(key, is: "permalink") {
                media.permalink = try scanner.optionalString()
            } else if JSONScanner.key(key, is: "timestamp") {
                media.timestamp = try scanner.optionalString()
            } else if JSONScanner.key(key, is: "like_count") {
                media.likeCount = try FlexibleInt.scan(&scanner)
            } else if JSONScanner.key(key, is: "comments_count") {
                media.commentsCount = try FlexibleInt.scan(&scanner)
            } else {
                try scanner.skipValue()
            }
        }
        guard let id else { throw JSONScanner.Unexpected() }
        media.id = id
        return media
    }
}

extension FlexibleInt {
    /// An integer, or a string holding one; null is nil. Floats are left to `JSONDecoder`.
    fileprivate static func scan(_ scanner: inout JSONScanner) throws(JSONScanner.Unexpected) -> FlexibleInt? {
        if try scanner.takeNull() { return nil }
        if scanner.nextIsString {
            guard let value = Int64(try scanner.string()) else { throw JSONScanner.Unexpected() }
            return FlexibleInt(value: value)
        }
        return FlexibleInt(value: try scanner.int64())
    }
}
