#define _GNU_SOURCE
#include "nnfilespace.h"

#include <errno.h>

#if defined(__linux__)
#include <fcntl.h>
#include <linux/falloc.h>
#endif

int nn_reserve_file_space(int fd, long long length) {
    if (length <= 0) return 0;
#if defined(__linux__)
    for (;;) {
        if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)length) == 0) return 0;
        if (errno != EINTR) return errno;
    }
#else
    (void)fd;
    return ENOSYS;
#endif
}
