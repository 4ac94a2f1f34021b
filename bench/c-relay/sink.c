// An HTTP/1.1 upload sink for bench/big-body-bench.sh --upload: reads each request's head and its
// Content-Length body (read(2) into one 256 KiB buffer, discarded), then answers 200 with an empty body.
// A chunked body is read until its last chunk "0\r\n\r\n" (no trailers; enough for the benchmark's clients).
// A GET is answered with 100,000,000 bytes chunked (1,600 chunks of 62,500), written blocking: one client
// at a time (bench/syscalls-per-mb.sh --chunked, without --upload), not a throughput peer.
// Keep-alive, single-threaded epoll, edge-triggered. A benchmark peer, not part of stoep.
// Build: cc -O2 -o sink sink.c    Usage: sink PORT
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

struct conn { int fd; char head[8192]; size_t headlen; long long body; int inbody, chunked; char tail[6]; };
static char buf[256 * 1024];
static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

// Returns -1 when the connection is to be closed.
static int serve(struct conn *c) {
    for (;;) {
        if (c->inbody && c->chunked) {
            ssize_t n = read(c->fd, buf, sizeof buf);
            if (n < 0) return errno == EAGAIN ? 0 : -1;
            if (n == 0) return -1;
            // The last chunk, "\r\n0\r\n\r\n", within this read or across its start (the 6 bytes before it
            // are kept; they start as "....\r\n" so that an empty body's lone last chunk matches too).
            char probe[12];
            size_t k = n < 6 ? (size_t)n : 6;
            memcpy(probe, c->tail, 6); memcpy(probe + 6, buf, k);
            int end = memmem(probe, 6 + k, "\r\n0\r\n\r\n", 7) != NULL || memmem(buf, n, "\r\n0\r\n\r\n", 7) != NULL;
            if (n >= 6) memcpy(c->tail, buf + n - 6, 6);
            else { memmove(c->tail, c->tail + n, 6 - n); memcpy(c->tail + 6 - n, buf, n); }
            if (end) {
                c->inbody = 0;
                if (write(c->fd, reply, sizeof reply - 1) < 0) return -1;
            }
            continue;
        }
        if (c->inbody) {
            ssize_t n = read(c->fd, buf, c->body < (long long)sizeof buf ? (size_t)c->body : sizeof buf);
            if (n < 0) return errno == EAGAIN ? 0 : -1;
            if (n == 0) return -1;
            c->body -= n;
            if (c->body == 0) {
                c->inbody = 0;
                if (write(c->fd, reply, sizeof reply - 1) < 0) return -1;  // tiny: fits the send buffer
            }
            continue;
        }
        ssize_t n = read(c->fd, c->head + c->headlen, sizeof c->head - 1 - c->headlen);
        if (n < 0) return errno == EAGAIN ? 0 : -1;
        if (n == 0) return -1;
        c->headlen += n;
        c->head[c->headlen] = 0;
        char *end = strstr(c->head, "\r\n\r\n");
        if (!end) { if (c->headlen >= sizeof c->head - 1) return -1; continue; }
        if (strncmp(c->head, "GET ", 4) == 0) {
            static const char head[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
            fcntl(c->fd, F_SETFL, 0);
            if (write(c->fd, head, sizeof head - 1) < 0) return -1;
            for (int i = 0; i < 1600; i++) {
                struct iovec v[3] = { { "f424\r\n", 6 }, { buf, 62500 }, { "\r\n", 2 } };
                size_t want = 6 + 62500 + 2, done = 0;
                while (done < want) {  // writev may be short: skip what went
                    struct iovec w[3]; int k = 0; size_t skip = done;
                    for (int j = 0; j < 3; j++) {
                        if (skip >= v[j].iov_len) { skip -= v[j].iov_len; continue; }
                        w[k].iov_base = (char *)v[j].iov_base + skip; w[k].iov_len = v[j].iov_len - skip; skip = 0; k++;
                    }
                    ssize_t n = writev(c->fd, w, k);
                    if (n <= 0) return -1;
                    done += n;
                }
            }
            if (write(c->fd, "0\r\n\r\n", 5) < 0) return -1;
            fcntl(c->fd, F_SETFL, O_NONBLOCK);
            c->headlen = 0;
            continue;
        }
        char *cl = strcasestr(c->head, "\r\ncontent-length:");
        c->body = cl ? atoll(cl + 17) : 0;
        c->chunked = strcasestr(c->head, "\r\ntransfer-encoding: chunked") != NULL;
        if (c->chunked) {  // bytes after the head are part of the body: no pipelining here either
            // The body bytes read with the head are not looked at: a benchmark body is far longer than a head.
            c->headlen = 0; c->inbody = 1; memcpy(c->tail, "....\r\n", 6);
            continue;
        }
        size_t after = c->headlen - (size_t)(end + 4 - c->head);
        if ((long long)after > c->body) return -1;  // no pipelining in this sink
        c->body -= after;
        c->headlen = 0;
        c->inbody = 1;
        if (c->body == 0) { c->inbody = 0; if (write(c->fd, reply, sizeof reply - 1) < 0) return -1; }
    }
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: sink PORT\n"); return 2; }
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), on = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(lfd, (void *)&a, sizeof a) || listen(lfd, 1024)) { perror("bind/listen"); return 1; }
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL }, evs[64];
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    for (;;) {
        int n = epoll_wait(ep, evs, 64, -1);
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (!c) {
                int fd;
                while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    c = calloc(1, sizeof *c);
                    c->fd = fd;
                    struct epoll_event e = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = c };
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
                }
                continue;
            }
            if (serve(c) < 0) { close(c->fd); free(c); }
        }
    }
}
