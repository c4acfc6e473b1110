/// The words the procedural engine understands.
enum PromptVocabulary {
    static let colors: [String: RGB] = [
        "red": RGB(0.86, 0.12, 0.10), "green": RGB(0.16, 0.70, 0.24), "blue": RGB(0.13, 0.30, 0.85),
        "yellow": RGB(0.96, 0.86, 0.16), "orange": RGB(0.98, 0.55, 0.10), "purple": RGB(0.52, 0.20, 0.70),
        "violet": RGB(0.56, 0.36, 0.86), "pink": RGB(0.98, 0.55, 0.72), "white": RGB(0.96, 0.96, 0.96),
        "black": RGB(0.04, 0.04, 0.05), "gray": RGB(0.50, 0.50, 0.52), "grey": RGB(0.50, 0.50, 0.52),
        "cyan": RGB(0.10, 0.82, 0.88), "teal": RGB(0.05, 0.55, 0.55), "magenta": RGB(0.88, 0.12, 0.70),
        "brown": RGB(0.50, 0.30, 0.14), "gold": RGB(0.93, 0.74, 0.20), "golden": RGB(0.93, 0.74, 0.20),
        "silver": RGB(0.75, 0.76, 0.80), "navy": RGB(0.05, 0.08, 0.30),
    ]

    /// Scenery words that set a two-colour background gradient (top, bottom).
    static let scenery: [String: (RGB, RGB)] = [
        "sunset": (RGB(0.98, 0.55, 0.20), RGB(0.45, 0.15, 0.45)),
        "night": (RGB(0.02, 0.03, 0.12), RGB(0.08, 0.10, 0.25)),
        "ocean": (RGB(0.20, 0.50, 0.85), RGB(0.02, 0.15, 0.40)),
        "sea": (RGB(0.20, 0.50, 0.85), RGB(0.02, 0.15, 0.40)),
        "sky": (RGB(0.45, 0.70, 0.98), RGB(0.80, 0.90, 1.00)),
        "grass": (RGB(0.50, 0.80, 0.40), RGB(0.10, 0.45, 0.12)),
        "field": (RGB(0.60, 0.82, 0.98), RGB(0.15, 0.50, 0.15)),
        "desert": (RGB(0.98, 0.85, 0.55), RGB(0.80, 0.55, 0.30)),
        "snow": (RGB(0.85, 0.90, 0.98), RGB(0.98, 0.98, 1.00)),
        "space": (RGB(0.00, 0.00, 0.02), RGB(0.05, 0.02, 0.10)),
    ]

    static let shapes: [String: ShapeKind] = [
        "ball": .circle, "balls": .circle, "circle": .circle, "circles": .circle, "sphere": .circle,
        "spheres": .circle, "dot": .circle, "dots": .circle, "disc": .circle, "discs": .circle, "disk": .circle,
        "disks": .circle, "bubble": .circle, "bubbles": .circle, "planet": .circle, "planets": .circle,
        "sun": .circle, "moon": .circle,
        "square": .square, "squares": .square, "box": .square, "boxes": .square, "cube": .square,
        "cubes": .square, "block": .square, "blocks": .square, "tile": .square, "tiles": .square,
        "triangle": .triangle, "triangles": .triangle, "pyramid": .triangle, "pyramids": .triangle,
        "ring": .ring, "rings": .ring, "donut": .ring, "donuts": .ring, "hoop": .ring, "hoops": .ring,
    ]

    static let motions: [String: Motion] = [
        "bouncing": .bounce, "bounces": .bounce, "bounce": .bounce, "bouncy": .bounce, "jumping": .bounce,
        "left": .left, "leftward": .left, "leftwards": .left, "right": .right, "rightward": .right,
        "rightwards": .right, "up": .up, "upward": .up, "upwards": .up, "rising": .up, "rises": .up,
        "floating": .up, "down": .down, "downward": .down, "downwards": .down, "falling": .down, "falls": .down,
        "sinking": .down, "orbiting": .orbit, "orbit": .orbit, "orbits": .orbit, "circling": .orbit,
        "around": .orbit, "growing": .grow, "grows": .grow, "grow": .grow, "pulsing": .grow, "pulsating": .grow,
        "breathing": .grow, "shrinking": .grow, "drifting": .drift, "drifts": .drift, "wandering": .drift,
        "moving": .drift, "moves": .drift, "spinning": .spin, "spins": .spin, "rotating": .spin,
        "rotates": .spin, "turning": .spin, "still": .still, "static": .still, "resting": .still,
        "sitting": .still,
    ]

    static let counts: [String: Int] = [
        "a": 1, "an": 1, "one": 1, "single": 1, "two": 2, "pair": 2, "three": 3, "four": 4, "five": 5,
        "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "several": 4, "many": 7, "some": 3,
    ]

    static let speeds: [String: Double] = [
        "slow": 0.5, "slowly": 0.5, "gently": 0.6, "lazily": 0.4, "calm": 0.6, "calmly": 0.6,
        "fast": 2.0, "quick": 1.8, "quickly": 1.8, "rapidly": 2.2, "rapid": 2.2, "speeding": 2.0,
    ]

    static let sizes: [String: Double] = [
        "tiny": 0.05, "small": 0.08, "little": 0.08, "medium": 0.12, "big": 0.19, "large": 0.19,
        "huge": 0.26, "giant": 0.26,
    ]

    static let backgroundWords: Set<String> = ["background", "backdrop", "backgrounds"]
    static let intensifiers: Set<String> = ["very", "really", "extremely", "super"]

    /// Words that carry no scene information and are never reported as ignored.
    static let stopWords: Set<String> = [
        "the", "on", "in", "with", "and", "of", "over", "across", "through", "to", "at", "is", "are", "its",
        "it", "into", "from", "against", "under", "above", "by", "while", "that", "which", "then", "their",
        "each", "other", "as", "of", "for", "like", "along", "s", "they", "them", "there", "this", "these",
    ]
}
