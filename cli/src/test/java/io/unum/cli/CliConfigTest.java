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

        assertEquals("http://opt:3", CliConfig.resolve("http://opt:3", "t", null, env, file).url().toString());
        assertEquals("env-token", CliConfig.resolve(null, null, null, env, file).token());
        CliConfig fromFile = CliConfig.resolve(null, null, null, Map.of(), file);
        assertEquals("http://file:1", fromFile.url().toString());
        assertEquals("file-token", fromFile.token());
        CliConfig none = CliConfig.resolve(null, null, null, Map.of(), dir.resolve("missing"));
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
                () -> CliConfig.resolve("localhost:8080", null, null, Map.of(), null));
    }

    @Test
    void theCaFileComesFromTheOptionTheEnvironmentOrTheFile() throws Exception {
        Path file = dir.resolve("cli.properties");
        Files.writeString(file, "ca-file=/file/ca.crt\n");
        assertEquals(Path.of("/opt/ca.crt"), CliConfig.resolve(null, null, "/opt/ca.crt", Map.of("UNUM_CA_FILE", "/env/ca.crt"), file).caFile());
        assertEquals(Path.of("/env/ca.crt"), CliConfig.resolve(null, null, null, Map.of("UNUM_CA_FILE", "/env/ca.crt"), file).caFile());
        assertEquals(Path.of("/file/ca.crt"), CliConfig.resolve(null, null, null, Map.of(), file).caFile());
        assertNull(CliConfig.resolve(null, null, null, Map.of(), dir.resolve("missing")).caFile());
    }
}
