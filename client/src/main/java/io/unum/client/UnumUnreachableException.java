package io.unum.client;

import java.net.URI;

/** Nothing answered at the control plane's address (connection refused, unknown host, connect timeout). */
public class UnumUnreachableException extends RuntimeException {
    private final URI url;

    public UnumUnreachableException(URI url, Throwable cause) {
        super("cannot reach the Unum control plane at " + url + " (" + describe(cause) + "); "
                + "start a local cluster with 'bin/unum-dev up', or point --url / UNUM_URL at a running one",
                cause);
        this.url = url;
    }

    public URI url() {
        return url;
    }

    private static String describe(Throwable cause) {
        if (cause instanceof java.net.http.HttpConnectTimeoutException) {
            return "connect timed out";
        }
        if (cause instanceof java.nio.channels.UnresolvedAddressException
                || cause instanceof java.net.UnknownHostException) {
            return "unknown host";
        }
        return "connection refused";
    }
}
