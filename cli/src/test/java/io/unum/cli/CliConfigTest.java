package io.unum.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliConfigTest {

    @TempDir
    Path dir;

    @Test
    void optionBeatsEnvironmentBeatsFileBeatsDefault() throws Exception {
        Path file = dir.resolve("cli.properties");
        Files.writeString(file, "url=http://file:1\ntoken=file-token\n");
        Map<String, String> env = Map.of("UNUM_URL", "http://env:2", "UNUM_TOKEN", "env-token");

        assertEquals("http://opt:3", CliConfig.resolve("http://opt:3", "t", env, file).url().toString());
        assertEquals("env-token", CliConfig.resolve(null, null, env, file).token());
        CliConfig fromFile = CliConfig.resolve(null, null, Map.of(), file);
        assertEquals("http://file:1", fromFile.url().toString());
        assertEquals("file-token", fromFile.token());
        CliConfig none = CliConfig.resolve(null, null, Map.of(), dir.resolve("missing"));
        assertEquals(CliConfig.DEFAULT_URL, none.url().toString());
        assertNull(none.token());
    }

    @Test
    void configFileFollowsXdgConfigHome() {
        assertEquals(Path.of("/x/unum/cli.properties"), CliConfig.defaultConfigFile(Map.of("XDG_CONFIG_HOME", "/x")));
        assertEquals(Path.of(System.getProperty("user.home"), ".config", "unum", "cli.properties"),
                CliConfig.defaultConfigFile(Map.of()));
    }

    @Test
    void rejectsAUrlWithoutScheme() {
        assertThrows(IllegalArgumentException.class,
                () -> CliConfig.resolve("localhost:8080", null, Map.of(), null));
    }
}
