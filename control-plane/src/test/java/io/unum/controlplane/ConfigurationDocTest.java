package io.unum.controlplane;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithName;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** docs/design/configuration.md names every unum.* key the control plane reads, so the table cannot rot. */
class ConfigurationDocTest {

    @Test
    void everyConfigKeyIsDocumented() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "design", "configuration.md"));
        List<String> keys = new ArrayList<>();
        for (Class<?> mapping : configMappings()) {
            collect(mapping.getAnnotation(ConfigMapping.class).prefix(), mapping, keys);
        }
        assertTrue(keys.size() >= 20, "found the config mappings: " + keys);
        List<String> missing = keys.stream().filter(k -> !doc.contains("`" + k + "`")).toList();
        assertTrue(missing.isEmpty(), "add these keys to docs/design/configuration.md: " + missing);
    }

    private static void collect(String prefix, Class<?> group, List<String> keys) {
        for (Method m : group.getDeclaredMethods()) {
            if (m.getParameterCount() > 0 || Modifier.isStatic(m.getModifiers()) || m.isDefault() || m.isSynthetic()) {
                continue;
            }
            WithName named = m.getAnnotation(WithName.class);
            String key = prefix + "." + (named != null ? named.value() : kebab(m.getName()));
            Class<?> type = m.getReturnType();
            if (type.isInterface() && type.getName().startsWith("io.unum.")) {
                collect(key, type, keys);
            } else {
                keys.add(key);
            }
        }
    }

    private static String kebab(String name) {
        return name.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }

    private static List<Class<?>> configMappings() throws IOException {
        Path classes = Path.of("target", "classes");
        List<Class<?>> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                String name = classes.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", "");
                loaded(name).filter(c -> c.isAnnotationPresent(ConfigMapping.class)).ifPresent(found::add);
            }
        }
        return found;
    }

    private static Optional<Class<?>> loaded(String name) {
        try {
            return Optional.of(Class.forName(name, false, ConfigurationDocTest.class.getClassLoader()));
        } catch (ClassNotFoundException | LinkageError e) {
            return Optional.empty();
        }
    }
}
