package io.unum.agent.net;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

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

    /**
     * Where the tree of initPid holds the given connections ("local -> remote", as {@link
     * #heldByTree} writes them, or either way round): the descriptors, by task pid.
     */
    public static Map<Integer, List<Integer>> descriptorsOf(int initPid, Set<String> connections) {
        Set<Long> wanted = new HashSet<>();
        for (String table : List.of("tcp", "tcp6")) {
            for (String[] r : ListeningSockets.rows(Path.of("/proc", Integer.toString(initPid), "net", table))) {
                String local = address(r[1]);
                String remote = address(r[2]);
                if (connections.contains(local + " -> " + remote) || connections.contains(remote + " -> " + local)) {
                    wanted.add(Long.parseLong(r[9]));
                }
            }
        }
        Map<Integer, List<Integer>> found = new TreeMap<>();
        if (wanted.isEmpty()) {
            return found;
        }
        for (int pid : ListeningSockets.tree(initPid)) {
            try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Integer.toString(pid), "fd"))) {
                for (Path fd : fds) {
                    try {
                        String target = Files.readSymbolicLink(fd).toString();
                        if (target.startsWith("socket:[")
                                && wanted.contains(Long.parseLong(target.substring(8, target.length() - 1)))) {
                            found.computeIfAbsent(pid, p -> new ArrayList<>()).add(Integer.parseInt(fd.getFileName().toString()));
                        }
                    } catch (IOException | NumberFormatException e) {
                        // closed meanwhile
                    }
                }
            } catch (IOException e) {
                // the task ended meanwhile
            }
        }
        return found;
    }

    /** An address and port as {@link #address} writes them (127.0.0.1:80, [0:0:0:0:0:0:0:1]:80); empty if not an address. */
    public static java.util.Optional<String> endpoint(String ip, int port) {
        if (!ip.matches("[0-9a-fA-F:.]+")) {
            return java.util.Optional.empty(); // never a name: no lookup
        }
        try {
            InetAddress address = InetAddress.getByName(ip);
            String host = address.getHostAddress();
            return java.util.Optional.of((address instanceof Inet6Address ? "[" + host + "]" : host) + ":" + port);
        } catch (UnknownHostException e) {
            return java.util.Optional.empty();
        }
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
