package io.unum.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/** The join token from {@code --join-token-file}: a secret, so the file must not be readable by others. */
final class JoinTokenFile {
    private static final Set<PosixFilePermission> OPEN_TO_OTHERS = Set.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);

    private JoinTokenFile() {
    }

    /** The file's first line, trimmed; refuses a file that group or others may read or write. */
    static String read(Path file) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.stream().anyMatch(OPEN_TO_OTHERS::contains)) {
                throw new IllegalArgumentException("--join-token-file " + file + " is open to other users ("
                        + java.nio.file.attribute.PosixFilePermissions.toString(perms) + "): chmod 600 it");
            }
            String text = Files.readString(file, StandardCharsets.UTF_8);
            int eol = text.indexOf('\n');
            return (eol < 0 ? text : text.substring(0, eol)).trim();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read --join-token-file " + file + ": " + e.getMessage(), e);
        }
    }
}
