package io.unum.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;

/** An I/O failure after the connection to the control plane was made (reset, truncated response). */
public class UnumIoException extends UncheckedIOException {
    public UnumIoException(URI url, IOException cause) {
        super("I/O error talking to " + url + ": "
                + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage()), cause);
    }
}
