/* Loopback endpoints for bench/probes.py: the same behaviour as probe_endpoints.py, in C,
 * so serving costs the cores both contestants share as little as possible.
 *
 *   probe_endpoints PORTS_PER_KIND
 *
 * Listens on PORTS_PER_KIND ports for each kind and prints {"ssh": [...], "http": [...]}.
 * SSH ports send an identification line on accept and close once the client has spoken (or
 * hung up); HTTP ports answer the first request with a fixed 200 and close. Stops when its
 * stdin reaches end of file.
 */
#define _GNU_SOURCE /* accept4, memmem */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FDS 1048576
#define REQUEST_MAX 8192

enum role { NONE, SSH_LISTENER, HTTP_LISTENER, SSH_CONN, HTTP_CONN, STOP };

static const char BANNER[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";
static const char RESPONSE[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 18\r\n"
    "Connection: close\r\n\r\nFaultdesk bench ok";

static unsigned char roles[MAX_FDS];
static char *requests[MAX_FDS];
static int request_len[MAX_FDS];

static int listen_on_any_port(int epoll_fd, enum role role) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (fd < 0 || fd >= MAX_FDS || bind(fd, (struct sockaddr *)&address, size) < 0 ||
        listen(fd, 4096) < 0 || getsockname(fd, (struct sockaddr *)&address, &size) < 0) {
        perror("listen");
        exit(1);
    }
    roles[fd] = role;
    struct epoll_event event = {.events = EPOLLIN, .data.fd = fd};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
    return ntohs(address.sin_port);
}

static void hang_up(int fd) {
    free(requests[fd]);
    requests[fd] = NULL;
    request_len[fd] = 0;
    roles[fd] = NONE;
    close(fd); /* also leaves the epoll set */
}

static void accept_all(int epoll_fd, int listener, int ssh) {
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
        if (fd < 0) return; /* EAGAIN: all taken */
        if (fd >= MAX_FDS) {
            close(fd);
            continue;
        }
        if (ssh && send(fd, BANNER, sizeof BANNER - 1, MSG_NOSIGNAL) < 0) {
            close(fd);
            continue;
        }
        roles[fd] = ssh ? SSH_CONN : HTTP_CONN;
        struct epoll_event event = {.events = EPOLLIN, .data.fd = fd};
        epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
    }
}

static void answer(int fd) {
    char data[REQUEST_MAX];
    ssize_t got = recv(fd, data, sizeof data, 0);
    if (got < 0 && errno == EAGAIN) return;
    if (roles[fd] == HTTP_CONN && got > 0) {
        if (requests[fd] == NULL) requests[fd] = malloc(REQUEST_MAX);
        int room = REQUEST_MAX - request_len[fd];
        int take = got < room ? (int)got : room;
        memcpy(requests[fd] + request_len[fd], data, take);
        request_len[fd] += take;
        if (!memmem(requests[fd], request_len[fd], "\r\n\r\n", 4) && request_len[fd] < REQUEST_MAX)
            return;
        send(fd, RESPONSE, sizeof RESPONSE - 1, MSG_NOSIGNAL);
    }
    hang_up(fd);
}

int main(int argc, char **argv) {
    int per_kind = argc > 1 ? atoi(argv[1]) : 1;
    int epoll_fd = epoll_create1(0);
    int *ports = malloc(sizeof(int) * 2 * per_kind);
    for (int i = 0; i < 2 * per_kind; i++)
        ports[i] = listen_on_any_port(epoll_fd, i < per_kind ? SSH_LISTENER : HTTP_LISTENER);
    for (int i = 0; i < 2 * per_kind; i++) {
        if (i == 0) printf("{\"ssh\": [");
        if (i == per_kind) printf("], \"http\": [");
        printf(i % per_kind ? ", %d" : "%d", ports[i]);
    }
    printf("]}\n");
    fflush(stdout);
    roles[0] = STOP;
    struct epoll_event stdin_event = {.events = EPOLLIN, .data.fd = 0};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, 0, &stdin_event);
    struct epoll_event events[256];
    for (;;) {
        int ready = epoll_wait(epoll_fd, events, 256, -1);
        for (int i = 0; i < ready; i++) {
            int fd = events[i].data.fd;
            switch (roles[fd]) {
            case STOP: {
                char ignored[64];
                if (read(0, ignored, sizeof ignored) <= 0) return 0;
                break;
            }
            case SSH_LISTENER: accept_all(epoll_fd, fd, 1); break;
            case HTTP_LISTENER: accept_all(epoll_fd, fd, 0); break;
            case SSH_CONN:
            case HTTP_CONN: answer(fd); break;
            default: break;
            }
        }
    }
}
