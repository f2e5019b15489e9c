package io.unum.agent.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Extracts unum-shim from the classpath, so the jar works on any machine with the same
 * libc/arch. The file is named by its content ({@code unum-shim-<sha256 prefix>}) and, for a
 * root agent, kept in {@value #SHARED_DIR}: every process's namespace init runs this binary, and
 * CRIU restores the init from the same path on the target node, so the path must be the same on
 * every node that runs the same build, whatever its state dir. A file that exists is never
 * rewritten (running shims keep it busy, and its name already says what it holds).
 */
public final class ShimInstaller {

    static final String RESOURCE = "/native/unum-shim";
    /** The preload library of cluster-wide shared memory: the same rules, since CRIU would restore it by path too. */
    static final String SHM_LIBRARY = "/native/libunum-shm.so";
    static final String SHARED_DIR = "/var/lib/unum/shim";

    private ShimInstaller() {
    }

    public static Path install(Path stateDir, boolean root) {
        return install(RESOURCE, "unum-shim-", "", stateDir, root);
    }

    /** libunum-shm.so, readable by every user (the programs that preload it run as any uid). */
    public static Path installShmLibrary(Path stateDir, boolean root) {
        return install(SHM_LIBRARY, "libunum-shm-", ".so", stateDir, root);
    }

    private static Path install(String resource, String prefix, String suffix, Path stateDir, boolean root) {
        byte[] binary;
        try (InputStream in = ShimInstaller.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the classpath");
            }
            binary = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path dir = root ? Path.of(SHARED_DIR) : stateDir.resolve("bin");
        Path target = dir.resolve(prefix + sha256(binary).substring(0, 16) + suffix);
        if (Files.isExecutable(target)) {
            return target;
        }
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "." + prefix, ".tmp");
            Files.write(tmp, binary);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install " + resource + " into " + dir, e);
        }
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
