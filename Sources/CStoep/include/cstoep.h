// The thin C shim: only what Swift cannot call directly.
// - liburing's helpers are `static inline` and import through this header as they are.
// - splice(2), F_SETPIPE_SZ, accept4 and recvmmsg/sendmmsg are _GNU_SOURCE symbols that Glibc's Swift
//   overlay does not expose; fcntl is variadic; CMSG_* are macros.
// Only the Reactor imports this module (tests/integration/test_layers.py checks).
// Every function here is prefixed stoep_ and says why it exists.
#ifndef CSTOEP_H
#define CSTOEP_H
// System headers first: liburing.h defines _XOPEN_SOURCE, which would otherwise give fd_set a layout
// different from the one Swift's Glibc module sees.
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <netinet/in.h>
#include <liburing.h>

// splice(2) with SPLICE_F_MOVE|SPLICE_F_NONBLOCK: never parks the thread; -1/errno as the syscall.
// (SPLICE_F_MORE was measured and rejected: it delays the tail, docs/architecture.md.)
ssize_t stoep_splice(int fd_in, int fd_out, size_t len);

// pipe2(O_NONBLOCK|O_CLOEXEC) then F_SETPIPE_SZ(size); returns the granted capacity, or -errno.
int stoep_pipe(int fds[2], int size);

// accept4(2) is a _GNU_SOURCE symbol: accept a connection as non-blocking, close-on-exec. -1/errno.
int stoep_accept(int fd);

// fcntl is variadic: set O_NONBLOCK on a descriptor. Returns 0 or -errno.
int stoep_set_nonblocking(int fd);

// The ring's feature bits sit behind a struct Swift sees only as opaque fields.
static inline int stoep_uring_has_feature(struct io_uring *ring, unsigned f) { return (ring->features & f) != 0; }

// Setup flags and constants that are macros (Swift imports only simple ones reliably).
static inline unsigned stoep_setup_single_issuer(void) { return IORING_SETUP_SINGLE_ISSUER; }
static inline unsigned stoep_setup_defer_taskrun(void) { return IORING_SETUP_DEFER_TASKRUN; }
static inline unsigned stoep_setup_coop_taskrun(void) { return IORING_SETUP_COOP_TASKRUN; }
static inline unsigned stoep_setup_cqsize(void) { return IORING_SETUP_CQSIZE; }
static inline unsigned stoep_cqe_f_more(void) { return IORING_CQE_F_MORE; }

// sockaddr_storage <-> text without getaddrinfo (numeric only). Returns 0 or -1.
int stoep_sockaddr_from_text(const char *host, uint16_t port, struct sockaddr_storage *out, socklen_t *len);
// Writes "ip:port" or "[ip]:port" into buf; returns length.
int stoep_sockaddr_to_text(const struct sockaddr *sa, char *buf, size_t size);

// A child process on the loop (ChildProcess.swift). pidfd_open has no glibc wrapper before 2.36 and
// syscall(2) is variadic, which Swift cannot call: the descriptor becomes readable when the child exits
// (Linux >= 5.3). Returns the descriptor (always close-on-exec), or -errno.
int stoep_pidfd_open(pid_t pid);
// pipe2(O_CLOEXEC) for a child's output, with O_NONBLOCK on the read end only: the child's write end
// must stay blocking (a script writing into a full pipe must wait, not fail with EAGAIN), and O_NONBLOCK
// set by pipe2 would apply to both ends. pipe2 is a _GNU_SOURCE symbol. 0 or -errno.
int stoep_child_pipe(int fds[2]);

// A worker of `workers = N` (WorkerProcess.swift). sched_setaffinity's cpu_set_t is filled with the
// CPU_SET macro, which Swift cannot expand: runs the calling process on `cpu` only. 0 or -errno.
int stoep_pin_to_cpu(int cpu);
// prctl(2) is variadic: asks the kernel to send `sig` to the calling process when its parent (the
// supervisor) dies, so workers never outlive a supervisor killed with SIGKILL. 0 or -errno.
int stoep_signal_on_parent_death(int sig);

// Datagrams in batches (recvmmsg/sendmmsg are _GNU_SOURCE, and the IP_PKTINFO / IPV6_PKTINFO ancillary
// data is CMSG_* macro work): one syscall moves up to `n` datagrams. `dest` is the local address a
// datagram arrived at; with `use_dest`, a sent datagram leaves from its `dest` (a wildcard-bound server
// answering from the address it was asked at). A single send is a batch of one.
struct stoep_dgram {
    void *buf;
    size_t cap;
    size_t len;
    struct sockaddr_storage peer;
    socklen_t peerlen;
    struct sockaddr_storage dest;
};
// Receives up to n datagrams without blocking; returns how many, or -errno (-EAGAIN when none). A
// datagram larger than its buffer comes back with len = cap + 1 (the caller drops it).
int stoep_recv_batch(int fd, struct stoep_dgram *d, unsigned n);
// Sends d[0..n) (each len bytes to its peer) without blocking; returns how many went out, or -errno.
int stoep_send_batch(int fd, struct stoep_dgram *d, unsigned n, int use_dest);
// The privilege drop keeps one capability (ProcessIdentity.swift). prctl(2) is variadic and capset(2)
// has no glibc wrapper (libcap is not linked; syscall(2) is variadic): Swift can call neither.
// PR_SET_KEEPCAPS: whether setuid() away from root keeps the permitted set. 0 or -errno.
int stoep_keep_capabilities(int on);
// capset(2): permitted, effective and inheritable sets become exactly `cap` (e.g. CAP_NET_BIND_SERVICE);
// with `ambient`, also raised in the ambient set (kept across execve by children). 0 or -errno.
int stoep_limit_capabilities_to(int cap, int ambient);
// capget(2): whether `cap` is in the effective set. 1, 0, or -errno.
int stoep_has_effective_capability(int cap);

#endif
