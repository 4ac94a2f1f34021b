import Glibc

/// Keeps the process alive for 3 s so its idle RSS can be read from /proc.
func idle() {
    var ts = timespec(tv_sec: 3, tv_nsec: 0)
    nanosleep(&ts, nil)
}
