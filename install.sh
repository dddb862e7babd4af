#!/bin/sh
# Installs a codex-orchestrator release binary for this machine: downloads the archive for the platform, verifies
# it against the release's SHA256SUMS, and installs `codex-orchestrator` (plus the `codex-orch` alias) into a directory.
#
#   curl -fsSL https://github.com/codex-orchestrator/codex-orchestrator/releases/latest/download/install.sh | sh
#   sh install.sh --version 0.2.0 --dir ~/.local/bin
#
# Options (or environment):
#   --version V     release to install, e.g. 0.2.0 or latest   (CODEX_ORCHESTRATOR_VERSION, default latest)
#   --dir D         install directory                          (CODEX_ORCHESTRATOR_INSTALL_DIR, default ~/.local/bin)
#   --platform P    skip detection: linux-x64, linux-x64-musl, linux-arm64, darwin-x64, darwin-arm64, windows-x64
#   --print-platform  print the detected platform id and exit
# Download location: CODEX_ORCHESTRATOR_DOWNLOAD_URL (default https://github.com/<repo>/releases/download) with the
# assets under <url>/v<version>/ (<url>/latest/ for latest); CODEX_ORCHESTRATOR_REPO (default
# codex-orchestrator/codex-orchestrator) names the GitHub repository.
#
# Exit status: 0 installed, 1 download/verification/install failure, 2 bad usage or unsupported platform.
set -eu

REPO="${CODEX_ORCHESTRATOR_REPO:-codex-orchestrator/codex-orchestrator}"
VERSION="${CODEX_ORCHESTRATOR_VERSION:-latest}"
DIR="${CODEX_ORCHESTRATOR_INSTALL_DIR:-${HOME:-}/.local/bin}"
PLATFORM=""
PRINT_PLATFORM=0

fail() { echo "install.sh: $1" >&2; exit "${2:-1}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --version) [ $# -ge 2 ] && [ -n "$2" ] || fail "--version requires a value." 2; VERSION="$2"; shift 2 ;;
    --version=*) VERSION="${1#*=}"; [ -n "$VERSION" ] || fail "--version requires a value." 2; shift ;;
    --dir) [ $# -ge 2 ] && [ -n "$2" ] || fail "--dir requires a path." 2; DIR="$2"; shift 2 ;;
    --dir=*) DIR="${1#*=}"; [ -n "$DIR" ] || fail "--dir requires a path." 2; shift ;;
    --platform) [ $# -ge 2 ] && [ -n "$2" ] || fail "--platform requires a value." 2; PLATFORM="$2"; shift 2 ;;
    --platform=*) PLATFORM="${1#*=}"; shift ;;
    --print-platform) PRINT_PLATFORM=1; shift ;;
    -h|--help) sed -n '2,18p' "$0" 2>/dev/null | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) fail "unknown option: $1" 2 ;;
  esac
done
VERSION="${VERSION#v}"

detect_platform() {
  os=$(uname -s)
  arch=$(uname -m)
  case "$os" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    MINGW*|MSYS*|CYGWIN*) os=windows ;;
    *) fail "unsupported operating system: $os (release binaries exist for Linux, macOS and Windows)." 2 ;;
  esac
  case "$arch" in
    x86_64|amd64) arch=x64 ;;
    aarch64|arm64) arch=arm64 ;;
    *) fail "unsupported CPU architecture: $arch (release binaries exist for x64 and arm64)." 2 ;;
  esac
  # An x64 shell under Rosetta on Apple silicon: the native binary is the better choice.
  if [ "$os" = darwin ] && [ "$arch" = x64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || echo 0)" = 1 ]; then
    arch=arm64
  fi
  suffix=""
  if [ "$os" = linux ]; then
    if ls /lib/ld-musl-* >/dev/null 2>&1 || (ldd --version 2>&1 | grep -qi musl); then suffix="-musl"; fi
  fi
  echo "$os-$arch$suffix"
}

[ -n "$PLATFORM" ] || PLATFORM=$(detect_platform)
case "$PLATFORM" in
  linux-x64|linux-x64-musl|linux-arm64|darwin-x64|darwin-arm64) EXE=codex-orchestrator; EXT=tar.gz ;;
  windows-x64) EXE=codex-orchestrator.exe; EXT=zip ;;
  *) fail "no release binary for platform $PLATFORM (available: linux-x64, linux-x64-musl, linux-arm64, darwin-x64, darwin-arm64, windows-x64)." 2 ;;
esac
if [ "$PRINT_PLATFORM" = 1 ]; then echo "$PLATFORM"; exit 0; fi

if [ -n "${CODEX_ORCHESTRATOR_DOWNLOAD_URL:-}" ]; then
  BASE="${CODEX_ORCHESTRATOR_DOWNLOAD_URL%/}"
  if [ "$VERSION" = latest ]; then BASE="$BASE/latest"; else BASE="$BASE/v$VERSION"; fi
elif [ "$VERSION" = latest ]; then
  BASE="https://github.com/$REPO/releases/latest/download"
else
  BASE="https://github.com/$REPO/releases/download/v$VERSION"
fi

download() { # url file
  if command -v curl >/dev/null 2>&1; then
    curl -fsL --retry 2 -o "$2" "$1" || fail "download failed: $1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1" || fail "download failed: $1"
  else
    fail "neither curl nor wget is installed."
  fi
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1" | cut -d' ' -f1
  else fail "neither sha256sum nor shasum is installed: cannot verify the download."
  fi
}

TMP=$(mktemp -d 2>/dev/null || mktemp -d -t codex-orchestrator)
trap 'rm -rf "$TMP"' EXIT INT TERM

ASSET="codex-orchestrator-$PLATFORM.$EXT"
download "$BASE/SHA256SUMS" "$TMP/SHA256SUMS"
# Also accept the zip's tar.gz fallback name (build:all writes .tar.gz for Windows when zip is missing).
EXPECTED=$(awk -v a="$ASSET" '$2 == a || $2 == "*" a { print $1; exit }' "$TMP/SHA256SUMS")
if [ -z "$EXPECTED" ] && [ "$EXT" = zip ]; then
  ASSET="codex-orchestrator-$PLATFORM.tar.gz"; EXT=tar.gz
  EXPECTED=$(awk -v a="$ASSET" '$2 == a || $2 == "*" a { print $1; exit }' "$TMP/SHA256SUMS")
fi
[ -n "$EXPECTED" ] || fail "SHA256SUMS of $BASE lists no $ASSET."
download "$BASE/$ASSET" "$TMP/$ASSET"
ACTUAL=$(sha256_of "$TMP/$ASSET")
[ "$ACTUAL" = "$EXPECTED" ] || fail "checksum mismatch for $ASSET: expected $EXPECTED, got $ACTUAL; nothing installed."

mkdir -p "$TMP/x"
if [ "$EXT" = zip ]; then
  command -v unzip >/dev/null 2>&1 || fail "unzip is required to unpack $ASSET."
  unzip -q "$TMP/$ASSET" -d "$TMP/x" || fail "cannot unpack $ASSET."
else
  tar -xzf "$TMP/$ASSET" -C "$TMP/x" || fail "cannot unpack $ASSET."
fi
[ -f "$TMP/x/$EXE" ] || fail "$ASSET does not contain $EXE."
chmod 755 "$TMP/x/$EXE"

# Check the binary runs and is the version asked for before it replaces anything.
if [ "$PLATFORM" = "$(detect_platform 2>/dev/null || true)" ]; then
  GOT=$("$TMP/x/$EXE" --version 2>/dev/null) || fail "the downloaded $EXE does not run on this machine; nothing installed."
  if [ "$VERSION" != latest ] && [ "$GOT" != "$VERSION" ]; then
    fail "the downloaded $EXE reports version $GOT, expected $VERSION; nothing installed."
  fi
fi

mkdir -p "$DIR" || fail "cannot create $DIR."
# Copy next to the target, then rename: a running old binary or an interrupted copy never leaves a broken file.
cp "$TMP/x/$EXE" "$DIR/.$EXE.tmp.$$" || fail "cannot write to $DIR."
mv -f "$DIR/.$EXE.tmp.$$" "$DIR/$EXE" || fail "cannot write to $DIR."
ALIAS="codex-orch${EXE#codex-orchestrator}"
if [ "$EXT" = zip ]; then cp -f "$DIR/$EXE" "$DIR/$ALIAS"; else ln -sf "$EXE" "$DIR/$ALIAS"; fi

echo "Installed codex-orchestrator ${GOT:-$VERSION} ($PLATFORM) to $DIR/$EXE"
case ":${PATH:-}:" in
  *":$DIR:"*) ;;
  *) echo "Note: $DIR is not on PATH; add it, e.g. export PATH=\"$DIR:\$PATH\"" >&2 ;;
esac
