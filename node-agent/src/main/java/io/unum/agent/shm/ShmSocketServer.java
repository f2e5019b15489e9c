package io.unum.agent.shm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;
import jdk.net.ExtendedSocketOptions;

/**
 * The socket the preload library dials. A connection says which process it is (its pid in its
 * namespace and its start time, see {@link HostPid}); the kernel says which user it is
 * (SO_PEERCRED): the process must run as that user and belong to a process tree this agent
 * supervises, so a program of another user cannot speak for someone else's process.
 */
public final class ShmSocketServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ShmSocketServer.class.getName());
    private static final int EAGAIN = 11;
    private final ShmNode node;
    private final ServerSocketChannel server;
    private final AtomicLong ids = new AtomicLong();
    private volatile boolean closed;

    private ShmSocketServer(ShmNode node, ServerSocketChannel server) {
        this.node = node;
        this.server = server;
    }

    public static ShmSocketServer start(ShmNode node) {
        Path path = node.socket();
        try {
            Files.deleteIfExists(path);
            ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            // Every uid's processes must connect; the peer checks below decide what they may do.
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw-rw-"));
            ShmSocketServer s = new ShmSocketServer(node, server);
            Thread t = new Thread(s::acceptLoop, "unum-shm-accept");
            t.setDaemon(true);
            t.start();
            LOG.info("cluster-wide shared memory: processes with USE_REMOTE_MEMORY connect to " + path);
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + path, e);
        }
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel ch = server.accept();
                Thread t = new Thread(() -> greet(ch), "unum-shm-session");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warning("shared memory socket: " + e.getMessage());
                }
            }
        }
    }

    private void greet(SocketChannel ch) {
        try {
            Frame hello = Frame.read(ch);
            switch (hello.op()) {
                case Frame.HELLO -> {
                    int nsPid = hello.payload().getInt();
                    long startTime = hello.payload().remaining() >= 12 ? hello.payload().getLong(8) : -1;
                    String user = ch.getOption(ExtendedSocketOptions.SO_PEERCRED).user().getName();
                    Optional<Integer> pid = HostPid.find(nsPid, startTime, user);
                    Optional<Integer> gpid = pid.flatMap(node::gpidOf);
                    Optional<int[]> ids = pid.flatMap(HostPid::effectiveIds);
                    if (gpid.isEmpty() || ids.isEmpty()) {
                        LOG.warning("refused a shared memory connection of " + user + " claiming pid " + nsPid
                                + " started at tick " + startTime + (pid.isEmpty() ? ": no such process of that user" : ": no supervised process tree holds it"));
                        Frame.result(ch, hello.tag(), -ShmNode.EACCES);
                        ch.close();
                        return;
                    }
                    if (node.isDumping(gpid.get())) {
                        // CRIU is about to dump (or dumping) it: a connection now would end up in the image.
                        Frame.result(ch, hello.tag(), -EAGAIN);
                        ch.close();
                        return;
                    }
                    ShmSession s = new ShmSession(this.ids.incrementAndGet(), pid.get(), gpid.get(), ids.get()[0],
                            ids.get()[1], ch, node);
                    node.opened(s);
                    Frame.result(ch, hello.tag(), s.id);
                    s.run();
                }
                case Frame.HELLO_CALLBACKS -> {
                    long id = hello.payload().getLong();
                    Optional<ShmSession> s = node.session(id);
                    // The same process, proven the same way: a session id alone is not a credential.
                    if (s.isEmpty() || !samePeer(ch, s.get().pid)) {
                        Frame.result(ch, hello.tag(), -ShmNode.EACCES);
                        ch.close();
                        return;
                    }
                    Frame.result(ch, hello.tag(), 0);
                    s.get().connectCallbacks(ch);
                }
                default -> {
                    Frame.result(ch, hello.tag(), -ShmNode.EPROTO);
                    ch.close();
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.fine(() -> "shared memory connection dropped: " + e.getMessage());
            try {
                ch.close();
            } catch (IOException ignored) {
                // already gone
            }
        }
    }

    private static boolean samePeer(SocketChannel ch, int pid) throws IOException {
        return HostPid.runsAs(pid, ch.getOption(ExtendedSocketOptions.SO_PEERCRED).user().getName());
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
            Files.deleteIfExists(node.socket());
        } catch (IOException e) {
            // going away anyway
        }
    }
}
