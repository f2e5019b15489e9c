package io.unum.controlplane.fs;

/**
 * A metadata call that cannot be done, with the errno a program would get and what the public
 * API says about it. Thrown inside a transaction's body: nothing is written.
 */
final class FsFailure extends RuntimeException {
    private final int errno;

    FsFailure(int errno, String message) {
        super(message);
        this.errno = errno;
    }

    int errno() {
        return errno;
    }
}
