package io.unum.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
        StringWriter text = new StringWriter();
        try {
            props.store(text, comment);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        PrivateFiles.write(file, text.toString());
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
