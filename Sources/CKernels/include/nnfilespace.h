#ifndef NN_FILE_SPACE_H
#define NN_FILE_SPACE_H

/// Reserves disk blocks for the first `length` bytes of the file open as `fd` without changing
/// its size (Linux `fallocate` with FALLOC_FL_KEEP_SIZE), so that writing those bytes later
/// cannot fail for want of space. Returns 0, or the errno: ENOSPC when the disk cannot hold them,
/// EOPNOTSUPP (or ENOSYS) when the file system or OS cannot reserve space (nothing is reserved).
int nn_reserve_file_space(int fd, long long length);

#endif
