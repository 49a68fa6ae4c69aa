import Foundation
import PostSyncTestSupport
import Testing

/// `scripts/install.sh` and `scripts/uninstall.sh` as a packager runs them: staged under a
/// temporary DESTDIR with the already built binary, so nothing outside it is touched and no
/// systemctl is called.
@Suite struct InstallScriptTests {
    /// The repository root (this file is Tests/PostSyncTests/InstallScriptTests.swift).
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Runs one of the scripts with bash.
    static func script(_ name: String, _ arguments: [String]) async throws -> ProcessRunner.Output {
        try await ProcessRunner.run(
            "/bin/bash", [root + "/scripts/" + name] + arguments,
            environment: ["POSTSYNC_BINARY": ProcessRunner.postsync], timeout: .seconds(120))
    }

    /// Should install every file, keep a config the operator changed on a second run, and
    /// uninstall everything but the config.
    @Test func stagedInstallKeepsTheConfigAndUninstalls() async throws {
        let stage = try temporaryDirectory("postsync-install")
        defer { try? FileManager.default.removeItem(atPath: stage) }
        let files = FileManager.default
        let arguments = ["--no-build", "--destdir", stage, "--prefix", "/usr/local"]

        let first = try await Self.script("install.sh", arguments)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(first.stdout.contains("systemctl enable --now postsync"))

        let binary = stage + "/usr/local/bin/postsync"
        #expect(files.isExecutableFile(atPath: binary))
        let unit = try String(contentsOfFile: stage + "/etc/systemd/system/postsync.service", encoding: .utf8)
        #expect(unit.contains("\nExecStart=/usr/local/bin/postsync serve --config /etc/postsync/postsync.yaml\n"))
        #expect(unit.contains("\nType=notify\n"))
        let config = stage + "/etc/postsync/postsync.yaml"
        let example = try String(contentsOfFile: Self.root + "/systemd/postsync.yaml", encoding: .utf8)
        #expect(try String(contentsOfFile: config, encoding: .utf8) == example)
        let credentials = try files.attributesOfItem(atPath: stage + "/etc/postsync/credentials")
        #expect((credentials[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        let share = stage + "/usr/local/share"
        let installed = [
            "/bash-completion/completions/postsync", "/zsh/site-functions/_postsync",
            "/fish/vendor_completions.d/postsync.fish", "/man/man1/postsync.1",
        ]
        for path in installed {
            let text = (try? String(contentsOfFile: share + path, encoding: .utf8)) ?? ""
            #expect(text.contains("postsync"), "\(path)")
        }
        let manual = try String(contentsOfFile: share + "/man/man1/postsync.1", encoding: .utf8)
        #expect(manual.hasPrefix(".TH POSTSYNC 1 "))
        for command in ["serve", "status", "accounts add instagram", "logs"] {
            #expect(manual.contains(".SS \"postsync \(command)\""), "\(command)")
        }

        // The operator's config survives a reinstall.
        let edited = example + "sync:\n  interval: 5m\n"
        try edited.write(toFile: config, atomically: true, encoding: .utf8)
        let second = try await Self.script("install.sh", arguments)
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(second.stdout.contains("kept the existing"))
        #expect(try String(contentsOfFile: config, encoding: .utf8) == edited)

        let removal = try await Self.script("uninstall.sh", ["--destdir", stage, "--prefix", "/usr/local"])
        #expect(removal.status == 0, "\(removal.stdout)\(removal.stderr)")
        #expect(!files.fileExists(atPath: binary))
        #expect(!files.fileExists(atPath: stage + "/etc/systemd/system/postsync.service"))
        #expect(!files.fileExists(atPath: share + "/man/man1/postsync.1"))
        #expect(try String(contentsOfFile: config, encoding: .utf8) == edited)
    }

    /// Should refuse a relative prefix and unknown options without installing anything.
    @Test func rejectsBadArguments() async throws {
        let stage = try temporaryDirectory("postsync-install-bad")
        defer { try? FileManager.default.removeItem(atPath: stage) }
        let relative = try await Self.script("install.sh", ["--no-build", "--destdir", stage, "--prefix", "usr"])
        #expect(relative.status != 0)
        #expect(relative.stderr.contains("absolute"))
        let unknown = try await Self.script("install.sh", ["--no-build", "--destdir", stage, "--frobnicate"])
        #expect(unknown.status != 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: stage).isEmpty)
    }

    /// Should pass `systemd-analyze verify` with the built binary and keep the exposure score
    /// at or below 1.5 (skipped where systemd-analyze is not installed).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
    func unitVerifiesAndIsHardened() async throws {
        let check = try await ProcessRunner.run(
            "/bin/bash", [Self.root + "/scripts/check-unit.sh", ProcessRunner.postsync], timeout: .seconds(120))
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("Overall exposure level"))
    }
}
