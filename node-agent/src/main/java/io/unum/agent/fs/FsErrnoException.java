package io.unum.agent.fs;

/** A file system call that fails with an errno for the program (and, for EIO, why, for the log). */
final class FsErrnoException extends Exception {
    private final int errno;

    FsErrnoException(int errno, String message) {
        super(message);
        this.errno = errno;
    }

    int errno() {
        return errno;
    }
}
