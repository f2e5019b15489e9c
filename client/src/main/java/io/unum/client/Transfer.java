package io.unum.client;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;

/** Bytes moved between the control plane and a local stream, counted for a {@link TransferProgress}. */
final class Transfer {
    private static final int BUFFER_BYTES = 64 * 1024;

    private Transfer() {
    }

    /** {@code in}, telling {@code progress} how much of it was read. */
    static InputStream counting(InputStream in, long total, TransferProgress progress) {
        return new FilterInputStream(in) {
            private long done;

            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    progress.transferred(++done, total);
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                    done += n;
                    progress.transferred(done, total);
                }
                return n;
            }
        };
    }

    /**
     * Copies the control plane's answer to {@code out}. A failure to read is the exchange's
     * ({@link UnumIoException}); a failure to write is the local side's, and says so, so that a
     * full local disk is not reported as a network fault.
     */
    static long copy(InputStream in, OutputStream out, long total, TransferProgress progress, URI from) {
        byte[] buffer = new byte[BUFFER_BYTES];
        long done = 0;
        while (true) {
            int n;
            try {
                n = in.read(buffer);
            } catch (IOException e) {
                throw new UnumIoException(from, e);
            }
            if (n < 0) {
                return done;
            }
            try {
                out.write(buffer, 0, n);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write what was downloaded: " + e.getMessage(), e);
            }
            done += n;
            progress.transferred(done, total);
        }
    }
}
