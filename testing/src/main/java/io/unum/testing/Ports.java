package io.unum.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Picks TCP ports for the processes of a local cluster. */
public final class Ports {
    private Ports() {
    }

    /** A port the kernel just handed out and that is free right now (it may be taken again before use). */
    public static int free() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot allocate a free port", e);
        }
    }

    /** {@code preferred} if nothing listens on it (on any address), else a free port. */
    public static int preferredOrFree(int preferred) {
        return preferred > 0 && isFree(preferred) ? preferred : free();
    }

    /** Whether {@code port} can be bound on the wildcard address, so on loopback and on every interface. */
    public static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether a log says a process failed because its port was taken. */
    static boolean isBindFailure(String log) {
        String l = log.toLowerCase(java.util.Locale.ROOT);
        return l.contains("address already in use") || l.contains("port(s) already bound")
                || l.contains("port already bound") || l.contains("bindexception");
    }
}
