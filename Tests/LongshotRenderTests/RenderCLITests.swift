import Foundation
import LongshotDigest
import LongshotTestSupport
import LongshotVideo
import Testing

@Suite("longshot render and inspect, end to end")
struct RenderCLITests {
    @Test("a short clip decodes back to the exact frames, size, codec and provenance tags")
    func clip() throws {
        let clip = try RenderFixtures.codenoise.get()
        let video = try DecodedVideo(clip.url)
        #expect(video.frames.count == 48)
        #expect(video.info.codec == "h264")
        #expect(video.info.width == 96 && video.info.height == 64)
        #expect(abs(video.info.duration - 4.0) < 1e-6, "duration \(video.info.duration)")
        #expect(abs(video.info.fps - 12) < 1e-9)
        let tags = video.info.metadata
        #expect(tags["generator"]?.hasPrefix("longshot") == true, "\(tags)")
        #expect(tags["ai_generated"] == "true")
        #expect(tags["comment"]?.contains("AI-generated") == true)
        #expect(tags["longshot_seed"] == "1")
        #expect(tags["longshot_engine"] == "procedural")
        #expect(tags["longshot_model"]?.hasPrefix("procedural") == true)
        #expect(tags["longshot_fusion"] == "codenoise")
        #expect(tags["longshot_steps"] == "6")
        #expect(tags["longshot_prompt_sha256"] == SHA256.hex(RenderFixtures.prompt))
        #expect(tags["longshot_seams"]?.isEmpty == false)
        // The summary names frames and windows and the stages' times.
        #expect(clip.run.stdout.contains("frames 48 (latent 24), windows 3"), "\(clip.run.stdout)")
        #expect(clip.run.stdout.contains("engine"))
    }

    @Test("the frames show the prompt: a bluish picture with a red ball in it")
    func content() throws {
        let video = try DecodedVideo(try RenderFixtures.codenoise.get().url)
        var framesWithBall = 0
        for (i, frame) in video.frames.enumerated() {
            let mean = FrameColor.mean(frame)
            #expect(mean.b > mean.r + 40 && mean.b > mean.g + 40, "frame \(i) mean colour \(mean)")
            let red = FrameColor.count(frame) { r, g, b in r > 140 && g < 90 && b < 110 }
            if red >= 10 { framesWithBall += 1 }
        }
        #expect(framesWithBall >= 44, "a red ball in only \(framesWithBall) of 48 frames")
        // The ball moves: not every frame is the same picture.
        #expect(FrameColor.meanAbsoluteError(video.frames[0], video.frames[24]) > 0.3)
    }

    @Test("the same job twice gives identical decoded frames, in both fusion modes")
    func deterministic() throws {
        for (a, b) in [
            (RenderFixtures.codenoise, RenderFixtures.codenoiseAgain),
            (RenderFixtures.independent, RenderFixtures.independentAgain),
        ] {
            let (clipA, clipB) = (try a.get(), try b.get())
            let first = try DecodedVideo(clipA.url), second = try DecodedVideo(clipB.url)
            #expect(first.frames.count == 48 && second.frames.count == 48)
            #expect(first.frames == second.frames, "\(clipA.url.lastPathComponent) differs from its rerun")
        }
    }

    @Test("another seed gives a different video; the fusion modes differ from each other")
    func seedMatters() throws {
        let one = try DecodedVideo(try RenderFixtures.codenoise.get().url)
        let two = try DecodedVideo(try RenderFixtures.otherSeed.get().url)
        #expect(two.info.metadata["longshot_seed"] == "2")
        let differing = zip(one.frames, two.frames).filter { FrameColor.meanAbsoluteError($0, $1) > 0.5 }.count
        #expect(differing > 24, "only \(differing) of 48 frames differ between seeds 1 and 2")
        let independent = try DecodedVideo(try RenderFixtures.independent.get().url)
        #expect(independent.info.metadata["longshot_fusion"] == "independent")
        #expect(independent.frames.count == 48)
    }

    @Test("longshot inspect reports a seam ratio <= 1.2 for codenoise, and measures independent")
    func seams() throws {
        for (clip, bound) in [(try RenderFixtures.codenoise.get(), 1.2), (try RenderFixtures.independent.get(), Double.infinity)] {
            let run = try LongshotProcess.run(["inspect", "--json", clip.url.path], in: RenderFixtures.directory.url)
            #expect(run.status == 0, "\(run.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            let ratio = try #require(object["seamRatio"] as? Double)
            #expect(ratio.isFinite && ratio > 0)
            #expect(ratio <= bound, "\(clip.url.lastPathComponent): seam ratio \(ratio)")
            #expect(object["frames"] as? Int == 48)
            let text = try LongshotProcess.run(["inspect", clip.url.path], in: RenderFixtures.directory.url)
            #expect(text.status == 0)
            #expect(text.stdout.contains("seam ratio"), "\(text.stdout)")
            #expect(text.stdout.contains("48 frames"))
        }
    }

    @Test("a 3-shot storyboard switches background colour at the given times")
    func storyboard() throws {
        let clip = try RenderFixtures.storyboard.get()
        let video = try DecodedVideo(clip.url)
        #expect(video.frames.count == 72)
        #expect(abs(video.info.duration - 6.0) < 1e-6)
        #expect(video.info.metadata["longshot_transitions"]?.isEmpty == false)
        // The dominant channel of each frame's mean colour: 0 red, 1 green, 2 blue.
        let dominant = video.frames.map { frame -> Int in
            let m = FrameColor.mean(frame)
            return m.r > max(m.g, m.b) ? 0 : (m.g > m.b ? 1 : 2)
        }
        // Away from the cuts (2 s = frame 24, 4 s = frame 48) each shot's colour holds.
        for f in 0..<20 { #expect(dominant[f] == 0, "frame \(f): \(video.meanColor(f))") }
        for f in 28..<44 { #expect(dominant[f] == 1, "frame \(f): \(video.meanColor(f))") }
        for f in 52..<72 { #expect(dominant[f] == 2, "frame \(f): \(video.meanColor(f))") }
        // The switches happen at the cuts, within the half-second dissolve and one latent frame.
        let toGreen = try #require(dominant.firstIndex(of: 1))
        let toBlue = try #require(dominant.firstIndex(of: 2))
        #expect(abs(toGreen - 24) <= 5, "red to green at frame \(toGreen)")
        #expect(abs(toBlue - 48) <= 5, "green to blue at frame \(toBlue)")
        #expect(dominant[toGreen...].allSatisfy { $0 != 0 } && dominant[toBlue...].allSatisfy { $0 == 2 })
        // --verbose lists the words the engine ignored.
        #expect(clip.run.stderr.contains("ignored prompt words: plain"), "\(clip.run.stderr)")
    }
}
