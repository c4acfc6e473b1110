/// Reads a prompt into a `SceneSpec`. Modifiers (count, colour, size, speed, motion) gather until a shape
/// noun takes them; a motion or speed after the shape applies to it; a colour or scenery word next to
/// "background", "sky" and the like sets the background. Unknown words are ignored and listed.
public enum PromptParser {
    public static let defaultBackground = (RGB(0.10, 0.10, 0.12), RGB(0.18, 0.18, 0.22))

    public static func parse(_ prompt: String) -> SceneSpec {
        let words = tokenize(prompt)
        var spec = SceneSpec(
            backgroundTop: defaultBackground.0, backgroundBottom: defaultBackground.1, objects: [],
            ignoredWords: [])
        var pending = Pending()
        var sceneSet = false
        var index = 0
        while index < words.count {
            let word = words[index]
            let next = index + 1 < words.count ? words[index + 1] : nil
            if let color = PromptVocabulary.colors[word] {
                if let next, PromptVocabulary.backgroundWords.contains(next) {
                    spec.backgroundTop = color.scaled(1.1)
                    spec.backgroundBottom = color.scaled(0.8)
                    index += 2
                    continue
                }
                if let next, let scene = PromptVocabulary.scenery[next], next == "sky" || next == "sea" || next == "ocean" {
                    spec.backgroundTop = color.scaled(1.1)
                    spec.backgroundBottom = scene.1.mixed(with: color, 0.5)
                    index += 2
                    continue
                }
                pending.color = color
            } else if let scene = PromptVocabulary.scenery[word] {
                // The first scenery word wins: "a night sky" is night, not sky.
                if !sceneSet {
                    spec.backgroundTop = scene.0
                    spec.backgroundBottom = scene.1
                    sceneSet = true
                }
            } else if let shape = PromptVocabulary.shapes[word] {
                spec.objects.append(pending.take(shape: shape))
            } else if let motion = PromptVocabulary.motions[word] {
                if pending.isEmpty, !spec.objects.isEmpty {
                    spec.objects[spec.objects.count - 1].motion = motion
                } else {
                    pending.motion = motion
                    pending.motionSet = true
                }
            } else if let speed = PromptVocabulary.speeds[word] {
                let value = pending.intensify ? (speed > 1 ? speed * 1.5 : speed * 0.6) : speed
                if pending.isEmpty, !spec.objects.isEmpty {
                    spec.objects[spec.objects.count - 1].speed = value
                } else {
                    pending.speed = value
                }
                pending.intensify = false
            } else if PromptVocabulary.intensifiers.contains(word) {
                pending.intensify = true
            } else if let size = PromptVocabulary.sizes[word] {
                pending.size = pending.intensify ? (size > 0.12 ? size * 1.3 : size * 0.7) : size
                pending.intensify = false
            } else if let count = PromptVocabulary.counts[word] ?? Int(word).map({ min(max($0, 1), 12) }) {
                pending.count = count
            } else if PromptVocabulary.backgroundWords.contains(word) || PromptVocabulary.stopWords.contains(word) {
                // carries no information on its own
            } else {
                spec.ignoredWords.append(word)
            }
            index += 1
        }
        if spec.objects.isEmpty {
            spec.objects.append(pending.take(shape: .circle))
        }
        return spec
    }

    /// A warning for a prompt that names no shape this engine draws, so the video shows its default (one
    /// white ball) whatever the prompt asks for; nil when the prompt names a shape.
    public static func warning(for prompt: String) -> String? {
        let words = tokenize(prompt)
        guard !words.contains(where: { PromptVocabulary.shapes[$0] != nil }) else { return nil }
        let unknown = parse(prompt).ignoredWords
        let shown = prompt.count > 60 ? String(prompt.prefix(57)) + "..." : prompt
        return "the procedural engine knows no shape in \"\(shown)\""
            + (unknown.isEmpty ? "" : " (words it does not know: \(unknown.prefix(8).joined(separator: ", ")))")
            + "; it draws its default, a white ball. Its shapes: "
            + ShapeKind.allCases.map { kind in
                let names = PromptVocabulary.shapes.filter { $0.value == kind && !$0.key.hasSuffix("s") }.keys.sorted()
                return "\(kind.rawValue) (\(names.filter { $0 != kind.rawValue }.joined(separator: ", ")))"
            }.joined(separator: ", ")
    }

    /// Lowercased words of letters and digits; everything else separates.
    static func tokenize(_ text: String) -> [String] {
        text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
    }

    /// Modifiers gathered before a shape noun.
    private struct Pending {
        var count: Int?
        var color: RGB?
        var size: Double?
        var speed: Double?
        var motion: Motion = .drift
        var motionSet = false
        var intensify = false

        var isEmpty: Bool { count == nil && color == nil && size == nil && speed == nil && !motionSet }

        mutating func take(shape: ShapeKind) -> ObjectSpec {
            let object = ObjectSpec(
                shape: shape, color: color ?? RGB(0.95, 0.95, 0.95), count: count ?? 1, motion: motion,
                speed: speed ?? 1, size: size ?? 0.12)
            self = Pending()
            return object
        }
    }
}

extension RGB {
    func scaled(_ k: Float) -> RGB { RGB(min(r * k, 1), min(g * k, 1), min(b * k, 1)) }
    func mixed(with other: RGB, _ a: Float) -> RGB {
        RGB(r + (other.r - r) * a, g + (other.g - g) * a, b + (other.b - b) * a)
    }
}
