package io.unum.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/** Properties files that hold tokens: readable by their owner only, written whole or not at all. */
final class PrivateProperties {
    private PrivateProperties() {
    }

    /** Writes {@code values} in their order, through a temporary file moved into place. */
    static void write(Path file, Map<String, String> values, String comment) {
        Properties props = new Properties() {
            private static final long serialVersionUID = 1L;

            @Override
            public synchronized Set<Map.Entry<Object, Object>> entrySet() {
                // keep insertion order in the file
                Set<Map.Entry<Object, Object>> ordered = new LinkedHashSet<>();
                values.forEach((k, v) -> ordered.add(Map.entry(k, v)));
                return ordered;
            }
        };
        props.putAll(values);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                props.store(w, comment);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** The file's properties; none when it is missing or unreadable. */
    static Properties read(Path file) {
        Properties p = new Properties();
        if (Files.isRegularFile(file)) {
            try (var r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException e) {
                // callers show what they can without it
            }
        }
        return p;
    }
}
