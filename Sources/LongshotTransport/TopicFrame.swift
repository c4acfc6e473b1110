import Foundation

/// PUB/SUB framing: topic bytes (UTF-8), one 0x00 separator, payload.
///
/// NNG's SUB filters on a byte prefix of the whole message; ending the subscribed prefix with the
/// separator makes `job-1` not match `job-12`. A topic must not contain a 0x00 byte.
enum TopicFrame {
    static let separator: UInt8 = 0

    /// The subscription prefix for `topic`; "" subscribes to everything.
    static func subscriptionPrefix(_ topic: String?) -> [UInt8] {
        guard let topic else { return [] }
        return Array(topic.utf8) + [separator]
    }

    /// Splits a received message into topic and payload; nil without a separator.
    static func split(_ message: Data) -> (topic: String, payload: Data)? {
        guard let index = message.firstIndex(of: separator) else { return nil }
        let topic = String(decoding: message[message.startIndex..<index], as: UTF8.self)
        return (topic, Data(message[(index + 1)...]))
    }
}
