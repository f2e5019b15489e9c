package io.unum.agent.process;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The TCP connections (every socket with a peer: established or closing) a process tree holds,
 * read from /proc. CRIU moves them in repair mode (--tcp-established), which needs the source's
 * socket gone before the target's is made: post-copy keeps the frozen source, and its socket,
 * until every page went over, so such a tree cannot move post-copy.
 */
public final class TcpConnections {
    private static final String LISTEN = "0A";
    private static final String CLOSE = "07";

    private TcpConnections() {
    }

    /** "local -> remote" for each connection the tree of namespace init initPid holds. */
    public static List<String> heldByTree(int initPid) {
        Set<String> inodes = new HashSet<>();
        for (int pid : ProcFs.namespaceMembers(initPid)) {
            inodes.addAll(socketInodes(pid));
        }
        return connections(initPid, inodes);
    }

    /** "local -> remote" for each connection process pid itself holds. */
    static List<String> ofProcess(int pid) {
        return connections(pid, socketInodes(pid));
    }

    private static List<String> connections(int initPid, Set<String> inodes) {
        List<String> connections = new ArrayList<>();
        if (inodes.isEmpty()) {
            return connections;
        }
        for (String table : List.of("tcp", "tcp6")) {
            List<String> lines;
            try {
                lines = Files.readAllLines(Path.of("/proc", Integer.toString(initPid), "net", table));
            } catch (IOException e) {
                continue;
            }
            for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9 && !LISTEN.equals(f[3]) && !CLOSE.equals(f[3]) && inodes.contains(f[9])) {
                    connections.add(address(f[1]) + " -> " + address(f[2]));
                }
            }
        }
        return connections;
    }

    private static Set<String> socketInodes(int pid) {
        Set<String> inodes = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Integer.toString(pid), "fd"))) {
            for (Path fd : fds) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        } catch (IOException e) {
            // gone meanwhile
        }
        return inodes;
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
