import ArgumentParser

@main
struct Longshot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "longshot",
        abstract: "A render farm for long text-to-video generation.",
        version: "0.1.0",
        subcommands: [
            // One process.
            RenderCommand.self, InspectCommand.self, DiTCommand.self, EmbedCommand.self,
            // Users of a cluster.
            SubmitCommand.self, StatusCommand.self, JobsCommand.self, ShowCommand.self, WatchCommand.self,
            FetchCommand.self, LogsCommand.self, CancelCommand.self, DeleteCommand.self, RerunCommand.self, WorkersCommand.self,
            // Running a cluster.
            UpCommand.self, DownCommand.self, CoordinatorCommand.self, WorkerCommand.self, MigrateCommand.self,
        ])
}
