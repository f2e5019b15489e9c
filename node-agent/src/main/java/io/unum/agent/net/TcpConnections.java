package io.unum.agent.net;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The TCP connections (every socket with a peer: established or closing) a process tree holds,
 * read from /proc like {@link ListeningSockets}. CRIU moves them in repair mode
 * (--tcp-established), which needs the source's socket gone before the target's is made:
 * post-copy keeps the frozen source, and its socket, until every page went over, so such a tree
 * cannot move post-copy.
 */
public final class TcpConnections {
    private static final String LISTEN = "0A";
    private static final String CLOSE = "07";

    private TcpConnections() {
    }

    /** "local -> remote" for each connection the tree of initPid holds. */
    public static List<String> heldByTree(int initPid) {
        Set<Long> inodes = ListeningSockets.socketInodes(initPid);
        List<String> connections = new ArrayList<>();
        if (inodes.isEmpty()) {
            return connections;
        }
        for (String table : List.of("tcp", "tcp6")) {
            for (String[] r : ListeningSockets.rows(Path.of("/proc", Integer.toString(initPid), "net", table))) {
                if (!LISTEN.equals(r[3]) && !CLOSE.equals(r[3]) && inodes.contains(Long.parseLong(r[9]))) {
                    connections.add(address(r[1]) + " -> " + address(r[2]));
                }
            }
        }
        return connections;
    }

    /** /proc/net/tcp's "0100007F:1E6C" (the address in host byte order per 32-bit word) as 127.0.0.1:7788. */
    static String address(String hex) {
        String[] parts = hex.split(":");
        String ip = parts[0];
        byte[] bytes = new byte[ip.length() / 2];
        for (int word = 0; word < bytes.length / 4; word++) {
            for (int i = 0; i < 4; i++) {
                int at = word * 8 + (3 - i) * 2;
                bytes[word * 4 + i] = (byte) Integer.parseInt(ip.substring(at, at + 2), 16);
            }
        }
        int port = Integer.parseInt(parts[1], 16);
        try {
            // An IPv4-mapped IPv6 address (a dual-stack socket's) comes back as the IPv4 one.
            InetAddress address = InetAddress.getByAddress(bytes);
            String host = address.getHostAddress();
            return (address instanceof Inet6Address ? "[" + host + "]" : host) + ":" + port;
        } catch (UnknownHostException e) {
            return hex;
        }
    }
}
