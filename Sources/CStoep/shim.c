#define _GNU_SOURCE
#include "cstoep.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sched.h>
#include <linux/capability.h>
#include <arpa/inet.h>

ssize_t stoep_splice(int fd_in, int fd_out, size_t len) {
    return splice(fd_in, NULL, fd_out, NULL, len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
}

int stoep_pipe(int fds[2], int size) {
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0) return -errno;
    // The default 64 KiB pipe is smaller than a socket's receive window: raise it, accept what we get.
    int got = fcntl(fds[0], F_SETPIPE_SZ, size);
    if (got < 0) got = fcntl(fds[0], F_GETPIPE_SZ);
    return got < 0 ? 65536 : got;
}

int stoep_accept(int fd) {
    return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int stoep_set_nonblocking(int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return -errno;
    return 0;
}

int stoep_pidfd_open(pid_t pid) {
    long fd = syscall(SYS_pidfd_open, pid, 0);
    return fd < 0 ? -errno : (int)fd;
}

int stoep_child_pipe(int fds[2]) {
    if (pipe2(fds, O_CLOEXEC) < 0) return -errno;
    int r = stoep_set_nonblocking(fds[0]);
    if (r < 0) { close(fds[0]); close(fds[1]); }
    return r;
}

int stoep_sockaddr_from_text(const char *host, uint16_t port, struct sockaddr_storage *out, socklen_t *len) {
    memset(out, 0, sizeof *out);
    struct sockaddr_in *in4 = (struct sockaddr_in *)out;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
    if (host[0] == 0) {  // "" means every interface, IPv4 (Traefik's ":80")
        in4->sin_family = AF_INET; in4->sin_port = htons(port); in4->sin_addr.s_addr = htonl(INADDR_ANY);
        *len = sizeof *in4; return 0;
    }
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET; in4->sin_port = htons(port); *len = sizeof *in4; return 0;
    }
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6; in6->sin6_port = htons(port); *len = sizeof *in6; return 0;
    }
    return -1;
}

int stoep_sockaddr_to_text(const struct sockaddr *sa, char *buf, size_t size) {
    char ip[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in4 = (const void *)sa;
        inet_ntop(AF_INET, &in4->sin_addr, ip, sizeof ip);
        return snprintf(buf, size, "%s:%u", ip, ntohs(in4->sin_port));
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const void *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
        return snprintf(buf, size, "[%s]:%u", ip, ntohs(in6->sin6_port));
    }
    if (sa->sa_family == AF_UNIX) return snprintf(buf, size, "unix");
    return snprintf(buf, size, "?");
}

#define STOEP_BATCH_MAX 64
// Room for one IP_PKTINFO or IPV6_PKTINFO message (CMSG_SPACE of in6_pktinfo is 40 on 64-bit Linux).
#define STOEP_CONTROL_SIZE 64

// The local address a received datagram arrived at, from its IP_PKTINFO / IPV6_PKTINFO message; family 0
// when there is none (the socket was not asked for it).
static void read_pktinfo(struct msghdr *m, struct sockaddr_storage *dest) {
    memset(dest, 0, sizeof *dest);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo *pi = (struct in_pktinfo *)CMSG_DATA(c);
            struct sockaddr_in *a = (struct sockaddr_in *)dest;
            a->sin_family = AF_INET; a->sin_addr = pi->ipi_spec_dst.s_addr ? pi->ipi_spec_dst : pi->ipi_addr;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo *pi = (struct in6_pktinfo *)CMSG_DATA(c);
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)dest;
            a->sin6_family = AF_INET6; a->sin6_addr = pi->ipi6_addr; a->sin6_scope_id = pi->ipi6_ifindex;
        }
    }
}

// Asks the kernel to send `m` from `dest` (when its family matches the peer's): an IP_PKTINFO /
// IPV6_PKTINFO message in `control` (STOEP_CONTROL_SIZE bytes, zeroed by the caller).
static void write_pktinfo(struct msghdr *m, char *control, const struct sockaddr_storage *peer,
                          const struct sockaddr_storage *dest) {
    if (dest->ss_family == AF_INET && peer->ss_family == AF_INET) {
        m->msg_control = control; m->msg_controllen = CMSG_SPACE(sizeof(struct in_pktinfo));
        struct cmsghdr *c = CMSG_FIRSTHDR(m);
        c->cmsg_level = IPPROTO_IP; c->cmsg_type = IP_PKTINFO; c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
        ((struct in_pktinfo *)CMSG_DATA(c))->ipi_spec_dst = ((const struct sockaddr_in *)dest)->sin_addr;
    } else if (dest->ss_family == AF_INET6 && peer->ss_family == AF_INET6) {
        m->msg_control = control; m->msg_controllen = CMSG_SPACE(sizeof(struct in6_pktinfo));
        struct cmsghdr *c = CMSG_FIRSTHDR(m);
        c->cmsg_level = IPPROTO_IPV6; c->cmsg_type = IPV6_PKTINFO; c->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
        struct in6_pktinfo *pi = (struct in6_pktinfo *)CMSG_DATA(c);
        pi->ipi6_addr = ((const struct sockaddr_in6 *)dest)->sin6_addr;
        pi->ipi6_ifindex = ((const struct sockaddr_in6 *)dest)->sin6_scope_id;
    }
}

int stoep_recv_batch(int fd, struct stoep_dgram *d, unsigned n) {
    struct mmsghdr msgs[STOEP_BATCH_MAX];
    struct iovec iovs[STOEP_BATCH_MAX];
    char control[STOEP_BATCH_MAX][STOEP_CONTROL_SIZE];
    if (n > STOEP_BATCH_MAX) n = STOEP_BATCH_MAX;
    memset(msgs, 0, sizeof(struct mmsghdr) * n);
    for (unsigned i = 0; i < n; i++) {
        iovs[i].iov_base = d[i].buf; iovs[i].iov_len = d[i].cap;
        msgs[i].msg_hdr.msg_name = &d[i].peer; msgs[i].msg_hdr.msg_namelen = sizeof d[i].peer;
        msgs[i].msg_hdr.msg_iov = &iovs[i]; msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_control = control[i]; msgs[i].msg_hdr.msg_controllen = sizeof control[i];
    }
    int got = recvmmsg(fd, msgs, n, MSG_DONTWAIT, NULL);
    if (got < 0) return -errno;
    for (int i = 0; i < got; i++) {
        d[i].len = msgs[i].msg_len;
        d[i].peerlen = msgs[i].msg_hdr.msg_namelen;
        if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) d[i].len = d[i].cap + 1;  // too big: the caller drops it
        read_pktinfo(&msgs[i].msg_hdr, &d[i].dest);
    }
    return got;
}

int stoep_send_batch(int fd, struct stoep_dgram *d, unsigned n, int use_dest) {
    struct mmsghdr msgs[STOEP_BATCH_MAX];
    struct iovec iovs[STOEP_BATCH_MAX];
    char control[STOEP_BATCH_MAX][STOEP_CONTROL_SIZE];
    if (n > STOEP_BATCH_MAX) n = STOEP_BATCH_MAX;
    memset(msgs, 0, sizeof(struct mmsghdr) * n);
    if (use_dest) memset(control, 0, sizeof(control[0]) * n);
    for (unsigned i = 0; i < n; i++) {
        iovs[i].iov_base = d[i].buf; iovs[i].iov_len = d[i].len;
        struct msghdr *m = &msgs[i].msg_hdr;
        m->msg_name = &d[i].peer; m->msg_namelen = d[i].peerlen;
        m->msg_iov = &iovs[i]; m->msg_iovlen = 1;
        if (use_dest) write_pktinfo(m, control[i], &d[i].peer, &d[i].dest);
    }
    int sent = sendmmsg(fd, msgs, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    return sent < 0 ? -errno : sent;
}

int stoep_keep_capabilities(int on) {
    return prctl(PR_SET_KEEPCAPS, on ? 1 : 0, 0, 0, 0) < 0 ? -errno : 0;
}

int stoep_limit_capabilities_to(int cap, int ambient) {
    // Version 3: two 32-bit words per set (capabilities 0-63).
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    unsigned word = (unsigned)cap / 32, bit = 1u << ((unsigned)cap % 32);
    if (word > 1) return -EINVAL;
    data[word].effective = data[word].permitted = data[word].inheritable = bit;
    if (syscall(SYS_capset, &header, data) < 0) return -errno;
    if (ambient && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) return -errno;
    return 0;
}

int stoep_has_effective_capability(int cap) {
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capget, &header, data) < 0) return -errno;
    unsigned word = (unsigned)cap / 32;
    if (word > 1) return -EINVAL;
    return (data[word].effective >> ((unsigned)cap % 32)) & 1;
}

int stoep_pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) < 0 ? -errno : 0;
}

int stoep_signal_on_parent_death(int sig) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0, 0, 0) < 0 ? -errno : 0;
}
