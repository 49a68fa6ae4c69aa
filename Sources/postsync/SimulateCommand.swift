import ArgumentParser

/// `postsync simulate`: placeholder until the simulator lands.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "simulate", abstract: "Serve a simulator of both platforms.")
}

/// `postsync dev-import`: placeholder.
struct DevImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dev-import", abstract: "Import simulator accounts.", shouldDisplay: false)
}
