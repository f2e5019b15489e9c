package io.unum.agent.image;

/** An image fails its checksums, lacks files or names paths outside itself. */
public final class CorruptImageException extends RuntimeException {
    public CorruptImageException(String message) {
        super(message);
    }
}
