package io.unum.api.fs;

/** A path the tree cannot hold; the message says what to fix. */
public final class InvalidFsPathException extends IllegalArgumentException {

    private final boolean tooLong;

    InvalidFsPathException(boolean tooLong, String message) {
        super(message);
        this.tooLong = tooLong;
    }

    /** ENAMETOOLONG rather than EINVAL. */
    public boolean tooLong() {
        return tooLong;
    }
}
