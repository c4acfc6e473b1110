import CNNG

/// The address a listener actually bound: tcp:// with port 0 gets the chosen port filled in;
/// anything else is returned as requested.
func resolvedAddress(of listener: nng_listener, requested: String) -> String {
    guard requested.hasPrefix("tcp://") || requested.hasPrefix("tcp4://") else { return requested }
    var sockaddr = nng_sockaddr()
    guard nng_listener_get_addr(listener, NNG_OPT_LOCADDR, &sockaddr) == 0,
        sockaddr.s_family == UInt16(NNG_AF_INET.rawValue)
    else { return requested }
    let port = UInt16(bigEndian: sockaddr.s_in.sa_port)
    let host = requested.dropFirst(requested.hasPrefix("tcp4://") ? 7 : 6).split(separator: ":").first.map(String.init) ?? "127.0.0.1"
    return "tcp://\(host):\(port)"
}
