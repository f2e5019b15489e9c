package io.unum.client;

/**
 * Told how far an upload or a download got, after each buffer: {@code done} bytes of {@code total}
 * (-1 when the size is not known). Called on the thread that moves the bytes, which for an upload
 * is the HTTP client's, not the caller's.
 */
@FunctionalInterface
public interface TransferProgress {
    TransferProgress NONE = (done, total) -> { };

    void transferred(long done, long total);
}
