// The thin C shim: only what Swift cannot call directly.
// - liburing's helpers are `static inline` and import through this header as they are.
// - splice(2), tee, F_SETPIPE_SZ and the SPLICE_F_* flags are _GNU_SOURCE symbols that Glibc's Swift
//   overlay does not expose; fcntl and ioctl are variadic.
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
ssize_t stoep_splice(int fd_in, int fd_out, size_t len, int more);

// pipe2(O_NONBLOCK|O_CLOEXEC) then F_SETPIPE_SZ(size); returns the granted capacity, or -errno.
int stoep_pipe(int fds[2], int size);

// accept4(2) is a _GNU_SOURCE symbol: accept a connection as non-blocking, close-on-exec. -1/errno.
int stoep_accept(int fd);

// fcntl is variadic: set O_NONBLOCK on a descriptor. Returns 0 or -errno.
int stoep_set_nonblocking(int fd);

// ioctl(FIONREAD) is variadic: bytes waiting to be read, or -errno.
int stoep_bytes_readable(int fd);

// The SQE/CQE fields Swift sees through the C union members: keep the accessors in one place.
static inline void stoep_sqe_set_data64(struct io_uring_sqe *sqe, uint64_t data) { sqe->user_data = data; }
static inline int stoep_uring_has_feature(struct io_uring *ring, unsigned f) { return (ring->features & f) != 0; }

// Setup flags and constants that are macros (Swift imports only simple ones reliably).
static inline unsigned stoep_setup_single_issuer(void) { return IORING_SETUP_SINGLE_ISSUER; }
static inline unsigned stoep_setup_defer_taskrun(void) { return IORING_SETUP_DEFER_TASKRUN; }
static inline unsigned stoep_setup_coop_taskrun(void) { return IORING_SETUP_COOP_TASKRUN; }
static inline unsigned stoep_setup_cqsize(void) { return IORING_SETUP_CQSIZE; }
static inline unsigned stoep_cqe_f_more(void) { return IORING_CQE_F_MORE; }
static inline unsigned stoep_poll_add_multi(void) { return IORING_POLL_ADD_MULTI; }

// sockaddr_storage <-> text without getaddrinfo (numeric only). Returns 0 or -1.
int stoep_sockaddr_from_text(const char *host, uint16_t port, struct sockaddr_storage *out, socklen_t *len);
// Writes "ip:port" or "[ip]:port" into buf; returns length.
int stoep_sockaddr_to_text(const struct sockaddr *sa, char *buf, size_t size);

// IP_PKTINFO / IPV6_RECVPKTINFO ancillary data helpers (CMSG_* are macros).
// recvmsg on a UDP socket; fills the destination address the datagram arrived at (0 if unknown).
ssize_t stoep_recv_with_dest(int fd, void *buf, size_t len, struct sockaddr_storage *from, socklen_t *fromlen,
                             struct sockaddr_storage *dest);
// sendmsg from a given local address (dest from stoep_recv_with_dest); dest may have family 0.
ssize_t stoep_send_from(int fd, const void *buf, size_t len, const struct sockaddr *to, socklen_t tolen,
                        const struct sockaddr_storage *from);

// Batched datagrams (recvmmsg/sendmmsg are _GNU_SOURCE and their msghdr/cmsg set-up is macro work):
// one syscall moves up to `n` DNS queries or answers. `dest` is the address a query arrived at
// (IP_PKTINFO / IPV6_PKTINFO), used as the source of its answer when `use_dest` is set.
struct stoep_dgram {
    void *buf;
    size_t cap;
    size_t len;
    struct sockaddr_storage peer;
    socklen_t peerlen;
    struct sockaddr_storage dest;
};
// Receives up to n datagrams without blocking; returns how many, or -errno (-EAGAIN when none).
int stoep_recv_batch(int fd, struct stoep_dgram *d, unsigned n);
// Sends d[0..n) (each len bytes to its peer); returns how many went out, or -errno.
int stoep_send_batch(int fd, struct stoep_dgram *d, unsigned n, int use_dest);
#endif
