#!/usr/bin/env bash
# Regenerates Sources/LongshotProtocol/Generated/*.pb.swift from Protos/longshot/v1/*.proto.
#
# Builds protoc-gen-swift (swift-protobuf, the version pinned in Package.swift) in a scratch
# package under .build-protoc/ (gitignored), then runs the system `protoc` (Debian:
# protobuf-compiler). The generated code is committed; run this after editing any .proto.
#
# Usage: ops/gen-protos.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRATCH="$ROOT/.build-protoc"
PLUGIN_PKG="$SCRATCH/plugin"
OUT="$ROOT/Sources/LongshotProtocol/Generated"
PROTOBUF_VERSION="${PROTOBUF_VERSION:-1.39.0}"

command -v protoc >/dev/null || { echo "protoc not found: apt-get install -y protobuf-compiler" >&2; exit 1; }

mkdir -p "$PLUGIN_PKG"
cat > "$PLUGIN_PKG/Package.swift.new" <<SWIFT
// swift-tools-version: 6.1
// Scratch package that only builds protoc-gen-swift (written by ops/gen-protos.sh).
import PackageDescription

let package = Package(
    name: "ProtocGenSwiftBuilder",
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf", exact: "$PROTOBUF_VERSION")
    ],
    targets: []
)
SWIFT
# Rewrite the manifest only when it changed, so a cached plugin build is reused (seconds, not a minute).
if cmp -s "$PLUGIN_PKG/Package.swift.new" "$PLUGIN_PKG/Package.swift"; then
    rm "$PLUGIN_PKG/Package.swift.new"
else
    mv "$PLUGIN_PKG/Package.swift.new" "$PLUGIN_PKG/Package.swift"
fi

echo "building protoc-gen-swift $PROTOBUF_VERSION (first run takes about a minute)..." >&2
swift build -c release --package-path "$PLUGIN_PKG" --product protoc-gen-swift >&2
PLUGIN="$(swift build -c release --package-path "$PLUGIN_PKG" --show-bin-path)/protoc-gen-swift"

rm -rf "$OUT"
mkdir -p "$OUT"
cd "$ROOT/Protos"
# shellcheck disable=SC2046
protoc \
    --plugin=protoc-gen-swift="$PLUGIN" \
    --swift_out="$OUT" \
    --swift_opt=Visibility=Public \
    --swift_opt=FileNaming=DropPath \
    $(find longshot -name '*.proto' | sort)

echo "wrote:" >&2
ls -1 "$OUT" >&2
