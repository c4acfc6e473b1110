import ArgumentParser

@main
struct Longshot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "longshot",
        abstract: "A render farm for long text-to-video generation.",
        version: "0.1.0",
        subcommands: [RenderCommand.self, InspectCommand.self])
}
