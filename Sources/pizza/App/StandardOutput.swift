// Alone in its file: Glibc's `stdout` is a global `var`, usable under strict concurrency only through
// a `@preconcurrency` import, which must not follow Foundation's (which re-exports Glibc).
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Makes stdout line-buffered, so progress shows up at once when piped to a file or `tee`.
func makeStandardOutputLineBuffered() {
    setvbuf(stdout, nil, _IOLBF, 0)
}
