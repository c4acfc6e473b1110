import Testing

@testable import LongshotProcedural

@Suite("PromptParser")
struct PromptParserTests {
    func isBluish(_ c: RGB) -> Bool { c.b > c.r + 0.2 && c.b > c.g + 0.2 }

    @Test("a red ball bouncing on a blue background")
    func redBall() throws {
        let spec = PromptParser.parse("a red ball bouncing on a blue background")
        let ball = try #require(spec.objects.first)
        #expect(spec.objects.count == 1)
        #expect(ball.shape == .circle)
        #expect(ball.color == PromptVocabulary.colors["red"])
        #expect(ball.count == 1)
        #expect(ball.motion == .bounce)
        #expect(isBluish(spec.backgroundTop) && isBluish(spec.backgroundBottom))
        #expect(spec.ignoredWords.isEmpty)
    }

    @Test("counts, colours and shapes: three yellow squares")
    func counts() throws {
        let spec = PromptParser.parse("three yellow squares")
        let squares = try #require(spec.objects.first)
        #expect(spec.objects.count == 1)
        #expect(squares.count == 3)
        #expect(squares.shape == .square)
        #expect(squares.color == PromptVocabulary.colors["yellow"])
        #expect(PromptParser.parse("5 rings").objects.first?.count == 5)
        #expect(PromptParser.parse("two orange triangles").objects.first?.shape == .triangle)
        #expect(PromptParser.parse("two orange triangles").objects.first?.count == 2)
    }

    @Test(
        "motion words",
        arguments: [
            ("a ball bouncing", Motion.bounce), ("a ball moving left", .left), ("a square drifting right", .right),
            ("a moon orbiting", .orbit), ("a dot growing", .grow), ("a bubble rising", .up), ("a box falling", .down),
            ("a spinning triangle", .spin), ("a still ring", .still), ("a ball", .drift),
        ])
    func motions(prompt: String, motion: Motion) {
        #expect(PromptParser.parse(prompt).objects.first?.motion == motion, "\(prompt)")
    }

    @Test("speeds and sizes")
    func speedsAndSizes() {
        #expect(PromptParser.parse("a fast red ball").objects[0].speed == 2.0)
        #expect(PromptParser.parse("a red ball moving slowly").objects[0].speed == 0.5)
        #expect(PromptParser.parse("a ball").objects[0].speed == 1)
        let verySlow = PromptParser.parse("a very slow ball").objects[0].speed
        #expect(verySlow < 0.5 && verySlow > 0)
        let big = PromptParser.parse("a big ball").objects[0].size
        let tiny = PromptParser.parse("a tiny ball").objects[0].size
        let plain = PromptParser.parse("a ball").objects[0].size
        #expect(tiny < plain && plain < big)
        #expect(PromptParser.parse("a very big ball").objects[0].size > big)
    }

    @Test("several objects each take their own modifiers")
    func severalObjects() {
        let spec = PromptParser.parse("a big red ball bouncing and two small green squares moving left")
        #expect(spec.objects.count == 2)
        #expect(spec.objects[0].shape == .circle && spec.objects[0].motion == .bounce && spec.objects[0].count == 1)
        #expect(spec.objects[0].color == PromptVocabulary.colors["red"])
        #expect(spec.objects[1].shape == .square && spec.objects[1].motion == .left && spec.objects[1].count == 2)
        #expect(spec.objects[1].color == PromptVocabulary.colors["green"])
        #expect(spec.objects[0].size > spec.objects[1].size)
    }

    @Test("backgrounds: a colour next to 'background', scenery words")
    func backgrounds() {
        let sunset = PromptParser.parse("a ball at sunset")
        #expect(sunset.backgroundTop == PromptVocabulary.scenery["sunset"]!.0)
        #expect(sunset.backgroundBottom == PromptVocabulary.scenery["sunset"]!.1)
        let green = PromptParser.parse("a white ball on a green background")
        #expect(green.backgroundTop.g > green.backgroundTop.r && green.backgroundTop.g > green.backgroundTop.b)
        #expect(green.objects[0].color == PromptVocabulary.colors["white"])
        let night = PromptParser.parse("stars in the night")
        #expect(night.backgroundTop == PromptVocabulary.scenery["night"]!.0)
        let plain = PromptParser.parse("a ball")
        #expect(plain.backgroundTop == PromptParser.defaultBackground.0)
        #expect(plain.backgroundBottom == PromptParser.defaultBackground.1)
    }

    @Test("unknown words are listed in order; stop words are not")
    func ignoredWords() {
        let spec = PromptParser.parse("The red ball, bouncing over a zebra near the fence!")
        #expect(spec.ignoredWords == ["zebra", "near", "fence"])
        #expect(spec.objects.first?.motion == .bounce)
        #expect(PromptParser.parse("a ball on the left of the screen").ignoredWords == ["screen"])
    }

    @Test("an empty prompt or one without objects gives one default object", arguments: ["", "   ", "!!!", "on a blue background", "the quick fox"])
    func defaultObject(prompt: String) {
        let spec = PromptParser.parse(prompt)
        #expect(spec.objects.count == 1)
        #expect(spec.objects[0].shape == .circle)
        #expect(spec.objects[0].count == 1)
    }

    @Test("modifiers without a shape still shape the default object")
    func pendingModifiers() {
        let spec = PromptParser.parse("something red and fast")
        #expect(spec.objects.count == 1)
        #expect(spec.objects[0].color == PromptVocabulary.colors["red"])
        #expect(spec.objects[0].speed == 2.0)
        #expect(spec.ignoredWords == ["something"])
    }
}
