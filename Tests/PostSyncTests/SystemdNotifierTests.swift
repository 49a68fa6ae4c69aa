import Foundation
import PostSyncTestSupport
import Testing

@testable import PostSync

#if canImport(Glibc)
import Glibc
#endif

/// sd_notify without systemd: a datagram socket bound by the test plays systemd's part.
@Suite struct SystemdNotifierTests {
    /// Should be no notifier (so every call site is a no-op) without `NOTIFY_SOCKET`, or when it
    /// is not an absolute path or `@name` that fits a socket address.
    @Test func noNotifierOutsideSystemd() {
        #expect(SystemdNotifier(environment: [:]) == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": ""]) == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "relative/notify.sock"]) == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "/" + String(repeating: "x", count: 200)]) == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "@" + String(repeating: "x", count: 200)]) == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "/run/systemd/notify"])?.socketPath == "/run/systemd/notify")
    }

    /// Should deliver READY=1, a one-line STATUS=, WATCHDOG=1 and STOPPING=1 to a socket at a
    /// path and to an abstract one.
    @Test(arguments: [false, true]) func deliversEachState(abstract: Bool) throws {
        let listener = try NotifyListener(abstract: abstract)
        let notifier = try #require(SystemdNotifier(environment: listener.environment))

        notifier.ready()
        #expect(listener.receive() == "READY=1")
        notifier.status("3 accounts, 1 syncing,\n0 failing\r\n")
        #expect(listener.receive() == "STATUS=3 accounts, 1 syncing, 0 failing")
        notifier.watchdog()
        #expect(listener.receive() == "WATCHDOG=1")
        notifier.send("STATUS=idle\nWATCHDOG=1")
        #expect(listener.receive() == "STATUS=idle\nWATCHDOG=1")
        notifier.stopping()
        #expect(listener.receive() == "STOPPING=1")
        #expect(listener.receive(timeout: .milliseconds(50)) == nil)
    }

    /// Should send RELOADING=1 with the CLOCK_MONOTONIC time of the call in µs, as
    /// Type=notify-reload expects.
    @Test func reloadingCarriesTheMonotonicTime() throws {
        let listener = try NotifyListener()
        let notifier = try #require(SystemdNotifier(environment: listener.environment))
        let before = SystemdNotifier.monotonicMicroseconds()
        notifier.reloading()
        let after = SystemdNotifier.monotonicMicroseconds()

        let lines = try #require(listener.receive()).split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines.first == "RELOADING=1")
        let value = try #require(lines.last.flatMap { $0.hasPrefix("MONOTONIC_USEC=") ? UInt64($0.dropFirst(15)) : nil })
        #expect(before <= value && value <= after)
    }

    /// Should size an abstract address as the NUL plus the name, not the whole `sockaddr_un`
    /// (the kernel would look for a name padded with NULs), and count a path's terminator.
    @Test func addressLengths() throws {
        let offset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path) ?? 2
        let abstract = try #require(SystemdNotifier.socketAddress("@abc"))
        #expect(abstract.count == offset + 4)
        #expect(Array(abstract.suffix(4)) == [0] + Array("abc".utf8))
        let path = try #require(SystemdNotifier.socketAddress("/run/n"))
        #expect(path.count == offset + 7)
        #expect(Array(path.suffix(7)) == Array("/run/n".utf8) + [0])
    }

    /// Should not crash or block when nobody listens (systemd gone, socket removed).
    @Test func sendingToNobodyIsHarmless() throws {
        let directory = try temporaryDirectory("postsync-notify-none")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": directory + "/missing.sock"]))
        notifier.ready()
        notifier.watchdog()
        notifier.send("")
    }

    /// Should ping every WATCHDOG_USEC/2, only for this process, and not at all when the
    /// watchdog is off or the value is malformed.
    @Test func watchdogInterval() {
        let me = getpid()
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000"]) == .seconds(15))
        #expect(
            SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(me)"])
                == .seconds(15))
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "3"]) == .nanoseconds(1_500))
        #expect(
            SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(me + 1)"])
                == nil)
        #expect(
            SystemdNotifier.watchdogInterval(
                environment: ["WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "4242"], processID: 4242) == .seconds(10))
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "x"]) == nil)
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "0"]) == nil)
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "-5"]) == nil)
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "soon"]) == nil)
        #expect(SystemdNotifier.watchdogInterval(environment: [:]) == nil)
    }
}
