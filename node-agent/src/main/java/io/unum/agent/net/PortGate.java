package io.unum.agent.net;

import io.unum.agent.files.PrivateFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Keeps new connections to a moving process's listening ports waiting instead of refused: before
 * the dump, an nftables table {@code inet unum.<image id>} drops every SYN to those ports on this
 * host (a client's kernel retransmits it, 1 s, 3 s, 7 s … later, so the client sees a delay), the
 * program accepts what already queued while it still runs ({@link #drain}), and CRIU dumps a
 * listener with an empty accept queue. The gate opens once the process runs again: released on
 * the target, or resumed here after a rollback, or its dump failed.
 *
 * <p>Which agent opens it: any agent where a tree restored from the image starts to run opens the
 * image's gate on its host ({@link #open}; in the local cluster every agent shares the host's
 * network stack, so the target's release opens the source's gate). An image deleted here opens the
 * gate only if this agent shut it ({@link #openIfOurs}): the target deleting its copy during a
 * rollback must not open the source's gate before the source resumed. Each gate this agent shuts
 * is recorded in {@code <state-dir>/port-gates/<image id>} before nft runs, so that the next
 * agent after a crash opens those no image here still needs ({@link #openLeftovers}).
 *
 * <p>nft runs as a child with an argv array (its script on stdin), never through a shell. Without
 * nft, or when it fails (an agent that is not root), dumps go on as before and the log says why.
 */
public final class PortGate {

    private static final Logger LOG = Logger.getLogger(PortGate.class.getName());
    /** Every table the agents create starts with this: {@code nft list tables | grep unum} finds them. */
    public static final String TABLE_PREFIX = "unum.";
    private static final long NFT_TIMEOUT_SECONDS = 10;

    private static final Pattern RUN_ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final Pattern CRIU_TABLE = Pattern.compile("table inet (CRIU-[0-9a-f-]{8,})");
    /** CRIU logs its run id among its first lines, before anything it dumps. */
    private static final Pattern LOGGED_RUN_ID = Pattern.compile("CRIU run id = (" + RUN_ID.pattern() + ")");
    private static final int LOG_HEAD = 16 * 1024;
    private static final Pattern LOCKED = Pattern.compile("([0-9a-fA-F:.]+) \\. (\\d+) \\. ([0-9a-fA-F:.]+) \\. (\\d+)");

    private final Optional<Path> nft;
    private final Path records;
    private final Path criuLocks;
    private final String node;

    public PortGate(Optional<Path> nft, Path stateDir, String node) {
        this.nft = nft;
        this.records = stateDir.resolve("port-gates");
        this.criuLocks = stateDir.resolve("criu-locks");
        this.node = node;
    }

    /** nft on the usual paths or PATH; empty when there is none. */
    public static Optional<Path> locateNft() {
        List<String> dirs = new ArrayList<>(List.of("/usr/sbin", "/sbin"));
        String path = System.getenv("PATH");
        if (path != null) {
            dirs.addAll(List.of(path.split(":")));
        }
        return dirs.stream().filter(d -> !d.isEmpty()).map(d -> Path.of(d, "nft")).filter(Files::isExecutable).findFirst();
    }

    public boolean available() {
        return nft.isPresent();
    }

    public static String table(String imageId) {
        return TABLE_PREFIX + imageId;
    }

    /** Drops SYNs to ports on this host until the image's gate opens; false (logged) when it could not. */
    public boolean shut(String imageId, SortedSet<Integer> ports) {
        if (nft.isEmpty() || ports.isEmpty()) {
            return false;
        }
        String list = ports.stream().map(String::valueOf).collect(Collectors.joining(", "));
        try {
            PrivateFiles.createDirectories(records);
            PrivateFiles.writeString(records.resolve(imageId), list + "\n");
        } catch (IOException e) {
            LOG.warning("cannot record the port gate of image " + imageId + " (" + e.getMessage() + "); not shutting it");
            return false;
        }
        String table = "inet " + table(imageId);
        // Created empty, deleted and created again in one transaction: a retried dump leaves one rule.
        String script = "table " + table + " {}\n"
                + "delete table " + table + "\n"
                + "table " + table + " {\n"
                + "  comment \"unum: new connections wait while image " + imageId + " moves from " + node.replace("\"", "")
                + "\"\n"
                + "  chain input {\n"
                + "    type filter hook input priority -10; policy accept;\n"
                + "    tcp dport { " + list + " } tcp flags & (syn | ack) == syn drop\n"
                + "  }\n"
                + "}\n";
        Optional<String> failed = run(List.of("-f", "-"), script);
        if (failed.isPresent()) {
            LOG.warning("cannot shut the port gate of image " + imageId + " (" + failed.get()
                    + "); clients of ports " + list + " may be refused while it moves");
            forget(imageId);
            return false;
        }
        LOG.info(() -> "image " + imageId + ": new connections to ports " + list + " wait (SYNs dropped) while it moves");
        return true;
    }

    /** The process runs again: new connections may come in. Idempotent; whoever shut the gate. */
    public void open(String imageId) {
        if (nft.isEmpty()) {
            return;
        }
        boolean ours = Files.exists(records.resolve(imageId));
        Optional<String> failed = run(List.of("delete", "table", "inet", table(imageId)), null);
        if (failed.isPresent() && !failed.get().contains("No such file")) {
            LOG.warning("cannot open the port gate of image " + imageId + ": " + failed.get());
            return;
        }
        if (failed.isEmpty()) {
            LOG.info(() -> "image " + imageId + ": its port gate is open again");
        }
        if (ours) {
            forget(imageId);
        }
    }

    /** Opens the image's gate if this agent shut it (see the class comment). */
    public void openIfOurs(String imageId) {
        if (Files.exists(records.resolve(imageId))) {
            open(imageId);
        }
    }

    /** At start: opens every gate an earlier agent shut whose image no longer needs it. */
    public void openLeftovers(Predicate<String> stillNeeded) {
        forEachLeftover(records, stillNeeded, imageId -> {
            LOG.info(() -> "opening the port gate an earlier agent left for image " + imageId);
            if (nft.isEmpty()) {
                forget(imageId);
            } else {
                open(imageId);
            }
        });
    }

    /** Each image id recorded in dir that no longer needs its record, handed to settle. */
    private static void forEachLeftover(Path dir, Predicate<String> stillNeeded, Consumer<String> settle) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> recorded = Files.newDirectoryStream(dir)) {
            for (Path record : recorded) {
                String imageId = record.getFileName().toString();
                if (!stillNeeded.test(imageId)) {
                    settle.accept(imageId);
                }
            }
        } catch (IOException e) {
            LOG.warning("cannot list " + dir + ": " + e.getMessage());
        }
    }

    /** Image ids of the gates this agent (or an earlier one) shut and did not open yet. */
    public Set<String> shutHere() {
        try (var list = Files.list(records)) {
            return list.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        } catch (IOException e) {
            return Set.of();
        }
    }

    private void forget(String imageId) {
        try {
            Files.deleteIfExists(records.resolve(imageId));
        } catch (IOException e) {
            LOG.warning("cannot delete " + records.resolve(imageId) + ": " + e.getMessage());
        }
    }

    /**
     * CRIU's own network lock: a dump with {@code --network-lock nftables} that stops its tree
     * leaves a table {@code inet CRIU-<its run id>} dropping the packets of the connections it
     * dumped, for the restore to remove. A restore on another host never does, and one that never
     * comes (the image deleted, or CRIU killed while serving) does not either: such tables, two
     * hooked chains each, would pile up and slow every packet of the host. So the run id of each
     * dump here that stopped its tree is recorded ({@code <state-dir>/criu-locks/<image id>}) and
     * its table removed once the image is not needed here any more ({@link #releaseCriuLock}).
     */
    public void keepCriuLock(String imageId, Path criuDir) {
        Optional<String> runId = runId(criuDir);
        if (runId.isEmpty() || nft.isEmpty()) {
            return;
        }
        try {
            PrivateFiles.createDirectories(criuLocks);
            PrivateFiles.writeString(criuLocks.resolve(imageId), runId.get() + "\n");
        } catch (IOException e) {
            LOG.warning("cannot record CRIU's network lock of image " + imageId + ": " + e.getMessage());
        }
    }

    /** Removes CRIU's network lock of a dump of imageId here, if one is recorded; idempotent. */
    public void releaseCriuLock(String imageId) {
        Path record = criuLocks.resolve(imageId);
        String runId;
        try {
            runId = Files.readString(record, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return; // none recorded
        }
        if (nft.isPresent() && !removeCriuTable(runId, "image " + imageId)) {
            return; // kept for the next try
        }
        try {
            Files.deleteIfExists(record);
        } catch (IOException e) {
            LOG.warning("cannot delete " + record + ": " + e.getMessage());
        }
    }

    /**
     * Removes the network lock of a dump here that ended without an image: CRIU killed (by the
     * dump's timeout, an OOM kill, an operator) between taking the lock (right after it froze the
     * tree) and its end leaves its table behind, and the tree that runs on after the failed dump
     * then has every connection CRIU had reached dropped, for ever. (A CRIU that fails on its own
     * removes its table itself.) The table is found by this CRIU's own run id, which it logs
     * before it takes the lock (the agent's dumps run it at -v3), so no other dump's lock, running
     * or kept with its image, is ever touched. Call only once that CRIU is dead: a live one may
     * still be locking.
     */
    public void releaseCriuLockOfFailedDump(String imageId, Optional<String> runId, Consumer<Set<String>> beforeRemoval) {
        if (runId.isPresent() && nft.isPresent()) {
            removeCriuTable(runId.get(), "the failed dump of image " + imageId, beforeRemoval);
        }
    }

    /** Deletes CRIU's table of runId if it exists; false when nft failed. */
    private boolean removeCriuTable(String runId, String of) {
        return removeCriuTable(runId, of, locked -> {
        });
    }

    /**
     * Deletes CRIU's table of runId if it exists, first handing the connections it locks (both
     * ways, "a:p -> b:q") to beforeRemoval; false when nft failed.
     */
    private boolean removeCriuTable(String runId, String of, Consumer<Set<String>> beforeRemoval) {
        Optional<String> tables = list();
        if (tables.isEmpty()) {
            return false;
        }
        Matcher m = CRIU_TABLE.matcher(tables.get());
        while (m.find()) {
            String table = m.group(1);
            // CRIU cuts the run id to fit its name buffer: the table bears a prefix of it.
            if (runId.startsWith(table.substring("CRIU-".length()))) {
                Nft listed = nft(List.of("list", "table", "inet", table), null);
                if (listed.ok()) {
                    Set<String> locked = lockedConnections(listed.out());
                    if (!locked.isEmpty()) {
                        beforeRemoval.accept(locked);
                    }
                }
                Optional<String> failed = run(List.of("delete", "table", "inet", table), null);
                if (failed.isPresent() && !failed.get().contains("No such file")) {
                    LOG.warning("cannot remove CRIU's network lock " + table + " of " + of + ": " + failed.get());
                    return false;
                }
                LOG.info(() -> of + ": removed CRIU's network lock " + table);
            }
        }
        return true;
    }

    /** The connections in the sets of a CRIU table as nft lists it ("127.0.0.1 . 80 . 127.0.0.1 . 4000"). */
    static Set<String> lockedConnections(String listing) {
        Set<String> locked = new java.util.TreeSet<>();
        Matcher m = LOCKED.matcher(listing);
        while (m.find()) {
            Optional<String> a = TcpConnections.endpoint(m.group(1), Integer.parseInt(m.group(2)));
            Optional<String> b = TcpConnections.endpoint(m.group(3), Integer.parseInt(m.group(4)));
            if (a.isPresent() && b.isPresent()) {
                locked.add(a.get() + " -> " + b.get());
            }
        }
        return locked;
    }

    /**
     * The run id a CRIU wrote at the top of its log ({@code CRIU run id = ...}, at -v3 and up),
     * or empty (no log, or CRIU died before it opened it, which is before it takes any lock).
     */
    public static Optional<String> loggedRunId(Path log) {
        byte[] head = new byte[LOG_HEAD];
        int n = 0;
        try (var in = Files.newInputStream(log)) {
            int r;
            while (n < head.length && (r = in.read(head, n, head.length - n)) > 0) {
                n += r;
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        Matcher m = LOGGED_RUN_ID.matcher(new String(head, 0, n, StandardCharsets.ISO_8859_1));
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** At start: removes CRIU's locks of dumps here whose images are gone (an earlier agent died before it could). */
    public void releaseLeftoverCriuLocks(Predicate<String> stillNeeded) {
        forEachLeftover(criuLocks, stillNeeded, this::releaseCriuLock);
    }

    /** CRIU's run id, kept in the image's inventory (the only string of its shape there). */
    static Optional<String> runId(Path criuDir) {
        try {
            String raw = new String(Files.readAllBytes(criuDir.resolve("inventory.img")), StandardCharsets.ISO_8859_1);
            Matcher m = RUN_ID.matcher(raw);
            return m.find() ? Optional.of(m.group()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** nft's list of tables, or empty if it failed. */
    private Optional<String> list() {
        Nft r = nft(List.of("list", "tables"), null);
        return r.ok() ? Optional.of(r.out()) : Optional.empty();
    }

    /** Runs nft; empty on success, else what it said. */
    private Optional<String> run(List<String> args, String stdin) {
        Nft r = nft(args, stdin);
        return r.ok() ? Optional.empty() : Optional.of(r.out().strip().replace('\n', ' '));
    }

    /** What nft said, and whether it succeeded (a failure to run it counts as its answer). */
    private record Nft(boolean ok, String out) {
    }

    private Nft nft(List<String> args, String stdin) {
        List<String> cmd = new ArrayList<>(List.of(nft.orElseThrow().toString()));
        cmd.addAll(args);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            try (OutputStream in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(NFT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Nft(false, "nft did not finish within " + NFT_TIMEOUT_SECONDS + " s");
            }
            return new Nft(p.exitValue() == 0, new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Nft(false, "cannot run " + cmd.get(0) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Nft(false, "interrupted");
        }
    }
}
