// A minimal single-threaded epoll + splice(2) TCP relay: the reference a proxy's byte path is measured
// against (DESIGN.md: "1.1-1.3x direct"). A benchmark peer, not part of stoep: no timeouts, a blocking
// connect, fixed limits. Every accepted connection is relayed to 127.0.0.1:UPSTREAM through two pipes
// (one per direction) with non-blocking splice: in until the socket is drained or the pipe full, out
// until the pipe is empty or the destination full, repeated while anything moved.
//
// Build: cc -O2 -o relay relay.c
// Usage: relay LISTEN_PORT UPSTREAM_PORT
// Knobs (environment, for measuring one lever at a time):
//   PIPE_SIZE=bytes   F_SETPIPE_SZ (default 1 MiB; 0 keeps the kernel's 64 KiB)
//   LEVEL=1           level-triggered epoll instead of edge-triggered, EPOLLOUT asked for only while a
//                     pipe holds bytes its destination would not take (HAProxy's way)
//   ONE=1             one splice in and one out per event (no loop until EAGAIN; only with LEVEL=1)
//   MORE=1            SPLICE_F_MORE on the splice out
//   NOMOVE=1          no SPLICE_F_MOVE
//   NODELAY=1         TCP_NODELAY on both sockets
//   RCVBUF/SNDBUF=n   SO_RCVBUF/SO_SNDBUF on both sockets (default: the kernel's autotuning)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct dir { int in, out, pipe[2]; size_t held; int eof, shut; };
struct conn { int fd[2]; struct dir d[2]; int done; unsigned mask[2]; struct side *sd[2]; };
struct side { struct conn *c; int idx; };

static int pipe_size = 1 << 20, level, one, flags_out, flags_in, nodelay, rcvbuf, sndbuf;

static int envi(const char *k, int def) { const char *v = getenv(k); return v ? atoi(v) : def; }

static void tune(int fd) {
    int one_ = 1;
    if (nodelay) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one_, sizeof one_);
    if (rcvbuf) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (sndbuf) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
}

// Moves what it can in one direction; returns -1 on error, else whether anything moved.
static int pump(struct dir *d) {
    int moved = 0;
    for (;;) {
        int progress = 0;
        if (!d->eof) {
            ssize_t n = splice(d->in, NULL, d->pipe[1], NULL, 1 << 30, flags_in);
            if (n > 0) { d->held += n; progress = 1; }
            else if (n == 0) { d->eof = 1; progress = 1; }
            else if (errno != EAGAIN) return -1;
        }
        if (d->held) {
            ssize_t n = splice(d->pipe[0], NULL, d->out, NULL, d->held, flags_out);
            if (n > 0) { d->held -= n; progress = 1; }
            else if (n < 0 && errno != EAGAIN) return -1;
        }
        if (d->eof && !d->held && !d->shut) { shutdown(d->out, SHUT_WR); d->shut = 1; }
        moved |= progress;
        if (!progress || one) return moved;
    }
}

static void finish(struct conn *c) {
    for (int i = 0; i < 2; i++) { close(c->fd[i]); close(c->d[i].pipe[0]); close(c->d[i].pipe[1]); }
    c->done = 1;  // leaked on purpose: an event for it may still be in this batch
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: relay LISTEN_PORT UPSTREAM_PORT\n"); return 2; }
    signal(SIGPIPE, SIG_IGN);
    pipe_size = envi("PIPE_SIZE", 1 << 20); level = envi("LEVEL", 0); one = envi("ONE", 0);
    nodelay = envi("NODELAY", 0); rcvbuf = envi("RCVBUF", 0); sndbuf = envi("SNDBUF", 0);
    flags_in = SPLICE_F_NONBLOCK | (envi("NOMOVE", 0) ? 0 : SPLICE_F_MOVE);
    flags_out = flags_in | (envi("MORE", 0) ? SPLICE_F_MORE : 0);
    struct sockaddr_in la = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])) };
    struct sockaddr_in ua = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])) };
    la.sin_addr.s_addr = ua.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), on = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(lfd, (void *)&la, sizeof la) || listen(lfd, 1024)) { perror("bind/listen"); return 1; }
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL }, evs[256];
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            struct side *s = evs[i].data.ptr;
            if (!s) {
                int cfd;
                while ((cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    int ufd = socket(AF_INET, SOCK_STREAM, 0);
                    if (connect(ufd, (void *)&ua, sizeof ua)) { close(ufd); close(cfd); continue; }
                    fcntl(ufd, F_SETFL, O_NONBLOCK);
                    tune(cfd); tune(ufd);
                    struct conn *c = calloc(1, sizeof *c);
                    c->fd[0] = cfd; c->fd[1] = ufd;
                    for (int k = 0; k < 2; k++) {
                        pipe2(c->d[k].pipe, O_NONBLOCK);
                        if (pipe_size) fcntl(c->d[k].pipe[0], F_SETPIPE_SZ, pipe_size);
                        c->d[k].in = c->fd[k]; c->d[k].out = c->fd[1 - k];
                        struct side *sd = malloc(sizeof *sd);
                        sd->c = c; sd->idx = k;
                        c->sd[k] = sd;
                        c->mask[k] = level ? EPOLLIN | EPOLLRDHUP : EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
                        struct epoll_event e = { .events = c->mask[k], .data.ptr = sd };
                        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd[k], &e);
                    }
                }
                continue;
            }
            struct conn *c = s->c;
            if (c->done) continue;
            if (pump(&c->d[0]) < 0 || pump(&c->d[1]) < 0 || (c->d[0].shut && c->d[1].shut)) { finish(c); continue; }
            if (level) {  // fd k is the destination of direction 1-k
                for (int k = 0; k < 2; k++) {
                    unsigned want = EPOLLIN | EPOLLRDHUP | (c->d[1 - k].held ? EPOLLOUT : 0);
                    if (c->d[k].eof) want &= ~(EPOLLIN | EPOLLRDHUP);  // EOF stays readable: would spin
                    if (want != c->mask[k]) {
                        struct epoll_event e = { .events = want, .data.ptr = c->sd[k] };
                        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd[k], &e);
                        c->mask[k] = want;
                    }
                }
            }
        }
    }
}
