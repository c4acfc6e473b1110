import ArgumentParser
import Foundation
import LongshotClient
import LongshotCluster
import LongshotProtocol

struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Follow progress live: one job until it ends, or every job until Ctrl-C.",
        discussion: """
            Follows the coordinator's live events (long-polled over the control socket, with your credential). \
            On a terminal it redraws a bar per job; otherwise, and with --json (one JSON object per event and \
            line), it prints events.
            """)

    @Argument(help: "The job to follow (default: all jobs).")
    var job: String?

    @Flag(help: "Print each event as one line of JSON.")
    var json = false

    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        let client = try cluster.client()
        // Where the event stream is now: everything after it is news.
        var position = try await farmCall { try await client.events(job: job, after: 0, epoch: "", wait: .zero) }

        let screen = WatchScreen(drawBoard: !json && isatty(STDOUT_FILENO) != 0)
        var board = ProgressBoard()
        if let job {
            let detail = try await farmCall { try await client.job(job) }
            board.set(detail)
            if detail.state.isFinal {
                screen.draw(board)
                try finish(detail)
                return
            }
        } else {
            for summary in try await farmCall({ try await client.jobs(states: [.queued, .running, .stitching, .encoding]) }).jobs {
                board.set(summary)
            }
        }
        screen.draw(board)

        let clock = ContinuousClock()
        var nextPoll = clock.now + .seconds(2)
        while true {
            var news: [Longshot_V1_Event] = []
            do {
                let batch = try await client.events(job: job, after: position.last, epoch: position.epoch, wait: .seconds(1))
                if batch.epoch != position.epoch, !position.epoch.isEmpty, !json, !screen.drawBoard {
                    print("(the coordinator restarted; following its new events)")
                }
                news = batch.events
                position = batch
            } catch {
                try? await Task.sleep(for: .seconds(1))  // the coordinator is away: the polls below say so
            }
            for event in news {
                // Previews are for the dashboard; `--json` passes them on, the text view has no pictures.
                if event.kind == .preview, !json { continue }
                if json {
                    print(JSONText.line(event.jsonObject))
                    flushOutput()
                } else if !screen.drawBoard {
                    print(event.text)
                    flushOutput()
                } else if event.kind == .windowFailed || event.kind == .workerLost || event.kind == .workerJoined {
                    screen.note(event.text, board)
                }
                if event.kind == .jobSubmitted, job == nil, !event.jobID.isEmpty,
                    let detail = try? await client.job(event.jobID)
                {
                    board.set(detail)
                }
                if board.apply(event) { screen.draw(board) }
                if event.kind == .jobState, event.jobState.isFinal, event.jobID == job { nextPoll = clock.now }
            }
            guard clock.now >= nextPoll else { continue }
            nextPoll = clock.now + .seconds(2)
            // Events are best effort: the coordinator's answer is the truth.
            if let job {
                guard let detail = try? await client.job(job) else { continue }
                board.set(detail)
                screen.draw(board)
                if detail.state.isFinal {
                    try finish(detail)
                    return
                }
            } else if let list = try? await client.jobs(states: [.queued, .running, .stitching, .encoding]) {
                let active = Set(list.jobs.map(\.id))
                for id in board.rows.map(\.id) where !active.contains(id) {
                    if let detail = try? await client.job(id) { board.set(detail) }
                }
                for summary in list.jobs { board.set(summary) }
                let ended = board.rows.filter(\.state.isFinal)
                if !ended.isEmpty {
                    var finished = ProgressBoard()
                    for row in ended { finished.set(row) }
                    board.removeFinal()
                    if !screen.drawBoard, !json {
                        for row in ended { print("\(row.id) \(row.state.word)") }
                    }
                    for line in finished.lines() { screen.note(line, board) }
                } else {
                    screen.draw(board)
                }
            }
        }
    }

    /// Ends watching a job: a line saying how it ended (with --json the `end` object, always the last
    /// line), non-zero exit unless it succeeded.
    private func finish(_ detail: Longshot_V1_JobDetail) throws {
        if json {
            print(JSONText.line(detail.endObject))
            flushOutput()
        }
        guard detail.state == .succeeded else {
            throw fail("job \(detail.id) \(detail.state.word)" + (detail.error.isEmpty ? "" : ": \(detail.error)"))
        }
        if !json { print("job \(detail.id) succeeded: longshot fetch \(detail.id) -o FILE") }
    }
}

/// Draws the board on a terminal, redrawing it in place.
final class WatchScreen: @unchecked Sendable {
    let drawBoard: Bool
    private var drawnLines = 0

    init(drawBoard: Bool) { self.drawBoard = drawBoard }

    /// Redraws the rows over the previous drawing.
    func draw(_ board: ProgressBoard) {
        guard drawBoard else { return }
        var text = drawnLines > 0 ? "\u{1B}[\(drawnLines)A" : ""
        let lines = board.rows.isEmpty ? ["(no active jobs; waiting for one)"] : board.lines()
        for line in lines { text += "\r\u{1B}[K" + line + "\n" }
        text += "\u{1B}[J"
        FileHandle.standardOutput.write(Data(text.utf8))
        drawnLines = lines.count
    }

    /// Prints a line above the board and redraws it.
    func note(_ line: String, _ board: ProgressBoard) {
        guard drawBoard else { return }
        var text = drawnLines > 0 ? "\u{1B}[\(drawnLines)A" : ""
        text += "\r\u{1B}[K" + line + "\n\u{1B}[J"
        FileHandle.standardOutput.write(Data(text.utf8))
        drawnLines = 0
        draw(board)
    }

}
