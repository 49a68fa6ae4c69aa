#if canImport(Glibc)
import Glibc
#endif

/// glibc's allocator settings for the daemon.
public enum MallocArenas {
    /// Gives the process one malloc arena, unless the operator chose a number with
    /// `MALLOC_ARENA_MAX` (read from `environment`; glibc has read it already).
    ///
    /// glibc gives each thread that contends for the heap an arena of its own (up to 8 per core),
    /// and an account's objects, made on one thread and freed on another, left every arena with
    /// free pages it could not give back: at 10,000 accounts, 41 MB of heap held 21 MB of live
    /// objects. With one arena the same daemon's RSS was 13 MB lower. The daemon's threads are
    /// few (the platforms' event loop, the cooperative pool, SQLite's queues), and glibc's
    /// per-thread caches take most of their allocations without the arena's lock.
    /// - Returns: Whether the limit was set.
    @discardableResult
    public static func useOne(unlessSetIn environment: [String: String]) -> Bool {
        #if canImport(Glibc)
        guard environment["MALLOC_ARENA_MAX"] == nil else { return false }
        // `mallopt` is in <malloc.h>, which Swift's Glibc module leaves out: found by name.
        guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        return mallopt(Self.arenaMax, 1) == 1
        #else
        return false
        #endif
    }

    /// glibc's `M_ARENA_MAX` (<malloc.h>).
    static let arenaMax: Int32 = -8
}
