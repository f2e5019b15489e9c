package io.unum.agent.shm;

import io.unum.agent.files.PrivateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Where shared memory lives on this node. The public directory (0711, not listable) holds the
 * socket the preload library dials and the node's backing files under unguessable names: processes
 * of every uid must open them, and only those the agent tells the name can. The home stores
 * (clean copies of pages, read by the agent only) stay in the agent's private state dir.
 */
public final class ShmDirectories {
    private static final Logger LOG = Logger.getLogger(ShmDirectories.class.getName());
    private static final String HOLD = "hold ";
    private final Path publicDir;
    private final Path privateDir;
    /**
     * Where a process finds the agent that runs it now: a file per gpid naming that agent's socket.
     * A migrated process's environment still names the node it started on; this file follows it.
     */
    private final Path pointers;
    private final SecureRandom random = new SecureRandom();

    private ShmDirectories(Path publicDir, Path privateDir, Path pointers) {
        this.publicDir = publicDir;
        this.privateDir = privateDir;
        this.pointers = pointers;
    }

    /**
     * Opens (and empties: copies of an earlier start are worthless) the directories of the agent
     * whose state dir is stateDir, of the cluster tagged cluster ([0-9a-f]+). The public one is under /tmp, named after the state dir, so an
     * agent that restarts listens where its processes' environment still points.
     */
    public static ShmDirectories open(Path stateDir, String cluster) {
        if (!cluster.matches("[0-9a-f]{1,64}")) {
            throw new IllegalArgumentException("cluster tag '" + cluster + "' is not hex");
        }
        String tag = HexFormat.of().formatHex(sha256(stateDir.toAbsolutePath().toString())).substring(0, 16);
        Path pub = Path.of("/tmp", "unum-shm-" + tag);
        Path priv = stateDir.resolve("shm-home");
        Path pointers;
        try {
            // One per user that runs agents and cluster: every agent of that user in that cluster
            // must find (and rewrite) them, and another cluster on the host has the same gpids.
            pointers = Path.of("/tmp", "unum-shm-by-gpid-" + Files.getAttribute(stateDir, "unix:uid") + "-" + cluster);
            if (Files.isSymbolicLink(pub)) {
                throw new IOException(pub + " is a symbolic link");
            }
            Files.createDirectories(pub);
            if (!Files.getOwner(pub).equals(Files.getOwner(stateDir))) {
                throw new IOException(pub + " belongs to someone else");
            }
            Files.setPosixFilePermissions(pub, PosixFilePermissions.fromString("rwx--x--x"));
            clear(pub);
            PrivateFiles.createDirectories(priv);
            clear(priv);
            if (Files.isSymbolicLink(pointers)) {
                throw new IOException(pointers + " is a symbolic link");
            }
            Files.createDirectories(pointers);
            if (!Files.getOwner(pointers).equals(Files.getOwner(stateDir))) {
                throw new IOException(pointers + " belongs to someone else");
            }
            Files.setPosixFilePermissions(pointers, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the shared memory directories", e);
        }
        ShmDirectories dirs = new ShmDirectories(pub, priv, pointers);
        dirs.releaseOwnHolds();
        return dirs;
    }

    /**
     * An earlier run of this agent died while dumping: the processes it held wait for a pointer.
     * Those that still run here connect again; for the others it is harmless.
     */
    private void releaseOwnHolds() {
        try (Stream<Path> files = Files.list(pointers)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (name.chars().allMatch(Character::isDigit) && holdsOwn(f)) {
                    point(Integer.parseInt(name));
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warning("cannot release the processes an earlier run held: " + e.getMessage());
        }
    }

    private static void clear(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
        }
    }

    public Path socket() {
        return publicDir.resolve("shm.sock");
    }

    Path newBacking(int id) {
        byte[] name = new byte[16];
        random.nextBytes(name);
        return publicDir.resolve("seg-" + id + "-" + HexFormat.of().formatHex(name));
    }

    public Path pointer(int gpid) {
        return pointers.resolve(Integer.toString(gpid));
    }

    /** Points gpid's process at this agent's socket (written whole, then renamed into place). */
    void point(int gpid) {
        write(gpid, socket().toString());
    }

    /**
     * Tells gpid's process not to dial any agent until pointed again: it is being dumped. The
     * line names this agent's socket so that this agent, restarted after dying mid-dump, can
     * release what it held ({@link #open}).
     */
    void hold(int gpid) {
        write(gpid, HOLD + socket());
    }

    /** Points gpid's process at this agent again if this agent holds it (another may point it meanwhile). */
    void releaseHold(int gpid) {
        if (holdsOwn(pointer(gpid))) {
            point(gpid);
        }
    }

    private boolean holdsOwn(Path pointer) {
        try {
            return Files.readString(pointer).strip().equals(HOLD + socket());
        } catch (IOException e) {
            return false;
        }
    }

    private void write(int gpid, String line) {
        try {
            Path tmp = Files.createTempFile(pointers, "." + gpid + "-", ".tmp");
            Files.writeString(tmp, line + "\n");
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(tmp, pointer(gpid), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot point process " + gpid + " at " + line, e);
        }
    }

    Path homeStore(int id) {
        return privateDir.resolve("home-" + id);
    }

    private static byte[] sha256(String s) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
