/// An RGB colour with components in [0, 1].
public struct RGB: Sendable, Hashable, Codable {
    public var r: Float
    public var g: Float
    public var b: Float
    public init(_ r: Float, _ g: Float, _ b: Float) {
        self.r = r
        self.g = g
        self.b = b
    }
}

public enum ShapeKind: String, Sendable, Hashable, Codable, CaseIterable {
    case circle, square, triangle, ring
}

public enum Motion: String, Sendable, Hashable, Codable, CaseIterable {
    case bounce, left, right, up, down, orbit, grow, drift, spin, still
}

/// One kind of object in a scene, possibly several copies (`count`).
public struct ObjectSpec: Sendable, Hashable, Codable {
    public var shape: ShapeKind
    public var color: RGB
    public var count: Int
    public var motion: Motion
    /// Multiplies the base speed (1 is about a quarter of the frame height per second).
    public var speed: Double
    /// Radius as a fraction of the frame height.
    public var size: Double
}

/// What a prompt asks for: the background and the objects moving over it.
public struct SceneSpec: Sendable, Hashable, Codable {
    public var backgroundTop: RGB
    public var backgroundBottom: RGB
    public var objects: [ObjectSpec]
    /// Prompt words the parser did not understand (they are ignored).
    public var ignoredWords: [String]
}
