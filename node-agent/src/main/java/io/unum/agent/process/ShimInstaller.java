package io.unum.agent.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Extracts unum-shim from the classpath into {@code <state-dir>/bin/unum-shim}, so the jar
 * works on any machine with the same libc/arch. The new binary is renamed into place: running
 * shims keep their old inode, and writing over a running executable would fail (ETXTBSY).
 */
public final class ShimInstaller {

    static final String RESOURCE = "/native/unum-shim";

    private ShimInstaller() {
    }

    public static Path install(Path stateDir) {
        Path bin = stateDir.resolve("bin");
        Path target = bin.resolve("unum-shim");
        try (InputStream in = ShimInstaller.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("unum-shim is missing from the classpath (" + RESOURCE + ")");
            }
            Files.createDirectories(bin);
            Path tmp = Files.createTempFile(bin, ".unum-shim", ".tmp");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install unum-shim into " + bin, e);
        }
    }
}
