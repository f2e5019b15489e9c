package io.unum.agent.net;

import io.unum.agent.process.ProcFs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The listening TCP sockets of a process tree, read from /proc: the tree's socket inodes (its
 * tasks' fds) matched against its network namespace's {@code net/tcp} and {@code net/tcp6}.
 * A listener's rx_queue there is its accept queue; half-open connections to its port (SYN_RECV)
 * are listed with inode 0. Both are connections CRIU cannot dump ("In-flight connection").
 */
public final class ListeningSockets {

    private static final String LISTEN = "0A";
    private static final String SYN_RECV = "03";

    /** The tree's listening ports, and how many connections to them wait to be accepted. */
    public record Snapshot(SortedSet<Integer> ports, int inFlight) {
        public boolean any() {
            return !ports.isEmpty();
        }
    }

    private ListeningSockets() {
    }

    public static Snapshot of(int initPid) {
        Set<Long> inodes = socketInodes(initPid);
        List<String[]> rows = new ArrayList<>();
        for (String table : List.of("tcp", "tcp6")) {
            rows.addAll(rows(Path.of("/proc", Integer.toString(initPid), "net", table)));
        }
        SortedSet<Integer> ports = new TreeSet<>();
        int inFlight = 0;
        for (String[] r : rows) {
            if (r[3].equals(LISTEN) && inodes.contains(Long.parseLong(r[9]))) {
                ports.add(port(r[1]));
                inFlight += Integer.parseInt(r[4].substring(r[4].indexOf(':') + 1), 16);
            }
        }
        for (String[] r : rows) {
            if (r[3].equals(SYN_RECV) && ports.contains(port(r[1]))) {
                inFlight++;
            }
        }
        return new Snapshot(ports, inFlight);
    }

    /** "0100007F:1F90" → 8080. */
    static int port(String address) {
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1), 16);
    }

    /** Rows of a /proc/net/tcp table, split on blanks, without the header; empty when unreadable. */
    static List<String[]> rows(Path table) {
        try {
            List<String> lines = Files.readAllLines(table);
            List<String[]> rows = new ArrayList<>();
            for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9) {
                    rows.add(f);
                }
            }
            return rows;
        } catch (IOException | UncheckedIOException e) {
            return List.of();
        }
    }

    /**
     * The tree's tasks: its pid namespace, unless it shares the agent's (an agent that is not root
     * runs programs without one), where only initPid and its descendants are the tree.
     */
    static List<Integer> tree(int initPid) {
        try {
            if (!Files.readSymbolicLink(Path.of("/proc/self/ns/pid"))
                    .equals(Files.readSymbolicLink(Path.of("/proc", Integer.toString(initPid), "ns", "pid")))) {
                return ProcFs.namespaceMembers(initPid);
            }
        } catch (IOException e) {
            return List.of();
        }
        List<Integer> tree = new ArrayList<>(List.of(initPid));
        ProcessHandle.of(initPid).ifPresent(h -> h.descendants().forEach(d -> tree.add((int) d.pid())));
        return tree;
    }

    /** The socket inodes of the tree's tasks' fds. */
    static Set<Long> socketInodes(int initPid) {
        Set<Long> inodes = new HashSet<>();
        for (int pid : tree(initPid)) {
            try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Integer.toString(pid), "fd"))) {
                for (Path fd : fds) {
                    try {
                        String target = Files.readSymbolicLink(fd).toString();
                        if (target.startsWith("socket:[")) {
                            inodes.add(Long.parseLong(target.substring(8, target.length() - 1)));
                        }
                    } catch (IOException | NumberFormatException e) {
                        // closed meanwhile
                    }
                }
            } catch (IOException e) {
                // the task ended meanwhile
            }
        }
        return inodes;
    }
}
