package io.unum.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** A {@code --join-token-file} for tests: a 0600 temporary file, deleted when the JVM exits. */
public final class TestJoinToken {
    private TestJoinToken() {
    }

    public static String file(String token) {
        try {
            Path f = Files.createTempFile("unum-join-token-", "",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(f, token + "\n");
            f.toFile().deleteOnExit();
            return f.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
