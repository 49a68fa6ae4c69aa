import Testing

@testable import PostSync

/// `sync.schedule`, `min_interval`, `max_interval` and `budget` (CONTRACT section 12).
@Suite struct ScheduleConfigurationTests {
    /// Should default to the adaptive schedule with the documented limits.
    @Test func defaultsToAdaptive() throws {
        let configuration = try ConfigurationTests.load("")
        #expect(
            configuration.sync.schedule
                == .adaptive(.init(minInterval: .seconds(60), maxInterval: .seconds(3_600), budget: 0.8)))
        #expect(Daemon.supervisorSettings(configuration).schedule.mode == configuration.sync.schedule)
    }

    /// Should read every key of the contract's example.
    @Test func readsTheContractExample() throws {
        let configuration = try ConfigurationTests.load(
            "sync:\n  schedule: adaptive\n  interval: 15m\n  min_interval: 2m\n  max_interval: 2h\n  budget: 0.5\n")
        #expect(
            configuration.sync.schedule
                == .adaptive(.init(minInterval: .seconds(120), maxInterval: .seconds(7_200), budget: 0.5)))
        #expect(try ConfigurationTests.load("sync: { schedule: fixed }").sync.schedule == .fixed)
    }

    /// Should let an interval outside the default limits move them, when the file does not set them.
    @Test func limitsFollowAnInterval() throws {
        let fast = try ConfigurationTests.load("sync: { interval: 10s }")
        #expect(fast.sync.schedule == .adaptive(.init(minInterval: .seconds(10), maxInterval: .seconds(3_600))))
        let slow = try ConfigurationTests.load("sync: { interval: 6h }")
        #expect(slow.sync.schedule == .adaptive(.init(minInterval: .seconds(60), maxInterval: .seconds(21_600))))
    }

    /// Should name the key of a bad value.
    @Test func rejectsBadValues() throws {
        let mode = try ConfigurationTests.loadError("sync: { schedule: sometimes }")
        #expect(mode == ConfigurationError(key: "sync.schedule", message: "\"sometimes\" is not adaptive or fixed"))
        #expect(try ConfigurationTests.loadError("sync: { budget: 0 }").key == "sync.budget")
        #expect(try ConfigurationTests.loadError("sync: { budget: 1.5 }").key == "sync.budget")
        #expect(try ConfigurationTests.loadError("sync: { budget: lots }").key == "sync.budget")
        #expect(try ConfigurationTests.loadError("sync: { min_interval: 0s }").key == "sync.min_interval")
        let floor = try ConfigurationTests.loadError("sync: { interval: 5m, min_interval: 10m }")
        #expect(floor == ConfigurationError(key: "sync.min_interval", message: "10m must not be longer than sync.interval (5m)"))
        #expect(try ConfigurationTests.loadError("sync: { interval: 2h, max_interval: 1h }").key == "sync.max_interval")
        // A fixed schedule does not use the limits, so they are not held against its interval.
        #expect(try ConfigurationTests.load("sync: { schedule: fixed, interval: 2h, max_interval: 1h }").sync.schedule == .fixed)
    }
}
